"""How a run shows itself: a live table on a terminal, a few logfmt lines under cron."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rich.console import Console, RenderableType
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from .engine.ports import Partition, RunProgress, RunSummary, WriteResult
from .logfmt import duration, logfmt

__all__ = ["LogReporter", "RichReporter", "duration", "logfmt", "progress_line", "summary_line"]

log = logging.getLogger("cfsync.sync")


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
    )


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


class _Display(Progress):
    """rich's progress table, fitted to the terminal: a line per resource being read (as many as fit), the
    finished ones folded into one line, and a status line; so it never scrolls, even 24 lines high."""

    status = ""
    over = False  # the run ended: every resource is done (some had nothing to read)

    def get_renderables(self) -> Iterable[RenderableType]:
        if not hasattr(self, "live"):
            return  # rich asks once before the display is set up
        running = [t for t in self.tasks if t.fields["seen"] > t.fields["done"]]
        finished = [
            t for t in self.tasks if t.fields["seen"] == t.fields["done"] and (t.fields["seen"] or self.over)
        ]
        waiting = len(self.tasks) - len(running) - len(finished)
        room = max(1, self.console.height - 4)  # the table's lines; then "more", the fold, the status
        if running:
            yield self.make_tasks_table(running[:room])
        if len(running) > room:
            yield Text(f"  … and {len(running) - room} more being read", style="dim")
        rows = sum(t.fields["rows"] for t in finished)
        failed = sum(t.fields["failed_count"] for t in finished)
        fold = f"✓ {len(finished)} of {len(self.tasks)} resources done, {rows:,} rows"
        fold += f", {failed} partitions failed" if failed else ""
        fold += f"; {waiting} not started yet" if waiting else ""
        yield Text(fold, style="red" if failed else "green")
        if self.status:
            yield Text(self.status, style="dim")


class RichReporter:
    """One line per resource: partitions done, rows written, with a spinner while it runs."""

    def __init__(self, console: Console | None = None) -> None:
        self.summary: RunSummary | None = None  # the last run's, once finished
        self.console = console or Console(stderr=True)
        self._progress: _Display | None = None
        self._tasks: dict[str, TaskID] = {}
        self._counts: dict[str, dict[str, int]] = {}

    def run_started(self, run_id: int, resources: Sequence[str]) -> None:
        self._progress = _Display(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("{task.description:<28}"),
            TextColumn("{task.fields[done]:>5}/{task.fields[seen]:<5} partitions"),
            TextColumn("{task.fields[rows]:>10,} rows"),
            TextColumn("[red]{task.fields[failed]}"),
            TimeElapsedColumn(),
            console=self.console,
        )
        self._progress.start()
        self._counts = {name: {"done": 0, "seen": 0, "rows": 0, "failed": 0} for name in resources}
        self._tasks = {
            name: self._progress.add_task(name, total=None, **self._fields(name)) for name in resources
        }

    def _fields(self, name: str) -> dict[str, Any]:
        c = self._counts[name]
        return {**c, "failed": f"{c['failed']} failed" if c["failed"] else "", "failed_count": c["failed"]}

    def tick(self, progress: RunProgress) -> None:
        """A line under the resources: the requests, their 429s, the pace, what is open and held."""
        if self._progress is None:
            return
        text = f"{progress.requests:,} requests, {progress.rate_limited:,} 429s, pace {progress.pace:.3g}/s"
        if progress.open:
            text += f", {progress.open} open"
            if progress.oldest_open is not None and progress.oldest_open >= 5:
                text += f" (oldest {progress.oldest_open:.0f} s)"
        if progress.held_for > 0:
            text += f", held {progress.held_for:.0f} s"
        if progress.eta is not None:
            text += f", about {duration(progress.eta)} left"
        self._progress.status = text

    def _update(self, name: str, **extra: Any) -> None:
        if self._progress is not None:
            self._progress.update(self._tasks[name], **extra, **self._fields(name))

    def partition_started(self, partition: Partition) -> None:
        self._counts[partition.resource.name]["seen"] += 1
        self._update(partition.resource.name)

    def page_written(self, partition: Partition, result: WriteResult) -> None:
        self._counts[partition.resource.name]["rows"] += result.inserted + result.updated
        self._update(partition.resource.name)

    def partition_finished(self, partition: Partition, error: str | None) -> None:
        counts = self._counts[partition.resource.name]
        counts["done"] += 1
        counts["failed"] += bool(error)
        self._update(partition.resource.name)

    def run_finished(self, summary: RunSummary) -> None:
        self.summary = summary
        for name in self._tasks:
            self._update(name, total=1, completed=1)
        if self._progress is not None:
            self._progress.over = True
            self._progress.stop()
            self._progress = None
        for partition, error in summary.failures:
            self.console.print(f"[red]failed[/red] {partition}: {error}", highlight=False)
