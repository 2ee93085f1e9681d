"""Cases 2 and 3: how close cfsync runs to a rate limit it knows (2) and to one it does not (3).

What is timed: the contacts walk, from the sandbox's request log: the arrival of the first to the last
successful (200) request of the workspace's contacts list. Achieved req/s = (successful contacts requests
- 1) / that span, i.e. the rate at which the sandbox accepted pages, so 429s never count as progress.
The 429 share is cfsync's own: summary.rate_limited / summary.requests.
"""

from __future__ import annotations

import itertools
import statistics
from typing import Any

from bench import procs
from bench.common import Options, contacts_requests, span
from bench.report import CaseResult, Figure
from bench.stats import Target, fmt, median

__all__ = ["contacts_walk", "run_known_limit", "run_unknown_limit"]


def contacts_walk(
    opts: Options, sb: procs.Sandbox, requests_per_second: float
) -> tuple[procs.Finished, dict[str, Any], list[dict[str, Any]]]:
    """`cfsync sync --resource contacts` into a fresh SQLite file: the finished process, its JSON summary,
    and the contacts requests it made (the sandbox's log)."""
    config = procs.write_config(
        opts.scratch("limit-config") / "cfsync.toml",
        sb.url,
        opts.sqlite_url("limit")[0],
        requests_per_second=requests_per_second,
        max_in_flight=opts.max_in_flight,
    )
    since = len(sb.requests())
    done = procs.run_cfsync(config, sb.token)
    return done, done.json(), contacts_requests(sb.requests(since))


def _walk(opts: Options, sb: procs.Sandbox, requests_per_second: float) -> dict[str, Any]:
    done, summary, walk = contacts_walk(opts, sb, requests_per_second)
    ok = [r for r in walk if r["status"] == 200]
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(walk)]
    return {
        "achieved": (len(ok) - 1) / span(ok) if span(ok) else None,
        "attempted": (len(walk) - 1) / span(walk) if span(walk) else None,
        "share_429": summary["rate_limited"] / summary["requests"],
        "walk_s": span(ok),
        "wall_s": done.wall,
        "pages": len(ok),
        "gap_ms": statistics.median(gaps) * 1000 if gaps else None,
    }


def _figures(result: CaseResult, runs: list[dict[str, Any]], limit: float, target: Target) -> Figure:
    achieved = [r["achieved"] for r in runs]
    fig = result.add(
        Figure(f"achieved / limit ({limit:g} req/s)", [a and a / limit for a in achieved], target=target)
    )
    result.add(Figure("achieved (accepted contacts pages)", achieved, "req/s"))
    result.add(
        Figure("attempted (contacts requests, 429s included)", [r["attempted"] for r in runs], "req/s")
    )
    result.add(Figure("contacts walk", [r["walk_s"] for r in runs], "s"))
    result.add(Figure("cfsync process wall time", [r["wall_s"] for r in runs], "s"))
    result.add(Figure("median gap between contacts requests", [r["gap_ms"] for r in runs], "ms"))
    return fig


def _sequential_note(runs: list[dict[str, Any]], latency: float) -> str | None:
    gap = median([r["gap_ms"] for r in runs])
    if gap is not None and latency and gap >= 900 * latency:
        return (
            f"The median gap between contacts requests is {fmt(gap)} ms against a {latency * 1000:g} ms "
            "latency: cfsync walks the one contacts list with a single cursor, one request after the other, "
            f"so it cannot exceed {1 / latency:g} req/s whatever the limit (parallel cursors within a "
            "partition lift this)."
        )
    return None


def run_known_limit(opts: Options) -> CaseResult:
    contacts, limit, latency = (1_000 if opts.quick else 20_000), 10.0, 0.25
    result = CaseResult(
        2,
        "Known limit: latency 250 ms, limit 10 req/s, one workspace",
        [
            f"sandbox: 1 workspace of {contacts:,} contacts, `--latency {latency}`, `--rate-limit {limit:g}` "
            "(token bucket per client IP, burst 10, 429 without Retry-After)",
            f"cfsync: `requests_per_second = {limit:g}`, `max_in_flight = {opts.max_in_flight}`, "
            "`sync --resource contacts` into a fresh SQLite file",
            "timed: the contacts walk in the sandbox's request log (first to last accepted page)",
        ],
    )
    args = [
        "--workspaces",
        "1",
        "--contacts",
        str(contacts),
        "--latency",
        str(latency),
        "--rate-limit",
        str(limit),
    ]
    with procs.Sandbox(args) as sb:
        runs = [sb.retrying(lambda: _walk(opts, sb, limit)) for _ in range(opts.runs)]
    if sb.death_note():
        result.notes.append(str(sb.death_note()))
    fig = _figures(result, runs, limit, Target(">=", 0.95))
    result.add(Figure("429 share", [r["share_429"] for r in runs], percent=True))
    note = _sequential_note(runs, latency) if fig.target and not fig.target.met(fig.median) else None
    if note:
        result.notes.append(note)
    return result


def run_unknown_limit(opts: Options) -> CaseResult:
    contacts, limit, configured = (1_000 if opts.quick else 8_000), 8.0, 50.0
    result = CaseResult(
        3,
        "Unknown limit: sandbox 8 req/s, cfsync configured at 50",
        [
            f"sandbox: 1 workspace of {contacts:,} contacts, `--rate-limit {limit:g}` (burst 10, 429 without "
            "Retry-After), no latency",
            f"cfsync: `requests_per_second = {configured:g}`, `max_in_flight = {opts.max_in_flight}`, "
            "`sync --resource contacts` into a fresh SQLite file",
            "timed: the contacts walk in the sandbox's request log (first to last accepted page); "
            "429 share = summary.rate_limited / summary.requests",
        ],
    )
    with procs.Sandbox(["--workspaces", "1", "--contacts", str(contacts), "--rate-limit", str(limit)]) as sb:
        runs = [sb.retrying(lambda: _walk(opts, sb, configured)) for _ in range(opts.runs)]
    if sb.death_note():
        result.notes.append(str(sb.death_note()))
    _figures(result, runs, limit, Target(">=", 0.8))
    share = result.add(
        Figure("429 share", [r["share_429"] for r in runs], target=Target("<=", 0.03, True), percent=True)
    )
    if share.target and not share.target.met(share.median):
        result.notes.append(_why_429s(median([r["attempted"] for r in runs]), limit, configured))
    return result


def _why_429s(attempted: float | None, limit: float, configured: float) -> str:
    if attempted is not None and attempted <= 1.5 * limit:
        return (
            f"cfsync's rate came down from the configured {configured:g} to {fmt(attempted)} contacts "
            f"requests/s, close to the limit of {limit:g}: the 429s are the cost of probing above it (each "
            "additive step past the limit meets 429s before the next cut). A smaller step, or holding longer "
            "at a rate that drew no 429s, would bring the share under the target."
        )
    return (
        f"cfsync kept sending {fmt(attempted)} contacts requests/s against a limit of {limit:g}: a 429 is "
        "retried after a backoff but the rate stays high, so many requests meet the limit; an adaptive rate "
        "(down on 429s, probing back up) is what closes this."
    )
