"""The database schema, built from the catalog: one table per resource, one per embedded array, and the
tables that hold the sync's own state. Migrations are generated from this metadata and a test checks that
they stay equal.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..resources.catalog import (
    BOOLEAN,
    CATALOG,
    CENTS,
    DECIMAL,
    ID,
    INTEGER,
    JSON,
    KIND,
    TEXT,
    TIMESTAMP,
    ChildTable,
    Column,
    Resource,
)
from ..resources.stats import FUNNEL_STATS, DailyStats
from .types import Json, Money, UtcDateTime

__all__ = [
    "META_TABLES",
    "STATS_TABLES",
    "backfills",
    "checks",
    "child_table",
    "column_comment",
    "column_type",
    "metadata",
    "models_state",
    "rate_budgets",
    "rejects",
    "schema_changes",
    "segments",
    "sweep_misses",
    "sync_runs",
    "sync_state",
    "webhook_events",
]

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite makes an INTEGER PRIMARY KEY the rowid: the fastest key it has. PostgreSQL ids need 64 bits.
_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def column_type(kind: str) -> Any:
    return _sql_type(kind)


def _sql_type(kind: str) -> Any:
    return {
        ID: sa.BigInteger(),
        INTEGER: sa.BigInteger(),
        BOOLEAN: sa.Boolean(create_constraint=False),
        TEXT: sa.Text(),
        TIMESTAMP: UtcDateTime(),
        DECIMAL: Money(),
        JSON: Json,
        CENTS: sa.BigInteger(),
    }[kind]


def _meta_columns() -> list[sa.Column]:
    return [
        sa.Column("_raw", Json, nullable=False, comment="the record as the API sent it"),
        sa.Column("_synced_at", UtcDateTime(), nullable=False, comment="when cfsync last wrote this row"),
        sa.Column("_deleted_at", UtcDateTime(), comment="when cfsync saw the record gone"),
    ]


def column_comment(col: Column) -> str:
    return _comment(col)


def _comment(col: Column) -> str:
    if col.kind == CENTS:
        return f"{col.source} x 100, an exact integer (cents): the one to sum on SQLite"
    return f"{col.source} ({col.api_type})"


def _resource_table(resource: Resource) -> sa.Table:
    columns: list[sa.Column] = []
    for col in resource.columns:
        if col.kind == ID:
            columns.append(sa.Column("id", _Id, primary_key=True, autoincrement=False, comment=_comment(col)))
        else:
            columns.append(sa.Column(col.name, _sql_type(col.kind), comment=_comment(col)))
    for name in resource.extra_columns:
        kind = sa.Text() if name == "_account" else sa.BigInteger()
        columns.append(sa.Column(name, kind, comment="added by cfsync from the list it came from"))
    indexed = {c for c in ("workspace_id", resource.parent_param, "_account") if c}
    return sa.Table(
        resource.name,
        metadata,
        *columns,
        *_meta_columns(),
        *(sa.Index(None, name) for name in sorted(indexed) if name in {c.name for c in columns}),
        comment=f"GET {resource.path}",
    )


def _kind_comment(child: ChildTable) -> str:
    same_as = dict(child.same_as)
    keys = [
        f"{k} (when the API sends it null, as identical to {same_as[k]}: {same_as[k]}'s values)"
        if k in same_as
        else k
        for _, k in child.keys
    ]
    return f"the {child.field} member this row is: " + ", ".join(keys)


def _child_tables(resource: Resource) -> list[sa.Table]:
    return [child_table(resource, child, metadata) for child in resource.children]


def child_table(resource: Resource, child: ChildTable, meta: sa.MetaData) -> sa.Table:
    """A child table's layout (catalog children, and those evolved for a new array of objects): the parent's
    id and the row's place as the key, the kind of a keyed row, typed columns, the workspace, meta columns."""
    where = ", ".join(f"{p} {k}" for p, k in child.keys) or f"position in {child.field}[]"
    columns: list[sa.Column] = [
        sa.Column(child.parent_key, sa.BigInteger(), primary_key=True, comment=f"{resource.name}.id"),
        sa.Column("_position", sa.Integer(), primary_key=True, comment=where),
    ]
    if child.keyed:
        columns.append(sa.Column(KIND, sa.Text(), nullable=False, comment=_kind_comment(child)))
    for col in child.columns:
        if col.name != child.parent_key:
            kind = INTEGER if col.kind == ID else col.kind
            columns.append(sa.Column(col.name, _sql_type(kind), comment=_comment(col)))
    if resource.workspace_scoped and "workspace_id" not in {c.name for c in columns}:
        columns.append(sa.Column("workspace_id", sa.BigInteger(), comment="added by cfsync"))
    shape = f"{child.field}.*" if child.keyed else f"{child.field}[]"
    return sa.Table(child.name, meta, *columns, *_meta_columns(), comment=f"{resource.name}.{shape}")


def _stats_columns(stats: DailyStats, *middle: sa.Column, steps: bool) -> list[sa.Column]:
    """A statistics table's columns: the parent and day (and the step's position) as the key, the
    workspace, `middle`, the figures, and whether the day was over when fetched."""
    step = [sa.Column("_position", sa.Integer(), primary_key=True, comment="the step's index in steps[]")]
    partial = "fetched before the day ended: its figures grow until it is fetched again"
    return [
        sa.Column(stats.parent_key, sa.BigInteger(), primary_key=True, comment=f"{stats.parent}.id"),
        sa.Column("day", sa.Date(), primary_key=True, comment="the UTC day [00:00, 24:00) counted"),
        *(step if steps else []),
        sa.Column("workspace_id", sa.BigInteger(), comment=f"the {stats.parent} row's workspace"),
        *middle,
        *(
            sa.Column(c.name, _sql_type(c.kind), comment=_comment(c))
            for c in (stats.step_columns if steps else stats.columns)
        ),
        sa.Column("partial", sa.Boolean(create_constraint=False), nullable=False, comment=partial),
    ]


def _daily_stats_tables(stats: DailyStats) -> None:
    """The summary per parent and UTC day, and its steps per day: each day fetched replaces both."""
    sa.Table(
        stats.name,
        metadata,
        *_stats_columns(
            stats,
            sa.Column("_account", sa.Text(), comment="the config account that fetched it"),
            sa.Column("currency", sa.Text(), comment="currency (ISO 4217) of every amount of the row"),
            steps=False,
        ),
        sa.Column("fetched_at", UtcDateTime(), nullable=False, comment="when the run fetched the day"),
        sa.Column("_raw", Json, nullable=False, comment="the answer as the API sent it"),
        sa.Column("_synced_at", UtcDateTime(), nullable=False, comment="when cfsync wrote this row"),
        sa.Index(None, "workspace_id", "day"),
        comment=f"GET {stats.path}: one row per {stats.parent_key.removesuffix('_id')} and UTC day",
    )
    sa.Table(
        stats.steps_name,
        metadata,
        *_stats_columns(stats, steps=True),
        sa.Column("_raw", Json, nullable=False, comment="the step as the API sent it"),
        sa.Column("_synced_at", UtcDateTime(), nullable=False, comment="when cfsync wrote this row"),
        comment=f"GET {stats.path}?expand[]=steps: one row per step and UTC day",
    )


for _resource in CATALOG.values():
    _resource_table(_resource)
    _child_tables(_resource)
_daily_stats_tables(FUNNEL_STATS)

sync_state = sa.Table(
    "sync_state",
    metadata,
    sa.Column("account", sa.Text(), primary_key=True),
    sa.Column("resource", sa.Text(), primary_key=True),
    sa.Column("workspace_id", sa.BigInteger(), primary_key=True, comment="0 when not in a workspace"),
    sa.Column("parent_id", sa.BigInteger(), primary_key=True, comment="id in the list's path; 0 for none"),
    sa.Column("cursor", sa.Text(), comment="`after` value: the last id stored"),
    sa.Column("watermark", UtcDateTime(), comment="every update before this time is stored"),
    sa.Column("sweep_started_at", UtcDateTime(), comment="a full sweep (delete detection) is under way"),
    sa.Column("last_full_sweep_at", UtcDateTime(), comment="when the last full sweep completed"),
    sa.Column("query", sa.Text(), comment="the fixed query (expand[]...) of the last full sweep; NULL: none"),
    sa.Column("rows", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("deleted", sa.BigInteger(), nullable=False, server_default="0", comment="rows found gone"),
    sa.Column("status", sa.Text(), nullable=False, server_default="new"),
    sa.Column("run_id", sa.Integer()),
    sa.Column("last_success_at", UtcDateTime()),
    sa.Column("last_error", sa.Text()),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    comment="one row per partition: (account, workspace, resource, parent)",
)

sync_runs = sa.Table(
    "sync_runs",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("status", sa.Text(), nullable=False, comment="running, succeeded, partial, failed"),
    sa.Column("full_refresh", sa.Boolean(create_constraint=False), nullable=False),
    sa.Column("resources", Json, nullable=False),
    sa.Column("accounts", Json, comment="names of the accounts the run synced"),
    sa.Column("requests", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("retries", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("rate_limited", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("partitions", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("failed_partitions", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("rows", Json, nullable=False, comment="{resource: {inserted, updated, rejected}}"),
    sa.Column("errors", Json, nullable=False, comment="[{partition, error}]"),
    sa.Column("pid", sa.Integer()),
    sa.Column("host", sa.Text()),
)

rejects = sa.Table(
    "_rejects",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer()),
    sa.Column("account", sa.Text(), nullable=False),
    sa.Column("resource", sa.Text(), nullable=False),
    sa.Column("workspace_id", sa.BigInteger()),
    sa.Column("record_id", sa.Text(), comment="the record's id as sent, when it had one"),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column(
        "column_name",
        sa.Text(),
        comment="the column left NULL because the value did not fit it (the row was written); NULL: the "
        "whole record was set aside",
    ),
    sa.Column("raw", Json, comment="the record as the API sent it"),
    sa.Column("rejected_at", UtcDateTime(), nullable=False),
    comment="records that did not fit their table; the sync went on without them",
)

sweep_misses = sa.Table(
    "sync_sweep_misses",
    metadata,
    sa.Column("account", sa.Text(), primary_key=True),
    sa.Column("resource", sa.Text(), primary_key=True),
    sa.Column("workspace_id", sa.BigInteger(), primary_key=True),
    sa.Column("parent_id", sa.BigInteger(), primary_key=True),
    sa.Column("record_id", sa.BigInteger(), primary_key=True),
    comment="rows a full sweep under way did not see; marked deleted only when the sweep completes",
)

segments = sa.Table(
    "sync_segments",
    metadata,
    sa.Column("account", sa.Text(), primary_key=True),
    sa.Column("resource", sa.Text(), primary_key=True),
    sa.Column("workspace_id", sa.BigInteger(), primary_key=True),
    sa.Column("parent_id", sa.BigInteger(), primary_key=True),
    sa.Column("after_id", sa.BigInteger(), primary_key=True, comment="the segment walks ids after this one"),
    sa.Column("through_id", sa.BigInteger(), comment="through this id; NULL: to the end of the list"),
    sa.Column("cursor", sa.BigInteger(), nullable=False, comment="`after` of its next page"),
    sa.Column("done", sa.Boolean(create_constraint=False), nullable=False, server_default=sa.false()),
    comment="a big list walked by several cursors at once; gone when the walk completes",
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("seq", _Id, primary_key=True, autoincrement=True, comment="order of arrival"),
    sa.Column("event_id", sa.Text(), nullable=False, comment="the delivery's event_id (uuid)"),
    sa.Column("event_type", sa.Text(), nullable=False, comment="contact.updated, order.deleted, ..."),
    sa.Column("action", sa.Text(), nullable=False, comment="the event type after its last dot: updated, ..."),
    sa.Column("resource", sa.Text(), comment="the table the subject lives in; NULL for unknown types"),
    sa.Column("record_id", sa.BigInteger(), comment="the subject's id (data.id, else subject_id)"),
    sa.Column("workspace_id", sa.BigInteger(), nullable=False),
    sa.Column("subject_type", sa.Text()),
    sa.Column("subject_id", sa.BigInteger()),
    sa.Column("endpoint_id", sa.BigInteger(), comment="the endpoint whose secret verified it, when known"),
    sa.Column("created_at", UtcDateTime(), nullable=False, comment="when ClickFunnels created the event"),
    sa.Column("received_at", UtcDateTime(), nullable=False, comment="when the receiver committed it"),
    sa.Column("payload", Json, nullable=False, comment="the delivery's JSON body"),
    sa.Column(
        "status",
        sa.Text(),
        nullable=False,
        server_default="pending",
        comment="pending, applied, stale (older than the stored row), ignored, failed",
    ),
    sa.Column("reason", sa.Text(), comment="why stale, ignored or failed"),
    sa.Column("applied_at", UtcDateTime(), comment="when the applier decided its status"),
    sa.UniqueConstraint("event_id"),
    sa.Index(None, "status", "seq"),
    sa.Index(None, "resource", "record_id"),
    comment="every webhook delivery accepted, once per event_id; committed before the receiver answers",
)

models_state = sa.Table(
    "_models",
    metadata,
    sa.Column("name", sa.Text(), primary_key=True, comment="a model (a view): revenue_daily, ..."),
    sa.Column("digest", sa.Text(), nullable=False, comment="of the SQL it was created from"),
    comment="which model definitions the views hold: `db upgrade` recreates them when cfsync's differ",
)

backfills = sa.Table(
    "_backfills",
    metadata,
    sa.Column("table_name", sa.Text(), primary_key=True, comment="the table whose new columns are filled"),
    sa.Column("columns", Json, nullable=False, comment="the columns filled from each row's _raw"),
    sa.Column("after_key", sa.BigInteger(), comment="rows up to this key are done; NULL: none yet"),
    sa.Column("rows_done", sa.BigInteger(), nullable=False, server_default="0", comment="rows filled so far"),
    sa.Column("revision", sa.Text(), nullable=False, comment="the migration that added the columns"),
    comment="columns a migration added, being filled from the rows' _raw in steps (gone when done)",
)

checks = sa.Table(
    "_checks",
    metadata,
    sa.Column(
        "scope", sa.Text(), primary_key=True, comment="full: PRAGMA quick_check of the whole SQLite file"
    ),
    sa.Column(
        "checked_at", UtcDateTime(), nullable=False, comment="when the last check that found it sound began"
    ),
    sa.Column("seconds", sa.Float(), nullable=False, comment="how long that check took"),
    comment="integrity checks found sound (SQLite): a run checks the whole file when the last is older than "
    "[database].check_every",
)

rate_budgets = sa.Table(
    "_rate_budgets",
    metadata,
    sa.Column("key", sa.Text(), primary_key=True, comment="a hash of the API host and key (never the key)"),
    sa.Column("next_slot", sa.Float(), nullable=False, comment="the key's next free slot (database clock)"),
    sa.Column("pace", sa.Float(), nullable=False, comment="requests per second the key's workers send at"),
    sa.Column("limit_found", sa.Float(), comment="a limit its learner found lately, req/s"),
    sa.Column("noise", sa.Float(), nullable=False, comment="the share of 429s slowing down did not cure"),
    sa.Column("held_until", sa.Float(), nullable=False, comment="every request held back until then"),
    sa.Column("learner", sa.Text(), comment="the worker that learns the pace (a random id)"),
    sa.Column("learner_until", sa.Float(), nullable=False, comment="its lease ends then, unless renewed"),
    sa.Column("ok_total", sa.BigInteger(), nullable=False, comment="successes the workers reported"),
    sa.Column("throttled_total", sa.BigInteger(), nullable=False, comment="429s the workers reported"),
    sa.Column("updated_at", sa.Float(), nullable=False, comment="the last reservation (database clock, s)"),
    comment="PostgreSQL: the request budget that the workers on one API key share (UNLOGGED; unused on "
    "SQLite)",
)

schema_changes = sa.Table(
    "_schema_changes",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("table_name", sa.Text(), nullable=False, comment="the table that changed"),
    sa.Column(
        "column_name",
        sa.Text(),
        nullable=False,
        comment="the column added; kind 'table': the field whose items became the child table "
        "<table_name>__<column_name>",
    ),
    sa.Column("resource", sa.Text(), nullable=False, comment="the list whose records fill the table"),
    sa.Column(
        "kind",
        sa.Text(),
        nullable=False,
        comment="integer, decimal, cents, boolean, timestamp, text, json; or table (a child table)",
    ),
    sa.Column("source", sa.Text(), nullable=False, comment="the API field, as a path: badges[].name"),
    sa.Column("first_seen_at", UtcDateTime(), nullable=False, comment="when cfsync first met a value of it"),
    sa.Column("run_id", sa.Integer(), comment="the sync run that met it; NULL: a webhook or a write"),
    sa.UniqueConstraint("table_name", "column_name"),
    comment="columns and child tables cfsync added on its own for fields the API started sending "
    '([sync].schema = "evolve")',
)

STATS_TABLES = (FUNNEL_STATS.name, FUNNEL_STATS.steps_name)

META_TABLES = (
    "sync_state",
    "sync_runs",
    "sync_segments",
    "sync_sweep_misses",
    "_rejects",
    "webhook_events",
    "_models",
    "_backfills",
    "_checks",
    "_rate_budgets",
    "_schema_changes",
)
