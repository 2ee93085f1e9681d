"""Fixtures the command tests share. Each test module defines its own `sb` (the sandbox it needs)."""

from __future__ import annotations

import pytest

from cfsync.sandbox import serve_in_thread

from .cli_helpers import Cli, write_config


@pytest.fixture
def url(sb):
    with serve_in_thread(sb) as url:
        yield url


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def ws(sb):
    return sb.workspace_ids(0)[0]


@pytest.fixture
def cf(sb, url, ws, tmp_path, monkeypatch):
    """`cfsync` in a work directory configured for the sandbox's first workspace."""
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path / "cfsync.toml", url, workspaces=[ws])
    runner = Cli(sb, tmp_path, sb.api_token(0), [])
    yield runner
    # Whatever a command printed, no API token ever shows.
    tokens = [sb.api_token(a) for a in range(sb.accounts)]
    assert not any(token in out for token in tokens for out in runner.outputs)
