"""What a case hands back (figures with their runs and targets, notes); RESULTS.md from results.json."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.stats import Target, fmt, median, table

__all__ = ["CaseResult", "Figure", "render"]


@dataclass
class Figure:
    label: str
    runs: list[float | None]
    unit: str = ""
    target: Target | None = None
    percent: bool = False

    @property
    def median(self) -> float | None:
        return median(self.runs)

    def to_json(self) -> dict[str, Any]:
        m = self.median
        return {
            "label": self.label,
            "unit": self.unit,
            "percent": self.percent,
            "median": m,
            "runs": self.runs,
            "target": self.target.describe() if self.target else None,
            "verdict": self.target.verdict(m) if self.target else None,
        }


@dataclass
class CaseResult:
    number: int
    title: str
    setup: list[str]
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.number,
            "title": self.title,
            "setup": self.setup,
            "figures": [f.to_json() for f in self.figures],
            "notes": self.notes,
        }


def _cell(value: float | None, unit: str, percent: bool) -> str:
    text = fmt(value, percent)
    return f"{text} {unit}" if unit and value is not None and not percent else text


def render(results: dict[str, Any], standalone: str = "") -> str:
    """RESULTS.md: the cases of `results`, then `standalone` (bench/standalone.md: figures of the benchmarks
    `make bench` does not run, written by hand)."""
    m = results["machine"]
    lines = [
        "# cfsync benchmarks",
        "",
        "Written by `make bench` (`python -m bench.run`); do not edit by hand: rerun it. Each case runs",
        "its syncs as separate processes against `cfsync sandbox serve` in a process of its own; the figure",
        "is the median of the runs, all of which are listed.",
        "",
        f"- machine: {m['cores']} cores, {m['memory_gib']} GiB, {m['platform']}, Python {m['python']}",
    ]
    if results.get("quick"):
        lines.append("- **quick (smoke) run**: smaller data, figures not comparable with a full run")
    lines.append("")
    lines.append(
        table(
            ["case", "figure", "median", "target", "verdict", "measured"],
            [
                [
                    str(c["case"]),
                    f["label"],
                    _cell(f["median"], f["unit"], f["percent"]),
                    f["target"],
                    f["verdict"],
                    c["measured_at"][:10],
                ]
                for c in _cases(results)
                for f in c["figures"]
                if f["target"]
            ],
        )
    )
    for c in _cases(results):
        lines += ["", f"## {c['case']}. {c['title']}", ""]
        git = c.get("git", {})
        load = c.get("load_average")
        lines.append(
            f"Measured {c['measured_at']} at cfsync {git.get('commit', '?')[:10]}"
            f"{' (uncommitted changes in the tree)' if git.get('dirty') else ''}, {c['runs']} runs"
            f"{f', load average {load[0]} before, {load[1]} after' if load else ''}."
        )
        lines.append("")
        lines += [f"- {s}" for s in c["setup"]]
        lines.append("")
        rows = []
        for f in c["figures"]:
            runs = ", ".join(fmt(r, f["percent"]) for r in f["runs"])
            rows.append(
                [
                    f["label"],
                    _cell(f["median"], f["unit"], f["percent"]),
                    runs,
                    f["target"] or "",
                    f["verdict"] or "",
                ]
            )
        lines.append(table(["figure", "median", "runs", "target", "verdict"], rows))
        if c["notes"]:
            lines.append("")
            lines += [f"- {n}" for n in c["notes"]]
    if standalone:
        lines += standalone.rstrip("\n").splitlines()
    return "\n".join(lines) + "\n"


def _cases(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [results["cases"][k] for k in sorted(results["cases"], key=int)]
