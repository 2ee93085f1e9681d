"""What the write, push and api command tests share: a sandbox on a socket, a config file, the runner."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner, Result

from cfsync.cli import cli
from cfsync.sandbox import Sandbox
from cfsync.store.schema import metadata

TOKEN_ENV = "CF_TOKEN"


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
