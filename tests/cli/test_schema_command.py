"""`cfsync schema`: the catalog page, the columns a database gained on its own, and `--changes`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cfsync.cli import cli
from cfsync.store.docs import schema_markdown
from cfsync.store.schema import schema_changes

from .cli_helpers import one_error_line

CHANGES = [
    ("contacts", "score", "contacts", "integer", "score", datetime(2026, 6, 1, 10, 0, tzinfo=UTC), 3),
    ("contacts", "badges", "contacts", "table", "badges[]", datetime(2026, 6, 1, 10, 0, tzinfo=UTC), 3),
    (
        "contacts__badges",
        "name",
        "contacts",
        "text",
        "badges[].name",
        datetime(2026, 6, 1, 10, 1, tzinfo=UTC),
        3,
    ),
    ("orders", "tip", "orders", "decimal", "tip", datetime(2026, 6, 2, 8, 30, tzinfo=UTC), None),
    ("orders", "tip_cents", "orders", "cents", "tip", datetime(2026, 6, 2, 8, 30, tzinfo=UTC), None),
]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def db(workdir: Path) -> Iterator[sa.Engine]:
    """A migrated database in the work directory's config, holding a few changes (as the engine records
    them: one row per column, one per child table)."""
    (workdir / "cfsync.toml").write_text('[database]\nurl = "sqlite:///local.db"\n')
    assert run("db", "upgrade").exit_code == 0
    engine = sa.create_engine(f"sqlite:///{workdir / 'local.db'}")
    keys = ("table_name", "column_name", "resource", "kind", "source", "first_seen_at", "run_id")
    with engine.begin() as conn:
        conn.execute(schema_changes.insert(), [dict(zip(keys, row, strict=True)) for row in CHANGES])
    yield engine
    engine.dispose()


def test_changes_are_an_aligned_table(db):
    result = run("schema", "--changes")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["table", "column", "type", "API", "field", "first", "seen", "run"]
    assert lines[1].split() == ["contacts", "score", "integer", "score", "2026-06-01", "10:00", "UTC", "3"]
    assert lines[2].split()[:3] == ["contacts", "badges", "table"]
    assert "contacts__badges" in lines[2]
    assert lines[4].split() == ["orders", "tip", "decimal", "tip", "2026-06-02", "08:30", "UTC", "-"]
    # Aligned: each field starts where its header does.
    assert all(
        line[lines[0].index("type") :].startswith(("integer", "table", "text", "decimal", "cents"))
        for line in lines[1:]
    )
    offset = lines[0].index("first seen")
    assert all(line[offset : offset + 10].startswith("2026-06-0") for line in lines[1:])


def test_changes_as_json_and_by_resource(db):
    rows = json.loads(run("schema", "--changes", "--json").stdout)
    assert [(r["table_name"], r["column_name"], r["kind"], r["run_id"]) for r in rows[:2]] == [
        ("contacts", "score", "integer", 3),
        ("contacts", "badges", "table", 3),
    ]
    assert datetime.fromisoformat(rows[0]["first_seen_at"]) == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    assert set(rows[0]) == {
        "id",
        "table_name",
        "column_name",
        "resource",
        "kind",
        "source",
        "first_seen_at",
        "run_id",
    }
    contacts = json.loads(run("schema", "--changes", "--json", "--resource", "contacts").stdout)
    assert {r["table_name"] for r in contacts} == {"contacts", "contacts__badges"}
    assert json.loads(run("schema", "--changes", "--json", "--resource", "funnels").stdout) == []
    quiet = run("schema", "--changes", "--resource", "funnels")
    assert quiet.exit_code == 0
    assert quiet.stdout == "no schema changes: every column is the catalog's (funnels)\n"


def test_schema_shows_evolved_columns_beside_the_catalog(db):
    page = run("schema").stdout
    catalog = schema_markdown()
    assert page.startswith(catalog)
    extra = page[len(catalog) :]
    assert "\n## Evolved columns in sqlite:///local.db\n" in extra
    assert "\n### contacts\n" in extra
    assert "| `score` (evolved) | integer | score | 2026-06-01 10:00 UTC |" in extra
    assert (
        "| `badges` (evolved) | child table `contacts__badges` | badges[] | 2026-06-01 10:00 UTC |" in extra
    )
    assert "\n### contacts__badges\n" in extra
    assert "| `tip_cents` (evolved) | integer (cents) | tip | 2026-06-02 08:30 UTC |" in extra
    # `make docs` writes the catalog alone, whatever database the config names.
    assert run("schema", "--catalog").stdout == catalog


def test_schema_without_a_database_is_the_catalog_and_changes_need_one(workdir):
    assert run("schema").stdout == schema_markdown()
    result = run("schema", "--changes")
    assert result.exit_code == 1
    assert "no database at sqlite:///cfsync.db yet" in one_error_line(result)
    assert not (workdir / "cfsync.db").exists()


def test_schema_flags_that_do_not_go_together(workdir):
    for args in (["--json"], ["--resource", "contacts"], ["--changes", "--catalog"]):
        result = run("schema", *args)
        assert result.exit_code == 2, args
        assert "Traceback" not in result.output
    result = run("schema", "--changes", "--resource", "contact")
    assert result.exit_code == 2
    assert "unknown resource 'contact'" in one_error_line(result)


def test_a_database_without_changes_prints_the_catalog_only(workdir):
    (workdir / "cfsync.toml").write_text('[database]\nurl = "sqlite:///local.db"\n')
    assert run("db", "upgrade").exit_code == 0
    assert run("schema").stdout == schema_markdown()
    assert run("schema", "--changes").stdout == "no schema changes: every column is the catalog's\n"
