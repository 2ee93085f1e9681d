"""Case 11: what the 2026 surface (13 more lists, 23 more fields) costs a sync, before and after.

On case 10's account shape (the sandbox as it is now: it serves the 2026 lists and fields either way), a
first sync into a fresh SQLite file and then, after a first incremental run, a quiet scheduled run: their
requests and wall time with the code before the 2026 surface (`BEFORE`, checked out into a worktree) and
with this tree. "Before" syncs the 50 lists it knows; "after" the 63.
"""

from __future__ import annotations

from bench import procs
from bench.common import Options
from bench.current import QUICK_SHAPE, SHAPE, quiet_requests
from bench.report import CaseResult, Figure
from bench.stats import Target
from cfsync.resources.catalog import CATALOG

__all__ = ["BEFORE", "run_surface"]

BEFORE = "c3af842"  # the last commit before the 2026 surface


def run_surface(opts: Options) -> CaseResult:
    shape = QUICK_SHAPE if opts.quick else SHAPE
    result = CaseResult(
        11,
        f"the 2026 surface: a first sync and a quiet run, after / before (commit {BEFORE})",
        [
            "sandbox: " + " ".join(shape) + " (per workspace, case 10's shape) serving the 2026 lists and "
            "fields; the new lists at their default sizes",
            "cfsync sync three times into SQLite: the first sync and the quiet third run measured",
        ],
    )
    with procs.cfsync_at(BEFORE, opts.workdir / "before-2026") as before_cmd:
        after = [quiet_requests(opts, procs.CFSYNC, shape) for _ in range(opts.runs)]
        before = [quiet_requests(opts, before_cmd, shape) for _ in range(opts.runs)]
    for label, key, unit in (
        ("first sync", "backfill", "requests"),
        ("first sync", "backfill_wall", "s"),
        ("quiet run", "quiet", "requests"),
        ("quiet run", "quiet_wall", "s"),
    ):
        result.add(Figure(f"{label}, after", [r[key] for r in after], unit))
        result.add(Figure(f"{label}, before", [r[key] for r in before], unit))
    # What the new lists must cost a quiet run: one page of each workspace-level list (the nested ones
    # only under parents with a change), nothing else.
    workspaces = int(shape[shape.index("--workspaces") + 1])
    must = workspaces * sum(1 for r in CATALOG.values() if r.since == 2026 and r.parent == "workspaces")
    result.add(Figure(f"quiet run: extra requests ({must} pages of the new workspace lists)",
                      [a["quiet"] - b["quiet"] for a, b in zip(after, before, strict=True)], "requests",
                      target=Target("<=", must)))  # fmt: skip
    result.notes.append(
        f"rows synced: {after[0]['rows']:,} into {after[0]['tables']} tables after, "
        f"{before[0]['rows']:,} into {before[0]['tables']} before"
    )
    return result
