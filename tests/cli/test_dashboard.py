"""`cfsync browse`'s dashboard in headless Chromium: every chart drawn, fed its model's rows for the filters.

One sandbox, one sync and one `cfsync browse` for the module, and one Chromium. The rows each chart was given
are read from its vega view (static/charts.js keeps the views reachable) and compared with the models' rows
read here straight from the SQLite file and summed in Python, not with the charts' SQL.
CFSYNC_SCREENSHOT=<path.png> also writes the dashboard's picture there (`make screenshot`).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from cfsync.browse import browse_metadata
from cfsync.dashboards import CHARTS, DASHBOARD, LAYOUT
from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread
from tests.browser import Browser

from .cli_helpers import TOKEN_ENV, browsing, write_config

MONEY = {chart.slug for chart in CHARTS if chart.money}
# What each chart reads its rows by, and the values compared (money in cents: the charts show units).
_READ_CHARTS = """(async () => {
  const out = {};
  for (const [slug, embedded] of Object.entries(window.cfsyncCharts)) {
    const { view } = await embedded;
    const svg = document.querySelector(`#chart-${slug} svg`);
    out[slug] = {
      rows: view.data("rows").map(row => Object.fromEntries(Object.entries(row))),
      marks: svg ? svg.querySelectorAll(".role-mark path").length : 0,
      text: svg ? [...svg.querySelectorAll("text")].map(t => t.textContent).join("\\n") : "",
    };
  }
  return out;
})()"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A sandbox of two workspaces synced with what the charts need, and `cfsync browse` serving it:
    (the URL it printed, the SQLite file)."""
    workdir = tmp_path_factory.mktemp("dashboard")
    sb = Sandbox(SandboxConfig(seed=3, workspaces=2, counts={"contacts": 150, "orders": 200}))
    env = {**os.environ, TOKEN_ENV: sb.api_token(0)}
    exe = Path(sys.executable).with_name("cfsync")
    with serve_in_thread(sb) as url:
        config = write_config(workdir / "cfsync.toml", url, db="sqlite:///shop.db", workspaces=[])
        with config.open("a") as more:  # [sync] is the file's last section
            more.write('resources = ["all", "orders_transactions"]\nstats_days = 30\n')
        done = subprocess.run([str(exe), "-q", "sync"], cwd=workdir, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    with browsing(workdir, env) as opened:
        yield opened, workdir / "shop.db"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with Browser(tmp_path_factory.mktemp("chromium")) as browser:
        yield browser


def _charts(browser: Browser, url: str) -> tuple[dict[str, Any], list[str]]:
    """Every chart's rows, drawn marks and SVG text once all are drawn, and the page's errors."""
    page = browser.open(url, wait_for=f"Object.keys(window.cfsyncCharts || {{}}).length === {len(CHARTS)}")
    charts = page.evaluate(_READ_CHARTS, timeout=60)
    assets = "[...document.querySelectorAll('script[src], link[href]')].map(e => e.src || e.href)"
    assert [a for a in page.evaluate(assets) if not a.startswith(url.split("/-/")[0])] == [], "offline"
    if os.environ.get("CFSYNC_SCREENSHOT") and "?" not in url:
        page.screenshot(os.environ["CFSYNC_SCREENSHOT"], width=1400)
    return charts, page.errors


# -- the reference: the models' rows, filtered and summed here ---------------------------------------------


def _rows(path: Path, model: str) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(f"SELECT * FROM {model}")]


def _kept(row: dict[str, Any], f: dict[str, str], when: str | None = None) -> bool:
    if f.get("workspace") and row["workspace_id"] != int(f["workspace"].split()[0]):
        return False
    if when == "day":
        return f.get("date_from", "") <= row["day"] and (not f.get("date_to") or row["day"] <= f["date_to"])
    if when == "month":
        start, end = f.get("date_from", "")[:7], f.get("date_to", "")[:7]
        return start <= row["month"] and (not end or row["month"] <= end)
    return True


def _cents(value: float) -> int:
    return round(value * 100)


def expected(path: Path, f: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """The currency money charts must show and each chart's values, for filters f."""
    revenue = [r for r in _rows(path, "revenue_daily") if _kept(r, f, "day")]
    net: dict[str, int] = defaultdict(int)
    for r in revenue:
        net[r["currency"]] += r["net_cents"]
    currency = f.get("currency") or min(net, key=lambda c: (-net[c], c))

    def summed(rows: list[dict[str, Any]], key: str, columns: dict[str, str]) -> dict[Any, dict[str, int]]:
        out: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(columns, 0))
        for r in rows:
            for name, column in columns.items():
                sign = -1 if name in ("refunds", "contraction", "churn") else 1
                out[r[key]][name] += sign * r[column]
        return dict(out)

    months = defaultdict(list)
    for r in revenue:
        if r["currency"] == currency:
            months[r["day"][:7]].append(r)
    want: dict[str, Any] = {
        "revenue": {
            m: {
                k: sum(r[f"{k}_cents"] for r in rs) * (-1 if k == "refunds" else 1)
                for k in ("gross", "refunds", "net")
            }
            for m, rs in months.items()
        }
    }
    mrr = [r for r in _rows(path, "mrr_monthly") if r["currency"] == currency and _kept(r, f, "month")]
    want["mrr"] = summed(
        mrr, "month", {"mrr": "mrr_cents", "new": "new_mrr_cents", "expansion": "expansion_mrr_cents",
                       "contraction": "contraction_mrr_cents", "churn": "churned_mrr_cents"},
    )  # fmt: skip
    products = [r for r in _rows(path, "revenue_by_product") if r["currency"] == currency and _kept(r, f)]
    want["products"] = summed(products, "product_id", {"net": "net_cents"})
    utm = [r for r in _rows(path, "revenue_by_utm") if r["currency"] == currency and _kept(r, f, "day")]
    for r in utm:
        r["source"] = r["last_utm_source"] or "(none)"
    want["utm"] = summed(utm, "source", {"net": "net_cents"})
    steps = [r for r in _rows(path, "funnel_conversion_daily") if _kept(r, f, "day")]
    for r in steps:
        r["key"] = (r["funnel_id"], r["step"])
    want["funnels"] = summed(steps, "key", {"views": "views", "optins": "optins", "sales": "sales"})
    want["forms"] = {
        r["form_id"]: {"conversion_rate": r["conversion_rate"]}
        for r in _rows(path, "form_conversion")
        if _kept(r, f)
    }
    want["courses"] = {
        r["course_id"]: {
            "enrollments": r["enrollments"],
            "started": r["enrollments_started"],
            "completed": r["enrollments_completed"],
            "completed_rate": r["completion_rate"],
        }
        for r in _rows(path, "course_progress")
        if _kept(r, f)
    }
    return currency, want


def given(slug: str, rows: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """A chart's rows in the reference's shape."""
    if slug == "revenue":
        return {r["month"]: {k: _cents(r[k]) for k in ("gross", "refunds", "net")} for r in rows}
    if slug == "mrr":
        return {
            r["month"]: {k: _cents(r[k]) for k in ("mrr", "new", "expansion", "contraction", "churn")}
            for r in rows
        }
    if slug == "products":
        return {r["product_id"]: {"net": _cents(r["net"])} for r in rows}
    if slug == "utm":
        return {r["utm_source"]: {"net": _cents(r["net"])} for r in rows}
    if slug == "funnels":
        return {(r["funnel_id"], r["step"]): {k: r[k] for k in ("views", "optins", "sales")} for r in rows}
    if slug == "forms":
        return {r["form_id"]: {"conversion_rate": r["conversion_rate"]} for r in rows}
    assert slug == "courses"
    for r in rows:  # the share started, to 4 decimals
        assert r["started"] == pytest.approx(r["enrollments_started"] / r["enrollments"], abs=6e-5)
    return {
        r["course_id"]: {
            "enrollments": r["enrollments"],
            "started": r["enrollments_started"],
            "completed": r["enrollments_completed"],
            "completed_rate": r["completed"],
        }
        for r in rows
    }


def check(charts: dict[str, Any], errors: list[str], path: Path, f: dict[str, str]) -> dict[str, Any]:
    """Every chart drawn, no errors, each given its reference values, money in one currency, named."""
    assert errors == []
    assert set(charts) == {chart.slug for chart in CHARTS}
    currency, want = expected(path, f)
    for slug, chart in charts.items():
        assert chart["rows"], (slug, "no rows: the sandbox should give every chart some")
        assert chart["marks"] > 0, (slug, "nothing drawn")
        assert given(slug, chart["rows"]) == want[slug], slug
        if slug in MONEY:
            assert {row["currency"] for row in chart["rows"]} == {currency}, slug
            assert f"({currency})" in chart["text"], (slug, "the axis names the currency")
    return want


# -- the tests ---------------------------------------------------------------------------------------------


def test_the_metadata_carries_the_dashboard():
    meta = browse_metadata("shop")
    dashboard = meta["plugins"]["datasette-dashboards"][DASHBOARD]
    assert {slug for row in LAYOUT for slug in row} == set(dashboard["charts"]) == {c.slug for c in CHARTS}
    assert set(dashboard["filters"]) == {"workspace", "currency", "date_from", "date_to"}
    for chart in dashboard["charts"].values():
        assert (chart["db"], chart["library"]) == ("shop", "vega-lite")
        assert "data" not in chart["display"], "the plugin gives the rows; a spec's data would replace them"
        assert "source" not in chart["query"].split(), "revenue_daily has no source column"
    assert meta["extra_js_urls"] == ["/-/cfsync/charts.js"]


def test_every_chart_is_drawn_from_its_models_rows(served, browser):
    url, path = served
    assert url.endswith(f"/-/dashboards/{DASHBOARD}")
    charts, errors = _charts(browser, url)
    check(charts, errors, path, {})


def test_the_filters_change_what_every_chart_is_given(served, browser):
    url, path = served
    page = browser.open(url, wait_for="document.querySelectorAll('#workspace option').length > 2")
    workspaces = page.evaluate("[...document.querySelectorAll('#workspace option')].map(o => o.value)")
    currencies = page.evaluate("[...document.querySelectorAll('#currency option')].map(o => o.value)")
    assert workspaces[0] == currencies[0] == "", "no filter is the first choice"
    assert len(workspaces) == 3
    assert [w.split()[0].isdigit() and len(w.split()) > 1 for w in workspaces[1:]] == [True, True], "id name"
    assert len(currencies) > 2
    everything = expected(path, {})[1]
    # A range that leaves out early revenue and MRR and the last funnel statistics days.
    days = sorted(r["day"] for r in _rows(path, "revenue_daily"))
    last_stats = max(r["day"] for r in _rows(path, "funnel_conversion_daily"))
    dates = {
        "date_from": days[len(days) // 2],
        "date_to": str(date.fromisoformat(last_stats) - timedelta(days=5)),
    }
    # One workspace and dates: money in the currency with the most net revenue there and then.
    f = {"workspace": workspaces[2], **dates}
    charts, errors = _charts(browser, f"{url}?{urlencode(f)}")
    narrowed = check(charts, errors, path, f)
    for slug in ("revenue", "mrr", "utm", "funnels", "forms", "courses"):
        assert narrowed[slug] != everything[slug], slug
    # Then a currency other than the one shown.
    shown = expected(path, f)[0]
    others = [c for c in currencies[1:] if c != shown]
    full = [c for c in others if all(expected(path, {**f, "currency": c})[1][s] for s in MONEY)]
    assert full, f"the sandbox should give every money chart rows in one of {others} there and then"
    f["currency"] = full[0]
    charts, errors = _charts(browser, f"{url}?{urlencode(f)}")
    in_other = check(charts, errors, path, f)
    for slug in MONEY:
        assert in_other[slug] != narrowed[slug], slug


def test_the_index_and_tables_stay_reachable(served, browser):
    url, _ = served
    root = url.split("/-/dashboards/")[0]
    page = browser.open(root + "/", wait_for="document.body.innerText.includes('contacts')")
    assert "Dashboards" in page.evaluate("document.body.textContent"), "the menu links the dashboard"
    assert page.errors == []
