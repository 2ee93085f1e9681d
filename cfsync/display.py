"""The live display of a run on a terminal (rich), kept apart so that a run under cron never loads rich."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console, RenderableType
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from .engine.ports import Partition, RunProgress, RunSummary, WriteResult
from .logfmt import duration

__all__ = ["RichReporter"]


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
