"""How a run shows itself: a live table on a terminal, a few logfmt lines under cron."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .engine.ports import Partition, RunProgress, RunSummary, WriteResult
from .lazy import lazy_attributes
from .logfmt import duration, logfmt

if TYPE_CHECKING:
    from .display import RichReporter

__all__ = [
    "LogReporter",
    "RichReporter",
    "duration",
    "logfmt",
    "progress_line",
    "schema_text",
    "summary_line",
]

log = logging.getLogger("cfsync.sync")

# The live display loads rich: only a run on a terminal pays for it.
__getattr__ = lazy_attributes(__name__, {"RichReporter": "cfsync.display"})


def summary_line(summary: RunSummary) -> str:
    run = summary.to_dict()
    totals = run["totals"]
    return logfmt(
        event="run_finished",
        run=run["run_id"],
        status=run["status"],
        partitions=run["partitions"],
        failed=len(run["failures"]),
        requests=run["requests"],
        retries=run["retries"],
        rate_limited=run["rate_limited"],
        inserted=totals["inserted"],
        updated=totals["updated"],
        rejected=totals["rejected"],
        # Daily statistics fetched (a share of `requests`): shown when the run fetched any.
        **({"stats_requests": run["stats_requests"]} if run["stats_requests"] else {}),
        # Columns and child tables added for fields the API started sending: shown when there are any.
        **({"schema": schema_text(run["schema_changes"])} if run["schema_changes"] else {}),
    )


SHOWN_CHANGES = 8  # a run that met more lists this many in its line; `cfsync schema --changes` has them all


def schema_text(changes: Sequence[str]) -> str:
    """ "1 new column, 1 new table (contacts.score integer, contacts__badges table)": what a run added,
    from RunSummary.schema_changes."""
    tables = sum(1 for label in changes if label.endswith(" table"))
    columns = len(changes) - tables
    counts = [
        f"{n} new {noun}{'s' if n > 1 else ''}" for n, noun in ((columns, "column"), (tables, "table")) if n
    ]
    shown = ", ".join(changes[:SHOWN_CHANGES])
    more = f", +{len(changes) - SHOWN_CHANGES} more" if len(changes) > SHOWN_CHANGES else ""
    return f"{', '.join(counts)} ({shown}{more})"


def progress_line(progress: RunProgress) -> str:
    """What the run has done and what it is waiting for: partitions (done/started so far: nested ones are
    found as their parents are read), rows, requests, 429s, the pace, the requests open and how long the
    oldest has waited, a hold in force, and an ETA while a list of known size is read."""
    fields: dict[str, Any] = {
        "event": "progress",
        "partitions": f"{progress.partitions_done}/{progress.partitions_started}",
        "rows": progress.rows,
        "requests": progress.requests,
        "retries": progress.retries,
        "rate_limited": progress.rate_limited,
        "pace": f"{progress.pace:.3g}/s",
        "open": progress.open,
        "waiting": progress.waiting,
    }
    if progress.oldest_open is not None:
        fields["oldest_open"] = f"{progress.oldest_open:.0f}s"
    if progress.held_for > 0:
        fields["held"] = f"{progress.held_for:.0f}s"
    if progress.eta is not None:
        fields["eta"] = duration(progress.eta)
    return logfmt(**fields)


class LogReporter:
    """Quiet structured logs: failed partitions, a progress line every `every` seconds (whether anything
    moved or not: a run waiting on a stalled API says what for), the summary (-v: the start and every
    partition)."""

    def __init__(self, every: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.summary: RunSummary | None = None  # the last run's, once finished
        self.every = every
        self.clock = clock
        self._next = clock() + every

    def run_started(self, run_id: int, resources: Sequence[str]) -> None:
        log.debug(logfmt(event="run_started", run=run_id, resources=",".join(resources)))

    def partition_started(self, partition: Partition) -> None:
        log.debug(logfmt(event="partition_started", partition=partition.key))

    def page_written(self, partition: Partition, result: WriteResult) -> None:
        pass

    def tick(self, progress: RunProgress) -> None:
        if self.clock() >= self._next:
            self._next = self.clock() + self.every
            log.info(progress_line(progress))

    def partition_finished(self, partition: Partition, error: str | None) -> None:
        if error:
            log.warning(logfmt(event="partition_failed", partition=partition.key, error=error))
        else:
            log.debug(logfmt(event="partition_finished", partition=partition.key))

    def run_finished(self, summary: RunSummary) -> None:
        self.summary = summary
        if summary.status in ("succeeded", "partial"):  # else the CLI's error line says what happened
            log.info(summary_line(summary))
