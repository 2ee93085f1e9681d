"""What a run shows: the live display on a terminal and the log lines under cron."""

from __future__ import annotations

import io
import logging

from rich.console import Console

from cfsync import app
from cfsync.progress import LogReporter, RichReporter, logfmt
from cfsync.sandbox import Sandbox, SandboxConfig, SandboxServer

from .helpers import config_for


async def sync_with(reporter, tmp_path, forbid: str | None = None, latency: float = 0.0):
    sb = Sandbox(SandboxConfig(seed=3, workspaces=1, counts={"contacts": 41}, latency=latency))
    if forbid:
        sb.faults.forbid(forbid)
    async with SandboxServer(sb) as server:
        config = config_for(server.url, sb.api_token(0), f"sqlite:///{tmp_path}/p.db")
        return await app.sync(config, ["contacts", "images"], reporter=reporter)


async def test_terminal_display_folds_what_is_done_and_names_what_failed(tmp_path):
    out = io.StringIO()
    reporter = RichReporter(Console(file=out, force_terminal=True, width=120))
    summary = await sync_with(reporter, tmp_path, forbid="/images$")
    text = out.getvalue()
    rows = summary.rows_written()
    assert f"✓ 4 of 4 resources done, {rows:,} rows, 1 partitions failed" in text
    assert "default/images workspace=" in text
    assert "HTTP 403" in text
    # A second run on the same reporter starts a fresh display.
    await sync_with(reporter, tmp_path)


async def test_log_lines_under_cron(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="cfsync")
    # Latency makes the run outlast a tick (a second): the progress line comes whether or not pages do.
    await sync_with(LogReporter(every=0.0), tmp_path, forbid="/images$", latency=0.4)
    lines = [
        r.getMessage() for r in caplog.records if r.levelno >= logging.INFO or "run_started" in r.getMessage()
    ]
    assert lines[0].startswith("event=run_started run=1 resources=teams,workspaces,contacts,images")
    progress = [line for line in lines if line.startswith("event=progress partitions=")]
    assert progress
    assert all(f" {key}=" in progress[0] for key in ("rows", "requests", "rate_limited", "pace", "open"))
    assert any(
        line.startswith('event=partition_failed partition="default/images workspace=') for line in lines
    )
    assert lines[-1].startswith("event=run_finished run=1 status=partial")
    assert "inserted=" in lines[-1]


def test_logfmt_quotes_what_needs_it():
    assert logfmt(a=1, b="two words", c="", d='q"x') == 'a=1 b="two words" c="" d="q\\"x"'
