"""Real `cfsync` processes stopped and failed the way schedulers and sick machines do it.

Signals at several points of a sync and of a push, a second signal, SIGKILL; a corrupt, read-only or full
SQLite database; PostgreSQL stopped and restarted mid-sync, or gone for good. Each case asserts what a
user sees (the exit code, one line, no traceback), what the run recorded, and that a rerun converges to
the sandbox exactly.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread
from cfsync.store.schema import sync_runs, sync_state
from tests.conftest import IN_CI
from tests.postgres import Server, find_bin_dir, throwaway

from .helpers import db_snapshot, sandbox_snapshot

TOKEN_ENV = "CFSYNC_NIGHT_TOKEN"
RESOURCES = ("contacts", "orders")


def config_text(url: str, db_url: str, extra: str = "") -> str:
    return (
        f'[api]\nmode = "direct"\nbase_url = "{url}"\napi_key_env = "{TOKEN_ENV}"\n'
        f"requests_per_second = 1000\nmax_retries = 2\n"
        f'[database]\nurl = "{db_url}"\n{extra}'
        f"[sync]\nresources = {list(RESOURCES)!r}\n".replace("'", '"')
    )


@pytest.fixture
def sb() -> Sandbox:
    # Latency makes a sync last long enough to be stopped at a chosen point.
    return Sandbox(SandboxConfig(seed=13, workspaces=2, counts={"contacts": 300, "orders": 80}, latency=0.15))


@pytest.fixture
def url(sb: Sandbox) -> Iterator[str]:
    with serve_in_thread(sb) as served:
        yield served


class Cfsync:
    """`cfsync` as a process of its own, in a work directory with a config for the sandbox."""

    def __init__(self, workdir: Path, token: str) -> None:
        self.workdir, self.token = workdir, token

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "cfsync", "--config", str(self.workdir / "cfsync.toml"), *args],
            cwd=self.workdir,
            env={**os.environ, TOKEN_ENV: self.token},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, timeout: float = 120) -> tuple[int, str, str]:
        proc = self.start(*args)
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out, err


def one_line(stderr: str) -> str:
    """The last line of stderr: `cfsync: error: ...`; no traceback anywhere."""
    assert "Traceback" not in stderr, stderr
    line = stderr.strip().splitlines()[-1]
    assert line.startswith("cfsync: error: "), stderr
    return line


def wait_for_requests(sb: Sandbox, n: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(sb.requests) < n:
        assert time.monotonic() < deadline, f"only {len(sb.requests)} requests after {timeout} s"
        time.sleep(0.01)


def runs(db_url: str) -> list[str]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(sa.select(sync_runs.c.status).order_by(sync_runs.c.id)))
    finally:
        engine.dispose()


def partitions_running(db_url: str) -> int:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).where(sync_state.c.status == "running")) or 0)
    finally:
        engine.dispose()


def count_contacts(db_url: str) -> int:
    engine = sa.create_engine(db_url)
    try:
        return len(db_snapshot(engine)["contacts"])
    finally:
        engine.dispose()  # no file left open: the filesystem is remounted next


def converges(cf: Cfsync, sb: Sandbox, db_url: str) -> None:
    """A rerun succeeds and the database equals the sandbox: nothing lost, nothing twice. (The latency that
    let a test stop the sync at a chosen point is of no use to the rerun.)"""
    sb.faults.latency = 0.0
    code, _, err = cf.run("sync")
    assert code == 0, err
    engine = sa.create_engine(db_url)
    try:
        assert db_snapshot(engine) == sandbox_snapshot(sb, names=RESOURCES)
    finally:
        engine.dispose()


@pytest.fixture
def cf(sb: Sandbox, url: str, tmp_path: Path) -> Cfsync:
    (tmp_path / "cfsync.toml").write_text(config_text(url, f"sqlite:///{tmp_path}/night.db"))
    return Cfsync(tmp_path, sb.api_token(0))


# -- signals -------------------------------------------------------------------------------------------


# Every signal and every point once: the three signals share one handler, so the points (requests seen: the
# teams list, workspaces, mid-pages) need not be crossed with each of them.
@pytest.mark.parametrize(("sig", "after"), [(signal.SIGTERM, 1), (signal.SIGINT, 6), (signal.SIGHUP, 20)])
def test_a_signal_stops_a_sync_cleanly_and_a_rerun_converges(cf, sb, tmp_path, sig, after):
    db_url = f"sqlite:///{tmp_path}/night.db"
    proc = cf.start("sync")
    wait_for_requests(sb, after)
    started = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 5, "stopped within a few seconds"
    assert proc.returncode == 128 + sig.value
    line = one_line(err)
    assert line.startswith(f"cfsync: error: interrupted by {sig.name}: run 1 recorded as interrupted after ")
    assert runs(db_url) == ["interrupted"]
    assert partitions_running(db_url) == 0
    converges(cf, sb, db_url)


def test_a_second_signal_stops_at_once_and_the_run_is_then_abandoned(cf, sb, tmp_path):
    db_url = f"sqlite:///{tmp_path}/night.db"
    sb.faults.latency = 1.0  # every request in flight for a second
    proc = cf.start("sync")
    wait_for_requests(sb, 3)
    proc.send_signal(signal.SIGTERM)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    # Both may be pending when the process next runs: the kernel then delivers SIGINT (2) first.
    assert proc.returncode in (130, 143)
    assert "stopped at once" in one_line(err)
    code, out, err = cf.run("status", "--json")
    assert code == 0, err
    assert "abandoned" in out or "interrupted" in out
    assert "running" not in {r["status"] for r in json.loads(out)["runs"]}
    converges(cf, sb, db_url)


@pytest.mark.parametrize("after", [2, 15])
def test_sigkill_leaves_a_run_that_the_next_status_marks_abandoned(cf, sb, tmp_path, after):
    db_url = f"sqlite:///{tmp_path}/night.db"
    proc = cf.start("sync")
    wait_for_requests(sb, after)
    proc.kill()
    proc.communicate(timeout=30)
    assert runs(db_url) == ["running"]  # what the killed process left
    code, out, err = cf.run("status")
    assert code == 0, err
    assert " abandoned " in out
    assert runs(db_url) == ["abandoned"]
    assert partitions_running(db_url) == 0
    converges(cf, sb, db_url)
    assert runs(db_url) == ["abandoned", "succeeded"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_a_push_with_a_results_file_that_says_what_was_done(cf, sb, tmp_path, sig):
    ws = sb.workspace_ids(0)[0]
    leads = tmp_path / "leads.csv"
    with leads.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["email_address", "first_name"])
        writer.writerows([f"night{n}@example.com", f"N{n}"] for n in range(120))
    before = len(sb.records("contacts", workspace_id=ws))
    proc = cf.start("push", "contacts", str(leads), "--workspace", str(ws), "--workers", "4")
    upserts = len(sb.requests) + 30
    wait_for_requests(sb, upserts)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + sig.value
    assert f"interrupted by {sig.name}: " in one_line(err)
    results = tmp_path / "leads.csv.results.csv"
    with results.open(newline="") as f:
        reported = list(csv.DictReader(f))
    assert reported, "rows done before the signal are in the results file"
    assert all(r["outcome"] in ("created", "updated") and r["id"] for r in reported)
    assert len(reported) < 120

    code, _, err = cf.run("push", "contacts", str(leads), "--workspace", str(ws))
    assert code == 0, err
    assert f"done_before={len(reported)}" in err
    with results.open(newline="") as f:
        last = {int(r["row"]): r for r in csv.DictReader(f)}
    assert sorted(last) == list(range(2, 122)), "every row reported, each once"
    assert {r["outcome"] for r in last.values()} <= {"created", "updated"}
    emails = [c["email_address"] for c in sb.records("contacts", workspace_id=ws)]
    assert len(emails) == before + 120
    assert len(set(emails)) == len(emails), "no contact twice"


# -- a sick SQLite database ----------------------------------------------------------------------------


def test_a_corrupt_database_is_one_line_and_exit_5(cf, sb, tmp_path):
    db = tmp_path / "night.db"
    assert cf.run("sync")[0] == 0
    data = bytearray(db.read_bytes())
    data[100:8192] = os.urandom(8092)  # the header's tail and the schema page
    db.write_bytes(bytes(data))
    for args in (("sync",), ("status",)):
        code, _, err = cf.run(*args)
        assert code == 5, err
        assert "is corrupt" in one_line(err)
        assert "move it aside" in one_line(err)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    converges(cf, sb, f"sqlite:///{db}")


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A small filesystem of its own, mounted at `path` (root only: skipped where mounting is refused)."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a filesystem here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True)


def test_a_read_only_database_is_one_line_and_nothing_is_lost(sb, url, tmp_path):
    with tmpfs(tmp_path / "ro", "64m") as ro:
        db_url = f"sqlite:///{ro}/night.db"
        (tmp_path / "cfsync.toml").write_text(config_text(url, db_url))
        cf = Cfsync(tmp_path, sb.api_token(0))
        assert cf.run("sync")[0] == 0
        rows = count_contacts(db_url)
        ws = sb.workspace_ids(0)[0]
        sb.create("contacts", {"email_address": "late@example.com"}, workspace_id=ws)
        remount(ro, "ro")
        code, _, err = cf.run("sync")
        assert code == 5
        line = one_line(err)
        assert "read-only" in line.lower(), line
        remount(ro, "rw")
        assert count_contacts(db_url) == rows
        converges(cf, sb, db_url)


def test_a_full_disk_stops_the_sync_with_one_line_and_a_rerun_converges(url, tmp_path):
    sb = Sandbox(SandboxConfig(seed=13, workspaces=2, counts={"contacts": 3000, "orders": 80}))
    # Room for the schema (about 0.7 MB) and its journal, not for the 6,000 contacts.
    with serve_in_thread(sb) as big, tmpfs(tmp_path / "small", "4m") as small:
        db_url = f"sqlite:///{small}/night.db"
        (tmp_path / "cfsync.toml").write_text(config_text(big, db_url))
        cf = Cfsync(tmp_path, sb.api_token(0))
        code, _, err = cf.run("sync")
        assert code == 5, err
        assert "is full" in one_line(err)
        remount(small, "size=256m")
        code, out, err = cf.run("status")
        assert code == 0, err
        assert " running " not in out
        converges(cf, sb, db_url)


# -- PostgreSQL that goes away -------------------------------------------------------------------------


@pytest.fixture
def own_postgres() -> Iterator[Server]:
    """A PostgreSQL server of this test's own, to stop and start."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if IN_CI:
            pytest.fail("PostgreSQL is required under CI=true: initdb not found", pytrace=False)
        pytest.skip("initdb not found")
    with throwaway(bin_dir) as server:
        yield server


@pytest.mark.postgres
@pytest.mark.timeout(180)
def test_postgres_restarted_mid_sync_is_retried_and_the_run_goes_on(sb, url, tmp_path, own_postgres):
    db_url = own_postgres.url
    (tmp_path / "cfsync.toml").write_text(config_text(url, db_url))
    cf = Cfsync(tmp_path, sb.api_token(0))
    proc = cf.start("sync")
    wait_for_requests(sb, 15)
    own_postgres.stop("fast")
    time.sleep(2)
    own_postgres.start()
    _, err = proc.communicate(timeout=150)
    assert proc.returncode == 0, err
    assert "event=database_unavailable" in err
    assert "Traceback" not in err
    assert runs(db_url) == ["succeeded"]
    engine = sa.create_engine(db_url)
    try:
        assert db_snapshot(engine) == sandbox_snapshot(sb, names=RESOURCES)
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.timeout(180)
def test_postgres_gone_for_good_ends_the_sync_with_exit_5_and_status_says_abandoned(
    sb, url, tmp_path, own_postgres
):
    db_url = own_postgres.url
    (tmp_path / "cfsync.toml").write_text(config_text(url, db_url, "retry_seconds = 3\n"))
    cf = Cfsync(tmp_path, sb.api_token(0))
    proc = cf.start("sync")
    wait_for_requests(sb, 15)
    own_postgres.stop("immediate")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 5, err
    line = one_line(err)
    assert "is unavailable" in line
    assert "postgresql+psycopg://cfsync@127.0.0.1" in line
    code, _, err = cf.run("status")
    assert code == 5
    assert "is unavailable" in one_line(err)
    own_postgres.start()
    code, out, err = cf.run("status")
    assert code == 0, err
    assert " abandoned " in out
    converges(cf, sb, db_url)


# -- the other long-running commands -------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_api_paginate_stops_on_a_signal(cf, sb, sig):
    sb.faults.latency = 0.5
    proc = cf.start("api", f"/workspaces/{sb.workspace_ids(0)[0]}/contacts", "--paginate")
    wait_for_requests(sb, 2)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + sig.value
    assert one_line(err) == f"cfsync: error: interrupted by {sig.name}"
    assert out == "", "nothing half-printed"


@pytest.mark.parametrize(
    ("args", "ready", "sig"),
    [
        (["sandbox", "serve", "--port", "0"], "sandbox listening on", signal.SIGTERM),
        (["sandbox", "serve", "--port", "0"], "sandbox listening on", signal.SIGHUP),
        (["demo", "--db", "demo.db", "--no-progress"], "sandbox: a ClickFunnels stand-in", signal.SIGINT),
    ],
)
def test_servers_and_the_demo_stop_on_a_signal(tmp_path, args, ready, sig):
    proc = subprocess.Popen(
        [sys.executable, "-m", "cfsync", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert ready in proc.stdout.readline()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + sig.value
    assert one_line(err).startswith(f"cfsync: error: interrupted by {sig.name}")
