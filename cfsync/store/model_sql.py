"""The pieces every model is written with: `Sql` (what differs between SQLite and PostgreSQL: days, months,
money in units) and `Model` (a view as data: its row, columns, SQL and notes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["UNITS", "Model", "Sql"]


# Money in units on PostgreSQL: exact, with two decimals whatever a division would give (1605.36, never
# 1605.3600000000000000), and room for sums of 64-bit cents.
UNITS = "NUMERIC(20, 2)"


@dataclass(frozen=True)
class Sql:
    """The pieces of SQL that differ between SQLite and PostgreSQL. Timestamps are UTC on both."""

    dialect: str

    @property
    def pg(self) -> bool:
        return self.dialect == "postgresql"

    def day(self, ts: str) -> str:
        """The UTC day of a timestamp: a date on PostgreSQL, 'YYYY-MM-DD' text on SQLite (no date type)."""
        return f"CAST({ts} AT TIME ZONE 'UTC' AS date)" if self.pg else f"date({ts})"

    def month_start(self, ts: str) -> str:
        """The first day of a timestamp's month (a date on PostgreSQL, 'YYYY-MM-01' on SQLite)."""
        return (
            f"CAST(date_trunc('month', {ts} AT TIME ZONE 'UTC') AS date)"
            if self.pg
            else f"date({ts}, 'start of month')"
        )

    def next_month(self, month: str) -> str:
        return f"CAST({month} + interval '1 month' AS date)" if self.pg else f"date({month}, '+1 month')"

    def previous_month(self, month: str) -> str:
        return f"CAST({month} - interval '1 month' AS date)" if self.pg else f"date({month}, '-1 month')"

    def instant(self, month: str) -> str:
        """A month's first day as a UTC instant, comparable with timestamps."""
        return f"(CAST({month} AS timestamp) AT TIME ZONE 'UTC')" if self.pg else month

    @property
    def this_month(self) -> str:
        return (
            "CAST(date_trunc('month', now() AT TIME ZONE 'UTC') AS date)"
            if self.pg
            else "date('now', 'start of month')"
        )

    def month(self, month_start: str) -> str:
        """A month as a model shows it: its first day (a date) on PostgreSQL, '2024-11' on SQLite."""
        return month_start if self.pg else f"strftime('%Y-%m', {month_start})"

    def json_id(self, column: str) -> str:
        """The `id` inside a JSON object column (`{"id": 12, "public_id": ...}`)."""
        return (
            f"CAST({column} ->> 'id' AS BIGINT)"
            if self.pg
            else f"CAST(json_extract({column}, '$.id') AS INTEGER)"
        )

    def json_text(self, column: str, key: str) -> str:
        """The text `key` inside a JSON object column (`{"name": "Discovery call"}`); NULL when absent."""
        return f"({column} ->> '{key}')" if self.pg else f"json_extract({column}, '$.{key}')"

    def ratio(self, part: str, whole: str) -> str:
        """part / whole to 4 decimals; NULL when whole is 0."""
        kind = "NUMERIC" if self.pg else "REAL"
        return f"CASE WHEN ({whole}) > 0 THEN ROUND(CAST({part} AS {kind}) / ({whole}), 4) END"

    def money(self, cents: str, name: str) -> str:
        """The `<name>_cents` and `<name>` columns of an amount in cents. On PostgreSQL the cents are a
        BIGINT (a SUM would make them NUMERIC) and the units a NUMERIC with two decimals; on SQLite the
        cents are an INTEGER and the units a REAL (which prints exactly to the cent)."""
        if self.pg:
            cents = f"CAST({cents} AS BIGINT)"
            return f"{cents} AS {name}_cents, CAST({cents} / 100.0 AS {UNITS}) AS {name}"
        return f"{cents} AS {name}_cents, ({cents}) / 100.0 AS {name}"

    def names(self, column: str) -> str:
        """The distinct values of a text column, sorted, joined with ', ' (an aggregate)."""
        return (
            f"string_agg(DISTINCT {column}, ', ' ORDER BY {column})"
            if self.pg
            else f"group_concat({column}, ', ')"
        )


@dataclass(frozen=True)
class Model:
    name: str
    row: str  # what one row is
    columns: tuple[tuple[str, str], ...]  # (column, what it holds and how it is derived)
    sql: Callable[[Sql], str]
    notes: str = ""  # what the derivation assumes about the API's fields

    def definition(self, dialect: str) -> str:
        return self.sql(Sql(dialect)).strip()
