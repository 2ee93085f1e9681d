"""`cfsync sync`: one run, with progress on a terminal or log lines under cron."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from ..errors import Interrupted
from . import signals
from .base import cli, config_of, fail, is_quiet
from .inputs import progress_options, progress_reporter, wait_option

if TYPE_CHECKING:
    from ..engine.ports import RunSummary

__all__ = ["sync"]


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
@progress_options
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON on stdout.")
@wait_option
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
    from .. import app
    from ..progress import summary_line

    config = config_of(ctx)
    show_progress = sys.stderr.isatty() and not is_quiet(ctx) if progress is None else progress
    reporter = progress_reporter(show_progress, progress_every)
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
