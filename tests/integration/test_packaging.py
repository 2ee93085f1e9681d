"""`cfsync db upgrade` and `cfsync init` from a built wheel, not from the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cfsync.store.migrate import head_revision

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [built] = out.glob("cfsync-*.whl")
    return built


def test_wheel_ships_migrations_example_and_facts(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "cfsync/migrations/env.py" in names
    assert "cfsync/migrations/script.py.mako" in names
    assert any(n.startswith("cfsync/migrations/versions/0001") for n in names)
    assert "cfsync/config.example.toml" in names
    assert "cfsync/resources/api_facts_2026.json" in names


def test_db_upgrade_and_init_from_the_installed_wheel(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "CFSYNC_DATABASE_URL": f"sqlite:///{work}/w.db"}
    script = (
        "import sys, cfsync; print(cfsync.__file__);"
        "from cfsync.cli import main; sys.argv = ['cfsync'] + sys.argv[1:]; main()"
    )
    for args in (["db", "upgrade"], ["init"]):
        done = subprocess.run(
            [sys.executable, "-c", script, *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[0].startswith(str(site)), "imported from the wheel, not the checkout"
    assert (
        f"is at revision {head_revision()}"
        in subprocess.run(
            [sys.executable, "-c", script, "db", "upgrade"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    )
    assert (work / "cfsync.toml").read_text() == (ROOT / "config.example.toml").read_text()
