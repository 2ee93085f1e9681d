"""`cfsync browse`: the synced SQLite database in Datasette, read-only, described from the catalog.

Datasette is an optional extra (`pip install 'cfsync[browse]'`): a well-kept browser for SQLite that shows
tables, facets and queries, which no code of ours should redo. What cfsync adds is the metadata: a title and
description for every table (its list endpoint), every column (its API field and type, from the schema's
comments), the models as canned queries, facets on the columns people group by, a default sort, and a
dashboard of charts over the models (dashboards.py, drawn by the datasette-dashboards plugin).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import rich

from .dashboards import DASHBOARD, dashboards
from .errors import ConfigError
from .listen import bound, url_of
from .resources.catalog import CATALOG, CENTS
from .resources.facts import description
from .store.models import MODELS
from .store.schema import metadata

__all__ = ["DASHBOARD_PATH", "FACETS", "browse_metadata", "serve"]

# Where `cfsync browse` opens: the dashboard. The index and every table stay a click away.
DASHBOARD_PATH = f"/-/dashboards/{DASHBOARD}"
# cfsync's own static files (static/charts.js: keeps each chart's vega view reachable), at /-/cfsync/.
_STATIC = ("-/cfsync", Path(__file__).with_name("static"))

# Columns worth a facet wherever a table has them: what analysts group and filter by.
FACETS = (
    "workspace_id",
    "currency",
    "status",
    "source",
    "order_type",
    "invoice_type",
    "billing_status",
    "service_status",
    "payment_type",
    "billing_interval",
    "archived",
)
# The sync's bookkeeping: there, but not what anyone browses for.
_HIDDEN = {"alembic_version", "_models", "sync_sweep_misses", "sync_segments"}
# Models read newest first by their time column.
_MODEL_SORT = {
    "revenue_daily": "day",
    "transactions_daily": "day",
    "revenue_by_utm": "day",
    "funnel_conversion_daily": "day",
    "contacts_by_utm": "day",
    "appointments_daily": "day",
    "mrr_monthly": "month",
    "subscriptions": "started_at",
}


# The bookkeeping columns the schema leaves without a comment (comments there are API fields and sources).
_ABOUT = {
    "account": "the config account ([[accounts]] name)",
    "resource": "the resource (table) it is about",
    "workspace_id": "the workspace (0 when none)",
    "parent_id": "the parent record of a nested list (0 when none)",
    "record_id": "the record's id",
    "run_id": "the sync run (sync_runs.id)",
    "id": "row id",
    "rows": "live rows synced into this partition",
    "status": "ok, failed, running, interrupted",
    "last_success_at": "when a pass over it last succeeded",
    "last_error": "why the last pass failed, if it did",
    "updated_at": "when this row last changed",
    "started_at": "when the run started",
    "finished_at": "when the run ended",
    "full_refresh": "a full sweep (--full or full_refresh_every)",
    "resources": "the resources it synced",
    "requests": "HTTP attempts, retries included",
    "retries": "retried requests",
    "rate_limited": "429 answers",
    "partitions": "partitions it walked",
    "failed_partitions": "partitions that failed",
    "pid": "the process that ran it",
    "host": "the machine that ran it",
    "reason": "why the record did not fit its table",
    "rejected_at": "when it was set aside",
    "done": "the segment reached its end",
    "subject_type": "what the event is about (Contact, Order, ...)",
    "subject_id": "the id of what it is about",
}


_TABLES = {
    "sync_state": "One row per partition (account, resource, workspace, parent): where its walk stands "
    "(cursor, watermark, sweep), its rows, its last success and error.",
    "sync_runs": "One row per sync run: when, what, how it ended, its requests, retries and 429s, and the "
    "rows it inserted, updated and deleted per resource.",
}


def _table_description(name: str) -> str:
    resource = CATALOG.get(name)
    if resource is not None:
        default = "" if resource.default else " (off by default: add it to [sync].resources)"
        return f"ClickFunnels {name.replace('_', ' ')}, from GET {resource.path}{default}."
    if "__" in name:
        parent, _, field = name.partition("__")
        return f"Items of {parent}.{field}[], one row each, keyed by the parent's id and _position."
    return metadata.tables[name].comment or _TABLES.get(name, "")


def _columns(name: str) -> dict[str, str]:
    table = metadata.tables[name]
    resource = CATALOG.get(name)
    # ClickFunnels' own words for a field (2026 facts) lead, its source and type after them; a money
    # column's _cents twin keeps its derivation, a field the facts do not describe its comment.
    fields = {c.name: c for c in resource.columns if c.kind != CENTS} if resource is not None else {}
    out = {}
    for column in table.columns:
        about = column.comment or _ABOUT.get(column.name)
        field = fields.get(column.name)
        said = description(resource.schema, field.source) if resource and field else None
        said = " ".join((said or "").split())
        if field and said:
            about = f"{said if said[-1] in '.!?' else said + '.'} ({field.source}, {field.api_type})"
        if about:
            out[column.name] = about
    bookkeeping = {
        "_raw": "the record exactly as the API sent it (JSON)",
        "_synced_at": "when cfsync last wrote the row (it moves only when the record changed)",
        "_deleted_at": "when cfsync found the record gone (soft deletes); NULL for live rows",
    }
    if "_raw" in table.columns:  # a table of API records (the statistics' have no _deleted_at)
        out.update({k: v for k, v in bookkeeping.items() if k in table.columns})
    return out


def browse_metadata(database: str) -> dict[str, Any]:
    """Datasette metadata for a cfsync database opened under the name `database`."""
    tables: dict[str, Any] = {}
    for name, table in metadata.tables.items():
        entry: dict[str, Any] = {"description": _table_description(name), "columns": _columns(name)}
        facets = [c for c in FACETS if c in table.columns]
        if facets:
            entry["facets"] = facets
        if "updated_at" in table.columns:
            entry["sort_desc"] = "updated_at"
        if "name" in table.columns:
            entry["label_column"] = "name"
        if name in _HIDDEN:
            entry["hidden"] = True
        tables[name] = entry
    tables["alembic_version"] = {"description": "the schema's migration revision", "hidden": True}
    queries = {}
    for model in MODELS:
        names = [column for column, _ in model.columns]
        tables[model.name] = {
            "description": f"Model: {model.row}. {model.notes}".strip(),
            "columns": dict(model.columns),
            "facets": [c for c in FACETS if c in names],
            **({"sort_desc": _MODEL_SORT[model.name]} if model.name in _MODEL_SORT else {}),
        }
        order = f" ORDER BY {_MODEL_SORT[model.name]} DESC" if model.name in _MODEL_SORT else ""
        queries[model.name] = {
            "title": model.name.replace("_", " ").capitalize(),
            "description": f"One row: {model.row}. Every column is described in docs/schema.md.",
            "sql": f"SELECT * FROM {model.name}{order}",
        }
    return {
        "title": "cfsync: ClickFunnels data",
        "description": "Tables named after the ClickFunnels v2 API's resources, and models (views) that "
        "answer revenue, subscriptions and MRR, lifetime value, course progress and form conversion. "
        "Money: sum the <column>_cents twins (exact). Read-only.",
        "databases": {database: {"tables": tables, "queries": queries}},
        "plugins": {"datasette-dashboards": dashboards(database)},
        "extra_js_urls": [f"/{_STATIC[0]}/charts.js"],
    }


async def serve(
    path: Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the SQLite file at `path` read-only until cancelled; `on_ready(url)` once it listens (the
    server's root: the dashboard is at DASHBOARD_PATH under it).

    Raises ConfigError when Datasette is not installed, ListenError when the address cannot be had."""
    try:
        import uvicorn
        from datasette.app import Datasette
    except ImportError:
        raise ConfigError("cfsync browse needs Datasette: pip install 'cfsync[browse]'") from None
    try:
        import datasette_dashboards  # noqa: F401 - Datasette finds it as a plugin; its absence is ours to say
    except ImportError:
        raise ConfigError("cfsync browse needs datasette-dashboards: pip install 'cfsync[browse]'") from None
    with bound(host, port) as sockets:  # before Datasette reads anything
        # Datasette prints every refused request (a 404, a query that is not a SELECT) with its traceback
        # on rich's global console; the answer already says what was wrong. cfsync's displays use their own.
        rich.get_console().quiet = True
        datasette = Datasette(
            files=[str(path)],
            metadata=browse_metadata(path.stem),
            static_mounts=[(_STATIC[0], str(_STATIC[1]))],
            settings={"default_page_size": 50, "sql_time_limit_ms": 5000, "allow_download": True},
        )
        await datasette.invoke_startup()
        # uvicorn takes SIGINT and SIGTERM while it serves, shuts down, then raises the signal again:
        # cfsync's handler then stops the command as every other (exit 128 + the signal's number).
        server = uvicorn.Server(uvicorn.Config(datasette.app(), log_level="warning", lifespan="off"))
        task = asyncio.create_task(server.serve(sockets=sockets))
        try:
            while not server.started:
                if task.done():
                    task.result()
                    return
                await asyncio.sleep(0.02)
            if on_ready is not None:
                on_ready(url_of(sockets[0]))
            await task
        finally:
            server.should_exit = True
            if not task.done():
                await asyncio.wait([task], timeout=5)
