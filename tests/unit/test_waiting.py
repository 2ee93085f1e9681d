"""The lines that say a host cannot be reached yet, on a fake clock: at once, every `every` seconds while
waiting, the host answering; and the Ctrl-C hint a terminal adds."""

from __future__ import annotations

import asyncio
import logging

from cfsync.cli.base import _stop_hint
from cfsync.client.waiting import Waiting


def test_said_at_once_then_every_interval_while_waiting_then_reached(caplog):
    caplog.set_level(logging.INFO, logger="cfsync.wait")
    clock = [100.0]

    async def sleep(seconds: float) -> None:
        clock[0] += seconds

    waiting = Waiting(every=15.0)
    waiting.failed(clock[0], "acme.example:443", "connection refused", until=clock[0] + 100)
    waiting.failed(clock[0] + 1, "acme.example:443", "connection refused", until=clock[0] + 90)
    asyncio.run(waiting.sleep(40.0, lambda: clock[0], sleep, "acme.example:443", "connection refused"))
    waiting.reached(clock[0], "acme.example:443")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4, lines  # at 0 s, 15 s, 30 s, then reached at 40 s
    assert lines[0].startswith("event=api_unreachable host=acme.example port=443 error=")
    assert "waited=0s gives_up_within=1m40s" in lines[0]
    assert "waited=15s gives_up_within=1m25s" in lines[1], "the latest deadline counts"
    assert "waited=30s" in lines[2]
    assert lines[3] == "event=api_reached host=acme.example:443 waited=40s"
    assert all(getattr(r, "stoppable", False) for r in caplog.records[:3])


def test_a_terminal_adds_how_to_stop_to_waiting_lines_only():
    waiting = logging.LogRecord("cfsync.wait", logging.INFO, "", 0, "event=api_unreachable %s", ("x",), None)
    waiting.stoppable = True
    other = logging.LogRecord("cfsync.sync", logging.INFO, "", 0, "event=progress", (), None)
    assert _stop_hint(waiting)
    assert _stop_hint(other)
    assert waiting.getMessage() == 'event=api_unreachable x hint="Ctrl-C to stop"'
    assert other.getMessage() == "event=progress"
