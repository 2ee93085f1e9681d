"""`cfsync browse`: Datasette over the synced SQLite database, tested over HTTP and in headless Chromium."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cfsync.browse import DASHBOARD_PATH, browse_metadata
from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread
from cfsync.store.models import MODELS
from cfsync.store.schema import metadata
from tests.browser import Browser

from .cli_helpers import TOKEN_ENV, browsing, one_error_line, write_config


@pytest.fixture(scope="module")
def browsed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A sandbox synced into a SQLite file, and `cfsync browse` serving it: (its URL, the file)."""
    workdir = tmp_path_factory.mktemp("browse")
    sb = Sandbox(SandboxConfig(seed=8, workspaces=1, counts={"contacts": 30, "orders": 25}))
    env = {**os.environ, TOKEN_ENV: sb.api_token(0)}
    exe = Path(sys.executable).with_name("cfsync")
    with serve_in_thread(sb) as url:
        write_config(workdir / "cfsync.toml", url, db="sqlite:///shop.db")
        sync = [str(exe), "-q", "sync", "--resource", "all", "--resource", "orders_transactions"]
        done = subprocess.run(sync, cwd=workdir, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    with browsing(workdir, env) as opened:
        yield opened.removesuffix(DASHBOARD_PATH), workdir / "shop.db"


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=20) as reply:
            body = reply.read().decode()
            status = reply.status
    except urllib.error.HTTPError as refused:
        body, status = refused.read().decode(), refused.code
        refused.close()
    return status, json.loads(body) if url.split("?")[0].endswith(".json") else body


def test_the_metadata_describes_every_table_column_and_model():
    found = browse_metadata("shop")["databases"]["shop"]
    for name, table in metadata.tables.items():
        described = found["tables"][name]
        assert described["description"], name
        assert set(described["columns"]) == {c.name for c in table.columns}, name
        assert all(described["columns"].values()), name
        assert set(described.get("facets", [])) <= {c.name for c in table.columns}
    for model in MODELS:
        assert found["queries"][model.name]["sql"].startswith(f"SELECT * FROM {model.name}")
        assert list(found["tables"][model.name]["columns"]) == [c for c, _ in model.columns]
    assert found["tables"]["_models"]["hidden"] is True
    assert found["tables"]["orders"]["facets"] == [
        "workspace_id", "currency", "order_type", "billing_status", "service_status"
    ]  # fmt: skip


def test_the_metadata_describes_api_columns_in_clickfunnels_own_words():
    columns = browse_metadata("shop")["databases"]["shop"]["tables"]
    facts = json.loads(resources.files("cfsync.resources").joinpath("api_facts_2026.json").read_text("utf-8"))
    said = facts["descriptions"]["ContactBaseAttributes"]["email_address"]
    email = columns["contacts"]["columns"]["email_address"]
    assert said in email
    assert email.startswith(said)
    assert email.endswith("(email_address, string|null)")
    total = facts["descriptions"]["OrderAttributes"]["total_amount"]
    assert columns["orders"]["columns"]["total_amount"].startswith(total)
    # The exact twin keeps its derivation; a field the facts do not describe keeps its source and type.
    twin = columns["orders"]["columns"]["total_amount_cents"]
    assert twin.startswith("total_amount x 100, an exact integer")
    assert columns["orders__line_items"]["columns"]["quantity"] == "line_items[].quantity (integer|null)"
    assert columns["contacts"]["columns"]["_raw"] == "the record exactly as the API sent it (JSON)"


def test_every_table_and_model_answers_over_http(browsed):
    url, path = browsed
    status, database = get(f"{url}/shop.json")
    assert status == 200
    listed = {t["name"]: t for t in database["tables"]}
    assert {"contacts", "orders", "orders_invoices", "contacts__tags"} <= set(listed)
    assert listed["_models"]["hidden"] is True
    assert {v["name"] for v in database["views"]} >= {m.name for m in MODELS}
    status, meta = get(f"{url}/-/metadata.json")
    assert status == 200
    columns = meta["databases"]["shop"]["tables"]["orders"]["columns"]
    assert columns["total_amount_cents"].startswith("total_amount x 100, an exact integer")
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        for name in [*listed, *(m.name for m in MODELS)]:
            status, page = get(f"{url}/shop/{name}.json?_size=1")
            assert status == 200, (name, page)
        for model in MODELS:
            status, answer = get(f"{url}/shop/{model.name}.json?_shape=objects&_size=max")
            assert status == 200, (model.name, answer)
            with engine.connect() as conn:
                count = conn.scalar(sa.text(f"SELECT COUNT(*) FROM {model.name}"))
            assert len(answer["rows"]) == count > 0, model.name
    finally:
        engine.dispose()
    status, html = get(f"{url}/shop/orders")
    assert 'data-column-description="total_amount x 100, an exact integer' in html
    assert "ClickFunnels orders, from GET /workspaces/{workspace_id}/orders" in html


def test_it_is_read_only(browsed):
    url, _ = browsed
    status, answer = get(f"{url}/shop.json?sql=delete+from+contacts")
    assert status == 400
    assert answer["error"] == "Statement must be a SELECT"
    status, answer = get(f"{url}/shop.json?sql=select+count(*)+as+n+from+contacts&_shape=objects")
    assert (status, answer["rows"][0]["n"] > 0) == (200, True)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with Browser(tmp_path_factory.mktemp("chromium")) as browser:
        yield browser


@pytest.mark.parametrize(
    ("page", "shows"),
    [
        ("/", ["cfsync: ClickFunnels data", "shop", "contacts"]),
        ("/shop/orders", ["ClickFunnels orders, from GET", "total_amount_cents", "currency"]),
        ("/shop/mrr_monthly", ["Mrr monthly", "new_mrr_cents", "churned_mrr_cents"]),
    ],
)
def test_a_real_browser_shows_the_index_a_table_and_a_model(browsed, browser, page, shows):
    url, _ = browsed
    tab = browser.open(url + page)
    dom = tab.evaluate("document.documentElement.outerHTML")
    for text in shows:
        assert text in dom, (page, text)
    if page == "/shop/mrr_monthly":
        assert tab.evaluate("document.querySelectorAll('tr').length") > 2, "the model's rows are on the page"
    assert tab.errors == []
    tab.close()


def test_postgresql_is_pointed_at_other_tools(workdir):
    write_config(workdir / "cfsync.toml", "http://127.0.0.1:9", db="postgresql+psycopg://me@db.example/shop")
    from click.testing import CliRunner

    from cfsync.cli import cli

    result = CliRunner().invoke(cli, ["browse"], env={TOKEN_ENV: "t"})
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "point psql or pgcli, DBeaver, pgAdmin, Metabase or Superset at" in line
    assert "postgresql+psycopg://me@db.example/shop" in line
