"""Waiting is never silent: a `cfsync` process whose first request cannot reach its host says so at once
(host, port, the error, how long it keeps trying), again every CFSYNC_NOTICE_SECONDS while it keeps failing,
then gives up with one error line and its exit code. A host the DNS does not know fails at once.

Real processes, their stderr read line by line as it comes; a short retry budget (`max_retries = 3`: at
most 1 + 2 + 4 s of waits) keeps each case a few seconds.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

from .test_api_down import free_port

NOTICE = 1.0  # CFSYNC_NOTICE_SECONDS in these tests


def run_cfsync(workdir: Path, *args: str) -> tuple[list[tuple[float, str]], int]:
    """Each stderr line with the seconds since the start when it was read, and the exit code."""
    env = {**os.environ, "TOKEN": "cfsb-test-token", "CFSYNC_NOTICE_SECONDS": str(NOTICE)}
    env.pop("CFSYNC_CONFIG", None)
    started = time.monotonic()
    with subprocess.Popen(
        [sys.executable, "-m", "cfsync", *args],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stderr is not None
        lines = [(time.monotonic() - started, line.rstrip("\n")) for line in child.stderr]
        return lines, child.wait(timeout=30)


def config(workdir: Path, api: str) -> None:
    (workdir / "cfsync.toml").write_text(
        f'[api]\n{api}api_key_env = "TOKEN"\nmax_retries = 3\n[database]\nurl = "sqlite:///local.db"\n'
    )


def waiting_lines(lines: list[tuple[float, str]]) -> list[tuple[float, str]]:
    return [(at, line) for at, line in lines if "event=api_unreachable" in line]


def check_waiting(lines: list[tuple[float, str]], host: str, port: int, error: str) -> None:
    waits = waiting_lines(lines)
    assert waits, lines
    first_at, first = waits[0]
    # Said at once, before any waiting: the 3 waits take at least 0.5 + 1 + 2 s after it. (Not timed from
    # the start: importing cfsync alone takes seconds on a loaded machine.)
    assert lines[-1][0] - first_at > 3, lines
    assert lines.index(waits[0]) == 0, "the first line the process writes"
    assert f"host={host} port={port} " in first
    assert error in first
    assert "waited=0s" in first
    assert "gives_up_within=" in first
    assert "hint=" not in first, "no terminal here, so no Ctrl-C hint"
    # Then again while it keeps failing: the waits alone take at least 0.5 + 1 + 2 s.
    assert len(waits) >= 3, lines
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(waits)]
    assert all(gap > NOTICE / 2 for gap in gaps), gaps
    assert "waited=0s" not in waits[-1][1]
    assert all("Traceback" not in line for _, line in lines)


def test_a_sync_to_a_port_nothing_listens_on_says_so_at_once_then_every_few_seconds(tmp_path):
    port = free_port()
    config(tmp_path, f'mode = "direct"\nbase_url = "http://127.0.0.1:{port}"\n')
    lines, code = run_cfsync(tmp_path, "sync", "--resource", "contacts")
    check_waiting(lines, "127.0.0.1", port, f'error="connection refused by 127.0.0.1:{port}"')
    assert code == 1
    assert lines[-1][1].startswith(f"cfsync: error: sync failed: connection refused by 127.0.0.1:{port} (")


def test_connections_list_against_an_unreachable_maton_control_host(tmp_path):
    port = free_port()
    config(tmp_path, f'mode = "maton"\ncontrol_url = "http://127.0.0.1:{port}"\n')
    lines, code = run_cfsync(tmp_path, "connections", "list")
    check_waiting(lines, "127.0.0.1", port, f'error="connection refused by 127.0.0.1:{port}"')
    assert code == 1
    last = lines[-1][1]
    assert last.startswith("cfsync: error: gave up after 4 attempts, last: connection refused by "), last


def test_a_host_the_dns_does_not_know_fails_at_once_naming_the_setting(tmp_path):
    config(tmp_path, 'mode = "direct"\nbase_url = "https://nohost.invalid"\n')
    lines, code = run_cfsync(tmp_path, "sync")
    assert code == 2, lines
    assert len(lines) == 1, lines
    _, line = lines[0]
    assert line.startswith("cfsync: error: cannot connect to nohost.invalid:443: the host nohost.invalid")
    assert "check base_url of account 'default'" in line
    assert "event=api_unreachable" not in line, "no retries: a name that does not exist is a typo"
