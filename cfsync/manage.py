"""Writes from Python: send a write through the API, then bring the local database in line at once.

A successful write upserts the record the API answered (or marks a deleted row, or re-reads a GDPR-erased
contact), so a `SELECT` shows the change before the next sync. A refused write changes nothing locally.

    from cfsync.manage import write
    done = asyncio.run(write(config, "contacts.update", record_id=123, fields={"first_name": "Ann"}))
    done.record["first_name"]   # "Ann", and so is the `contacts` row

For many writes, keep one session (one HTTP session, one database):

    async with WriteSession(config, account="shop") as session:
        upserted = await session.write("contacts.upsert", {"workspace_id": 1}, {"email_address": "a@b.c"})
        upserted.created
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .app import open_store
from .client.http import ApiClient
from .client.writes import DELETE, REFETCH, WriteOperation, Writer, Written, list_all, operation
from .config import ALL_CONNECTIONS, AccountConfig, Config
from .engine.apply import apply_record
from .errors import ConfigError, RecordError
from .logfmt import logfmt
from .resources.catalog import CATALOG
from .resources.transform import storable
from .store.store import Store

__all__ = [
    "WriteSession",
    "ids_for",
    "list_webhook_endpoints",
    "pick_account",
    "prepare",
    "workspace_for",
    "write",
]

log = logging.getLogger("cfsync.manage")


def pick_account(config: Config, name: str | None = None) -> AccountConfig:
    """The account `name` names (default: the config's first). For a Maton account with
    `connection = "all"`, `NAME:CONNECTION_ID` picks one connection, named as a sync names it."""
    if name is None:
        account = config.accounts[0]
    else:
        base, _, connection = name.partition(":")
        found = config.account(base)
        if connection and found.mode != "maton":
            raise ConfigError(f"account {base!r} is in direct mode: it has no Maton connections to pick")
        account = replace(found, name=name, connection=connection) if connection else found
    if account.mode == "maton" and account.connection == ALL_CONNECTIONS:
        raise ConfigError(
            f"account {account.name!r} spans every Maton connection: pick one, {account.name}:CONNECTION_ID",
            option="account",
        )
    account.require_key()
    return account


def workspace_for(config: Config, workspace_id: int | None, needs: str) -> int:
    """`workspace_id`, else the config's only `[sync].workspaces` entry; else a one-line error saying what
    `needs` one."""
    if workspace_id is not None:
        return workspace_id
    if len(config.sync.workspaces) == 1:
        return config.sync.workspaces[0]
    raise ConfigError(
        f"{needs} needs a workspace id: the config's [sync].workspaces has "
        f"{len(config.sync.workspaces)} entries, not exactly one",
        option="workspace",
    )


def ids_for(config: Config, op: WriteOperation, ids: Mapping[str, int | str] | None) -> dict[str, int | str]:
    """The path ids, with the config's only workspace filled in when the operation needs one."""
    out = {k: v for k, v in (ids or {}).items() if v is not None}
    if "workspace_id" in op.params and "workspace_id" not in out:
        out["workspace_id"] = workspace_for(config, None, f"{op.resource} {op.verb}")
    return out


def prepare(
    config: Config,
    op: WriteOperation | str,
    ids: Mapping[str, int | str] | None,
    fields: Mapping[str, Any] | None,
) -> tuple[WriteOperation, dict[str, int | str]]:
    """Every check a write gets before anything is opened or sent: the operation, its path ids, its
    fields (FieldError for one the facts do not list, or a wrong type)."""
    op = operation(op) if isinstance(op, str) else op
    path_ids = ids_for(config, op, ids)
    op.url(path_ids)
    if op.wrapper is not None and not fields:
        raise ConfigError(f"{op.resource} {op.verb} needs at least one field", option="fields")
    op.body(fields)
    return op, path_ids


def _numeric(value: int | str | None) -> int | None:
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


class WriteSession:
    """One account's API client and the config's database (migrated on entry), for many writes."""

    def __init__(
        self, config: Config, *, account: str | None = None, client: ApiClient | None = None
    ) -> None:
        self.config = config
        self.account = client.account if client is not None else pick_account(config, account)
        self._own_client = client is None
        self.client = client or ApiClient(self.account)
        self.writer = Writer(self.client)
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("WriteSession used outside `async with`")
        return self._store

    async def __aenter__(self) -> WriteSession:
        # The database first: a write the API accepted but that could not be recorded would be worse
        # than a write never sent.
        self._store = open_store(self.config)
        if self._own_client:
            try:
                await self.client.__aenter__()
            except BaseException:
                self._store.close()
                raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if self._own_client:
                await self.client.close()
        finally:
            if self._store is not None:
                self._store.close()
                self._store = None

    async def write(
        self,
        op: WriteOperation | str,
        ids: Mapping[str, int | str] | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Written:
        """Send the write, then update the local database. Raises the API's refusal as its ApiError
        subclass (nothing stored), or FieldError before sending for a field the operation does not take."""
        op, path_ids = prepare(self.config, op, ids, fields)
        record_id = path_ids.get("id")
        if op.effect == DELETE and record_id is not None and _numeric(record_id) is None:
            # A public id: learn the numeric one first, since the row to mark is keyed by it.
            path_ids["id"] = (await self.writer.fetch(op, record_id))["id"]
        written = await self.writer.run(op, path_ids, fields)
        if op.effect == REFETCH and record_id is not None:
            written = replace(written, record=await self.writer.fetch(op, record_id))
        self.record_locally(written, path_ids)
        return written

    def record_locally(self, written: Written, ids: Mapping[str, int | str]) -> None:
        """Apply an accepted write to the database; a record that does not fit is logged, not raised (the
        API has the change: the next sync brings it)."""
        op = written.operation
        resource = CATALOG[op.resource]
        if op.effect == DELETE:
            record_id = _numeric(ids.get("id"))
            if record_id is not None:
                self.store.mark_deleted(resource, [record_id], datetime.now(UTC))
            return
        if written.record is None:
            return
        parent_id = _numeric(ids.get(resource.parent_param or ""))
        try:
            record = storable(written.record)
            apply_record(self.store, self.account.name, resource, record, parent_id=parent_id)
        except RecordError as exc:
            log.warning(
                logfmt(
                    event="answer_not_stored",
                    operation=op.name,
                    error=str(exc),
                    detail="the API accepted the write; its answer does not fit the table",
                )
            )


async def write(
    config: Config,
    operation: str,
    fields: Mapping[str, Any] | None = None,
    *,
    record_id: int | str | None = None,
    workspace_id: int | None = None,
    course_id: int | None = None,
    account: str | None = None,
) -> Written:
    """Send one write to the API, then bring the local database in line (an upsert of the answered record,
    a row marked deleted, a GDPR-erased contact read again).

    Args:
        config: from load_config.
        operation: `resource.verb`, a key of cfsync.OPERATIONS: "contacts.create", "contacts.upsert",
            "products.archive", "fulfillments.cancel", ...
        fields: the body's fields (checked against the API's facts before anything is sent).
        record_id, workspace_id, course_id: the ids the operation's path takes; `workspace_id` defaults
            to the config's only [sync].workspaces entry.
        account: the config account to use (default its first; `NAME:CONNECTION_ID` for one connection
            of a Maton `connection = "all"` account).

    Returns:
        Written: the HTTP status (201 created, 200 updated) and the record the API answered.

    Raises:
        FieldError: a field the operation does not take, or a value of the wrong type (nothing sent).
        ConfigError: an unknown operation, a missing id.
        ApiError: the API's refusal (ValidationError 422, ConflictError 409, NotFoundError 404, ...);
            nothing is stored.
    """
    ids: dict[str, int | str] = {
        k: v
        for k, v in (("id", record_id), ("workspace_id", workspace_id), ("course_id", course_id))
        if v is not None
    }
    prepare(config, operation, ids, fields)  # a typo fails before the database is opened
    async with WriteSession(config, account=account) as session:
        return await session.write(operation, ids, fields)


async def list_webhook_endpoints(
    config: Config, workspace_id: int | None = None, *, account: str | None = None
) -> list[dict[str, Any]]:
    """Every outgoing webhook endpoint of a workspace (all pages); reads only, the database is untouched."""
    chosen = pick_account(config, account)
    workspace = workspace_for(config, workspace_id, "listing webhook endpoints")
    path = operation("webhooks_outgoing_endpoints.create").url({"workspace_id": workspace})
    async with ApiClient(chosen) as client:
        return await list_all(client, path)
