"""Bursts: every request answered one status for a while, at set times (a gateway shedding load, a proxy
that is down), and 429s at a share whatever the pace together with a real limit."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from cfsync.cli import cli
from cfsync.sandbox import Burst, Fault, Faults, Sandbox, SandboxConfig, SandboxServer, parse_bursts


@pytest.fixture
def control(sandbox: Sandbox, sandbox_server: SandboxServer, api_for: Any) -> Any:
    return api_for(sandbox_server.url, sandbox.control_token, prefix="/_sandbox")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_on_for_its_seconds_every_period():
    burst = Burst("429", seconds=3, every=30)
    on = [t for t in range(0, 100) if burst.active(t)]
    assert on == [30, 31, 32, 60, 61, 62, 90, 91, 92]
    early = Burst("502", seconds=60, every=600, offset=5)
    assert not early.active(4.9)
    assert early.active(5)
    assert early.active(64.9)
    assert not early.active(65)


def test_faults_time_bursts_from_when_they_are_set():
    clock = Clock()
    faults = Faults(SandboxConfig(bursts=(Burst("429", 2, 10),)), monotonic=clock)
    kinds = []
    for _ in range(25):
        fault = faults.burst()
        kinds.append(fault.kind if fault else "")
        clock.now += 1
    assert kinds == [""] * 10 + ["429"] * 2 + [""] * 8 + ["429"] * 2 + [""] * 3
    faults.set_bursts((Burst("503", 1, 5, offset=0),))
    assert faults.burst() == Fault("503")
    faults.clear()
    assert faults.burst() is None


def test_burst_specs_parse():
    assert parse_bursts("429:3/30, 502:60/600+10") == (
        Burst("429", 3, 30),
        Burst("502", 60, 600, 10),
    )
    assert [str(b) for b in parse_bursts("429:3/30,502:60/600+10")] == ["429:3/30", "502:60/600+10"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("429", "'429' is not KIND:SECONDS/EVERY[+OFFSET]"),
        ("429:3", "'429:3' is not KIND:SECONDS/EVERY[+OFFSET]"),
        ("reset:3/30", "a burst answers one of 429, 500, 502, 503, not 'reset'"),
        ("429:40/30", "a burst needs 0 < seconds <= every, not 40/30"),
        ("429:0/30", "a burst needs 0 < seconds <= every"),
        ("429:3/inf", "a burst needs 0 < seconds <= every"),
        ("429:3/30+-1", "a burst's offset must be 0 or more seconds"),
        ("429:a/30", "'429:a/30' is not KIND:SECONDS/EVERY[+OFFSET]"),
    ],
)
def test_bad_burst_specs_are_one_line_errors(spec: str, message: str):
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--port", "0", "--bursts", spec])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cfsync: error: --bursts: "), lines[0]
    assert message in lines[0]


async def test_a_burst_answers_every_request_then_stops(sandbox: Sandbox, sandbox_api: Any):
    sandbox.faults.set_bursts((Burst("502", 0.5, 1000, offset=0),))
    replies = [await sandbox_api.get("/teams") for _ in range(3)]
    assert [r.status for r in replies] == [502, 502, 502]
    assert all(r.headers["Content-Type"].startswith("text/html") for r in replies)
    assert [r.fault for r in list(sandbox.requests)[-3:]] == ["502"] * 3
    sandbox.faults.set_bursts(())
    assert (await sandbox_api.get("/teams")).status == 200


async def test_429s_at_a_share_and_a_real_limit_at_once(sandbox: Sandbox, sandbox_api: Any):
    sandbox.faults.rate_limit(0.001, burst=30)
    sandbox.faults.set_rates({"429": 0.5}, seed=3)
    statuses = [(await sandbox_api.get("/teams")).status for _ in range(40)]
    assert 5 <= statuses[:30].count(429) <= 25, "the random share, while the bucket lasts"
    assert statuses[30:] == [429] * 10, "then the limit, whatever the draw"


async def test_bursts_through_the_control_api(sandbox: Sandbox, sandbox_api: Any, control: Any):
    burst = {"kind": "429", "seconds": 5, "every": 60, "offset": 0}
    reply = await control.post("/bursts", {"bursts": [burst]})
    assert (reply.status, reply.body) == (200, {"bursts": ["429:5/60+0"]})
    assert (await sandbox_api.get("/teams")).status == 429
    assert (await control.post("/bursts", {"bursts": []})).status == 200
    assert (await sandbox_api.get("/teams")).status == 200
    for bad in (
        {},
        {"bursts": "429:3/30"},
        {"bursts": [{"kind": "429", "seconds": 3}]},
        {"bursts": [{"kind": "reset", "seconds": 3, "every": 30}]},
        {"bursts": [{"kind": "429", "seconds": 40, "every": 30}]},
        {"bursts": [{"kind": "429", "seconds": 3, "every": 30, "when": 1}]},
    ):
        assert (await control.post("/bursts", bad)).status == 400, bad
