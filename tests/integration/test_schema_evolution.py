"""Issue 21's proof, on SQLite and PostgreSQL: fields the API starts sending become columns (or child
tables) on their own, complete, recorded once, and safe with freezes, type clashes, webhooks, several
workers and a kill -9.

The sandbox serves the new fields (its extra_fields switch); what it serves is read back over HTTP, as a
reader of the API would, and compared with the database read in plain SQL (no cfsync code on that side).
One sandbox (one workspace, 45 contacts) serves the whole module; each test gets its own database and
leaves no switch on behind it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa

from cfsync import app
from cfsync.config import Config, parse_config
from cfsync.resources.catalog import CATALOG
from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread
from cfsync.store import Store
from cfsync.webhooks import Receiver

from .webhook_helpers import contact_event, deliver, events_table, receiver_config

ROOT = Path(__file__).resolve().parents[2]
CFSYNC = str(Path(sys.executable).with_name("cfsync"))
TOKEN_ENV = "CF_TOKEN"
COUNTS = {"contacts": 45}  # three pages of 20 in one workspace


@pytest.fixture(scope="module")
def sb() -> Sandbox:
    return Sandbox(SandboxConfig(seed=21, workspaces=1, counts=COUNTS))


@pytest.fixture(scope="module")
def url(sb: Sandbox) -> Iterator[str]:
    with serve_in_thread(sb) as served_at:
        yield served_at


@pytest.fixture(autouse=True)
def _switches_off(sb: Sandbox, url: str) -> Iterator[None]:
    """Every test starts with the sandbox sending only its own fields."""
    control(url, sb, "DELETE", "/extra_fields")
    yield
    control(url, sb, "DELETE", "/extra_fields")


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


# -- the sandbox's side ---------------------------------------------------------------------------------


def control(url: str, sb: Sandbox, method: str, path: str, body: Any = None) -> Any:
    """The sandbox's control API (`/_sandbox/...`)."""
    request = urllib.request.Request(
        f"{url}/_sandbox{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {sb.control_token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def served(url: str, sb: Sandbox, resource: str = "contacts", workspaces: Any = None) -> dict[int, dict]:
    """{id: record} of a list as the API serves it now, every page, every workspace."""
    out: dict[int, dict] = {}
    for ws in workspaces or sb.workspace_ids(0):
        after = None
        while True:
            query = f"?after={after}" if after else ""
            request = urllib.request.Request(
                f"{url}/api/v2{CATALOG[resource].list_path(ws)}{query}",
                headers={"Authorization": f"Bearer {sb.api_token(0)}"},
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                out.update((r["id"], r) for r in json.loads(answer.read()))
                after = answer.headers.get("Pagination-Next")
            if not after:
                break
    return out


# -- cfsync's side --------------------------------------------------------------------------------------


def sync_settings(url: str, db_url: str, **sync: Any) -> dict[str, Any]:
    return {
        "api": {"mode": "direct", "base_url": url, "api_key_env": TOKEN_ENV, "requests_per_second": 1000},
        "database": {"url": db_url},
        # The lists' business only: no funnel statistics (test_stats_sync.py), contacts and their parents.
        "sync": {"stats_days": 0, "resources": ["contacts"], **sync},
    }


def sync_config(url: str, sb: Sandbox, db_url: str, **sync: Any) -> Config:
    return parse_config(sync_settings(url, db_url, **sync), {TOKEN_ENV: sb.api_token(0)})


def write_config(path: Path, url: str, db_url: str, **api: Any) -> Path:
    settings = sync_settings(url, db_url)
    settings["api"].update(api)
    lines = []
    for section, values in settings.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def columns(engine: sa.Engine, table: str = "contacts") -> dict[str, Any]:
    """{name: type} of the table as the database has it now."""
    return {c["name"]: c["type"] for c in sa.inspect(engine).get_columns(table)}


def values(engine: sa.Engine, column: str, table: str = "contacts") -> dict[int, Any]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE _deleted_at IS NULL"))
        return {row[0]: row[1] for row in rows}


def raw_of(engine: sa.Engine, table: str = "contacts") -> dict[int, dict]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT id, _raw FROM {table} WHERE _deleted_at IS NULL"))
        return {row[0]: _json(row[1]) for row in rows}


def changes(engine: sa.Engine) -> list[tuple[Any, ...]]:
    """_schema_changes: (table, column, kind, resource, run_id) in the order they were made."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT table_name, column_name, kind, resource, run_id FROM _schema_changes ORDER BY id")
        )
        return [tuple(row) for row in rows]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value  # SQLite: text; PostgreSQL: JSONB


def decimal(value: Any) -> Decimal | None:
    """A number as the database or the API wrote it (REAL on SQLite, NUMERIC on PostgreSQL, a string in
    JSON), as an exact decimal."""
    if value is None:
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def cents(value: Any) -> int | None:
    amount = decimal(value)
    return None if amount is None else int(amount * 100)


# -- the tests --------------------------------------------------------------------------------------------


async def test_a_field_that_appears_mid_sync_becomes_a_complete_column(sb, url, db_url, engine):
    ids = sorted(served(url, sb))
    middle = ids[len(ids) // 2]
    sb.add_extra_field("contacts", "loyalty_points", "integer", from_id=middle)
    config = sync_config(url, sb, db_url)

    # The first pages do not carry it, the later ones do: the column appears in the middle of the walk.
    first = await app.sync(config)
    assert first.status == "succeeded", first.failures
    assert first.schema_changes == ["contacts.loyalty_points integer"]
    records = served(url, sb)
    assert not any("loyalty_points" in r for i, r in records.items() if i < middle)
    assert any(r.get("loyalty_points") is not None for r in records.values())
    assert values(engine, "loyalty_points") == {i: r.get("loyalty_points") for i, r in records.items()}
    assert changes(engine) == [("contacts", "loyalty_points", "integer", "contacts", first.run_id)]

    # The change was met after the run's walk began: the next run sweeps the list again (its quiet
    # record: nothing new). After it, the list is swept only when it is due.
    quiet = await app.sync(config)
    assert (quiet.status, quiet.schema_changes) == ("succeeded", [])

    # A money field every record starts sending at once, without touching its updated_at: the run that
    # meets it (on its first page of changes) adds the decimal and its exact cents, and fills the rows of
    # that page; the rows stored before have nothing to take it from until the next run's sweep.
    sb.add_extra_field("contacts", "bonus_amount", "money")
    second = await app.sync(config)
    assert second.status == "succeeded", second.failures
    assert sorted(second.schema_changes) == [
        "contacts.bonus_amount decimal",
        "contacts.bonus_amount_cents cents",
    ]
    records = served(url, sb)
    waiting = {i for i, v in values(engine, "bonus_amount").items() if v is None} - {
        i for i, r in records.items() if r["bonus_amount"] is None
    }
    assert waiting, "rows the first page of changes did not hold wait for the sweep"
    sb.requests.clear()
    third = await app.sync(config)
    assert third.status == "succeeded", third.failures
    assert third.schema_changes == []
    contacts_path = CATALOG["contacts"].list_path(sb.workspace_ids(0)[0])
    assert any(r.api_path == contacts_path and not r.query for r in sb.requests), "a sweep from the first id"

    records = served(url, sb)
    assert any(r.get("bonus_amount") is not None for r in records.values())
    stored = values(engine, "bonus_amount")
    assert {i: decimal(v) for i, v in stored.items()} == {
        i: decimal(r["bonus_amount"]) for i, r in records.items()
    }
    assert values(engine, "bonus_amount_cents") == {i: cents(r["bonus_amount"]) for i, r in records.items()}
    assert values(engine, "loyalty_points") == {i: r.get("loyalty_points") for i, r in records.items()}
    made = changes(engine)
    assert made[0] == ("contacts", "loyalty_points", "integer", "contacts", first.run_id)
    assert sorted(made[1:]) == [
        ("contacts", "bonus_amount", "decimal", "contacts", second.run_id),
        ("contacts", "bonus_amount_cents", "cents", "contacts", second.run_id),
    ]


async def test_a_type_clash_halfway_goes_to_rejects_and_every_page_is_written(sb, url, db_url, engine):
    # Integers on the first page (the column is made from it), text ("n/a"...) from the second page's first
    # record on: through the control API, as a user would. (Not the median id, the default: where the first
    # page ends depends on how many of its contacts are anonymous, hidden from the list.)
    halfway = sorted(served(url, sb))[20]
    control(
        url,
        sb,
        "POST",
        "/extra_fields",
        {
            "resource": "contacts",
            "field": "score",
            "kind": "integer",
            "change": {"kind": "text", "from_id": halfway},
        },
    )
    summary = await app.sync(sync_config(url, sb, db_url))

    assert summary.status == "succeeded", summary.failures
    records = served(url, sb)
    clashing = {i for i, r in records.items() if r.get("score") is not None and type(r["score"]) is not int}
    assert clashing, "the sandbox sent text on later records"
    assert any(type(r.get("score")) is int for r in records.values())
    # Every page was written, each record whole in _raw (its text value included)...
    assert raw_of(engine) == records
    # ...the column stayed an integer, NULL where the value did not fit,
    assert isinstance(columns(engine)["score"], sa.Integer)
    assert changes(engine) == [("contacts", "score", "integer", "contacts", summary.run_id)]
    assert values(engine, "score") == {
        i: None if i in clashing else r.get("score") for i, r in records.items()
    }
    # ...and each such record has its reject naming the column.
    with engine.connect() as conn:
        rejects = conn.execute(
            sa.text("SELECT record_id, column_name, reason, run_id FROM _rejects WHERE resource = 'contacts'")
        ).all()
    assert sorted(r.record_id for r in rejects) == sorted(str(i) for i in clashing)
    assert {r.column_name for r in rejects} == {"score"}
    assert all("score" in r.reason for r in rejects)
    assert {r.run_id for r in rejects} == {summary.run_id}


async def test_freeze_keeps_the_table_and_a_later_evolve_fills_the_column_from_raw(sb, url, db_url, engine):
    before = set(columns(engine))
    sb.add_extra_field("contacts", "referral_code", "text")

    frozen = await app.sync(sync_config(url, sb, db_url, schema="freeze"))

    assert frozen.status == "succeeded", frozen.failures
    assert frozen.schema_changes == []
    assert set(columns(engine)) == before
    assert changes(engine) == []
    records = served(url, sb)
    assert any(r.get("referral_code") is not None for r in records.values())
    assert raw_of(engine) == records, "a freeze keeps the field in _raw"

    # Evolving later loses nothing: the run that adds the column fills every row from its _raw at once
    # (the records' updated_at did not move, so only the first page of changes is read).
    evolved = await app.sync(sync_config(url, sb, db_url))
    assert evolved.schema_changes == ["contacts.referral_code text"]
    assert values(engine, "referral_code") == {i: r.get("referral_code") for i, r in records.items()}


async def test_an_extra_embedded_array_becomes_a_child_table(sb, url, db_url, engine):
    sb.add_extra_field("contacts", "badges", "array")

    summary = await app.sync(sync_config(url, sb, db_url))

    assert summary.status == "succeeded", summary.failures
    assert "contacts__badges table" in summary.schema_changes
    records = served(url, sb)
    expected = {(i, p): item for i, r in records.items() for p, item in enumerate(r.get("badges") or [])}
    assert expected, "some contacts have badges"
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT contact_id, _position, id, name, _raw FROM contacts__badges WHERE _deleted_at IS NULL"
            )
        ).all()
    assert {(r[0], r[1]): _json(r[4]) for r in rows} == expected
    assert {(r[0], r[1]): (r[2], r[3]) for r in rows} == {
        k: (v["id"], v["name"]) for k, v in expected.items()
    }
    assert "badges" not in columns(engine)
    made = {(t, c): (k, resource) for t, c, k, resource, _ in changes(engine)}
    assert made[("contacts", "badges")] == ("table", "contacts")
    assert made[("contacts__badges", "name")] == ("text", "contacts")


async def test_models_keep_working_after_evolution(sb, url, db_url, engine):
    sb.add_extra_field("contacts", "loyalty_points", "integer")
    sb.add_extra_field("contacts", "badges", "array")
    summary = await app.sync(sync_config(url, sb, db_url))
    assert summary.status == "succeeded", summary.failures
    assert "contacts.loyalty_points integer" in summary.schema_changes
    with engine.connect() as conn:
        for view in ("contact_lifetime_value", "contacts_by_utm"):
            conn.execute(sa.text(f"SELECT * FROM {view}")).all()


async def test_a_webhook_delivery_with_a_new_field_evolves_the_table(db_url, tmp_path, engine):
    event = contact_event(101, 1, first_name="Ann")
    event["data"]["loyalty_points"] = 42
    async with (
        Receiver(receiver_config(db_url, tmp_path), port=0) as receiver,
        aiohttp.ClientSession() as session,
    ):
        answer = await deliver(session, receiver.endpoint_url(), event)
        assert answer.status == 200
        assert await receiver.drained(10)

    assert [e["status"] for e in events_table(engine)] == ["applied"]
    assert values(engine, "loyalty_points") == {101: 42}
    assert changes(engine) == [("contacts", "loyalty_points", "integer", "contacts", None)]


@pytest.mark.postgres
@pytest.mark.timeout(180)
def test_two_postgresql_workers_meet_the_same_new_field_at_once(tmp_path, postgres_url):
    # Two workspaces, a worker for each: each walks its own contacts (their parents, teams and workspaces,
    # are walked by one and waited for by the other). Each worker's first page with the field waits for the
    # other's before evolving (tests/integration/evolve_pause.py): both add the column at the same moment.
    world = Sandbox(SandboxConfig(seed=22, workspaces=2, counts=COUNTS, latency=0.02))
    world.add_extra_field("contacts", "lifetime_points", "integer")
    with serve_in_thread(world) as served_at:
        config_path = write_config(tmp_path / "cfsync.toml", served_at, postgres_url, max_in_flight=2)
        env = {**os.environ, TOKEN_ENV: world.api_token(0)}
        (tmp_path / "met").mkdir()
        meeting = [sys.executable, "-m", "tests.integration.evolve_pause", "meet", str(tmp_path / "met"), "2"]
        meeting.append("lifetime_points")
        # Migrated first, so the two start on the same schema at the same moment.
        subprocess.run([CFSYNC, "db", "upgrade"], cwd=tmp_path, env=env, check=True, capture_output=True)
        workers = [
            subprocess.Popen(
                [
                    *meeting,
                    "--config",
                    str(config_path),
                    "sync",
                    "--json",
                    "--no-progress",
                    "--workspace",
                    str(ws),
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for ws in world.workspace_ids(0)
        ]
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
            results.append(json.loads(out))
        each = [len(served(served_at, world, workspaces=[ws])) for ws in world.workspace_ids(0)]
        records = served(served_at, world)
    assert [r["status"] for r in results] == ["succeeded", "succeeded"]
    assert [r["rows"]["contacts"]["inserted"] for r in results] == each, (
        "each walked its workspace's contacts"
    )
    assert [label for r in results for label in r["schema_changes"]] == ["contacts.lifetime_points integer"]
    engine = Store.open(postgres_url).engine
    try:
        assert isinstance(columns(engine)["lifetime_points"], sa.Integer)
        assert changes(engine) == [
            (
                "contacts",
                "lifetime_points",
                "integer",
                "contacts",
                *[r["run_id"] for r in results if r["schema_changes"]],
            )
        ]
        assert values(engine, "lifetime_points") == {i: r.get("lifetime_points") for i, r in records.items()}
    finally:
        engine.dispose()


@pytest.mark.timeout(180)
def test_kill_9_between_the_column_and_the_page_then_rerun(sb, url, db_url, tmp_path):
    config_path = write_config(tmp_path / "cfsync.toml", url, db_url)
    env = {**os.environ, TOKEN_ENV: sb.api_token(0)}
    asyncio.run(app.sync(sync_config(url, sb, db_url)))  # every row stored before the field exists
    sb.add_extra_field("contacts", "referrals", "integer")

    # A cfsync sync whose Store.evolve pauses once it has made changes (tests/integration/evolve_pause.py).
    marker = tmp_path / "evolved"
    pausing = [sys.executable, "-m", "tests.integration.evolve_pause", "pause", str(marker)]
    with subprocess.Popen(
        [*pausing, "--config", str(config_path), "sync", "--no-progress"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, (
                f"it ended without evolving: {proc.stderr.read() if proc.stderr else ''}"
            )
            assert time.monotonic() < deadline, "no change made in 60 s"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    engine = sa.create_engine(db_url)
    try:
        assert "referrals" in columns(engine)
        [(table, column, kind, _, killed_run)] = changes(engine)
        assert (table, column, kind) == ("contacts", "referrals", "integer")
        assert killed_run is not None

        rerun = subprocess.run(
            [CFSYNC, "--config", str(config_path), "sync", "--json", "--no-progress"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert rerun.returncode == 0, rerun.stderr
        assert json.loads(rerun.stdout)["status"] == "succeeded"
        records = served(url, sb)
        assert any(r.get("referrals") is not None for r in records.values())
        assert values(engine, "referrals") == {i: r.get("referrals") for i, r in records.items()}
        assert len(changes(engine)) == 1
        with engine.connect() as conn:
            runs = dict(conn.execute(sa.text("SELECT id, status FROM sync_runs")).all())
        assert "running" not in runs.values()
        assert runs[killed_run] == "abandoned"
    finally:
        engine.dispose()
