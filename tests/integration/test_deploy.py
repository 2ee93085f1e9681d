"""The deployment files run as they ship: the cron job's command under cron's bare environment against the
sandbox (a sync, then the same without the key file), and the image built and started where a container
engine is at hand."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread
from tests.deploy_files import DEPLOY, ROOT, cron_command, dockerfile, installed

TOKEN_ENV = "CF_DEPLOY_TOKEN"
COUNTS = {"contacts": 30}


def config_text(url: str) -> str:
    return (
        f'[api]\nmode = "direct"\nbase_url = "{url}"\napi_key_env = "{TOKEN_ENV}"\n'
        'requests_per_second = 500\nmax_retries = 1\n[database]\nurl = "sqlite:///cfsync.db"\n'
        '[sync]\nresources = ["contacts"]\n'
    )


def lay_out(root: Path, url: str, token: str) -> None:
    """deploy/'s cron files, key file and a config, installed under root as the docs say."""
    for folder in ("etc/cfsync", "var/lib/cfsync", "var/log/cfsync", "usr/local/bin", "home/cfsync"):
        (root / folder).mkdir(parents=True)
    (root / "etc/cfsync/cfsync.toml").write_text(config_text(url))
    env = installed((DEPLOY / "cfsync.env").read_text(), root)
    env_file = root / "etc/cfsync/env"
    env_file.write_text(env.replace("MATON_API_KEY=\n", f"{TOKEN_ENV}={token}\n"))
    env_file.chmod(0o600)
    wrapper = root / "usr/local/bin/cfsync-cron"
    wrapper.write_text(installed((DEPLOY / "cron" / "cfsync-cron").read_text(), root))
    wrapper.chmod(0o755)


def as_cron(root: Path) -> subprocess.CompletedProcess[str]:
    """The job's command as cron runs it: /bin/sh -c, PATH=/usr/bin:/bin, HOME, SHELL, LOGNAME, no more."""
    home = root / "home/cfsync"
    environment = [f"HOME={home}", "PATH=/usr/bin:/bin", "SHELL=/bin/sh", "LOGNAME=cfsync"]
    return subprocess.run(
        ["/usr/bin/env", "-i", *environment, "/bin/sh", "-c", installed(cron_command(), root)],
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_cron_job_syncs_under_crons_environment_and_says_why_not_without_its_key_file(tmp_path):
    sb = Sandbox(SandboxConfig(seed=19, accounts=1, workspaces=1, counts=COUNTS))
    token = sb.api_token(0)
    log = tmp_path / "var/log/cfsync/cfsync.log"
    with serve_in_thread(sb) as url:
        lay_out(tmp_path, url, token)
        done = as_cron(tmp_path)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), "all of it goes to the log"
        lines = log.read_text().splitlines()
        assert "event=run_finished" in lines[-2], lines[-3:]
        assert "status=succeeded" in lines[-2]
        assert lines[-1].endswith(" level=info event=cron_exit code=0")
        engine = sa.create_engine(f"sqlite:///{tmp_path}/var/lib/cfsync/cfsync.db")
        try:
            with engine.connect() as conn:
                contacts = conn.scalar(sa.text("SELECT count(*) FROM contacts"))
        finally:
            engine.dispose()
        assert contacts == len(sb.records("contacts", workspace_id=sb.workspace_ids(0)[0])) > 0

        (tmp_path / "etc/cfsync/env").unlink()
        done = as_cron(tmp_path)
    assert done.returncode == 2
    new = log.read_text().splitlines()[len(lines) :]
    assert new[0].startswith("cfsync: error: config: environment variable MATON_API_KEY ")
    assert len(new) == 2, new
    assert new[1].endswith(" level=error event=cron_exit code=2")
    assert token not in log.read_text()


# -- the image ---------------------------------------------------------------------------------------------

BASE = [r.split()[0] for i, r in dockerfile() if i == "FROM"][-1]
NO_ENGINE = "a container engine is not something CI has either"


def _engine_missing() -> str | None:
    """Why the image cannot be built here, or None."""
    docker = shutil.which("docker")
    if docker is None:
        return f"no docker on this machine ({NO_ENGINE})"
    info = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=60)
    if info.returncode != 0:
        return f"docker's daemon is not running ({NO_ENGINE}): {_last_line(info.stderr)}"
    if subprocess.run([docker, "image", "inspect", BASE], capture_output=True, timeout=60).returncode:
        pull = subprocess.run([docker, "pull", BASE], capture_output=True, text=True, timeout=600)
        if pull.returncode:
            return (
                f"the base image {BASE} is not here and cannot be pulled (no registry reachable; "
                f"{NO_ENGINE}): {_last_line(pull.stderr)}"
            )
    return None


def _last_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[-1]


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def state(container: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(docker("inspect", container).stdout)[0]["State"]
    return found


def test_the_image_builds_serves_healthz_and_stops_on_sigterm(tmp_path):
    reason = _engine_missing()
    if reason:
        pytest.skip(reason)
    if not _free(8788):
        pytest.skip("port 8788, the image's health check's, is taken on this machine")
    tag = f"cfsync:test-{os.getpid()}"
    build = docker("build", "-t", tag, str(ROOT), timeout=900)
    assert build.returncode == 0, build.stderr[-2000:]
    sb = Sandbox(SandboxConfig(seed=19, accounts=1, workspaces=1, counts=COUNTS))
    name = f"cfsync-test-{os.getpid()}"
    try:
        with serve_in_thread(sb) as url:
            (tmp_path / "cfsync.toml").write_text(config_text(url) + '[run]\ninterval = "1h"\n')
            (tmp_path / "cfsync.toml").chmod(0o644)
            tmp_path.chmod(0o755)  # mounted at /etc/cfsync, read by the image's user
            # The host's network, so the container reaches the sandbox on 127.0.0.1; the image's own CMD.
            keys = ["-e", f"{TOKEN_ENV}={sb.api_token(0)}", "-e", "CFSYNC_CONFIG=/etc/cfsync/cfsync.toml"]
            mount = ["-v", f"{tmp_path}:/etc/cfsync:ro"]
            started = docker(
                "run",
                "-d",
                "--name",
                name,
                "--network",
                "host",
                "--health-interval",
                "2s",
                *keys,
                *mount,
                tag,
            )
            assert started.returncode == 0, started.stderr
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and state(name).get("Health", {}).get("Status") != "healthy":
                time.sleep(1)
            assert state(name)["Health"]["Status"] == "healthy"
            with urllib.request.urlopen("http://127.0.0.1:8788/healthz", timeout=10) as reply:
                assert json.loads(reply.read())["ok"] is True
            assert docker("stop", "-t", "30", name).returncode == 0
            assert state(name)["ExitCode"] == 143
            logs = docker("logs", name).stderr
            assert logs.strip().splitlines()[-1].startswith("cfsync: error: interrupted by SIGTERM")
    finally:
        docker("rm", "-f", "-v", name)
        docker("rmi", "-f", tag)
