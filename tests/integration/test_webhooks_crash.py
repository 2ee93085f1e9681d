"""`cfsync webhooks serve` stopped (SIGKILL, SIGTERM, SIGHUP) in the middle of a burst, then restarted:
every delivery it answered 2xx is stored and applied, once."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from .webhook_helpers import SECRET, SECRET_ENV, WS, contact_event, deliver, events_table

CFSYNC = str(Path(sys.executable).with_name("cfsync"))


def write_config(path: Path, db_url: str) -> Path:
    path.write_text(
        f'[database]\nurl = "{db_url}"\n[webhooks]\nport = 0\n'
        f'[webhooks.workspace_secrets]\n"{WS}" = "{SECRET_ENV}"\n'
    )
    return path


@contextmanager
def serving(config: Path, log: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`cfsync webhooks serve` as its own process; yields it and its /webhooks URL once it listens."""
    env = {**os.environ, SECRET_ENV: SECRET}
    with log.open("a") as err:
        proc = subprocess.Popen(
            [CFSYNC, "--config", str(config), "webhooks", "serve"],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
        )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on" in line, (line, log.read_text())
        yield proc, line.split("listening on ", 1)[1].split()[0]
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(30)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.timeout(180)
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
async def test_stopped_mid_burst_loses_nothing_answered(db_url, tmp_path, sig):
    """SIGKILL: nothing runs after it. SIGTERM, SIGHUP: the receiver finishes the deliveries it is
    committing and exits 128 + the signal; either way, every delivery answered 2xx is stored."""
    rng = random.Random(9)
    events = [contact_event(2000 + c, v, first_name=f"{c}-v{v}") for c in range(150) for v in range(1, 11)]
    rng.shuffle(events)
    config = write_config(tmp_path / "cfsync.toml", db_url)
    log = tmp_path / "serve.log"
    acked: set[str] = set()
    refused: list[tuple[int, object]] = []

    with serving(config, log) as (proc, url):
        queue = list(reversed(events))

        async def sender() -> None:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
                while queue:
                    event = queue.pop()
                    try:
                        answer = await deliver(session, url, event)
                    except (aiohttp.ClientError, TimeoutError):
                        continue  # no answer: the sender would retry it later
                    if answer.status == 200:
                        acked.add(event["event_id"])
                        if len(acked) == 600:
                            proc.send_signal(sig)  # mid-burst: other deliveries are in flight
                    else:
                        refused.append((answer.status, answer.body))

        await asyncio.gather(*(sender() for _ in range(8)))
        assert proc.wait(10) == (-9 if sig == signal.SIGKILL else 128 + sig.value)
    assert refused == []
    assert 600 <= len(acked) < len(events)

    engine = sa.create_engine(db_url)
    try:
        stored = {e["event_id"] for e in events_table(engine)}
        assert acked <= stored  # committed before answered
        with serving(config, log) as (_, url):
            # The restart applied everything left pending before it listened.
            after_restart = events_table(engine)
            assert acked <= {e["event_id"] for e in after_restart}
            assert {e["status"] for e in after_restart} <= {"applied", "stale"}
            # The sender retries what got no answer (and, harmlessly, some that did).
            retry = [e for e in events if e["event_id"] not in acked] + rng.sample(
                [e for e in events if e["event_id"] in acked], 100
            )
            async with aiohttp.ClientSession() as session:
                answers = [await deliver(session, url, e) for e in retry]
            assert {a.status for a in answers} == {200}
            assert sum(a.body["status"] == "duplicate" for a in answers) >= 100
            for _ in range(500):
                final = events_table(engine)
                if all(e["status"] != "pending" for e in final):
                    break
                await asyncio.sleep(0.02)
        assert len(final) == len(events)
        assert {e["status"] for e in final} <= {"applied", "stale"}
        with engine.connect() as conn:
            names = dict(conn.execute(sa.text("SELECT id, first_name FROM contacts")).all())
        assert names == {2000 + c: f"{c}-v10" for c in range(150)}
    finally:
        engine.dispose()
    assert "Traceback" not in log.read_text()
