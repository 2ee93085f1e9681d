"""Cases 9 and 10: how current `cfsync run` keeps a database, and what a quiet scheduled run costs.

9. Freshness: seconds from a change made in the sandbox (its control API, as the API would) to the changed
   row in the database, with webhooks (the receiver applies deliveries) and without (the next scheduled run
   finds it). Changes are made at random moments; the row is polled every 20 ms.
10. Requests per quiet scheduled run on a realistic account shape (2 workspaces: 50,000 contacts, 5,000
   orders, 200 products with prices and variants, 30 courses, 40 forms), after a backfill and a first
   incremental run: the run after that, with nothing changed. "Before" is the same measurement with the
   code of the commit before the cheaper runs (`BEFORE`), checked out into a worktree.
"""

from __future__ import annotations

import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench import procs
from bench.common import Options
from bench.report import CaseResult, Figure
from bench.stats import Target

__all__ = ["BEFORE", "QUICK_SHAPE", "SHAPE", "quiet_requests", "run_freshness", "run_quiet_requests"]

BEFORE = "5cef06c"  # the last commit before the cheaper scheduled runs
SHAPE = ["--workspaces", "2", "--contacts", "25000", "--orders", "2500", "--count", "products=100",
         "--count", "courses=15", "--count", "forms=20"]  # fmt: skip
QUICK_SHAPE = ["--workspaces", "2", "--contacts", "500", "--orders", "100", "--count", "products=10",
               "--count", "courses=3", "--count", "forms=4"]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _config(path: Path, sb: procs.Sandbox, db: str, webhook_port: int, secrets: Path) -> Path:
    procs.write_config(path, sb.url, db, requests_per_second=50)
    with path.open("a", encoding="utf-8") as f:
        f.write(f'[webhooks]\nport = {webhook_port}\nsecrets_file = "{secrets}"\n')
    return path


def _first_name(db: Path, contact_id: int) -> str | None:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        row = conn.execute("SELECT first_name FROM contacts WHERE id = ?", (contact_id,)).fetchone()
    return row[0] if row else None


def _healthz_runs(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as reply:
            return int(json.loads(reply.read())["runs"])
    except OSError:
        return 0


def _latencies(
    sb: procs.Sandbox, db: Path, contacts: list[int], changes: int, gap: tuple[float, float], seed: int
) -> list[float]:
    """Make `changes` contact changes `gap` seconds apart (drawn), each waited for in the database."""
    rng = random.Random(seed)
    out = []
    for n in range(changes):
        time.sleep(rng.uniform(*gap))
        contact = rng.choice(contacts)
        name = f"Fresh{seed}x{n}"
        sb._control("PATCH", f"/records/contacts/{contact}", {"fields": {"first_name": name}})
        changed = time.perf_counter()
        while _first_name(db, contact) != name:
            if time.perf_counter() - changed > 600:
                raise TimeoutError(f"change {n} never arrived")
            time.sleep(0.02)
        out.append(time.perf_counter() - changed)
    return out


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def _freshness_run(opts: Options, webhooks: bool, interval: float, changes: int, seed: int) -> dict[str, Any]:
    work = opts.scratch("fresh")
    db = work / "cfsync.db"
    with procs.Sandbox(["--seed", "9", "--workspaces", "1", "--contacts", "2000"]) as sb:
        config = _config(work / "cfsync.toml", sb, f"sqlite:///{db}", _free_port(), work / "secrets.json")
        env = {procs.TOKEN_ENV: sb.token}
        if webhooks:
            registered = subprocess.run(
                [*procs.CFSYNC, "--config", str(config), "webhooks", "register", "--url",
                 f"http://127.0.0.1:{_webhook_port(config)}/webhooks", "--workspace", str(sb.workspaces[0])],
                env={**os.environ, **env}, capture_output=True, text=True, check=False,
            )  # fmt: skip
            if registered.returncode != 0:
                raise RuntimeError(f"register failed: {registered.stderr.strip()[-300:]}")
        args = [*procs.CFSYNC, "--config", str(config), "run", "--port", "0", "--interval", f"{interval:g}s"]
        args.append("--webhooks" if webhooks else "--no-webhooks")
        run = subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)  # fmt: skip
        try:
            assert run.stdout is not None
            url = run.stdout.readline().split()[1].removesuffix("/healthz")
            # Webhooks: after the backfill. Without: after a quiet run too, the steady state.
            wanted, deadline = (1 if webhooks else 2), time.monotonic() + 900
            while _healthz_runs(url) < wanted:
                if time.monotonic() > deadline:
                    raise TimeoutError("the first runs did not finish")
                time.sleep(0.2)
            listed = sb._control("GET", f"/records/contacts?workspace_id={sb.workspaces[0]}")
            contacts = [c["id"] for c in listed[:500]]
            gap = (0.05, 0.5) if webhooks else (0.0, interval)
            lat = _latencies(sb, db, contacts, changes, gap, seed)
        finally:
            run.terminate()
            run.wait(60)
    return {"p50": statistics.median(lat), "p99": _p99(lat), "n": len(lat)}


def _webhook_port(config: Path) -> int:
    for line in config.read_text().splitlines():
        if line.startswith("port = "):
            return int(line.split("=")[1])
    raise ValueError("no webhook port")


def run_freshness(opts: Options) -> CaseResult:
    interval = 10.0 if opts.quick else 30.0
    changes = 20 if opts.quick else 100
    polled_changes = max(5, changes // 5)  # each waits up to an interval
    result = CaseResult(
        9,
        "freshness: seconds from a change in the sandbox to its row in the database (cfsync run)",
        [
            "cfsync run against a sandbox of 2,000 contacts, SQLite; requests_per_second 50",
            f"with webhooks: deliveries applied by the receiver; {changes} changes 0.05-0.5 s apart",
            f"without: --no-webhooks, --interval {interval:g}s; {polled_changes} changes at random moments",
        ],
    )
    hooked = [_freshness_run(opts, True, 3600, changes, seed) for seed in range(opts.runs)]
    polled = [_freshness_run(opts, False, interval, polled_changes, 100 + seed) for seed in range(opts.runs)]
    result.add(Figure("with webhooks: p50", [r["p50"] for r in hooked], "s"))
    result.add(Figure("with webhooks: p99", [r["p99"] for r in hooked], "s", target=Target("<", 2.0)))
    result.add(Figure("without: p50", [r["p50"] for r in polled], "s"))
    quiet = 5.0  # a quiet run of this sandbox takes well under this: interval + one quiet run
    result.add(Figure("without: p99", [r["p99"] for r in polled], "s", target=Target("<=", interval + quiet)))
    return result


def quiet_requests(opts: Options, cfsync: list[str], shape: list[str], sync: str = "") -> dict[str, Any]:
    """Three syncs of a fresh database (a backfill, an incremental run, the quiet run): their requests,
    the first's and the last's wall time, the rows and tables the first filled. `sync`: [sync] lines."""
    work = opts.scratch("quiet")
    with procs.Sandbox(["--seed", "4", *shape]) as sb:
        config = procs.write_config(work / "cfsync.toml", sb.url, f"sqlite:///{work / 'cfsync.db'}",
                                    requests_per_second=1000, max_in_flight=opts.max_in_flight,
                                    sync=sync)  # fmt: skip
        runs = []
        for _ in range(3):  # the backfill, a first incremental run, then the quiet one measured
            done = procs.start([*cfsync, "--config", str(config), "sync", "--json", "--no-progress"],
                               {procs.TOKEN_ENV: sb.token}).wait()  # fmt: skip
            if done.returncode != 0:
                raise RuntimeError(f"sync exited {done.returncode}: {done.stderr.strip()[-300:]}")
            runs.append((done.json(), done.wall))
    (first, first_wall), _, (quiet, quiet_wall) = runs
    return {
        "backfill": first["requests"],
        "backfill_wall": first_wall,
        "quiet": quiet["requests"],
        "quiet_wall": quiet_wall,
        "rows": first["totals"]["inserted"],
        "tables": sum(1 for counts in first["rows"].values() if counts["inserted"]),
        "stats_backfill": first.get("stats_requests", 0),
        "stats_quiet": quiet.get("stats_requests", 0),
        "funnels": first["rows"].get("funnels", {}).get("inserted", 0),
    }


def run_quiet_requests(opts: Options) -> CaseResult:
    shape = QUICK_SHAPE if opts.quick else SHAPE
    result = CaseResult(
        10,
        "requests per quiet scheduled run: after the cheaper runs / before (commit " + BEFORE + ")",
        [
            "sandbox: " + " ".join(shape) + " (per workspace), its default lists (prices and variants per "
            "product, sections, lessons, enrollments and completions per course, field sets and submissions "
            "per form ...)",
            "cfsync sync three times into SQLite: a backfill, an incremental run, the quiet run measured",
        ],
    )
    with procs.cfsync_at(BEFORE, opts.workdir / "before") as before_cmd:
        after = [quiet_requests(opts, procs.CFSYNC, shape) for _ in range(opts.runs)]
        before = [quiet_requests(opts, before_cmd, shape) for _ in range(opts.runs)]
    result.add(Figure("quiet run, after", [r["quiet"] for r in after], "requests"))
    result.add(Figure("quiet run, before", [r["quiet"] for r in before], "requests"))
    result.add(Figure("after / before", [a["quiet"] / b["quiet"] for a, b in zip(after, before, strict=True)],
                      target=Target("<=", 1 / 3)))  # fmt: skip
    result.add(Figure("backfill (both)", [r["backfill"] for r in after], "requests"))
    result.notes.append(f"rows synced: {after[0]['rows']:,}")
    return result
