"""Pure helpers: medians, targets and how far a figure is from one, the Markdown tables. No I/O."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Target", "fmt", "median", "ratio", "table"]


def median(values: Sequence[float | None]) -> float | None:
    """The median of the runs that produced a figure (None when none did)."""
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


@dataclass(frozen=True)
class Target:
    """A figure must be `op` `value`: op is ">=", "<" or "<="."""

    op: str
    value: float
    percent: bool = False  # show the figure and the target as percentages

    def met(self, figure: float | None) -> bool | None:
        if figure is None:
            return None
        if self.op == ">=":
            return figure >= self.value
        if self.op == "<":
            return figure < self.value
        if self.op == "<=":
            return figure <= self.value
        raise ValueError(f"unknown comparison {self.op!r}")

    def describe(self) -> str:
        return f"{self.op} {fmt(self.value, self.percent)}"

    def verdict(self, figure: float | None) -> str:
        """`met`, `missed by X (Y % of the target)`, or `not measured`."""
        met = self.met(figure)
        if met is None or figure is None:
            return "not measured"
        if met:
            return "met"
        gap = abs(self.value - figure)
        relative = f" ({gap / self.value:.0%} of the target)" if self.value and not self.percent else ""
        return f"missed by {fmt(gap, self.percent)}{relative}"


def fmt(value: float | None, percent: bool = False) -> str:
    """3 significant figures (percentages to 0.1 %); '-' for nothing."""
    if value is None:
        return "-"
    if percent:
        return f"{value * 100:.1f} %"
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)
