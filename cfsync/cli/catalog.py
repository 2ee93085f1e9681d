"""What there is to sync: `cfsync resources` (each resource and what it costs a run) and `cfsync schema`
(the tables, and the columns the database gained for fields the API started sending)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from ..errors import CfsyncError, ConfigError
from ..logfmt import duration
from .base import cli, config_of

__all__ = ["resources", "schema"]


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def resources(ctx: click.Context, as_json: bool) -> None:
    """Every resource: its parent, whether `all` includes it, what a scheduled run costs, how stale it can be.

    A list with updated_at costs one request per run when nothing changed (its updated_at page finds new
    and changed records alike). A nested list (enrollments per course) is walked under the parents that
    changed, are new, or that the event log or a webhook named, and under every other parent at least every
    [sync].revisit_every (1d): a change nothing announces can be that old. The expensive fan-outs are off by
    default and walked under those parents only. Funnel statistics cost one request per live funnel and
    UTC day: [sync].stats_days (30) per funnel on the first run, then today, yesterday and the day before
    (3) plus any day a pause left unsettled. Parent counts come from the database when it exists.
    """
    from ..resources.catalog import CATALOG, CHANGED_PARENTS, ordered
    from ..resources.facts import list_operations

    known = _known_rows(ctx)
    revisit = config_of(ctx).sync.revisit_every
    rows: list[dict[str, Any]] = []
    for r in ordered():
        parents = known.get(r.parent) if r.parent else None
        every = None if r.fanout == CHANGED_PARENTS else revisit
        rows.append(
            {
                "name": r.name,
                "path": r.path,
                "since": r.since,
                "parent": r.parent,
                "default": r.default,
                "by_updated_at": r.by_updates,
                # Nothing says what changed (no updated_at order, not an event log): read whole every run.
                "read_whole": not r.by_updates and not r.append_only,
                "walked_for": (
                    "every parent"
                    if every is None and r.fanout != CHANGED_PARENTS
                    else "changed, new and named parents"
                )
                if r.nested
                else None,
                "revisit_seconds": every.total_seconds() if r.nested and every is not None else None,
                "known_parents": parents if r.nested else None,
                "children": [c.name for c in r.children],
                "filters": list(r.filters),
                "params": dict(r.params),
                "expandable": list(r.expandable),
                "expand": list(config_of(ctx).sync.expand.get(r.name, ())),
            }
        )
    rows.append(_stats_row(config_of(ctx).sync.stats_days, known))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    width = max(len(r.name) for r in CATALOG.values())
    click.echo(f"{'resource':<{width}} {'parent':<24} {'default':<8} cost of a run")
    for row in rows:
        click.echo(
            f"{row['name']:<{width}} {row['parent'] or '-':<24} {'on' if row['default'] else 'off':<8} "
            f"{_cost(row)}"
        )
        for child in row["children"]:
            click.echo(f"  └ {child}")
        if row["expandable"]:
            asked = f" (asked for: {', '.join(row['expand'])})" if row["expand"] else ""
            click.echo(f"  + expand: {', '.join(row['expandable'])}{asked}")
    click.echo(
        f"\n{len(CATALOG)} resources, from {len(list_operations())} list endpoints (invoices per order are "
        "read from the workspace's invoices list), and funnel statistics per day ([sync].stats_days). "
        "Turn one on with "
        '[sync].resources = ["all", "NAME"]; leave one out with [sync].exclude; ask for an expandable '
        "field with [sync].expand."
    )


def _stats_row(days: int, known: dict[str, int]) -> dict[str, Any]:
    """Funnel statistics: fetched per live funnel, one request per UTC day (engine/stats.py)."""
    from ..resources.stats import FUNNEL_STATS as stats

    return {
        "name": stats.name,
        "path": stats.path,
        "since": 2026,
        "parent": stats.parent,
        "default": days > 0,
        "by_updated_at": False,
        "read_whole": False,
        "walked_for": "every live funnel (not deleted, not archived)",
        "revisit_seconds": None,
        "known_parents": known.get(stats.parent),
        "children": [stats.steps_name],
        "filters": [],
        "params": {"expand[]": ",".join(stats.expand)},
        "expandable": [],
        "expand": [],
        "stats_days": days,
        "first_run_requests_per_parent": days,
        "quiet_run_requests_per_parent": min(days, 3),
    }


def _cost(row: dict[str, Any]) -> str:
    if "stats_days" in row:
        if not row["stats_days"]:
            return "none ([sync].stats_days = 0)"
        parents = f", {row['known_parents']:,} known" if row["known_parents"] is not None else ""
        return (
            f"1 request per funnel and day: {row['stats_days']} per funnel on its first run, then "
            f"{row['quiet_run_requests_per_parent']} per live funnel a run, +1 per day missed{parents}"
        )
    changes = (
        "+1 per 20 changed or new records"
        if row["by_updated_at"]
        else "+1 per 20 records (read whole: nothing says what changed)"
        if row["read_whole"]
        else "+1 per 20 new records"
    )
    if not row["walked_for"]:
        per = (
            "per workspace"
            if row["parent"] == "workspaces"
            else "per team"
            if row["parent"]
            else "per account"
        )
        return f"1 request {per}, {changes}"
    parents = f", {row['known_parents']:,} known" if row["known_parents"] is not None else ""
    stale = ""
    if row["revisit_seconds"] is not None:
        stale = f"; the others every {duration(row['revisit_seconds'])}"
    return f"1 request per {row['parent']} row walked ({row['walked_for']}{stale}{parents})"


def _known_rows(ctx: click.Context) -> dict[str, int]:
    """Live rows per table in the configured database, or nothing when there is none yet."""
    import sqlalchemy as sa

    from .. import app
    from ..store import queries

    try:
        with app.existing_store(config_of(ctx)) as store:
            return queries.row_counts(store.engine)
    except (CfsyncError, sa.exc.SQLAlchemyError):
        return {}


@cli.command()
@click.option(
    "--changes",
    is_flag=True,
    help="List the columns and child tables cfsync added on its own (_schema_changes).",
)
@click.option("--json", "as_json", is_flag=True, help="With --changes: a JSON array.")
@click.option("--resource", metavar="NAME", help="With --changes: only this resource's tables.")
@click.option(
    "--catalog",
    "catalog_only",
    is_flag=True,
    help="Only the catalog (docs/schema.md), whatever the database holds.",
)
@click.pass_context
def schema(
    ctx: click.Context, changes: bool, as_json: bool, resource: str | None, catalog_only: bool
) -> None:
    """Print docs/schema.md: every table and column with its type and API source field; then, when the
    configured database exists and holds any, the columns it gained for fields the API started sending.

    --changes lists those (table, column, type, API field, when first seen, the run that met it; run "-":
    a webhook or a write) from the table _schema_changes; --json prints them as a JSON array.
    """
    from ..store.docs import schema_markdown

    if (as_json or resource) and not changes:
        raise click.UsageError("--json and --resource go with --changes")
    if changes and catalog_only:
        raise click.UsageError("--changes and --catalog say opposite things: give one")
    if changes:
        _print_changes(ctx, resource, as_json)
        return
    click.echo(schema_markdown(), nl=False)
    if not catalog_only:
        click.echo(_evolved_section(ctx), nl=False)


def _print_changes(ctx: click.Context, resource: str | None, as_json: bool) -> None:
    from .. import app
    from ..resources.catalog import CATALOG

    if resource is not None and resource not in CATALOG:
        raise ConfigError(f"unknown resource {resource!r} (see `cfsync resources`)")
    with app.existing_store(config_of(ctx)) as store:
        rows = _changes(store, resource)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(
            "no schema changes: every column is the catalog's" + (f" ({resource})" if resource else "")
        )
        return
    header = {
        "table": "table",
        "column": "column",
        "kind": "type",
        "source": "API field",
        "seen": "first seen",
    }
    lines = [
        {
            "table": row["table_name"],
            "column": row["column_name"],
            "kind": _kind(row),
            "source": row["source"],
            "seen": _when(row["first_seen_at"]),
        }
        for row in rows
    ]
    widths = {key: max(len(line[key]) for line in [header, *lines]) for key in header}
    runs = ["run", *(str(row["run_id"]) if row["run_id"] is not None else "-" for row in rows)]
    for line, run in zip([header, *lines], runs, strict=True):
        click.echo("  ".join(f"{line[key]:<{widths[key]}}" for key in header) + f"  {run}")


def _changes(store: Any, resource: str | None = None) -> list[dict[str, Any]]:
    """The database's _schema_changes rows as plain data (times in RFC 3339)."""
    return [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        for row in store.schema_changes(resource=resource)
    ]


def _kind(row: dict[str, Any]) -> str:
    if row["kind"] == "table":
        return f"table {row['table_name']}__{row['column_name']}"
    return row["kind"]


def _when(value: str | None) -> str:
    """ "2026-06-01 10:00 UTC": the first-seen time, to the minute."""
    if not value:
        return "-"
    when = datetime.fromisoformat(value)
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")


_TYPES = {"timestamp": "timestamp (UTC)", "cents": "integer (cents)"}


def _evolved_section(ctx: click.Context) -> str:
    """What the configured database added beside the catalog, as more of the same page; "" when there is
    no database (or config) to read, or it added nothing."""
    import sqlalchemy as sa

    from .. import app
    from ..store.db import redacted

    try:
        config = config_of(ctx)
        with app.existing_store(config) as store:
            rows = _changes(store)
    except (CfsyncError, sa.exc.SQLAlchemyError):
        return ""
    if not rows:
        return ""
    lines = [
        "",
        f"## Evolved columns in {redacted(config.database.url)}",
        "",
        'Added by cfsync for fields the API started sending ([sync].schema = "evolve"), beside the',
        "catalog's columns above: `cfsync schema --changes` says which run added each.",
    ]
    tables: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        tables.setdefault(row["table_name"], []).append(row)
    for name, changes in tables.items():
        lines += [
            "",
            f"### {name}",
            "",
            "| column | type | source | first seen |",
            "| --- | --- | --- | --- |",
        ]
        for row in changes:
            column = f"`{row['column_name']}` (evolved)"
            kind = (
                f"child table `{name}__{row['column_name']}`"
                if row["kind"] == "table"
                else _TYPES.get(row["kind"], row["kind"])
            )
            source = str(row["source"]).replace("|", "\\|")
            lines.append(f"| {column} | {kind} | {source} | {_when(row['first_seen_at'])} |")
    return "\n".join(lines) + "\n"
