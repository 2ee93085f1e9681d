"""The Maton gateway's connection registry: which ClickFunnels account each connection id reaches.

A connection starts PENDING (created through `POST /connections`, waiting for someone to finish the OAuth
at its `url`) and becomes ACTIVE once completed; only ACTIVE connections reach an account through the
gateway. Ids are derived from (seed, sequence number), so the same seed hands out the same ids in the same
order: the initial connections (one per generated account) first, then every created one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from cfsync.sandbox.ids import iso_ms, stable_int
from cfsync.sandbox.state import SandboxError

__all__ = ["ACTIVE", "APP", "PENDING", "Connection", "Connections"]

APP = "clickfunnels"
ACTIVE, PENDING = "ACTIVE", "PENDING"
CONNECT_URL = "https://connect.maton.ai/?connection_id={}"


@dataclass
class Connection:
    connection_id: str
    status: str
    created_ms: int
    updated_ms: int
    account: int | None  # None until the OAuth is finished

    def shape(self) -> dict[str, Any]:
        """The connection as the control API answers it."""
        return {
            "connection_id": self.connection_id,
            "status": self.status,
            "creation_time": iso_ms(self.created_ms),
            "last_updated_time": iso_ms(self.updated_ms),
            "url": CONNECT_URL.format(self.connection_id),
            "app": APP,
            "metadata": {},
        }


class Connections:
    """Every connection behind the sandbox's Maton key, in creation order. Callers hold the sandbox lock."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._sequence = 0
        self._by_id: dict[str, Connection] = {}

    def _next_id(self) -> str:
        n, self._sequence = self._sequence, self._sequence + 1
        high, low = stable_int(self._seed, "conn", n), stable_int(self._seed, "conn2", n)
        return str(uuid.UUID(int=high << 64 | low, version=4))

    def add(self, now_ms: int, account: int | None = None) -> Connection:
        """A new connection: ACTIVE on `account` when one is given, else PENDING."""
        status = PENDING if account is None else ACTIVE
        connection = Connection(self._next_id(), status, now_ms, now_ms, account)
        self._by_id[connection.connection_id] = connection
        return connection

    def all(self, status: str | None = None) -> list[Connection]:
        """Oldest first; creation order breaks ties."""
        found = [c for c in self._by_id.values() if status is None or c.status == status]
        return sorted(found, key=lambda c: c.created_ms)

    def get(self, connection_id: str) -> Connection:
        connection = self._by_id.get(connection_id)
        if connection is None:
            raise SandboxError(404, "Connection not found")
        return connection

    def complete(self, connection_id: str, account: int, now_ms: int) -> Connection:
        connection = self.get(connection_id)  # Sandbox.complete_connection answered 409 if already active
        connection.status, connection.account, connection.updated_ms = ACTIVE, account, now_ms
        return connection

    def delete(self, connection_id: str) -> None:
        self.get(connection_id)
        del self._by_id[connection_id]

    def account_for(self, connection_id: str) -> int | None:
        """The account an ACTIVE connection reaches; None when unknown, pending or deleted."""
        connection = self._by_id.get(connection_id)
        return connection.account if connection is not None and connection.status == ACTIVE else None

    def oldest_active(self) -> str | None:
        active = self.all(ACTIVE)
        return active[0].connection_id if active else None
