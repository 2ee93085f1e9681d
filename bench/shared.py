"""Case 12: several PostgreSQL workers on one key against its rate limit, each configured at the limit.

`cfsync sync --resource contacts` processes started together on one PostgreSQL database (they share the
work through partition claims) and one sandbox token (its rate limit is the key's: a token bucket per
client IP, and every worker is 127.0.0.1). Before: the same at commit BEFORE, where each worker learns the
limit alone.

What is timed: accepted req/s = the sandbox's 200 answers per second over the middle 80 % of them (from
the 10th to the 90th percentile of their arrival times: the workers' start, a few seconds apart on a busy
machine, and the last partition walked alone are left out). The 429 share is the workers' own:
sum(summary.rate_limited) / sum(summary.requests).
"""

from __future__ import annotations

from typing import Any

from bench import procs
from bench.common import Options, fresh_postgres
from bench.report import CaseResult, Figure
from bench.stats import Target

__all__ = ["run_shared_budget"]

BEFORE = "b6fc102"  # the last commit where each worker's budget was its own
LIMIT = 4.0
WORKERS = (1, 3, 8)
# A worker walks up to twice its max_in_flight partitions at once: at 2, four of the workspaces' contacts
# lists, so that every worker has partitions of its own to walk (at 8, the first would claim them all).
IN_FLIGHT = 2


def middle_rate(times: list[float]) -> float | None:
    """Events per second between the 10th and the 90th percentile of `times`."""
    times = sorted(times)
    if len(times) < 20:
        return None
    lo, hi = int(0.1 * len(times)), int(0.9 * len(times))
    span = times[hi] - times[lo]
    return (hi - lo) / span if span > 0 else None


def workers_run(opts: Options, sb: procs.Sandbox, cfsync: list[str], workers: int) -> dict[str, Any]:
    """`workers` syncs of the sandbox's contacts at once into a fresh PostgreSQL database."""
    assert opts.postgres_admin_url is not None
    with fresh_postgres(opts.postgres_admin_url) as url:
        config = procs.write_config(opts.scratch("shared") / "cfsync.toml", sb.url, url,
                                    requests_per_second=LIMIT, max_in_flight=IN_FLIGHT)  # fmt: skip
        # The schema first, so that the workers do not all start by migrating (they would take turns).
        migrated = procs.start([*cfsync, "--config", str(config), "db", "upgrade"]).wait()
        if migrated.returncode != 0:
            raise RuntimeError(f"db upgrade exited {migrated.returncode}: {migrated.stderr.strip()[-300:]}")
        since = len(sb.requests())
        args = [*cfsync, "--config", str(config), "sync", "--json", "--no-progress", "--resource", "contacts"]
        running = [procs.start(args, {procs.TOKEN_ENV: sb.token}) for _ in range(workers)]
        done = [r.wait() for r in running]
    failed = [d for d in done if d.returncode != 0]
    if failed:
        raise RuntimeError(f"a sync exited {failed[0].returncode}: {failed[0].stderr.strip()[-300:]}")
    summaries = [d.json() for d in done]
    log = sb.requests(since)
    accepted = [r["at"] for r in log if r["status"] == 200]
    rate = middle_rate(accepted)
    return {
        "accepted": rate,
        "share_limit": rate and rate / LIMIT,
        "share_429": sum(s["rate_limited"] for s in summaries) / sum(s["requests"] for s in summaries),
        "wall": max(d.wall for d in done),
        "requests": len(log),
    }


def run_shared_budget(opts: Options) -> CaseResult:
    contacts, workspaces, latency = (60, 12, 0.05) if opts.quick else (100, 24, 0.05)
    result = CaseResult(
        12,
        f"One key, 1 / 3 / 8 PostgreSQL workers, limit {LIMIT:g} req/s, each configured at it",
        [
            f"sandbox: {workspaces} workspaces of {contacts:,} contacts, `--latency {latency}`, "
            f"`--rate-limit {LIMIT:g}` (token bucket per client IP, burst 10, 429 without Retry-After)",
            f"cfsync: N `sync --resource contacts` processes started together on one fresh PostgreSQL "
            f"database, `requests_per_second = {LIMIT:g}`, `max_in_flight = {IN_FLIGHT}` (a worker walks "
            "four partitions at once); "
            f"before: the same at commit {BEFORE} (each worker's budget its own)",
            "accepted req/s: the sandbox's 200s over the middle 80 % of them (10th to 90th percentile); "
            "429 share: sum(rate_limited) / sum(requests) of the workers' summaries",
        ],
    )
    if not opts.postgres_admin_url:
        result.notes.append(f"not run: no PostgreSQL ({opts.postgres_missing})")
        return result
    args = ["--workspaces", str(workspaces), "--contacts", str(contacts), "--latency", str(latency),
            "--rate-limit", str(LIMIT)]  # fmt: skip
    with procs.cfsync_at(BEFORE, opts.workdir / "before-shared") as before_cmd, procs.Sandbox(args) as sb:
        for n in WORKERS:
            for label, cmd in (("after", procs.CFSYNC), ("before", before_cmd)):
                runs = [sb.retrying(lambda cmd=cmd, n=n: workers_run(opts, sb, cmd, n))  # type: ignore[misc]
                        for _ in range(opts.runs)]  # fmt: skip
                goal = label == "after"
                name = f"{n} worker{'s' if n > 1 else ''}, {label}:"
                accepted = [r["share_limit"] for r in runs]
                result.add(Figure(f"{name} accepted / limit", accepted,
                                  target=Target(">=", 0.9) if goal else None))  # fmt: skip
                target = Target("<=", 0.02, True) if goal else None
                shares = [r["share_429"] for r in runs]
                result.add(Figure(f"{name} 429 share", shares, target=target, percent=True))
                result.add(Figure(f"{name} slowest worker's wall time", [r["wall"] for r in runs], "s"))
    if sb.death_note():
        result.notes.append(str(sb.death_note()))
    return result
