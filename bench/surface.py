"""Case 11: what the 2026 surface (13 more lists, 23 more fields) costs a sync, before and after.

On case 10's account shape (the sandbox as it is now: it serves the 2026 lists and fields either way), a
first sync into a fresh SQLite file and then, after a first incremental run, a quiet scheduled run: their
requests and wall time with the code before the 2026 surface (`BEFORE`, checked out into a worktree) and
with this tree. "Before" syncs the 50 lists it knows; "after" the 63.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import procs
from bench.common import Options
from bench.current import QUICK_SHAPE, SHAPE
from bench.report import CaseResult, Figure

__all__ = ["BEFORE", "run_surface"]

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "c3af842"  # the last commit before the 2026 surface


def _runs(opts: Options, cfsync: list[str], shape: list[str]) -> dict[str, Any]:
    work = opts.scratch("surface")
    with procs.Sandbox(["--seed", "4", *shape]) as sb:
        config = procs.write_config(work / "cfsync.toml", sb.url, f"sqlite:///{work / 'cfsync.db'}",
                                    requests_per_second=1000, max_in_flight=opts.max_in_flight)  # fmt: skip
        runs = []
        for _ in range(3):  # the first sync, a first incremental run, then the quiet one
            done = procs.start([*cfsync, "--config", str(config), "sync", "--json", "--no-progress"],
                               {procs.TOKEN_ENV: sb.token}).wait()  # fmt: skip
            if done.returncode != 0:
                raise RuntimeError(f"sync exited {done.returncode}: {done.stderr.strip()[-300:]}")
            runs.append((done.json(), done.wall))
    (first, first_wall), _, (quiet, quiet_wall) = runs
    return {
        "first": first["requests"],
        "first_wall": first_wall,
        "quiet": quiet["requests"],
        "quiet_wall": quiet_wall,
        "rows": first["totals"]["inserted"],
        "tables": sum(1 for counts in first["rows"].values() if counts["inserted"]),
    }


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
    tree = opts.workdir / "before-2026"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), BEFORE], cwd=ROOT, check=True,
                   capture_output=True)  # fmt: skip
    before_cmd = [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(tree)!r}); "
                  "from cfsync.cli import main; main()"]  # fmt: skip
    try:
        after = [_runs(opts, procs.CFSYNC, shape) for _ in range(opts.runs)]
        before = [_runs(opts, before_cmd, shape) for _ in range(opts.runs)]
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False,
                       capture_output=True)  # fmt: skip
    for label, key, unit in (
        ("first sync", "first", "requests"),
        ("first sync", "first_wall", "s"),
        ("quiet run", "quiet", "requests"),
        ("quiet run", "quiet_wall", "s"),
    ):
        result.add(Figure(f"{label}, after", [r[key] for r in after], unit))
        result.add(Figure(f"{label}, before", [r[key] for r in before], unit))
    result.add(Figure("quiet run: extra requests", [a["quiet"] - b["quiet"] for a, b in zip(after, before,
                                                                                            strict=True)],
                      "requests"))  # fmt: skip
    result.notes.append(
        f"rows synced: {after[0]['rows']:,} into {after[0]['tables']} tables after, "
        f"{before[0]['rows']:,} into {before[0]['tables']} before"
    )
    return result
