"""Which days of a funnel's statistics a run fetches (engine/stats.due_days), and a day's answer as rows
(resources/stats.py): plain values, no server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from cfsync.engine.stats import due_days
from cfsync.errors import RecordError
from cfsync.resources.stats import FUNNEL_STATS

TODAY = date(2026, 12, 2)
NOON = datetime(2026, 12, 2, 12, tzinfo=UTC)


def days_back(*n: int) -> list[date]:
    return [TODAY - timedelta(days=k) for k in n]


def test_a_first_run_fetches_the_whole_window_newest_first():
    assert due_days(TODAY, 30, None, {}) == days_back(*range(30))


def test_the_window_starts_on_the_day_the_funnel_was_created():
    created = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
    assert due_days(TODAY, 30, created, {}) == days_back(0, 1, 2, 3, 4)
    assert due_days(TODAY, 30, NOON + timedelta(days=1), {}) == []  # a clock behind the API's


def test_a_quiet_run_fetches_today_yesterday_and_the_day_before():
    first = {day: NOON for day in days_back(*range(30))}  # all fetched at noon today
    assert due_days(TODAY, 30, None, first) == days_back(0, 1, 2)


def test_the_next_day_fetches_the_new_day_and_the_two_before_it():
    first = {day: NOON for day in days_back(*range(30))}
    tomorrow = TODAY + timedelta(days=1)
    assert due_days(tomorrow, 30, None, first) == [tomorrow, TODAY, TODAY - timedelta(days=1)]


def test_a_day_fetched_before_it_was_two_days_old_is_fetched_once_more():
    # The last run was at noon five days ago: the days since are new, the day it ran and the day before
    # were not over two days then; the day before that was.
    then = NOON - timedelta(days=5)
    stored = {day: then for day in days_back(*range(5, 30))}
    assert due_days(TODAY, 30, None, stored) == days_back(0, 1, 2, 3, 4, 5, 6)


def test_one_day_keeps_only_today():
    assert due_days(TODAY, 1, None, {TODAY: NOON}) == [TODAY]


def test_a_day_becomes_rows_with_its_steps_and_exact_cents():
    answer = {
        "funnel": {"id": 7, "name": "F", "public_id": "abc"},
        "currency": "USD",
        "summary": {
            "pageviews": 40,
            "upfront_sales": "12.50",
            "upfront_sales_count": 1,
            "recurring_sales": "0.00",
            "average_cart_value": "12.50",
            "earnings_per_click": "0.31",
        },
        "steps": [
            {"page_id": 3, "name": "In", "views_all": 40, "views_unique": 30, "optins": 9, "optin_rate": 0.3},
            {"page_id": 4, "name": "Order", "sales_count": 1, "sales_value": "12.50", "sales_rate": 0.05},
        ],
    }  # fmt: skip
    rows = FUNNEL_STATS.rows(
        answer, account="a", workspace_id=2, parent_id=7, day=TODAY, partial=True, fetched_at=NOON
    )
    assert rows.summary["funnel_id"] == 7
    assert rows.summary["day"] == TODAY
    assert rows.summary["upfront_sales"] == Decimal("12.50")
    assert rows.summary["upfront_sales_cents"] == 1250
    assert rows.summary["currency"] == "USD"
    assert rows.summary["partial"] is True
    assert "earnings_per_click_cents" not in rows.summary  # a ratio, not an amount to add up
    assert [s["_position"] for s in rows.steps] == [0, 1]
    assert rows.steps[1]["sales_value_cents"] == 1250
    assert rows.steps[0]["optin_rate"] == Decimal("0.3")
    assert rows.steps[0]["workspace_id"] == 2
    assert rows.steps[0]["funnel_id"] == 7


def test_an_answer_without_a_summary_is_refused():
    with pytest.raises(RecordError, match="summary"):
        FUNNEL_STATS.rows(
            {"steps": []}, account="a", workspace_id=2, parent_id=7, day=TODAY, partial=False, fetched_at=NOON
        )


def test_one_day_is_asked_from_midnight_to_midnight_utc():
    path, query = FUNNEL_STATS.request(7, date(2026, 12, 31))
    assert path == "/funnels/7/stats"
    assert query == (
        ("timerange_start", "2026-12-31T00:00:00Z"),
        ("timerange_end", "2027-01-01T00:00:00Z"),
        ("expand[]", "steps"),
    )
