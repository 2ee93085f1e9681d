"""What there is to sync: `cfsync resources` (each resource and what it costs a run) and `cfsync schema`."""

from __future__ import annotations

import json
from typing import Any

import click
import sqlalchemy as sa

from .. import app
from ..errors import CfsyncError
from ..resources.catalog import CATALOG, ordered
from ..store import queries
from ..store.docs import schema_markdown
from .base import cli, config_of

__all__ = ["resources", "schema"]


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def resources(ctx: click.Context, as_json: bool) -> None:
    """Every resource: its parent, whether `all` includes it, and what it costs a run.

    A nested list (enrollments per course, applied tags per contact) costs at least one request per parent
    per run; the expensive ones are off by default (add them to [sync].resources) and, on incremental runs,
    walked only under parents that changed. Parent counts come from the database when it exists.
    """
    known = _known_rows(ctx)
    rows: list[dict[str, Any]] = []
    for r in ordered():
        walked = (r.fanout if r.nested else None) or None
        parents = known.get(r.parent) if r.parent else None
        rows.append(
            {
                "name": r.name,
                "path": r.path,
                "parent": r.parent,
                "default": r.default,
                "walked_for": {"all": "every parent", "changed": "changed parents"}.get(walked or ""),
                "known_parents": parents if r.nested else None,
                "children": [c.name for c in r.children],
                "filters": list(r.filters),
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'resource':<28} {'parent':<24} {'default':<8} cost of a run")
    for row in rows:
        click.echo(
            f"{row['name']:<28} {row['parent'] or '-':<24} {'on' if row['default'] else 'off':<8} "
            f"{_cost(row)}"
        )
        for child in row["children"]:
            click.echo(f"  └ {child}")
    click.echo(
        f'\n{len(CATALOG)} resources. Turn one on with [sync].resources = ["all", "NAME"]; '
        "leave one out with [sync].exclude."
    )


def _cost(row: dict[str, Any]) -> str:
    if not row["walked_for"]:
        per = (
            "per workspace"
            if row["parent"] == "workspaces"
            else "per team"
            if row["parent"]
            else "per account"
        )
        return f"1 request {per}, +1 per 20 new records"
    parents = f", {row['known_parents']:,} known" if row["known_parents"] is not None else ""
    return f"1+ request per {row['parent']} row ({row['walked_for']}{parents})"


def _known_rows(ctx: click.Context) -> dict[str, int]:
    """Live rows per table in the configured database, or nothing when there is none yet."""
    try:
        with app.existing_store(config_of(ctx)) as store:
            return queries.row_counts(store.engine)
    except (CfsyncError, sa.exc.SQLAlchemyError):
        return {}


@cli.command()
def schema() -> None:
    """Print docs/schema.md: every table and column with its type and API source field."""
    click.echo(schema_markdown(), nl=False)
