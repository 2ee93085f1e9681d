"""The terminal display fits the terminal, and the progress line says what a run has left."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from rich.console import Console

from cfsync.cli.status import ago
from cfsync.engine.ports import Partition, PartitionKey, RunProgress, RunSummary, WriteResult
from cfsync.progress import RichReporter, duration, progress_line, summary_line
from cfsync.resources.catalog import CATALOG

NAMES = sorted(CATALOG)


def partition(name: str, n: int = 0) -> Partition:
    return Partition(PartitionKey("default", name, 7, n or None), CATALOG[name])


def screen(reporter: RichReporter, height: int = 24) -> list[str]:
    """What the display shows now (it fits itself to the reporter's console: 24 lines here)."""
    console = Console(file=io.StringIO(), width=100, height=height, color_system=None)
    assert reporter._progress is not None
    lines = console.render_lines(reporter._progress.get_renderable(), console.options, pad=False)
    return ["".join(s.text for s in line).rstrip() for line in lines]


def test_a_run_with_more_resources_than_lines_never_scrolls_a_24_line_terminal():
    assert len(NAMES) > 30
    reporter = RichReporter(Console(file=io.StringIO(), width=100, height=24))
    reporter.run_started(1, NAMES)
    try:
        for name in NAMES:
            reporter.partition_started(partition(name))
        for name in NAMES[:8]:
            reporter.page_written(partition(name), WriteResult(inserted=50))
            reporter.partition_finished(partition(name), None)
        reporter.partition_finished(partition(NAMES[8]), "HTTP 500")
        reporter.tick(RunProgress(9, len(NAMES), 400, 120, 1, 2, 8.0, 8, 0, 1.0, 0.0, pages_left=480))
        shown = screen(reporter)
        assert len(shown) <= 23, "one line spare: the cursor's"
        running = len(NAMES) - 9
        assert any(f"and {running - (24 - 4)} more being read" in line for line in shown)
        assert f"✓ 9 of {len(NAMES)} resources done, 400 rows, 1 partitions failed" in shown
        assert shown[-1].endswith("about 1m00s left"), "480 pages at 8 a second"
        assert not any(NAMES[0] in line for line in shown[:-2]), "a finished resource is folded"
    finally:
        reporter.run_finished(RunSummary(run_id=1))


def test_at_the_end_every_resource_is_folded_into_one_line():
    reporter = RichReporter(Console(file=io.StringIO(), width=100, height=24))
    reporter.run_started(1, NAMES)
    reporter.partition_started(partition("contacts"))
    reporter.page_written(partition("contacts"), WriteResult(inserted=3, updated=2))
    reporter.partition_finished(partition("contacts"), None)
    progress = reporter._progress
    reporter.run_finished(RunSummary(run_id=1))
    reporter._progress = progress
    shown = screen(reporter)
    assert shown == [f"✓ {len(NAMES)} of {len(NAMES)} resources done, 5 rows"]


def test_the_progress_line_gives_an_eta_only_when_the_size_is_known():
    base = dict(
        partitions_done=3,
        partitions_started=7,
        rows=1200,
        requests=90,
        retries=2,
        rate_limited=1,
        pace=10.0,
        open=4,
        waiting=1,
        oldest_open=2.0,
        held_for=0.0,
    )
    assert "eta=" not in progress_line(RunProgress(**base))
    line = progress_line(RunProgress(**base, pages_left=4000))
    assert "partitions=3/7 rows=1200 requests=90 retries=2 rate_limited=1 pace=10/s" in line
    assert line.endswith("eta=6m40s")
    assert [duration(s) for s in (5, 61, 3600 * 2 + 301, 6 * 3600, 2 * 86400)] == [
        "5s",
        "1m01s",
        "2h05m",
        "6h",
        "2d",
    ]


def test_status_times_read_as_how_long_ago():
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    back = [timedelta(seconds=2), timedelta(seconds=42), timedelta(minutes=3, seconds=59), timedelta(hours=5)]
    back += [timedelta(days=1, hours=3), timedelta(days=12), timedelta(days=1100)]
    assert [ago(now - b, now) for b in back] == [
        "just now",
        "42 s ago",
        "3 min ago",
        "5 h ago",
        "27 h ago",
        "12 days ago",
        "3 years ago",
    ]
    assert ago("2026-11-30T11:57:00", now) == "3 min ago", "a time without a zone is UTC"
    assert ago(None, now) == "-"
    assert ago(now + timedelta(minutes=5), now) == "in the future"


def test_the_summary_line_names_schema_changes_only_when_there_are_some():
    assert "schema=" not in summary_line(RunSummary(run_id=1, status="succeeded"))
    summary = RunSummary(
        run_id=2, status="succeeded", schema_changes=["contacts.score integer", "contacts__badges table"]
    )
    assert summary_line(summary).endswith(
        ' schema="1 new column, 1 new table (contacts.score integer, contacts__badges table)"'
    )
    many = RunSummary(run_id=3, schema_changes=[f"orders.f{i} text" for i in range(10)])
    assert 'schema="10 new columns (orders.f0 text, ' in summary_line(many)
    assert "orders.f7 text, +2 more)" in summary_line(many)
