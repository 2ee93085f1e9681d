"""Case 13: what a `cfsync` process costs before and after its work, before and after the lazy start-up.

`--version`, `--help` and a usage error (an unknown command) timed as whole processes; then a quiet
`cfsync -q sync` of a small sandbox already synced into SQLite, split into the time from the process's
start to the sandbox's first request, and from its last request to the process's exit (the sandbox runs in
this process, in a thread: its requests are stamped on the same clock as the process's start and end).
Each with this tree and with the commit before (`BEFORE`, checked out into a worktree).
`python -m bench.run --cases 13`, or alone: `python -m bench.startup [--runs N]`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import procs
from bench.common import Options
from bench.report import CaseResult, Figure
from bench.stats import median
from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread

__all__ = ["BEFORE", "run_startup"]

BEFORE = "b6fc102"  # the last commit before the lazy start-up
SHAPE = {"contacts": 20, "orders": 10}
_QUICK_COMMANDS = {"--version": ["--version"], "--help": ["--help"], "usage error": ["no-such-command"]}


class _Stamped(list[Any]):
    """The sandbox's request log, each request's arrival stamped on time.perf_counter()."""

    def __init__(self) -> None:
        super().__init__()
        self.at: list[float] = []

    def append(self, record: Any) -> None:
        self.at.append(time.perf_counter())
        super().append(record)


def _quiet_sync(cmd: list[str], config: Path, token: str, sb: Sandbox) -> dict[str, float]:
    log = _Stamped()
    sb.requests = log
    done = procs.start([*cmd, "--config", str(config), "-q", "sync"], {procs.TOKEN_ENV: token})
    finished = done.wait()
    if finished.returncode != 0:
        raise RuntimeError(f"cfsync sync exited {finished.returncode}: {finished.stderr[-300:]}")
    end = done.started + finished.wall
    return {
        "wall": finished.wall,
        "before_first": log.at[0] - done.started,
        "after_last": end - log.at[-1],
        "requests": len(log.at),
    }


def _measure(commands: dict[str, list[str]], opts: Options, sb: Sandbox, url: str) -> dict[str, list[float]]:
    """Each figure's runs per command line ("after", "before"), the two interleaved run by run."""
    token = sb.api_token(0)
    configs = {}
    for name, cmd in commands.items():
        where = opts.scratch(f"startup-{name}")
        db = f"sqlite:///{where}/cfsync.db"
        configs[name] = procs.write_config(where / "cfsync.toml", url, db, requests_per_second=50)
        _quiet_sync(cmd, configs[name], token, sb)  # the first sync: not measured
    runs: dict[str, list[float]] = {}
    for _ in range(opts.runs):
        for name, cmd in commands.items():
            for label, args in _QUICK_COMMANDS.items():
                runs.setdefault(f"{label}, {name}", []).append(procs.start([*cmd, *args]).wait().wall)
            for key, value in _quiet_sync(cmd, configs[name], token, sb).items():
                runs.setdefault(f"sync {key}, {name}", []).append(value)
    return runs


def run_startup(opts: Options) -> CaseResult:
    result = CaseResult(
        13,
        f"start-up: --version, --help, a usage error, a quiet sync's fixed cost; after / before {BEFORE}",
        [
            f"sandbox in this process: 1 workspace, {SHAPE} (the other lists at their default sizes), "
            "synced once into SQLite",
            "each command a whole process (python -c 'from cfsync.cli import main; main()'), interleaved "
            "after / before",
        ],
    )
    sb = Sandbox(SandboxConfig(seed=12, workspaces=1, counts=SHAPE))
    with serve_in_thread(sb) as url, procs.cfsync_at(BEFORE, opts.workdir / "before-startup") as before_cmd:
        runs = _measure({"after": procs.CFSYNC, "before": before_cmd}, opts, sb, url)
    for label in [*_QUICK_COMMANDS, *(f"sync {key}" for key in ("wall", "before_first", "after_last"))]:
        before, after = runs[f"{label}, before"], runs[f"{label}, after"]
        result.add(Figure(f"{label}, before", before, "s"))
        result.add(Figure(f"{label}, after", after, "s"))
        result.add(
            Figure(f"{label}, after / before", [a / b for a, b in zip(after, before, strict=True)], "x")
        )
    result.add(Figure("sync requests, after", runs["sync requests, after"], "requests"))
    wall = median(runs["sync wall, after"]) or 0.0
    fixed = (median(runs["sync before_first, after"]) or 0.0) + (
        median(runs["sync after_last, after"]) or 0.0
    )
    result.notes.append(f"after: {fixed:.2f} s of the quiet sync's {wall:.2f} s are outside its requests")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cfsync-startup-") as work:
        opts = Options(args.runs, False, 8, Path(work), None)
        result = run_startup(opts)
    for figure in result.figures:
        print(f"{figure.label:38} median {figure.median:8.3f} {figure.unit}   runs {figure.runs}")
    for note in result.notes:
        print(note)


if __name__ == "__main__":
    main()
