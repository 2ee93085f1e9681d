"""Cases 6, 7 and 8: 429s that slowing down does not cure.

6. No limit, ceiling 50 req/s, 50 ms latency, 429s on a random 5 % and 10 % of requests whatever the pace
   (a gateway shedding load, a quota shared with other clients): accepted req/s >= 0.8 x 50 x (1 - share).
7. Every request 429 for 3 s every 30 s, ceiling 50, 50 ms latency: accepted req/s over the whole walk
   >= 0.7 x 50 x 27/30.
8. A real limit of 8 req/s plus 3 % random 429s, configured at 50: accepted >= 0.75 of the limit, and the
   429s beyond the random ones (the limit's, which the sandbox answers without a fault mark) <= 5 % of
   requests.

Timed as cases 2 and 3: the contacts walk in the sandbox's request log, first to last accepted page.
"""

from __future__ import annotations

from typing import Any

from bench import procs
from bench.common import Options, span
from bench.limits import contacts_walk
from bench.report import CaseResult, Figure
from bench.stats import Target

__all__ = ["run_bursts", "run_limit_and_noise", "run_noise"]

CEILING = 50.0


def _walk(opts: Options, sb: procs.Sandbox, requests_per_second: float) -> dict[str, Any]:
    done, summary, walk = contacts_walk(opts, sb, requests_per_second)
    ok = [r for r in walk if r["status"] == 200]
    limited = [r for r in walk if r["status"] == 429]
    return {
        "accepted": (len(ok) - 1) / span(ok) if span(ok) else None,
        "sent": (len(walk) - 1) / span(walk) if span(walk) else None,
        "share_429": len(limited) / len(walk) if walk else None,
        "limit_429": sum(1 for r in limited if not r.get("fault")) / len(walk) if walk else None,
        "walk_s": span(ok),
        "wall_s": done.wall,
        "summary_429": summary["rate_limited"] / summary["requests"],
    }


def _cfsync_setup(opts: Options) -> str:
    return (
        f"cfsync: `requests_per_second = {CEILING:g}`, `max_in_flight = {opts.max_in_flight}`, "
        "`sync --resource contacts` into a fresh SQLite file"
    )


def _common_figures(result: CaseResult, runs: list[dict[str, Any]]) -> None:
    result.add(Figure("accepted (contacts pages)", [r["accepted"] for r in runs], "req/s"))
    result.add(Figure("sent (contacts requests, 429s included)", [r["sent"] for r in runs], "req/s"))
    result.add(Figure("429 share", [r["share_429"] for r in runs], percent=True))
    result.add(Figure("contacts walk", [r["walk_s"] for r in runs], "s"))


def run_noise(opts: Options) -> CaseResult:
    contacts = 2_000 if opts.quick else 40_000
    result = CaseResult(
        6,
        "429s at a share whatever the pace: no limit, ceiling 50 req/s, 50 ms latency",
        [
            f"sandbox: 1 workspace of {contacts:,} contacts, `--latency 0.05`, `--faults 429=SHARE` (429 "
            "without Retry-After on that share of requests, drawn per request from a seed)",
            _cfsync_setup(opts),
            "target: accepted contacts req/s >= 0.8 x 50 x (1 - share)",
        ],
    )
    for share in (0.05, 0.10):
        args = ["--workspaces", "1", "--contacts", str(contacts), "--latency", "0.05", "--faults"]
        with procs.Sandbox([*args, f"429={share}"]) as sb:
            runs = [sb.retrying(lambda sb=sb: _walk(opts, sb, CEILING)) for _ in range(opts.runs)]
        if sb.death_note():
            result.notes.append(str(sb.death_note()))
        best = CEILING * (1 - share)
        result.add(
            Figure(
                f"{share:.0%} random 429s: accepted / (50 x {1 - share:g})",
                [r["accepted"] and r["accepted"] / best for r in runs],
                target=Target(">=", 0.8),
            )
        )
        for figure in ("accepted (contacts pages)", "429 share"):
            key = "accepted" if figure.startswith("accepted") else "share_429"
            unit = "req/s" if key == "accepted" else ""
            result.add(
                Figure(f"{share:.0%} random 429s: {figure}", [r[key] for r in runs], unit, percent=not unit)
            )
    return result


def run_bursts(opts: Options) -> CaseResult:
    contacts = 4_000 if opts.quick else 80_000
    result = CaseResult(
        7,
        "Bursts: every request 429 for 3 s every 30 s, ceiling 50 req/s, 50 ms latency",
        [
            f"sandbox: 1 workspace of {contacts:,} contacts, `--latency 0.05`; each run sets the bursts "
            "afresh through the control API (`429:3/30+10`: the first 10 s after the run starts)",
            _cfsync_setup(opts),
            "target: accepted contacts req/s over the whole walk >= 0.7 x 50 x 27/30",
        ],
    )

    def one(sb: procs.Sandbox) -> dict[str, Any]:
        sb.set_bursts([{"kind": "429", "seconds": 3, "every": 30, "offset": 10}])
        try:
            return _walk(opts, sb, CEILING)
        finally:
            sb.set_bursts([])

    args = ["--workspaces", "1", "--contacts", str(contacts), "--latency", "0.05"]
    with procs.Sandbox(args) as sb:
        runs = [sb.retrying(lambda: one(sb)) for _ in range(opts.runs)]
    if sb.death_note():
        result.notes.append(str(sb.death_note()))
    best = CEILING * 27 / 30
    result.add(
        Figure(
            "accepted / (50 x 27/30)",
            [r["accepted"] and r["accepted"] / best for r in runs],
            target=Target(">=", 0.7),
        )
    )
    _common_figures(result, runs)
    return result


def run_limit_and_noise(opts: Options) -> CaseResult:
    contacts, limit = (1_000 if opts.quick else 8_000), 8.0
    result = CaseResult(
        8,
        "A real limit and random 429s: sandbox 8 req/s plus 3 % random 429s, cfsync configured at 50",
        [
            f"sandbox: 1 workspace of {contacts:,} contacts, `--rate-limit {limit:g}` (burst 10) and "
            "`--faults 429=0.03`, no latency",
            _cfsync_setup(opts),
            "429s beyond the random ones: the limit's (answered without a fault mark in the request log) "
            "over every contacts request",
        ],
    )
    args = ["--workspaces", "1", "--contacts", str(contacts), "--rate-limit", str(limit)]
    with procs.Sandbox([*args, "--faults", "429=0.03"]) as sb:
        runs = [sb.retrying(lambda: _walk(opts, sb, CEILING)) for _ in range(opts.runs)]
    if sb.death_note():
        result.notes.append(str(sb.death_note()))
    result.add(
        Figure(
            f"accepted / limit ({limit:g} req/s)",
            [r["accepted"] and r["accepted"] / limit for r in runs],
            target=Target(">=", 0.75),
        )
    )
    result.add(
        Figure(
            "429s beyond the random ones",
            [r["limit_429"] for r in runs],
            target=Target("<=", 0.05, True),
            percent=True,
        )
    )
    _common_figures(result, runs)
    return result
