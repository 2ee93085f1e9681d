"""Funnel statistics as data: the endpoint, the query of one UTC day, and the columns of its two tables.

`GET /funnels/{funnel_id}/stats` answers a window's totals (`summary`) and, with `expand[]=steps`, one
entry per funnel step. cfsync asks it one UTC day at a time and keeps one row per funnel and day (the
summary) and one per step and day. The columns come from the facts' `FunnelStatsAttributes`: its summary
and its steps. The facts type the amounts as strings (they are decimal strings, "12.50"): those are
decimals here, and the sales amounts get `_cents` twins as the catalog gives every amount of money.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from ..errors import RecordError
from .catalog import ALL_PARENTS, CENTS, CENTS_SUFFIX, Column, Resource, _columns
from .facts import schema
from .transform import _typed

__all__ = ["FUNNEL_STATS", "DailyStats", "StatsRows"]

_SCHEMA = "FunnelStatsAttributes"
# Decimal strings the facts type as "string": every amount and per-view earning. Of these, the sales
# amounts are money summed across days and funnels (cents twins); the per-click and per-view earnings are
# ratios of money to views, which no one adds up.
_DECIMAL_STRINGS = (
    "upfront_sales",
    "recurring_sales",
    "average_cart_value",
    "earnings_per_click",
    "sales_value",
    "recurring_sales_value",
    "earnings_per_view",
    "earnings_per_unique_view",
)
_MONEY = ("upfront_sales", "recurring_sales", "average_cart_value", "sales_value", "recurring_sales_value")


@dataclass(frozen=True)
class StatsRows:
    """One funnel's day as rows: the summary's row and its steps' rows (keys and flags included)."""

    summary: dict[str, Any]
    steps: list[dict[str, Any]]


@dataclass(frozen=True)
class DailyStats:
    """A statistics endpoint read one UTC day per request, kept as a daily series in two tables."""

    name: str  # the summary table: one row per parent per day
    steps_name: str  # one row per step per parent per day
    path: str
    parent: str  # the resource whose ids fill the path (its live, unarchived rows are asked for)
    parent_param: str
    expand: tuple[str, ...]
    columns: tuple[Column, ...]  # of the summary, in the facts' order (cents twins after their amounts)
    step_columns: tuple[Column, ...]
    max_days: int = 90  # the API clamps a longer window

    @property
    def parent_key(self) -> str:
        return self.parent_param  # "funnel_id": the column naming the parent in both tables

    @cached_property
    def resource(self) -> Resource:
        """The endpoint as the engine's partitions name it (one per parent: its claim, its state, its
        progress line). Not a catalog list: its rows are a daily series, not records with ids."""
        return Resource(
            name=self.name,
            path=self.path,
            schema=_SCHEMA,
            parent=self.parent,
            parent_param=self.parent_param,
            filters=(),
            default=True,
            fanout=ALL_PARENTS,
            append_only=False,
            columns=self.columns,
            children=(),
            workspace_scoped=True,
            extra_columns=("_account", "workspace_id", self.parent_param),
            paged=False,
            sorts=(),
        )

    def request(self, parent_id: int, day: date) -> tuple[str, tuple[tuple[str, str], ...]]:
        """Path and query of one UTC day: [day 00:00Z, next day 00:00Z)."""
        start = datetime.combine(day, time()).strftime("%Y-%m-%dT%H:%M:%SZ")
        end = datetime.combine(day + timedelta(days=1), time()).strftime("%Y-%m-%dT%H:%M:%SZ")
        query = (
            ("timerange_start", start),
            ("timerange_end", end),
            *(("expand[]", name) for name in self.expand),
        )
        return self.resource.list_path(parent_id), query

    def rows(
        self,
        answer: Any,
        *,
        account: str,
        workspace_id: int | None,
        parent_id: int,
        day: date,
        partial: bool,
        fetched_at: datetime,
    ) -> StatsRows:
        """The day's rows from the API's answer; RecordError when it does not fit the columns."""
        where = f"{self.name} {self.parent_param}={parent_id} day={day.isoformat()}"
        if not isinstance(answer, Mapping):
            raise RecordError(f"{where}: expected an object, got {type(answer).__name__}")
        summary, steps = answer.get("summary"), answer.get("steps")
        if not isinstance(summary, Mapping):
            raise RecordError(f"{where}: the answer has no summary object")
        if steps is None:
            steps = []
        if not isinstance(steps, list) or not all(isinstance(s, Mapping) for s in steps):
            raise RecordError(f"{where}: steps must be a list of objects")
        key = {self.parent_key: parent_id, "day": day}
        flags = {"partial": partial, "_synced_at": fetched_at}
        top = {"_account": account, "workspace_id": workspace_id, **key}
        currency = answer.get("currency")
        row = {
            **top,
            "currency": currency if isinstance(currency, str) else None,
            **_typed(self.columns, summary, where),
            **flags,
            "fetched_at": fetched_at,
            "_raw": dict(answer),
        }
        step_rows = [
            {
                **key,
                "_position": position,
                "workspace_id": workspace_id,
                **_typed(self.step_columns, step, f"{where} steps[{position}]"),
                **flags,
                "_raw": dict(step),
            }
            for position, step in enumerate(steps)
        ]
        return StatsRows(row, step_rows)


def _decimals(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The facts' fields with the decimal strings typed as numbers (so they become decimal columns)."""
    return {name: "number" if name in _DECIMAL_STRINGS else kind for name, kind in fields.items()}


def _stats_columns(fields: Mapping[str, Any], prefix: str) -> tuple[Column, ...]:
    columns: list[Column] = []
    for column in _columns(_decimals(fields), prefix):
        if column.kind == CENTS:
            continue  # twins by name (`*_value`): the amounts below get theirs, the rates none
        if column.name in _DECIMAL_STRINGS:
            column = Column(column.name, column.kind, column.source, "string (decimal)")
        columns.append(column)
        if column.name in _MONEY:
            columns.append(Column(column.name + CENTS_SUFFIX, CENTS, column.source, column.api_type))
    return tuple(columns)


def _funnel_stats() -> DailyStats:
    facts = schema(_SCHEMA)
    return DailyStats(
        name="funnel_stats_daily",
        steps_name="funnel_step_stats_daily",
        path="/funnels/{funnel_id}/stats",
        parent="funnels",
        parent_param="funnel_id",
        expand=("steps",),
        columns=_stats_columns(facts["summary"], "summary."),
        step_columns=_stats_columns(facts["steps"][0], "steps[]."),
    )


FUNNEL_STATS = _funnel_stats()
