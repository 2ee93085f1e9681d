"""The first example of docs/python.md, run as written against the sandbox on a socket."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import sqlalchemy as sa

from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread

PYTHON_MD = Path(__file__).resolve().parents[2] / "docs" / "python.md"


def test_the_python_example_runs_as_written(tmp_path, monkeypatch):
    [example] = re.findall(r"```python\n(.*?)```", PYTHON_MD.read_text(), re.DOTALL)[:1]
    sb = Sandbox(SandboxConfig(seed=11, workspaces=1, counts={"contacts": 30}))
    ws = sb.workspace_ids(0)[0]
    with serve_in_thread(sb) as url:
        (tmp_path / "cfsync.toml").write_text(
            f'[api]\nmode = "direct"\nbase_url = "{url}"\napi_key_env = "DOC_TOKEN"\n'
            f'requests_per_second = 500\n[database]\nurl = "sqlite:///doc.db"\n[sync]\nworkspaces = [{ws}]\n'
        )
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("DOC_TOKEN", sb.api_token(0))
        monkeypatch.delenv("CFSYNC_CONFIG", raising=False)
        monkeypatch.delenv("CFSYNC_DATABASE_URL", raising=False)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(example, str(PYTHON_MD), "exec"), {})
    synced, written = out.getvalue().splitlines()
    assert synced.startswith("succeeded {'inserted': ")
    verb, record_id = written.split()
    assert verb == "created"
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'doc.db'}")
    with engine.connect() as conn:
        email = conn.scalar(
            sa.text("SELECT email_address FROM contacts WHERE id = :id"), {"id": int(record_id)}
        )
    engine.dispose()
    assert email == "ann@example.com", "the written contact is in the database already"
