"""`cfsync push contacts FILE`: bulk upsert by email, with progress and a results file."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from ..errors import Interrupted
from ..logfmt import duration, logfmt
from ..push_input import FORMATS
from . import signals
from .base import cli, config_of, is_quiet
from .inputs import account_option, progress_options, workspace_option

if TYPE_CHECKING:
    from ..push import PushCounts, PushSummary

__all__ = ["push"]

log = logging.getLogger("cfsync.push")


@cli.group()
def push() -> None:
    """Send many records from a file to the API (the local database follows)."""


@push.command("contacts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Input format [default: from the extension (.csv, .jsonl, .ndjson), else from the content].",
)
@workspace_option
@click.option(
    "--results",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Results CSV: row, email, outcome, id, message [default: FILE.results.csv].",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    help="Requests to keep going at once [default: the account's max_in_flight].",
)
@progress_options
@account_option
@click.pass_context
def contacts(
    ctx: click.Context,
    file: str,
    fmt: str | None,
    workspace: int | None,
    results: Path | None,
    workers: int | None,
    progress: bool | None,
    progress_every: float,
    account: str | None,
) -> None:
    """Upsert contacts by email_address from FILE ('-' = stdin): CSV with a header row, or JSON lines.

    Columns are contact fields (email_address required; tag_ids and custom_attributes as JSON text in a
    CSV); an empty cell leaves the field as it is. A row that cannot be sent whole is reported as
    `invalid` and skipped. Rerunning a file is safe. Exit 0 when every row was created or updated, 1 when
    some were invalid or failed (see the results file).
    """
    import asyncio

    from ..push import PushCounts, push_contacts, results_path

    config = config_of(ctx)
    source: Path | TextIO = Path(file) if file != "-" else sys.stdin
    target = results or results_path(file)
    show = sys.stderr.isatty() and not is_quiet(ctx) if progress is None else progress
    total = _count_rows(file)
    bar = _Bar(total) if show else None
    seen = PushCounts()

    def on_row(counts: PushCounts) -> None:
        vars(seen).update(vars(counts))
        if bar is not None:
            bar.update(counts)

    async def pushing() -> PushSummary:
        ticker = None if show else asyncio.create_task(_log_progress(seen, total, progress_every))
        try:
            return await push_contacts(
                config,
                source,
                results=target,
                fmt=fmt,
                workspace_id=workspace,
                account=account,
                workers=workers,
                on_row=on_row,
            )
        finally:
            if ticker is not None:
                ticker.cancel()

    try:
        summary = signals.run(pushing())
    except Interrupted as stopped:
        where = f"{seen.rows} rows reported in {target}; rerun the same command to go on"
        raise Interrupted(stopped.signal_name, where) from None
    finally:
        if bar is not None:
            bar.stop()
    log.info(_summary_line(summary))
    if not summary.ok:
        sys.exit(1)


def _summary_line(summary: PushSummary) -> str:
    c = summary.counts
    return logfmt(
        event="push_finished",
        rows=c.rows,
        created=c.created,
        updated=c.updated,
        invalid=c.invalid,
        failed=c.failed,
        done_before=c.done_before,
        requests=summary.requests,
        seconds=f"{summary.seconds:.1f}",
        rows_per_second=f"{summary.rows_per_second:.0f}",
        results=summary.results,
    )


async def _log_progress(seen: PushCounts, total: int | None, every: float) -> None:
    """A line every `every` seconds, whether rows moved or not (a push held by 429s says so)."""
    import asyncio

    started = time.monotonic()
    while True:
        await asyncio.sleep(every)
        pace = seen.rows / (time.monotonic() - started)
        fields: dict[str, Any] = {
            "event": "push_progress",
            "rows": f"{seen.rows}/{total}" if total is not None else seen.rows,
            "created": seen.created,
            "updated": seen.updated,
            "invalid": seen.invalid,
            "failed": seen.failed,
            "requests": seen.requests,
            "rate_limited": seen.rate_limited,
            "pace": f"{pace:.3g}/s",
        }
        if total is not None and pace > 0:
            fields["eta"] = duration(max(0, total - seen.rows - seen.done_before) / pace)
        log.info(logfmt(**fields))


def _count_rows(file: str) -> int | None:
    """Lines in the file less a CSV header: the bar's total (a guess when CSV cells hold newlines)."""
    if file == "-":
        return None
    with open(file, "rb") as handle:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return max(lines - (0 if file.lower().endswith((".jsonl", ".ndjson")) else 1), 0)


class _Bar:
    def __init__(self, total: int | None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("push contacts"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[green]{task.fields[ok]:,} ok[/] [red]{task.fields[bad]}[/]"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._task = self._progress.add_task("push", total=total, ok=0, bad="")
        self._progress.start()

    def update(self, counts: PushCounts) -> None:
        bad = counts.invalid + counts.failed
        self._progress.update(
            self._task,
            completed=counts.rows,
            ok=counts.created + counts.updated,
            bad=f"{bad:,} not upserted" if bad else "",
        )

    def stop(self) -> None:
        self._progress.stop()
