"""Daily statistics: which days of a parent's series a run fetches, and the fetching.

A run asks the statistics of one UTC day per request, for the days of the window [today - days + 1,
today] on or after the parent's creation day that are due: every day never fetched, every day last
fetched before it was two days old (ClickFunnels counts late: a day's figures settle within two days), and
always today (partial: it has not ended), yesterday and the day before. So a first run fetches `days` days
per parent, a quiet run later the same day 3, and a run after a pause the days it missed as well. Each
day's rows are committed as soon as it is fetched: a run cut short fetches no finished day again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta

from multidict import MultiDict

from ..client.http import ApiClient
from ..resources.stats import DailyStats
from .context import DB
from .ports import Partition, Reporter, RunSummary, StorePort, WriteResult

__all__ = ["LATE_DAYS", "due_days", "fetch_days", "start_of"]

LATE_DAYS = 2  # a day's figures may still change until it is this many days old


def start_of(day: date) -> datetime:
    """The day's first instant, UTC."""
    return datetime.combine(day, time(), UTC)


def due_days(
    today: date, days: int, created: datetime | None, fetched: Mapping[date, datetime]
) -> list[date]:
    """The days of the window to fetch, newest first (see the module's docstring)."""
    first = today - timedelta(days=days - 1)
    if created is not None:
        first = max(first, created.astimezone(UTC).date())
    due = []
    day = today
    while day >= first:
        last = fetched.get(day)
        if (
            last is None
            or last < start_of(day) + timedelta(days=LATE_DAYS)
            or today - day <= timedelta(days=LATE_DAYS)
        ):
            due.append(day)
        day -= timedelta(days=1)
    return due


async def fetch_days(
    stats: DailyStats,
    part: Partition,
    client: ApiClient,
    store: StorePort,
    db: DB,
    *,
    created: datetime | None,
    days: int,
    clock: Callable[[], datetime],
    summary: RunSummary,
    reporter: Reporter,
) -> None:
    """Fetch one parent's due days (the partition's parent) and store each as it comes."""
    key = part.key
    today = clock().astimezone(UTC).date()
    fetched = await db(store.stats_fetched, stats, key.parent_id, today - timedelta(days=days - 1))
    for day in due_days(today, days, created, fetched):
        path, query = stats.request(key.parent_id, day)
        now = clock()
        answer, _ = await client.request("GET", path, params=MultiDict(query))
        summary.stats_requests += 1
        rows = stats.rows(
            answer,
            account=key.account,
            workspace_id=key.workspace_id or None,
            parent_id=key.parent_id,
            day=day,
            partial=now < start_of(day + timedelta(days=1)),
            fetched_at=now,
        )
        written, steps = await db(store.write_stats_day, stats, rows)
        summary.rows.setdefault(stats.name, WriteResult()).add(written)
        summary.rows.setdefault(stats.steps_name, WriteResult()).add(steps)
        reporter.page_written(part, written)
