"""Case 4: cfsync's peak RSS syncing 200,000 vs 1,000,000 contacts of one workspace into SQLite.

Peak RSS is the kernel's high-water mark of the cfsync process (`ru_maxrss` from `os.wait4` on it). Growth
= peak at the large size / peak at the small size - 1, per run pair; flat memory means the walk holds a
page at a time whatever the size of the list.
"""

from __future__ import annotations

from bench import procs
from bench.common import Options
from bench.report import CaseResult, Figure
from bench.stats import Target

__all__ = ["run"]


def _sync(opts: Options, sb: procs.Sandbox) -> procs.Finished:
    config = procs.write_config(
        opts.scratch("memory-config") / "cfsync.toml",
        sb.url,
        opts.sqlite_url("memory")[0],
        requests_per_second=100_000,
        max_in_flight=opts.max_in_flight,
    )
    return procs.run_cfsync(config, sb.token)


def run(opts: Options) -> CaseResult:
    small, large = (20_000, 100_000) if opts.quick else (200_000, 1_000_000)
    result = CaseResult(
        4,
        f"Memory: peak RSS for {small:,} vs {large:,} contacts",
        [
            "sandbox: 1 workspace, no limit, no latency; one sandbox process per size",
            f"cfsync: `requests_per_second = 100000`, `max_in_flight = {opts.max_in_flight}`, "
            "`sync --resource contacts` into a fresh SQLite file",
        ],
    )
    peaks: dict[int, list[float | None]] = {}
    rates: dict[int, list[float | None]] = {}
    for size in (small, large):
        with procs.Sandbox(["--workspaces", "1", "--contacts", str(size)]) as sb:
            peaks[size], rates[size] = [], []
            for _ in range(opts.runs):
                done = sb.retrying(lambda: _sync(opts, sb))
                peaks[size].append(done.max_rss_kib / 1024)
                rates[size].append(done.json()["requests"] / done.wall)
        if sb.death_note():
            result.notes.append(f"{size:,} contacts: {sb.death_note()}")
        result.add(Figure(f"peak RSS, {size:,} contacts", peaks[size], "MiB"))
        result.add(Figure(f"pages/s, {size:,} contacts", rates[size], "pages/s"))
    growth = [b / a - 1 if a and b else None for a, b in zip(peaks[small], peaks[large], strict=True)]
    result.add(
        Figure(f"RSS growth {small:,} -> {large:,}", growth, target=Target("<", 0.2, True), percent=True)
    )
    return result
