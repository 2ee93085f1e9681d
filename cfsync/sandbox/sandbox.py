"""The sandbox as a Python object: its accounts and keys, its data, its request log and its faults."""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cfsync.sandbox.catalog import ACCOUNT, Catalog, catalog
from cfsync.sandbox.config import SandboxConfig
from cfsync.sandbox.faults import Faults
from cfsync.sandbox.generate import Generator
from cfsync.sandbox.ids import IdSpace, iso_ms, stable_int
from cfsync.sandbox.query import ListQuery, page
from cfsync.sandbox.state import Clock, SandboxError, State
from cfsync.sandbox.writes import Writes

__all__ = ["REQUEST_LOG_SIZE", "RequestRecord", "Sandbox"]

REQUEST_LOG_SIZE = 1_000_000

Record = dict[str, Any]


@dataclass
class RequestRecord:
    """One request as the sandbox saw it."""

    method: str
    path: str  # as requested, prefix included: /clickfunnels/api/v2/workspaces/1/contacts
    query: dict[str, str]
    api_path: str = ""  # the part after /api/v2, the same in both modes
    mode: str = ""  # direct | maton | control, "" when no known prefix
    status: int | None = None  # None while in flight (or cancelled), 0 when the connection was reset
    account: int | None = None
    connection_id: str | None = None
    client: str | None = None
    at: float = field(default_factory=lambda: datetime.now(UTC).timestamp())


class Sandbox:
    def __init__(self, config: SandboxConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config or SandboxConfig()
        self.catalog: Catalog = catalog()
        unknown = sorted(set(self.config.counts) - set(self.catalog.resources))
        if unknown:
            raise ValueError(f"unknown resources in counts: {unknown}; known: {self.resources()}")
        self.ids = IdSpace(self.catalog, self.config)
        self.generator = Generator(self.catalog, self.ids)
        self.state = State(self.catalog, self.ids, self.generator, clock)
        self.writes = Writes(self.state)
        self.faults = Faults(self.config)
        self.requests: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)
        seed = self.config.seed
        self._tokens = {
            f"cfsb_{stable_int(seed, 'token', a):016x}{stable_int(seed, 'token2', a):016x}": a
            for a in range(self.config.accounts)
        }
        self.maton_key = f"maton_sb_{stable_int(seed, 'maton'):016x}"
        self.connection_ids = [
            str(uuid.UUID(int=stable_int(seed, "conn", a) << 64 | stable_int(seed, "conn2", a), version=4))
            for a in range(self.config.accounts)
        ]

    # -- keys and accounts ----------------------------------------------------------------------------

    def api_token(self, account: int = 0) -> str:
        """The direct-mode API token of an account (one team's platform application)."""
        return next(t for t, a in self._tokens.items() if a == account)

    def account_for_token(self, token: str) -> int | None:
        return self._tokens.get(token)

    def account_for_connection(self, connection_id: str) -> int | None:
        try:
            return self.connection_ids.index(connection_id)
        except ValueError:
            return None

    def connections(self) -> list[Record]:
        """The Maton connections, oldest first, in the gateway's shape."""
        out = []
        for a, cid in enumerate(self.connection_ids):
            created = iso_ms(self.ids.created_ms("teams", a))
            out.append(
                {
                    "connection_id": cid,
                    "status": "ACTIVE",
                    "creation_time": created,
                    "last_updated_time": created,
                    "url": f"https://connect.maton.ai/?connection_id={cid}",
                    "app": "clickfunnels",
                    "metadata": {},
                }
            )
        return out

    def team_ids(self, account: int = 0) -> list[int]:
        return [r["id"] for r in self.records("teams", account=account)]

    def workspace_ids(self, account: int = 0) -> list[int]:
        return [r["id"] for t in self.team_ids(account) for r in self.records("workspaces", parent_id=t)]

    def now(self) -> datetime:
        with self.state.lock:
            return datetime.fromtimestamp(self.state.now_ms() / 1000, tz=UTC)

    # -- data -----------------------------------------------------------------------------------------

    def resources(self) -> list[str]:
        return sorted(self.catalog.resources)

    def _scope(
        self, resource: str, workspace_id: int | None, parent_id: int | None, account: int
    ) -> tuple[str, int]:
        spec = self.catalog.spec(resource)
        if parent_id is not None:
            return spec.parent, parent_id
        if workspace_id is not None:
            if "workspaces" not in self.catalog.chain_types(resource):
                raise ValueError(f"{resource} is not under a workspace")
            return "workspaces", workspace_id
        if spec.parent == ACCOUNT:
            return ACCOUNT, account
        raise ValueError(f"{resource} lives under {spec.parent}: pass parent_id= (or workspace_id=)")

    def records(
        self,
        resource: str,
        *,
        workspace_id: int | None = None,
        parent_id: int | None = None,
        account: int = 0,
    ) -> list[Record]:
        """Every record the list endpoint shows, id ascending, exactly as served.

        `parent_id` names the partition (the course of enrollments); `workspace_id` takes every record under
        a workspace, however deep (all order invoices of a workspace); teams and users need neither.
        """
        scope, scope_id = self._scope(resource, workspace_id, parent_id, account)
        with self.state.lock:
            if scope != ACCOUNT and not self.state.exists(scope, scope_id):
                raise SandboxError(404, "Not found: Record missing")
            return page(self.state, resource, scope, scope_id, ListQuery(), limit=None)

    def get(self, resource: str, id_: int) -> Record | None:
        """One record as `GET /{resource}/{id}` serves it (anonymous and redacted contacts too)."""
        with self.state.lock:
            return self.state.get(resource, id_)

    def create(
        self,
        resource: str,
        fields: dict[str, Any],
        *,
        workspace_id: int | None = None,
        parent_id: int | None = None,
        account: int = 0,
    ) -> Record:
        """Create a record as if through the API (event logged); any record field may be set."""
        scope, scope_id = self._scope(resource, workspace_id, parent_id, account)
        parent = self.catalog.spec(resource).parent
        if scope != parent:
            raise ValueError(f"{resource} is created under its {parent}: pass parent_id=")
        with self.state.lock:
            return self.writes.create(resource, scope_id, fields, None)

    def update(self, resource: str, id_: int, fields: dict[str, Any]) -> Record:
        """Change a record; `updated_at` becomes the sandbox's now."""
        with self.state.lock:
            return self.writes.update(resource, id_, fields, None)

    def delete(self, resource: str, id_: int) -> None:
        """Hard-delete a record: gone from lists and member routes, left in the event log."""
        with self.state.lock:
            self.writes.delete(resource, id_)

    def events(self, workspace_id: int) -> list[Record]:
        """The workspace's outgoing event log, oldest first."""
        return self.records("webhooks_outgoing_events", workspace_id=workspace_id)

    def webhook_secret(self, endpoint_id: int) -> str | None:
        """The signing secret of an endpoint created through the API (answered once, kept here)."""
        return self.writes.webhook_secrets.get(endpoint_id)
