"""`cfsync status`: where every resource stands and what the last runs did; `--json` for machines."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from ..logfmt import duration, logfmt
from .base import cli, config_of

__all__ = ["ago", "status"]

NAME_WIDTH = 36  # a wider account/resource name is cut: the table stays within 100 columns


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (every partition, every run).")
@click.option(
    "--partitions", "each", is_flag=True, help="One logfmt line per partition, not a row per resource."
)
@click.option(
    "--runs", default=5, show_default=True, type=click.IntRange(min=0), help="How many recent runs to show."
)
@click.pass_context
def status(ctx: click.Context, as_json: bool, each: bool, runs: int) -> None:
    """Each resource (partitions, failures, rows, deletes, how old its newest change is, last success) and
    the last runs; times are shown as "3 min ago", --json gives them as RFC 3339."""
    from .. import app
    from ..store import queries
    from ..store.db import redacted
    from ..store.migrate import head_revision

    config = config_of(ctx)
    with app.existing_store(config) as store:
        report = queries.report(store.engine, runs)
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
        return
    parts, recent, counts, rejected = report["partitions"], report["runs"], report["rows"], report["rejects"]
    newest = {name: datetime.fromisoformat(at) for name, at in report["newest_change"].items()}
    now = datetime.now(UTC)
    click.echo(f"database: {redacted(config.database.url)} (schema {head_revision()})")
    if each:
        _each_partition(parts)
    else:
        _by_resource(parts, counts, newest, now)
    click.echo(f"rejected records: {rejected}" + ("  (see table _rejects)" if rejected else ""))
    _runs(recent, now)


def _by_resource(
    parts: list[dict[str, Any]], counts: dict[str, int], newest: dict[str, datetime], now: datetime
) -> None:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for part in parts:
        groups.setdefault((part["account"], part["resource"]), []).append(part)
    click.echo(
        f"\n{'resource':<{NAME_WIDTH}} {'parts':>6} {'failed':>6} {'rows':>10} {'deleted':>8}  "
        f"{'newest change':<14} last success"
    )
    for (account, resource), group in groups.items():
        failed = [p for p in group if p["status"] == "failed"]
        last = max((p["last_success_at"] or "" for p in group), default="") or None
        click.echo(
            f"{_cut(account + '/' + resource):<{NAME_WIDTH}} {len(group):>6} {len(failed):>6} "
            f"{counts.get(resource, 0):>10,} {sum(p['deleted'] for p in group):>8,}  "
            f"{ago(newest.get(resource), now):<14} {ago(last, now)}"
        )
        for part in failed[:5]:
            click.echo(f"    failed {_where(part)} cursor={part['cursor']}: {part['last_error']}")
        if len(failed) > 5:
            click.echo(f"    ... and {len(failed) - 5} more (cfsync status --partitions)")
    if not parts:
        click.echo("  no partitions yet")


def _runs(recent: list[dict[str, Any]], now: datetime) -> None:
    click.echo("\nrecent runs:")
    if not recent:
        click.echo("  none yet: run `cfsync sync`")
        return
    click.echo(
        f"  {'run':>5}  {'status':<11} {'started':<13} {'took':>7} {'requests':>9} {'429s':>6} "
        f"{'inserted':>9} {'updated':>9} {'deleted':>8} {'failed':>6}"
    )
    for run in recent:
        rows = (run["rows"] or {}).values()
        took = _seconds_between(run["started_at"], run["finished_at"])
        click.echo(
            f"  {run['id']:>5}  {run['status']:<11} {ago(run['started_at'], now):<13} "
            f"{duration(took) if took is not None else '-':>7} {run['requests'] or 0:>9,} "
            f"{run['rate_limited'] or 0:>6,} {sum(r.get('inserted', 0) for r in rows):>9,} "
            f"{sum(r.get('updated', 0) for r in rows):>9,} {sum(r.get('deleted', 0) for r in rows):>8,} "
            f"{run['failed_partitions'] or 0:>6}"
        )


def ago(value: str | datetime | None, now: datetime) -> str:
    """ "just now", "42 s ago", "3 min ago", "5 h ago", "12 days ago"; "-" for none. A time without a zone
    is UTC (SQLite keeps them so)."""
    when = _parse(value)
    if when is None:
        return "-"
    seconds = (now - when).total_seconds()
    if seconds < 0:
        return "in the future"  # a clock ahead of this machine's
    if seconds < 5:
        return "just now"
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size * (2 if unit in ("years", "days") else 1):
            return f"{int(seconds // size)} {unit} ago"
    return f"{int(seconds)} s ago"


def _parse(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _seconds_between(start: Any, end: Any) -> float | None:
    first, last = _parse(start), _parse(end)
    return None if first is None or last is None else (last - first).total_seconds()


def _cut(name: str) -> str:
    return name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…"


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
