"""Seeded random faults and latency ranges: their share, their determinism, their reach, and the CLI flags."""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from click.testing import CliRunner

from cfsync.cli import cli
from cfsync.sandbox import (
    FAULT_KINDS,
    Faults,
    Sandbox,
    SandboxConfig,
    SandboxServer,
    parse_fault_rates,
    parse_latency,
)

RATES = {"429": 0.02, "500": 0.02, "502": 0.03, "503": 0.02, "reset": 0.01, "stall": 0.01}
REQUESTS = 2_000


async def _hammer(url: str, token: str, n: int) -> list[int]:
    """`n` sequential GET /teams; the status of each answer, 0 for a dropped connection."""
    statuses = []
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "cfsync-tests"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as s:
        for _ in range(n):
            try:
                async with s.get(f"{url}/api/v2/teams", headers=headers) as r:
                    await r.read()
                    statuses.append(r.status)
            except aiohttp.ClientConnectionError:
                statuses.append(0)
    return statuses


def _binomial_bounds(n: int, p: float, sds: float = 4.5) -> tuple[float, float]:
    """Where the count of a rate-`p` event over `n` draws falls but for a ~1e-5 chance."""
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    return mean - sds * sd, mean + sds * sd


async def test_each_kind_strikes_near_its_rate():
    sb = Sandbox(SandboxConfig(seed=3, fault_rates=RATES, stall_seconds=0))
    async with SandboxServer(sb) as server:
        statuses = await _hammer(server.url, sb.api_token(), REQUESTS)
    log = list(sb.requests)
    # aiohttp resends an idempotent request once when its connection drops, so the log can hold a few more
    # requests than the client sent; shares are of what the server saw.
    assert len(log) >= REQUESTS
    fired = Counter(r.fault for r in log if r.fault is not None)
    for kind, rate in RATES.items():
        low, high = _binomial_bounds(len(log), rate)
        assert low <= fired[kind] <= high, (kind, fired[kind], (low, high))
    # A fault's answer is what the kind says; everything else was served normally.
    by_fault = {kind: {r.status for r in log if r.fault == kind} for kind in fired}
    assert by_fault == {
        "429": {429},
        "500": {500},
        "502": {502},
        "503": {503},
        "reset": {0},
        "stall": {200},  # a stall shorter than the client's patience is only slow
    }
    assert {r.status for r in log if r.fault is None} == {200}
    assert Counter(statuses)[200] == sum(1 for r in log if r.status == 200)


async def test_502s_carry_html_and_429s_no_retry_after():
    sb = Sandbox(SandboxConfig(seed=3, fault_rates={"502": 0.5, "429": 0.5}))
    async with SandboxServer(sb) as server, aiohttp.ClientSession() as s:
        headers = {"Authorization": f"Bearer {sb.api_token()}", "User-Agent": "cfsync-tests"}
        seen = set()
        for _ in range(20):
            async with s.get(f"{server.url}/api/v2/teams", headers=headers) as r:
                seen.add(r.status)
                if r.status == 502:
                    assert r.headers["Content-Type"].startswith("text/html")
                    assert (await r.text()).lstrip().startswith("<html>")
                else:
                    assert "Retry-After" not in r.headers
                    assert not any(h.lower().startswith("ratelimit") for h in r.headers)
    assert seen == {429, 502}


async def test_the_same_seed_strikes_the_same_requests():
    async def faults_of(**config: Any) -> list[str | None]:
        sb = Sandbox(SandboxConfig(fault_rates={"503": 0.1, "500": 0.05}, **config))
        async with SandboxServer(sb) as server:
            await _hammer(server.url, sb.api_token(), 300)
        return [r.fault for r in sb.requests]

    first = await faults_of(seed=1, fault_seed=11)
    assert first == await faults_of(seed=2, fault_seed=11)  # the data seed does not move the faults
    assert first != await faults_of(seed=1, fault_seed=12)
    assert await faults_of(seed=5) == await faults_of(seed=5, fault_seed=5)  # default: the sandbox seed


def test_set_rates_reseeds_and_clear_stops_them():
    faults = Faults(SandboxConfig(fault_rates={"500": 0.3}, fault_seed=4))
    first = [f and f.kind for f in (faults.chance() for _ in range(200))]
    faults.set_rates({"500": 0.3}, seed=4)
    assert [f and f.kind for f in (faults.chance() for _ in range(200))] == first
    assert 20 < first.count("500") < 100
    faults.set_rates({"stall": 1.0}, stall_seconds=2.5)
    stall = faults.chance()
    assert stall is not None
    assert (stall.kind, stall.stall_seconds) == ("stall", 2.5)
    assert faults.rates == {"stall": 1.0}
    faults.clear()
    assert faults.rates == {}
    assert faults.chance() is None


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        ({"504": 0.1}, "unknown fault kind '504'"),
        ({"502": 1.5}, "from 0 to 1"),
        ({"502": -0.1}, "from 0 to 1"),
        ({"502": True}, "from 0 to 1"),
        ({"502": 0.6, "500": 0.6}, "more than 1"),
    ],
)
def test_rates_that_make_no_sense_are_refused(rates: dict[str, Any], message: str):
    with pytest.raises(ValueError, match=message):
        SandboxConfig(fault_rates=rates)
    with pytest.raises(ValueError, match=message):
        Faults().set_rates(rates)


async def test_control_routes_are_immune(api_for: Any):
    sb = Sandbox(SandboxConfig(seed=2, fault_rates={"503": 1.0}, latency=(0.3, 0.4)))
    async with SandboxServer(sb) as server:
        control = api_for(server.url, sb.control_token, prefix="/_sandbox")
        api = api_for(server.url, sb.api_token(), **{"User-Agent": "cfsync-tests"})
        started = time.perf_counter()
        for _ in range(30):
            assert (await control.get("/requests")).status == 200
        assert time.perf_counter() - started < 3  # no latency either
        assert len(sb.requests) == 0
        assert [(await api.get("/teams")).status for _ in range(3)] == [503, 503, 503]
        assert [r.fault for r in sb.requests] == ["503"] * 3


async def test_rates_through_the_control_api(api_for: Any):
    sb = Sandbox(SandboxConfig(seed=2))
    async with SandboxServer(sb) as server:
        control = api_for(server.url, sb.control_token, prefix="/_sandbox")
        api = api_for(server.url, sb.api_token(), **{"User-Agent": "cfsync-tests"})
        assert (await api_for(server.url, "wrong", prefix="/_sandbox").post("/fault_rates", {})).status == 401
        reply = await control.post("/fault_rates", {"rates": {"500": 1.0}, "seed": 9, "stall_seconds": 1})
        assert (reply.status, reply.body) == (200, {"rates": {"500": 1.0}, "stall_seconds": 1.0})
        assert (await api.get("/teams")).status == 500
        for bad in ({"rates": {"504": 0.1}}, {"rates": {"500": 2}}, {"rates": []}, {}, {"rates": {}, "x": 1}):
            reply = await control.post("/fault_rates", bad)
            assert reply.status == 400, (bad, reply.text)
            assert "error" in reply.body
        assert (await control.post("/fault_rates", {"rates": {}})).status == 200
        assert (await api.get("/teams")).status == 200
        reply = await control.post("/latency", {"seconds": 0.2, "max_seconds": 0.25})
        assert (reply.status, reply.body) == (200, {"seconds": 0.2, "max_seconds": 0.25})
        assert sb.faults.latency == (0.2, 0.25)
        assert (await control.post("/latency", {"seconds": 0.3, "max_seconds": 0.1})).status == 400
        assert (await control.delete("/faults")).status == 204
        assert sb.faults.rates == {}


async def test_a_random_stall_outlasts_the_client_timeout():
    sb = Sandbox(SandboxConfig(fault_rates={"stall": 1.0}, stall_seconds=30))
    async with SandboxServer(sb) as server, aiohttp.ClientSession() as s:
        started = time.perf_counter()
        with pytest.raises(asyncio.TimeoutError):
            async with s.get(
                f"{server.url}/api/v2/teams",
                headers={"Authorization": f"Bearer {sb.api_token()}"},
                timeout=aiohttp.ClientTimeout(total=0.3),
            ):
                pass
        assert time.perf_counter() - started < 5


async def test_a_latency_range_is_drawn_per_request_from_the_seed():
    draws = [Faults(SandboxConfig(latency=(0.1, 0.5), fault_seed=s)) for s in (1, 1, 2)]
    series = [[f.delay() for _ in range(500)] for f in draws]
    assert series[0] == series[1] != series[2]
    assert all(0.1 <= d <= 0.5 for d in series[0])
    assert min(series[0]) < 0.12
    assert max(series[0]) > 0.48
    assert Faults(SandboxConfig(latency=0.25)).delay() == 0.25
    sb = Sandbox(SandboxConfig(latency=(0.05, 0.06)))
    async with SandboxServer(sb) as server:
        started = time.perf_counter()
        await _hammer(server.url, sb.api_token(), 3)
        assert time.perf_counter() - started >= 0.15


# -- the command line ----------------------------------------------------------------------------------------


def test_specs_parse():
    assert parse_fault_rates("502=0.01, reset=0.005,stall=0.001") == {
        "502": 0.01,
        "reset": 0.005,
        "stall": 0.001,
    }
    assert parse_fault_rates("429=0") == {"429": 0.0}
    assert set(parse_fault_rates(",".join(f"{k}=0.1" for k in FAULT_KINDS))) == set(FAULT_KINDS)
    assert parse_latency("0.25") == 0.25
    assert parse_latency("0.1-0.5") == (0.1, 0.5)
    assert parse_latency("0") == 0.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--faults", "504=0.1"],
            "--faults: unknown fault kind '504'; kinds: 429, 500, 502, 503, reset, stall",
        ),
        (["--faults", "502"], "--faults: '502' is not KIND=RATE"),
        (["--faults", "502=lots"], "--faults: the rate of 502 must be a number from 0 to 1, not 'lots'"),
        (["--faults", "502=1.5"], "--faults: the rate of 502 must be a number from 0 to 1, not 1.5"),
        (["--faults", "502=0.6,503=0.6"], "--faults: fault rates add up to 1.2, more than 1"),
        (["--faults", "502=0.1,502=0.2"], "--faults: fault kind 502 is given twice"),
        (["--faults", ""], "--faults: '' is not KIND=RATE"),
        (["--latency", "soon"], "--latency: latency must be SECONDS or MIN-MAX"),
        (["--latency", "0.5-0.1"], "--latency: a latency range needs 0 <= low <= high, not 0.5-0.1"),
        (["--latency", "-1"], "--latency: latency must be SECONDS or MIN-MAX"),
    ],
)
def test_bad_specs_are_one_line_usage_errors(args: list[str], message: str):
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--port", "0", *args], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"cfsync: error: {message}"), lines[0]
    assert result.stdout == ""


def test_serve_with_faults_latency_and_burst(tmp_path: Path):
    exe = Path(sys.executable).with_name("cfsync")
    args = ["sandbox", "serve", "--port", "0", "--workspaces", "1", "--faults", "503=1", "--fault-seed", "4"]
    args += [
        "--latency",
        "0.01-0.02",
        "--rate-limit",
        "0.001",
        "--rate-limit-burst",
        "2",
        "--stall-seconds",
        "5",
    ]
    with subprocess.Popen([str(exe), *args], stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().split()[3]
            lines = [proc.stdout.readline() for _ in range(5)]
            token = lines[0].split("token=")[1].split()[0]
            assert lines[4].strip() == (
                "misbehaving: latency 0.01-0.02 s; rate limit 0.001/s (burst 2); "
                "faults 503=1 (seed 4, stall 5 s)"
            )
            statuses = []
            for _ in range(3):
                request = urllib.request.Request(
                    f"{url}/api/v2/teams", headers={"Authorization": f"Bearer {token}", "User-Agent": "t"}
                )
                with pytest.raises(urllib.error.HTTPError) as failed:
                    urllib.request.urlopen(request, timeout=10)
                statuses.append(failed.value.code)
                failed.value.close()
            # The burst of 2 lets two requests reach the faults; the third is rate limited first.
            assert statuses == [503, 503, 429]
        finally:
            proc.terminate()
