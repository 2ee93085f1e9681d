"""Case 1, the ceiling: pages/s of a bare fetch loop vs cfsync's full sync into SQLite and PostgreSQL.

The sandbox has no limit and no latency. Two shapes of the same 20,000 contacts: spread over 8 workspaces
(8 lists that cfsync walks as concurrent partitions), and in one workspace (one list: cfsync needs several
cursors within the partition to keep `max_in_flight` requests open). Each run does bare, SQLite and
PostgreSQL one after the other against the same sandbox process. pages/s = pages fetched / wall time: for
the bare loop the loop's own time, for cfsync the sync process's (summary.requests / wall time, start-up
and migrations included); the walk-only figure divides by the time between its first and last request.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from bench import procs
from bench.bare import bare_fetch
from bench.common import Options, fresh_postgres, span
from bench.report import CaseResult, Figure
from bench.stats import Target, fmt, median, ratio

__all__ = ["run"]

TARGET = Target(">=", 0.8)


def _shapes(quick: bool) -> list[tuple[str, int, int]]:
    total = 2_000 if quick else 20_000
    return [(f"8 workspaces x {total // 8:,}", 8, total // 8), (f"1 workspace x {total:,}", 1, total)]


def _cfsync(opts: Options, sb: procs.Sandbox, db_url: str) -> dict[str, Any]:
    return sb.retrying(lambda: _cfsync_once(opts, sb, db_url))


def _cfsync_once(opts: Options, sb: procs.Sandbox, db_url: str) -> dict[str, Any]:
    config = procs.write_config(
        opts.scratch("ceiling-config") / "cfsync.toml",
        sb.url,
        db_url,
        requests_per_second=100_000,
        max_in_flight=opts.max_in_flight,
    )
    since = len(sb.requests())
    spawned = time.time()
    done = procs.run_cfsync(config, sb.token)
    log = sb.requests(since)
    summary = done.json()
    return {
        "pages_per_s": summary["requests"] / done.wall,
        "walk_pages_per_s": (len(log) - 1) / span(log) if span(log) else None,
        "startup_s": log[0]["at"] - spawned if log else None,
        "requests": summary["requests"],
        "cpu_ms_per_page": done.cpu / summary["requests"] * 1000,
    }


def _attempt(result: CaseResult, db: str, sync: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    """One cfsync run; a failed one counts as not measured, with the reason in the notes (once)."""
    try:
        return sync()
    except RuntimeError as exc:
        note = f"cfsync -> {db} failed: {exc}"
        if note not in result.notes:
            result.notes.append(note)
        return None


def _cpu_note(label: str, db: str, bare: float | None, cfsync_ms: float | None) -> str | None:
    """What the CPU allows: the sandbox spends about 1/bare s of a core per page (it is busy all through
    the bare loop), cfsync its own CPU per page, and the two share the machine's cores."""
    cores = os.cpu_count() or 1
    if not bare or not cfsync_ms:
        return None
    sandbox_ms = 1000 / bare
    bound = cores * 1000 / (sandbox_ms + cfsync_ms)
    if bound >= bare:
        return None
    server = ", before the PostgreSQL server takes its share" if db == "PostgreSQL" else ""
    return (
        f"{label}, {db}: cfsync used {fmt(cfsync_ms)} ms of CPU per page and the sandbox about "
        f"{fmt(sandbox_ms)} ms; on {cores} cores the two together serve and sync at most {fmt(bound)} "
        f"pages/s ({fmt(bound / bare)} of the bare loop){server}. cfsync's CPU per page (upserts and their "
        "bind processing, JSON) is what the ratio hangs on here."
    )


def run(opts: Options) -> CaseResult:
    result = CaseResult(
        1,
        "Ceiling: cfsync vs a bare fetch loop (no limit, no latency)",
        [
            f"cfsync `requests_per_second = 100000`, `max_in_flight = {opts.max_in_flight}`; the bare loop "
            f"(bench/bare.py) keeps {opts.max_in_flight} requests open, walks teams, workspaces and every "
            "contacts list, reads each body and discards it",
            "several workspaces: one list per workspace, walked side by side; one workspace: the list's id "
            f"range split into {opts.max_in_flight} ranges walked side by side (+1 page to find the top id)",
            "cfsync: `cfsync sync --resource contacts --json` in its own process, a fresh SQLite file / "
            "PostgreSQL database per run; pages/s = summary.requests / process wall time",
        ],
    )
    for label, workspaces, contacts in _shapes(opts.quick):
        bare: list[float | None] = []
        runs: dict[str, list[dict[str, Any] | None]] = {"SQLite": [], "PostgreSQL": []}
        with procs.Sandbox(["--workspaces", str(workspaces), "--contacts", str(contacts)]) as sb:
            for _ in range(opts.runs):
                bare.append(
                    sb.retrying(lambda: bare_fetch(sb.url, sb.token, opts.max_in_flight).pages_per_second)
                )
                sqlite = opts.sqlite_url("c")[0]
                runs["SQLite"].append(_attempt(result, "SQLite", partial(_cfsync, opts, sb, sqlite)))
                if opts.postgres_admin_url:
                    with fresh_postgres(opts.postgres_admin_url) as pg:
                        runs["PostgreSQL"].append(
                            _attempt(result, "PostgreSQL", partial(_cfsync, opts, sb, pg))
                        )
                else:
                    runs["PostgreSQL"].append(None)
        if sb.death_note():
            result.notes.append(f"{label}: {sb.death_note()}")
        result.add(Figure(f"{label}: bare loop", bare, "pages/s"))
        for db, measured in runs.items():
            pps = [m and m["pages_per_s"] for m in measured]
            result.add(Figure(f"{label}: cfsync -> {db}", pps, "pages/s"))
            result.add(
                Figure(
                    f"{label}: cfsync -> {db} / bare",
                    [ratio(c, b) for c, b in zip(pps, bare, strict=True)],
                    target=TARGET,
                )
            )
            result.add(
                Figure(
                    f"{label}: cfsync -> {db}, CPU per page",
                    [m and m["cpu_ms_per_page"] for m in measured],
                    "ms",
                )
            )
            result.add(
                Figure(
                    f"{label}: cfsync -> {db}, walk only",
                    [m and m["walk_pages_per_s"] for m in measured],
                    "pages/s",
                )
            )
        for db, measured in runs.items():
            note = _cpu_note(label, db, median(bare), median([m and m["cpu_ms_per_page"] for m in measured]))
            if note:
                result.notes.append(note)
        startup = median([m and m["startup_s"] for m in runs["SQLite"]])
        result.notes.append(
            f"{label}: cfsync spends {fmt(startup)} s from process start to its first request (imports, "
            "config, migrations); the walk-only row leaves that out."
        )
    if not opts.postgres_admin_url:
        result.notes.append(f"PostgreSQL not measured: {opts.postgres_missing}")
    else:
        result.notes.append(
            "PostgreSQL runs on the same machine: its server, the sandbox and cfsync share the cores, so the "
            "PostgreSQL rows also pay for the server's CPU."
        )
    result.notes.append(
        "The bare loop's pages/s is the sandbox's own ceiling on this machine: the sandbox process generates "
        "and serialises every page on one core, and cfsync gets the other."
    )
    return result
