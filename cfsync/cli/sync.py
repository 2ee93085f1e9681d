"""Commands around the sync: init, db upgrade, sync, status, resources, demo."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from .. import app
from ..engine.ports import RunSummary
from ..errors import CfsyncError, ConfigError, Interrupted
from ..progress import LogReporter, RichReporter, summary_line
from ..resources.catalog import CATALOG, ordered
from ..store import queries
from ..store.db import redacted
from ..store.docs import schema_markdown
from ..store.migrate import current_revision
from . import signals
from .base import cli, config_of, fail

__all__ = ["db", "demo", "init", "resources", "schema", "sync"]


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option(
    "--path",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("cfsync.toml"),
    show_default=True,
    help="Where to write the config.",
)
def init(force: bool, target: Path) -> None:
    """Write a commented config file to start from."""
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists (use --force to overwrite)")
    try:
        target.write_text(_example_config(), "utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror or exc}") from None
    click.echo(f"wrote {target}; set the API key's environment variable, then run `cfsync sync`")


def _example_config() -> str:
    here = Path(__file__).resolve().parent.parent  # the cfsync package
    for candidate in (here / "config.example.toml", here.parent / "config.example.toml"):
        if candidate.is_file():
            return candidate.read_text("utf-8")
    raise CfsyncError("config.example.toml is missing from this installation")


@cli.group()
def db() -> None:
    """Database schema commands."""


@db.command()
@click.pass_context
def upgrade(ctx: click.Context) -> None:
    """Create or migrate the database schema to the latest version."""
    config = config_of(ctx)
    store = app.open_store(config)
    revision = current_revision(store.engine)
    store.close()
    click.echo(f"database {redacted(config.database.url)} is at revision {revision}")


@cli.command()
@click.option("--full", is_flag=True, help="Sweep every partition from the first record; find deletes.")
@click.option(
    "--resource",
    "resources",
    multiple=True,
    metavar="NAME",
    help="Sync only this resource (repeatable; parents are synced too). See `cfsync resources`.",
)
@click.option(
    "--workspace",
    "workspaces",
    multiple=True,
    type=int,
    metavar="ID",
    help="Sync only this workspace id (repeatable).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Live progress display [default: on when stderr is a terminal].",
)
@click.option(
    "--progress-every",
    type=click.FloatRange(min=1),
    default=60,
    show_default=True,
    metavar="SECONDS",
    help="Without the live display: a progress line this often (what is done, what the run waits for).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON on stdout.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="SQLite: how long to wait for another sync of the same database before exiting with code 4.",
)
@click.pass_context
def sync(
    ctx: click.Context,
    full: bool,
    resources: tuple[str, ...],
    workspaces: tuple[int, ...],
    progress: bool | None,
    progress_every: float,
    as_json: bool,
    wait: float,
) -> None:
    """Copy what changed into the database (migrates first).

    Each partition continues after its saved cursor (new records), then sweeps by updated_at down to its
    watermark (changed records); the outgoing event log's `*.deleted` entries remove deleted records.
    `--full` (or [sync].full_refresh_every) walks every partition from the start and removes what it no
    longer lists.
    """
    config = config_of(ctx)
    show_progress = sys.stderr.isatty() if progress is None else progress
    reporter = RichReporter() if show_progress else LogReporter(every=progress_every)
    try:
        summary = signals.run(
            app.sync(config, resources, workspaces, full_refresh=full, reporter=reporter, wait=wait)
        )
    except Interrupted as stopped:
        done = reporter.summary
        if done is None:
            raise
        raise Interrupted(stopped.signal_name, _stopped_after(done)) from None
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2))
    elif show_progress and summary.status != "failed":
        click.echo(summary_line(summary), err=True)
    if summary.status == "failed" and summary.error:
        fail(f"sync failed: {summary.error}", 1)
    if summary.failures:
        sys.exit(1)


def _stopped_after(summary: RunSummary) -> str:
    return (
        f"run {summary.run_id} recorded as {summary.status} after {summary.partitions} partitions, "
        f"{summary.rows_written()} rows written, {summary.requests} requests"
    )


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


@cli.command()
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("cfsync-demo.db"),
    show_default=True,
    help="SQLite file to (re)create.",
)
@click.option("--progress/--no-progress", default=None, help="Live progress [default: on a terminal].")
def demo(db_path: Path, progress: bool | None) -> None:
    """Start the sandbox, sync it into a fresh SQLite file, and show what landed."""
    from ..demo import run_demo

    show = sys.stderr.isatty() if progress is None else progress
    failed = run_demo(db_path, click.echo, RichReporter() if show else None, run=signals.run)
    if failed:
        sys.exit(1)
