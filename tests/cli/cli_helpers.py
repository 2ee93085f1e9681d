"""What the write, push and api command tests share: a sandbox on a socket, a config file, the runner."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner, Result

from cfsync.browse import DASHBOARD_PATH
from cfsync.cli import cli
from cfsync.sandbox import Sandbox
from cfsync.store.schema import metadata

TOKEN_ENV = "CF_TOKEN"


@contextlib.contextmanager
def browsing(workdir: Path, env: dict[str, str]) -> Iterator[str]:
    """`cfsync browse` run in `workdir` on a free port for the block: the dashboard URL it printed (and
    opens on). Then SIGTERM stops it as every command: exit 143, one line, no traceback."""
    command = [str(Path(sys.executable).with_name("cfsync")), "browse", "--port", "0", "--no-open"]
    with subprocess.Popen(
        command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        try:
            # An empty line: it stopped at once, and says why on stderr.
            assert line.startswith("browse: http://127.0.0.1:"), line or (
                proc.stderr.read() if proc.stderr else ""
            )
            assert line.endswith(f"{DASHBOARD_PATH}  (Ctrl-C stops it)\n"), line
            yield line.split()[1]
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert err.strip().splitlines() == ["cfsync: error: interrupted by SIGTERM"], (
        "no traceback, not even for 400s"
    )


def write_config(
    path: Path,
    url: str,
    *,
    workspaces: list[int] | None = None,
    db: str = "sqlite:///local.db",
    api: str = "",
) -> Path:
    sync = f"[sync]\nworkspaces = {json.dumps(workspaces)}\n" if workspaces is not None else ""
    path.write_text(
        f'[api]\nmode = "direct"\nbase_url = "{url}"\napi_key_env = "{TOKEN_ENV}"\n'
        f'requests_per_second = 1000\nmax_retries = 1\n{api}[database]\nurl = "{db}"\n{sync}'
    )
    return path


@dataclass
class Cli:
    """Runs `cfsync` in a work directory against one sandbox, and remembers every output it saw."""

    sb: Sandbox
    workdir: Path
    token: str
    outputs: list[str]

    def __call__(self, *args: str, input: str | None = None, token: str | None = None) -> Result:
        result = CliRunner().invoke(
            cli, list(args), env={TOKEN_ENV: token or self.token}, input=input, catch_exceptions=False
        )
        self.outputs.append(result.stdout + result.stderr)
        return result

    def json(self, *args: str, input: str | None = None) -> Any:
        result = self(*args, input=input)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    def row(self, table: str, id_: int) -> dict[str, Any] | None:
        engine = sa.create_engine(f"sqlite:///{self.workdir / 'local.db'}")
        t = metadata.tables[table]
        try:
            with engine.connect() as conn:
                found = conn.execute(sa.select(t).where(t.c.id == id_)).mappings().first()
        finally:
            engine.dispose()
        return dict(found) if found else None

    def count(self, table: str) -> int:
        db = self.workdir / "local.db"
        if not db.exists():
            return 0
        engine = sa.create_engine(f"sqlite:///{db}")
        try:
            with engine.connect() as conn:
                return int(conn.scalar(sa.select(sa.func.count()).select_from(metadata.tables[table])) or 0)
        finally:
            engine.dispose()


def one_error_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cfsync: error: ")
    assert "Traceback" not in result.output
    return lines[0]
