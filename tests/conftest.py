"""Fixtures shared by every test: databases (SQLite and a real PostgreSQL) and a clean environment."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.postgres import find_bin_dir, fresh_database, throwaway_server

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> None:
    """Skip locally; under CI a PostgreSQL test that cannot run is a failure, never a silent skip."""
    if IN_CI:
        pytest.fail(f"PostgreSQL is required under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of a PostgreSQL server: $CFSYNC_TEST_POSTGRES_URL, else a throwaway one started here."""
    existing = os.environ.get("CFSYNC_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        _unavailable("initdb not found on PATH or in /usr/lib/postgresql/*/bin")
        return
    try:
        server = throwaway_server(bin_dir)
        url = server.__enter__()
    except RuntimeError as exc:
        _unavailable(str(exc))
        return
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    with fresh_database(postgres_server) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """Each test that takes this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/cfsync.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's own keys or config."""
    for name in ("CFSYNC_CONFIG", "CFSYNC_DATABASE_URL", "MATON_API_KEY", "CLICKFUNNELS_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
