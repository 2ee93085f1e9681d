"""Fixtures shared by every test: databases (SQLite and a real PostgreSQL) and a clean environment."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cfsync.store import Store
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "empty_db: `db_url` is an empty database (the default: one already migrated to the head)"
    )


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    with fresh_database(postgres_server) as url:
        yield url


# Migrating an empty database to the head costs seconds (more on PostgreSQL: a round trip per table, index
# and view): each test process migrates once, and a test that takes `db_url` gets a copy of that database.
# Migrations themselves are tested from empty databases (`postgres_url`, files of their own, `empty_db`).


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the head, closed (no -wal beside it): copied, it is a migrated database."""
    path = tmp_path_factory.mktemp("migrated") / "cfsync.db"
    store = Store.open(f"sqlite:///{path}")
    try:
        store.migrate()
    finally:
        store.close()
    assert not Path(f"{path}-wal").exists(), "the template's WAL was not checkpointed"
    return path


@pytest.fixture(scope="session")
def migrated_postgres(postgres_server: str) -> Iterator[str]:
    """The name of a database on the test server migrated to the head, to create others from (TEMPLATE)."""
    name = f"migrated_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.make_url(postgres_server).set(database=name)
        store = Store.open(url.render_as_string(hide_password=False))
        try:
            store.migrate()
        finally:
            store.close()  # a template must have no connections when it is copied
        yield name
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that takes this runs once on SQLite and once on PostgreSQL, on a database already migrated
    to the head (a test marked `empty_db` gets an empty one)."""
    empty = request.node.get_closest_marker("empty_db") is not None
    if request.param == "sqlite":
        path = tmp_path / "cfsync.db"
        if not empty:
            shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        yield f"sqlite:///{path}"
        return
    server: str = request.getfixturevalue("postgres_server")
    template = None if empty else request.getfixturevalue("migrated_postgres")
    with fresh_database(server, template=template) as url:
        yield url


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's own keys or config."""
    for name in ("CFSYNC_CONFIG", "CFSYNC_DATABASE_URL", "MATON_API_KEY", "CLICKFUNNELS_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
