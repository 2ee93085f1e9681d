"""Case 14: what funnel statistics cost a sync: a first sync and a quiet run with `[sync].stats_days = 0`
(before: no statistics) and at the default, 30 (after), on case 10's account shape.

A first sync fetches 30 days per funnel, one request each; a quiet run 3 per live funnel (today, yesterday
and the day before). The extra requests of each are compared with those figures.
"""

from __future__ import annotations

from bench import procs
from bench.common import Options
from bench.current import QUICK_SHAPE, SHAPE, quiet_requests
from bench.report import CaseResult, Figure
from bench.stats import Target

__all__ = ["run_funnel_stats"]

DAYS = 30  # the default [sync].stats_days


def run_funnel_stats(opts: Options) -> CaseResult:
    shape = QUICK_SHAPE if opts.quick else SHAPE
    result = CaseResult(
        14,
        f"funnel statistics: a first sync and a quiet run, stats_days = {DAYS} (after) / 0 (before)",
        [
            "sandbox: " + " ".join(shape) + " (per workspace, case 10's shape), its funnels at their default "
            "count (an archived one is listed, not fetched)",
            "cfsync sync three times into SQLite: the first sync and the quiet third run measured",
        ],
    )
    after = [quiet_requests(opts, procs.CFSYNC, shape, f"stats_days = {DAYS}\n") for _ in range(opts.runs)]
    before = [quiet_requests(opts, procs.CFSYNC, shape, "stats_days = 0\n") for _ in range(opts.runs)]
    funnels = after[0]["funnels"]
    for label, key, unit in (
        ("first sync", "backfill", "requests"),
        ("first sync", "backfill_wall", "s"),
        ("quiet run", "quiet", "requests"),
        ("quiet run", "quiet_wall", "s"),
    ):
        result.add(Figure(f"{label}, after", [r[key] for r in after], unit))
        result.add(Figure(f"{label}, before", [r[key] for r in before], unit))
    for label, key, per in (("first sync", "backfill", DAYS), ("quiet run", "quiet", 3)):
        must = per * funnels
        extra = [a[key] - b[key] for a, b in zip(after, before, strict=True)]
        result.add(Figure(f"{label}: extra requests (<= {per} per funnel x {funnels})", extra, "requests",
                          target=Target("<=", must)))  # fmt: skip
        result.add(Figure(f"{label}: statistics requests", [a["stats_" + key] for a in after], "requests"))
    rows = f"rows synced: {after[0]['rows']:,} after, {before[0]['rows']:,} before"
    result.notes.append(f"{funnels} funnels; {rows}")
    return result
