"""`cfsync status`: where every partition stands and what the last runs did."""

from __future__ import annotations

import json
from typing import Any

import click

from .. import app
from ..logfmt import logfmt
from ..store import queries
from ..store.db import redacted
from ..store.migrate import head_revision
from .base import cli, config_of

__all__ = ["status"]


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (every partition, every run).")
@click.option("--partitions", "each", is_flag=True, help="One line per partition, not per resource.")
@click.option(
    "--runs", default=5, show_default=True, type=click.IntRange(min=0), help="How many recent runs to show."
)
@click.pass_context
def status(ctx: click.Context, as_json: bool, each: bool, runs: int) -> None:
    """Partitions (cursor, watermark, last success, last error, rows) and the last runs."""
    config = config_of(ctx)
    with app.existing_store(config) as store:
        parts = queries.partitions(store.engine)
        recent = queries.recent_runs(store.engine, runs)
        counts = queries.row_counts(store.engine)
        rejected = queries.reject_count(store.engine)
    if as_json:
        report = {"partitions": parts, "runs": recent, "rows": counts, "rejects": rejected}
        click.echo(json.dumps(report, indent=2, default=str))
        return
    click.echo(f"database: {redacted(config.database.url)} (schema {head_revision()})")
    if each:
        _each_partition(parts)
    else:
        _by_resource(parts, counts)
    click.echo(f"rejected records: {rejected}" + ("  (see table _rejects)" if rejected else ""))
    click.echo("\nrecent runs:")
    for run in recent:
        rows = (run["rows"] or {}).values()
        click.echo(
            "  "
            + logfmt(
                run=run["id"],
                started=run["started_at"],
                finished=run["finished_at"] or "-",
                status=run["status"],
                requests=run["requests"],
                retries=run["retries"],
                rate_limited=run["rate_limited"],
                inserted=sum(r.get("inserted", 0) for r in rows),
                updated=sum(r.get("updated", 0) for r in rows),
                deleted=sum(r.get("deleted", 0) for r in rows),
                failed=run["failed_partitions"],
            )
        )
    if not recent:
        click.echo("  none yet: run `cfsync sync`")


def _by_resource(parts: list[dict[str, Any]], counts: dict[str, int]) -> None:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for part in parts:
        groups.setdefault((part["account"], part["resource"]), []).append(part)
    click.echo(
        f"\n{'account/resource':<40} {'parts':>6} {'failed':>6} {'rows':>9} {'deleted':>8}  "
        f"{'oldest watermark':<26} last success"
    )
    for (account, resource), group in groups.items():
        failed = [p for p in group if p["status"] == "failed"]
        last = max((p["last_success_at"] or "" for p in group), default="") or "-"
        marks = [p["watermark"] for p in group if p["watermark"]]
        click.echo(
            f"{account + '/' + resource:<40} {len(group):>6} {len(failed):>6} {counts.get(resource, 0):>9} "
            f"{sum(p['deleted'] for p in group):>8}  {min(marks) if marks else '-':<26} {last}"
        )
        for part in failed[:5]:
            click.echo(f"    failed {_where(part)} cursor={part['cursor']}: {part['last_error']}")
        if len(failed) > 5:
            click.echo(f"    ... and {len(failed) - 5} more (cfsync status --partitions)")
    if not parts:
        click.echo("  no partitions yet")


def _each_partition(parts: list[dict[str, Any]]) -> None:
    click.echo("")
    for part in parts:
        click.echo(
            logfmt(
                partition=f"{part['account']}/{part['resource']}",
                workspace=part["workspace_id"] or "-",
                parent=part["parent_id"] or "-",
                status=part["status"],
                cursor=part["cursor"] or "-",
                watermark=part["watermark"] or "-",
                sweeping="yes" if part["sweep_started_at"] else "no",
                last_success=part["last_success_at"] or "-",
                rows=part["rows"],
                deleted=part["deleted"],
                error=part["last_error"] or "-",
            )
        )


def _where(part: dict[str, Any]) -> str:
    return f"workspace={part['workspace_id']} parent={part['parent_id']}"
