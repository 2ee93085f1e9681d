"""`python -m bench.run [--cases 1,2,...] [--runs 3] [--quick]`: run the benchmarks, write the results.

A full run writes bench/results.json and bench/RESULTS.md; the cases run now replace their earlier
results and the others are kept, each stamped with its own date and cfsync commit. `--quick` is a smoke
run on small data, written to bench/quick/ so it never mixes with the full figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    ceiling,
    current,
    funnel_stats,
    limits,
    memory,
    noise,
    shared,
    startup,
    surface,
    versus_dlt,
)
from bench.common import Options, postgres_server
from bench.report import CaseResult, render

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CASES: dict[int, Callable[[Options], CaseResult]] = {
    1: ceiling.run,
    2: limits.run_known_limit,
    3: limits.run_unknown_limit,
    4: memory.run,
    5: versus_dlt.run,
    6: noise.run_noise,
    7: noise.run_bursts,
    8: noise.run_limit_and_noise,
    9: current.run_freshness,
    10: current.run_quiet_requests,
    11: surface.run_surface,
    12: shared.run_shared_budget,
    13: startup.run_startup,
    14: funnel_stats.run_funnel_stats,
}


def _machine() -> dict[str, Any]:
    memory_kib = 0
    try:
        with open("/proc/meminfo") as f:
            memory_kib = int(next(line for line in f if line.startswith("MemTotal:")).split()[1])
    except (OSError, StopIteration):
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024**2, 1),
        "platform": platform.platform(terse=True),
        "python": platform.python_version(),
    }


def _git() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    # The tree's own files only: benchmark results being written are not a change to cfsync.
    dirty = git("status", "--porcelain", "--", "cfsync", "migrations", "pyproject.toml")
    return {"commit": git("rev-parse", "HEAD") or "unknown", "dirty": bool(dirty)}


@contextmanager
def _postgres(needed: bool) -> Iterator[tuple[str | None, str]]:
    """(admin URL, "") of a throwaway server, or (None, why not)."""
    if not needed:
        yield None, "not needed"
        return
    with postgres_server() as found:
        yield found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", default=",".join(map(str, CASES)), help="comma-separated case numbers (default: all)"
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per case, the median is reported (default 3)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run on small data, into bench/quick/")
    parser.add_argument(
        "--max-in-flight", type=int, default=8, help="cfsync's and the bare loop's (default 8)"
    )
    args = parser.parse_args(argv)
    try:
        chosen = sorted({int(c) for c in args.cases.split(",") if c.strip()})
    except ValueError:
        parser.error(f"--cases takes numbers from 1 to {len(CASES)}, not {args.cases!r}")
    if not chosen or not set(chosen) <= set(CASES):
        parser.error(f"--cases takes numbers from 1 to {len(CASES)}, not {args.cases!r}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    out_dir = HERE / "quick" if args.quick else HERE
    out_dir.mkdir(exist_ok=True)
    results_file = out_dir / "results.json"
    results: dict[str, Any] = {"cases": {}}
    if results_file.exists():
        results = json.loads(results_file.read_text("utf-8"))
    results["machine"] = _machine()
    results["quick"] = args.quick

    postgres = bool({1, 12} & set(chosen))  # the cases that run on PostgreSQL
    with tempfile.TemporaryDirectory(prefix="cfsync-bench-") as work, _postgres(postgres) as (pg, why):
        opts = Options(args.runs, args.quick, args.max_in_flight, Path(work), pg, why)
        for number in chosen:
            started, load_before = time.perf_counter(), os.getloadavg()[0]
            print(f"case {number}: running ({args.runs} runs{', quick' if args.quick else ''})", flush=True)
            try:
                case = CASES[number](opts).to_json()
            except Exception as exc:  # one broken case must not lose the others' figures
                case = {"case": number, "title": f"case {number}", "setup": [], "figures": []}
                case["notes"] = [f"the case failed: {type(exc).__name__}: {exc}"]
                print(f"case {number}: failed: {exc}", flush=True)
            case.update(
                measured_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                git=_git(),
                runs=args.runs,
                seconds=round(time.perf_counter() - started, 1),
                # Another busy process on the machine shows here (the machine may be shared).
                load_average=[round(load_before, 2), round(os.getloadavg()[0], 2)],
                machine=results["machine"],
            )
            # Written after every case, so an interrupted run keeps what it measured; read again first, so
            # that another run of other cases writing meanwhile keeps its figures too.
            if results_file.exists():
                results["cases"] = json.loads(results_file.read_text("utf-8"))["cases"]
            results["cases"][str(number)] = case
            results_file.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
            kept = Path(__file__).with_name("standalone.md")
            standalone = "" if args.quick or not kept.exists() else kept.read_text("utf-8")
            (out_dir / "RESULTS.md").write_text(render(results, standalone), "utf-8")
            for f in case["figures"]:
                if f["target"]:
                    print(f"  {f['label']}: {f['median']} (target {f['target']}: {f['verdict']})", flush=True)
            print(f"case {number}: done in {case['seconds']} s", flush=True)
    print(f"wrote {out_dir / 'RESULTS.md'} and {results_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
