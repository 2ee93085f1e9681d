"""`cfsync demo`: start the sandbox on a free loopback port, sync it into SQLite, show what landed."""

from __future__ import annotations

import asyncio
import importlib.util
import shlex
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from . import app
from .config import Config, parse_config
from .engine.ports import Reporter
from .progress import summary_line
from .sandbox import Sandbox, SandboxConfig, SandboxServer
from .store import queries

__all__ = ["DEMO_COUNTS", "EXAMPLE_QUERY", "browse_command", "run_demo"]

DEMO_COUNTS = {"contacts": 1500, "orders": 600, "products": 40, "courses": 6, "courses_enrollments": 40}

# The best customers in each currency (never one list across currencies): every paid invoice of theirs,
# renewals included, net of refunds (model contact_lifetime_value).
EXAMPLE_QUERY = """\
SELECT currency, email_address, orders, net FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY currency ORDER BY net_cents DESC) AS place
  FROM contact_lifetime_value) AS ranked
WHERE place <= 3 ORDER BY currency, place"""

_TOKEN_ENV = "CFSYNC_DEMO_TOKEN"


def run_demo(
    db_path: Path,
    echo: Callable[[str], None],
    reporter: Reporter | None = None,
    run: Callable[[Coroutine[Any, Any, tuple[Config, int]]], tuple[Config, int]] = asyncio.run,
    program: str = "cfsync",
) -> int:
    """Sync a fresh sandbox into `db_path` twice (the second run after 3 new contacts), print what landed
    and, last, the command that browses it (`program` is how the user runs cfsync). Returns the number of
    failed partitions (0 on success). `run` runs the syncs (the CLI's stops them cleanly on a signal)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    config, failed = run(_sync_a_sandbox(db_path, echo, reporter))
    engine = app.open_store(config, migrate=False).engine
    try:
        echo(f"\nrows per table in {db_path}:")
        for table, count in queries.row_counts(engine).items():
            echo(f"  {table:<45} {count:>7}")
        echo(f"\nan example query (sqlite3 {db_path}):\n{EXAMPLE_QUERY};")
        with engine.connect() as conn:
            for row in conn.execute(sa.text(EXAMPLE_QUERY)):
                echo(f"  {row.currency}  {row.email_address:<40} {row.orders:>3} orders  {row.net:>10.2f}")
            _models(conn, echo)
    finally:
        engine.dispose()
    extra = "" if importlib.util.find_spec("datasette") else " (after: pip install 'cfsync[browse]')"
    echo(f"\nbrowse it in Datasette: a dashboard of charts, every table and model described{extra}:")
    echo(f"  {browse_command(db_path, program)}")
    return failed


def browse_command(db_path: Path, program: str = "cfsync") -> str:
    """The shell command that opens the demo's database in `cfsync browse`, whatever config is around."""
    url = shlex.quote(f"sqlite:///{db_path}")
    return f"CFSYNC_DATABASE_URL={url} {shlex.quote(program)} browse"


MODEL_QUERIES = (
    (
        "revenue per month, the last six with sales (model revenue_daily)",
        "SELECT substr(day, 1, 7) AS month, currency, SUM(orders) AS orders, "
        "SUM(gross_cents) / 100.0 AS gross, SUM(refunds_cents) / 100.0 AS refunds, "
        "SUM(net_cents) / 100.0 AS net FROM revenue_daily "
        "GROUP BY substr(day, 1, 7), currency ORDER BY month DESC, currency LIMIT 6",
    ),
    (
        "monthly recurring revenue, the last six months it moved (model mrr_monthly)",
        "SELECT month, currency, SUM(customers) AS customers, SUM(mrr_cents) / 100.0 AS mrr, "
        "SUM(new_mrr_cents) / 100.0 AS new, SUM(churned_mrr_cents) / 100.0 AS churned FROM mrr_monthly "
        "GROUP BY month, currency "
        "HAVING SUM(new_mrr_cents) + SUM(churned_mrr_cents) > 0 ORDER BY month DESC, currency LIMIT 6",
    ),
)


def _models(conn: sa.Connection, echo: Callable[[str], None]) -> None:
    """A taste of the models: what a newcomer can ask at once (docs/schema.md lists them all)."""
    for title, query in MODEL_QUERIES:
        echo(f"\n{title}:")
        _table(conn.execute(sa.text(query)), echo)
    _funnel_conversion(conn, echo)
    echo(
        "\nnet revenue per UTM source, last touch (the order's last visit with UTM), all time "
        "(model revenue_by_utm):"
    )
    _table(conn.execute(sa.text(UTM_QUERY)), echo)


FUNNEL_DAYS = 7
FUNNEL_QUERY = f"""
WITH days AS (SELECT DISTINCT day FROM funnel_conversion_daily ORDER BY day DESC LIMIT {FUNNEL_DAYS})
SELECT funnel_name AS funnel, SUM(views) AS views, SUM(unique_views) AS "unique", SUM(optins) AS "opt-ins",
  SUM(sales) AS sales, ROUND(1.0 * SUM(optins) / NULLIF(SUM(unique_views), 0), 4) AS optin_rate,
  ROUND(1.0 * SUM(sales) / NULLIF(SUM(unique_views), 0), 4) AS sales_rate,
  SUM(sales_value_cents) / 100.0 AS sales_value, currency
FROM funnel_conversion_daily WHERE day IN (SELECT day FROM days)
GROUP BY funnel_id, funnel_name, currency ORDER BY SUM(views) DESC, funnel_id LIMIT 8"""
UTM_QUERY = """
SELECT COALESCE(last_utm_source, '(no UTM)') AS source, currency, SUM(orders) AS orders,
  SUM(gross_cents) / 100.0 AS gross, SUM(refunds_cents) / 100.0 AS refunds, SUM(net_cents) / 100.0 AS net
FROM revenue_by_utm GROUP BY COALESCE(last_utm_source, '(no UTM)'), currency
ORDER BY currency, SUM(net_cents) DESC"""


def _funnel_conversion(conn: sa.Connection, echo: Callable[[str], None]) -> None:
    """The last days with statistics, which the sync fetched up to today: views, opt-ins and sales summed
    over every step of each funnel, and rates over the sums (a rate summed over days would mean nothing)."""
    days = conn.execute(
        sa.text(
            "SELECT day, MAX(CASE WHEN partial THEN 1 ELSE 0 END) AS partial "
            f"FROM funnel_conversion_daily GROUP BY day ORDER BY day DESC LIMIT {FUNNEL_DAYS}"
        )
    ).all()
    if not days:
        echo("\nfunnel conversion (model funnel_conversion_daily): no statistics synced ([sync].stats_days)")
        return
    partial = [row.day for row in days if row.partial]
    echo(
        f"\nfunnel conversion, {days[-1].day} to {days[0].day} (model funnel_conversion_daily): the last "
        f"{len(days)} days with statistics,\nsummed over every step"
        + (f" ({', '.join(partial)} is partial: fetched before the day ended)" if partial else "")
        + ":"
    )
    result = conn.execute(sa.text(FUNNEL_QUERY))
    rows = _table(result, echo)
    if not any(row.sales for row in rows):
        last = conn.scalar(sa.text("SELECT MAX(day) FROM funnel_conversion_daily WHERE sales > 0"))
        placed = conn.scalar(sa.text("SELECT substr(MAX(created_at), 1, 10) FROM orders"))
        echo(
            f"  no sales on these days: the last order synced was placed on {placed}"
            + (f"; the last day with sales in the statistics is {last}" if last else "")
        )


def _table(result: sa.CursorResult[Any], echo: Callable[[str], None]) -> list[sa.Row[Any]]:
    """Print a result as an aligned table (text left, numbers right); returns its rows."""
    names, rows = list(result.keys()), list(result.all())
    cells = [[_cell(name, v) for name, v in zip(names, row, strict=True)] for row in rows]
    widths = [max([len(n), *(len(c[i]) for c in cells)]) for i, n in enumerate(names)]
    left = [all(isinstance(row[i], str | None) for row in rows) for i in range(len(names))]
    for line in [names, *cells]:
        aligned = (c.ljust(w) if lf else c.rjust(w) for c, w, lf in zip(line, widths, left, strict=True))
        echo(("  " + "  ".join(aligned)).rstrip())
    return rows


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name.endswith("rate"):
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


async def _sync_a_sandbox(
    db_path: Path, echo: Callable[[str], None], reporter: Reporter | None
) -> tuple[Config, int]:
    sandbox = Sandbox(SandboxConfig(seed=1, workspaces=2, counts=DEMO_COUNTS))
    async with SandboxServer(sandbox, host="127.0.0.1", port=0) as server:
        echo(f"sandbox: a ClickFunnels stand-in at {server.url} (seed 1, 2 workspaces)")
        config = parse_config(
            {
                "api": {
                    "mode": "direct",
                    "base_url": server.url,
                    "api_key_env": _TOKEN_ENV,
                    "requests_per_second": 1000,
                },
                "database": {"url": f"sqlite:///{db_path}"},
            },
            {_TOKEN_ENV: sandbox.api_token(0)},
        )
        first = await app.sync(config, reporter=reporter)
        echo(f"first sync:  {summary_line(first)}")
        workspace = sandbox.workspace_ids(0)[0]
        for n in range(3):
            sandbox.create(
                "contacts",
                {"email_address": f"demo.new{n}@example.com", "first_name": f"New{n}"},
                workspace_id=workspace,
            )
        echo("created 3 contacts in the sandbox (the API logs a contact.created event for each)")
        second = await app.sync(config, reporter=reporter)
        echo(f"second sync: {summary_line(second)}")
    return config, len(first.failures) + len(second.failures)
