"""The benchmark's pure helpers: medians, targets and verdicts, the Markdown it writes. No benchmark runs."""

from __future__ import annotations

import pytest

from bench.report import CaseResult, Figure, render
from bench.stats import Target, fmt, median, ratio, table


def test_median_skips_runs_that_measured_nothing():
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, None, 2.0]) == 3.0
    assert median([None, None]) is None
    assert median([]) is None


def test_ratio():
    assert ratio(8.0, 10.0) == 0.8
    assert ratio(None, 10.0) is None
    assert ratio(5.0, 0.0) is None
    assert ratio(5.0, None) is None


@pytest.mark.parametrize(
    ("target", "figure", "verdict"),
    [
        (Target(">=", 0.8), 0.85, "met"),
        (Target(">=", 0.8), 0.8, "met"),
        (Target(">=", 0.8), 0.6, "missed by 0.2 (25% of the target)"),
        (Target(">=", 5.0), 1.5, "missed by 3.5 (70% of the target)"),
        (Target("<", 0.2, percent=True), 0.05, "met"),
        (Target("<", 0.2, percent=True), 0.2, "missed by 0.0 %"),
        (Target("<", 0.2, percent=True), 0.35, "missed by 15.0 %"),
        (Target("<=", 0.03, percent=True), 0.03, "met"),
        (Target("<=", 0.03, percent=True), 0.089, "missed by 5.9 %"),
        (Target(">=", 0.95), None, "not measured"),
    ],
)
def test_verdicts(target: Target, figure: float | None, verdict: str):
    assert target.verdict(figure) == verdict


def test_targets_describe_themselves_and_refuse_unknown_comparisons():
    assert Target(">=", 0.95).describe() == ">= 0.95"
    assert Target("<=", 0.03, percent=True).describe() == "<= 3.0 %"
    with pytest.raises(ValueError, match="unknown comparison"):
        Target("==", 1.0).met(1.0)


def test_fmt():
    assert fmt(None) == "-"
    assert fmt(0) == "0"
    assert fmt(0.12345) == "0.123"
    assert fmt(212.45) == "212"
    assert fmt(19196.0) == "19,196"
    assert fmt(0.0296, percent=True) == "3.0 %"


def test_table_escapes_pipes():
    assert table(["a", "b"], [["1", "x|y"]]) == "| a | b |\n| --- | --- |\n| 1 | x\\|y |"


def test_render_lists_every_figure_and_the_targets_up_front():
    case = CaseResult(2, "Known limit", ["sandbox: latency 250 ms"])
    case.add(Figure("achieved / limit", [0.38, 0.39, 0.40], target=Target(">=", 0.95)))
    case.add(Figure("429 share", [0.0, 0.01, None], percent=True))
    case.notes.append("one cursor")
    stamped = {**case.to_json(), "measured_at": "2026-01-02 03:04 UTC", "git": {"commit": "abc"}, "runs": 3}
    machine = {"cores": 2, "memory_gib": 24, "platform": "Linux", "python": "3.11.7"}
    text = render({"machine": machine, "cases": {"2": stamped}})
    assert "2 cores" in text
    assert (
        "| 2 | achieved / limit | 0.39 | >= 0.95 | missed by 0.56 (59% of the target) | 2026-01-02 |" in text
    )
    assert (
        "| achieved / limit | 0.39 | 0.38, 0.39, 0.4 | >= 0.95 | missed by 0.56 (59% of the target) |" in text
    )
    assert "| 429 share | 0.5 % | 0.0 %, 1.0 %, - |  |  |" in text
    assert "- one cursor" in text
    assert "quick" not in text
