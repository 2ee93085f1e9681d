"""The sandbox as a Python object: its accounts and keys, its data, its request log and its faults."""

from __future__ import annotations

import copy
import json
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cfsync.sandbox.actions import Actions
from cfsync.sandbox.catalog import ACCOUNT, Catalog, catalog
from cfsync.sandbox.config import SandboxConfig
from cfsync.sandbox.connections import ACTIVE, Connections
from cfsync.sandbox.deliveries import Deliveries
from cfsync.sandbox.extras import ExtraField, check_kind, check_resource
from cfsync.sandbox.faults import Faults
from cfsync.sandbox.generate import Generator
from cfsync.sandbox.ids import IdSpace, stable_int, world_end_ms
from cfsync.sandbox.query import ListQuery, page
from cfsync.sandbox.state import Clock, SandboxError, State, real_clock, unexpanded
from cfsync.sandbox.stats import Stats
from cfsync.sandbox.writes import Writes

__all__ = ["REQUEST_LOG_SIZE", "RequestRecord", "Sandbox"]

REQUEST_LOG_SIZE = 1_000_000

Record = dict[str, Any]


def _expanded(expand: bool | Iterable[str]) -> frozenset[str] | None:
    """`records`' and `get`'s `expand` as `State.served` takes it (None: every expandable field)."""
    if expand is True:
        return None
    return frozenset() if expand is False else frozenset(expand)


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
    fault: str | None = None  # the queued or random fault it met ("502", "reset", ...), None if none
    at: float = field(default_factory=lambda: datetime.now(UTC).timestamp())


class Sandbox:
    """A ClickFunnels v2 account (or several) that behaves like the real API, for tests and demos: records
    generated from a seed, changes kept, faults, latency and limits on demand. Serve it with SandboxServer
    (or `cfsync sandbox serve`).

        sb = cfsync.Sandbox(cfsync.SandboxConfig(seed=7, workspaces=2, counts={"contacts": 1000}))
        async with cfsync.SandboxServer(sb, port=0) as server:
            server.url, sb.api_token(0), sb.maton_key    # what a config needs to reach it

    Args:
        config: how many accounts, workspaces and records; faults, latency, a rate limit.
        clock: what "now" is (tests pass a fixed one). It is read once here: the generated world ends at the
            start of that UTC day (orders, renewals, cancellations and churn up to it), so sandboxes built
            the same day from one seed agree, and a fixed clock gives a fixed world.

    Raises:
        ValueError: a config that makes no sense (an unknown resource in `counts`, a rate above 1, ...).
    """

    def __init__(self, config: SandboxConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config or SandboxConfig()
        self.catalog: Catalog = catalog()
        unknown = sorted(set(self.config.counts) - set(self.catalog.resources))
        if unknown:
            raise ValueError(f"unknown resources in counts: {unknown}; known: {self.resources()}")
        specs = self.catalog.resources
        fixed = sorted(n for n in self.config.counts if specs[n].computed or specs[n].singleton)
        if fixed:
            raise ValueError(f"{fixed} cannot be counted: one per parent, or worked out from other records")
        clock = clock or real_clock
        self.ids = IdSpace(self.catalog, self.config, world_end_ms(clock()))
        self.generator = Generator(self.catalog, self.ids)
        self.state = State(self.catalog, self.ids, self.generator, clock)
        self.writes = Writes(self.state)
        self.stats = Stats(self.state)
        self.actions = Actions(self.writes)
        self.deliveries = Deliveries(
            self.state,
            self.writes.webhook_secrets,
            seed=self.config.seed,
            mode=self.config.webhook_delivery,
            retry_scale=self.config.webhook_retry_scale,
            shuffle_seconds=self.config.webhook_shuffle_seconds,
            duplicates=self.config.webhook_duplicates,
        )
        self.writes.on_event = self.deliveries.event
        self.faults = Faults(self.config)
        self.requests: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)
        seed = self.config.seed
        self._tokens: dict[str, int] = {}  # token -> account, one per account
        self.maton_key = f"maton_sb_{stable_int(seed, 'maton'):016x}"
        # Opens the sandbox's own control API (/_sandbox/...); deterministic so a script can be written
        # against a `cfsync sandbox serve` it did not start.
        self.control_token = f"sbctl_{stable_int(seed, 'control'):016x}{stable_int(seed, 'control2'):016x}"
        self._connections = Connections(seed)
        for a in range(self.config.accounts):
            self._add_token()
            # Each generated account was connected when its team was created.
            self._connections.add(self.ids.created_ms("teams", a), account=a)

    # -- keys and accounts ----------------------------------------------------------------------------

    @property
    def accounts(self) -> int:
        """How many accounts the sandbox has: the generated ones, then those `add_account` made."""
        return len(self._tokens)

    def _add_token(self) -> int:
        a, seed = len(self._tokens), self.config.seed
        self._tokens[f"cfsb_{stable_int(seed, 'token', a):016x}{stable_int(seed, 'token2', a):016x}"] = a
        return a

    def api_token(self, account: int = 0) -> str:
        """The direct-mode API token of an account (one team's platform application)."""
        return next(t for t, a in self._tokens.items() if a == account)

    def account_for_token(self, token: str) -> int | None:
        return self._tokens.get(token)

    def add_account(self, workspaces: int | None = None, contacts: int = 3) -> int:
        """A new account, created as if through the API: one team, `workspaces` workspaces (default: as
        many as the generated teams have) of `contacts` contacts each. Returns the account number.

        Its records exist only in the overlay, above every generated id, so adding one costs nothing
        for the generated accounts (their ids and data stay the same).
        """
        with self.state.lock:
            account = self._add_token()
            team = self.writes.create("teams", account, {"name": f"Added Team {account}"}, None)
            for w in range(self.config.workspaces if workspaces is None else workspaces):
                name = f"Added {account}-{w}"
                fields = {"name": name, "subdomain": f"added-{account}-{w}"}
                ws = self.writes.create("workspaces", team["id"], fields, None)
                # Every workspace has its one site.
                self.writes.create("sites", ws["id"], {"name": f"{name} Site"}, None)
                for c in range(contacts):
                    email = f"added{account}.{w}.{c}@example.com"
                    self.writes.create("contacts", ws["id"], {"email_address": email}, None)
            return account

    # -- Maton connections ------------------------------------------------------------------------------

    @property
    def connection_ids(self) -> list[str]:
        """Ids of every connection, oldest first: at the start one ACTIVE connection per account, in
        account order (`connection_ids[a]` reaches account a until connections are added or deleted)."""
        with self.state.lock:
            return [c.connection_id for c in self._connections.all()]

    def account_for_connection(self, connection_id: str) -> int | None:
        """The account an ACTIVE connection reaches; None when unknown, pending or deleted."""
        with self.state.lock:
            return self._connections.account_for(connection_id)

    def oldest_active_connection(self) -> str | None:
        """What the gateway uses without a `Maton-Connection` header."""
        with self.state.lock:
            return self._connections.oldest_active()

    def connections(self, status: str | None = None) -> list[Record]:
        """The Maton connections (only those in `status` when given), oldest first, in the gateway's shape."""
        with self.state.lock:
            return [c.shape() for c in self._connections.all(status)]

    def connection(self, connection_id: str) -> Record:
        """One connection in the gateway's shape; SandboxError 404 when unknown."""
        with self.state.lock:
            return self._connections.get(connection_id).shape()

    def create_connection(self) -> Record:
        """What `POST /connections` does: a PENDING connection whose `url` would finish the OAuth."""
        with self.state.lock:
            return self._connections.add(self.state.now_ms()).shape()

    def complete_connection(self, connection_id: str, account: int | None = None) -> Record:
        """Finish a pending connection's OAuth as if in the browser: it becomes ACTIVE on `account`, or on
        a new account (`add_account()`) when None. SandboxError 404 when unknown, 409 when already active."""
        with self.state.lock:
            # Checked before a new account is made, so a refused call changes nothing.
            if self._connections.get(connection_id).status == ACTIVE:
                raise SandboxError(409, f"Connection {connection_id} is already active")
            if account is not None and not 0 <= account < self.accounts:
                raise ValueError(f"no account {account}: the sandbox has {self.accounts}")
            if account is None:
                account = self.add_account()
            return self._connections.complete(connection_id, account, self.state.now_ms()).shape()

    def delete_connection(self, connection_id: str) -> None:
        """What `DELETE /connections/{id}` does; the gateway refuses the id from then on."""
        with self.state.lock:
            self._connections.delete(connection_id)

    def team_ids(self, account: int = 0) -> list[int]:
        # The real ids (`_records`): a corrupted team or workspace is still one.
        return [r["id"] for r in self._records("teams", None, None, account)]

    def workspace_ids(self, account: int = 0) -> list[int]:
        return [r["id"] for t in self.team_ids(account) for r in self._records("workspaces", None, t, 0)]

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
        expand: bool | Iterable[str] = False,
        include_archived: bool = True,
    ) -> list[Record]:
        """Every record the list endpoint shows, id ascending, exactly as served.

        `parent_id` names the partition (the course of enrollments); `workspace_id` takes every record under
        a workspace, however deep (all order invoices of a workspace); teams and users need neither.
        Fields as a request without `expand[]` gets them: `expand=True` adds every expandable field (a
        contact's `email_engagement`), or name some. Archived records (email topics) are included, as
        `include_archived=true` shows them. A list answering one object per parent (a price's change
        options) has one record here, with its parent's id as its `id`.
        """
        names = _expanded(expand)
        with self.state.lock:
            return [
                self.state.served(resource, r, names)
                for r in self._records(resource, workspace_id, parent_id, account, include_archived)
            ]

    def _records(
        self,
        resource: str,
        workspace_id: int | None,
        parent_id: int | None,
        account: int,
        include_archived: bool = True,
    ) -> list[Record]:
        """`records` without corruptions."""
        scope, scope_id = self._scope(resource, workspace_id, parent_id, account)
        query = ListQuery(include_archived=include_archived)
        with self.state.lock:
            if scope != ACCOUNT and not self.state.exists(scope, scope_id):
                raise SandboxError(404, "Not found: Record missing")
            return page(self.state, resource, scope, scope_id, query, limit=None)

    def get(self, resource: str, id_: int, *, expand: bool | Iterable[str] = False) -> Record | None:
        """One record as `GET /{resource}/{id}` serves it (anonymous and redacted contacts too); `expand` as
        in `records`."""
        with self.state.lock:
            record = self.state.get(resource, id_)
            return None if record is None else self.state.served(resource, record, _expanded(expand))

    def create(
        self,
        resource: str,
        fields: dict[str, Any],
        *,
        workspace_id: int | None = None,
        parent_id: int | None = None,
        account: int = 0,
    ) -> Record:
        """Create a record as if through the API (event logged); any record field may be set. Answers as
        `get` does."""
        scope, scope_id = self._scope(resource, workspace_id, parent_id, account)
        parent = self.catalog.spec(resource).parent
        if scope != parent:
            raise ValueError(f"{resource} is created under its {parent}: pass parent_id=")
        with self.state.lock:
            return self._plain(resource, self.writes.create(resource, scope_id, fields, None))

    def update(self, resource: str, id_: int, fields: dict[str, Any]) -> Record:
        """Change a record; `updated_at` becomes the sandbox's now. Answers as `get` does."""
        with self.state.lock:
            return self._plain(resource, self.writes.update(resource, id_, fields, None))

    def _plain(self, resource: str, record: Record) -> Record:
        """A record as a request without `expand[]` gets it."""
        return unexpanded(record, self.catalog.spec(resource).expandable, ())

    def delete(self, resource: str, id_: int) -> None:
        """Hard-delete a record: gone from lists and member routes, left in the event log."""
        with self.state.lock:
            self.writes.delete(resource, id_)

    def corrupt(
        self,
        resource: str,
        id_: int,
        fields: Mapping[str, Any] | None,
        *,
        drop: Iterable[str] = (),
    ) -> None:
        """From now on serve the record (in lists and member GETs) with these raw values merged in and the
        `drop` keys left out, bypassing every type and permission check: wrong types, unknown fields, a
        null id. Replaces any earlier corruption of the record; `fields=None` undoes it.

        Nothing else changes (no event, no `updated_at`); sorting, paging, filters, writes, embedded
        copies and the event log keep using the real record. SandboxError 404 when the record is gone.
        """
        self.catalog.spec(resource)  # KeyError naming the known resources
        drop = (drop,) if isinstance(drop, str) else tuple(drop)
        with self.state.lock:
            corruptions = self.state.corruptions[resource]
            if fields is None:
                if drop:
                    raise ValueError("fields=None undoes a corruption; to only drop keys pass fields={}")
                corruptions.pop(id_, None)
                return
            if not self.state.exists(resource, id_):
                raise SandboxError(404, "Not found: Record missing")
            try:
                json.dumps(dict(fields))
            except (TypeError, ValueError) as e:
                # Checked now: the alternative is a 500 on every later read of the record.
                raise ValueError(f"corrupt fields must be JSON values: {e}") from None
            corruptions[id_] = (copy.deepcopy(dict(fields)), frozenset(drop))

    def add_stats(
        self, page_id: int, day: str, *, views_all: int = 0, views_unique: int = 0, optins: int = 0
    ) -> Record:
        """Late counting: add views and opt-ins to a page's statistics for a UTC day (`YYYY-MM-DD`), as
        ClickFunnels counting a day again after the fact. Answers the page's numbers for that day, as a
        step of `GET /funnels/{id}/stats` shows them. SandboxError 404 when the page is gone."""
        with self.state.lock:
            return self.stats.add(page_id, day, views_all, views_unique, optins)

    def add_extra_field(
        self,
        resource: str,
        field: str,
        kind: str,
        from_id: int | None = None,
        change: str | Mapping[str, Any] | None = None,
    ) -> Record:
        """From now on serve `field`, which the facts do not have, on `resource`'s records (lists, member
        GETs, write answers and webhook deliveries): a value of `kind` (integer, number, boolean, timestamp,
        money, text, object, array) fixed per (seed, resource, record id, field), null for about one record
        in 7. `from_id`: only records with id >= it carry it. `change` (`{"kind": "text", "from_id": N}`,
        or just the kind): records with id >= N send that kind instead; N None is the median id of the
        resource's records now (halfway). Replaces a switch of the same field. Answers the switch as
        `extra_fields` lists it; ValueError for an unknown resource or kind, or a field records have."""
        known = self.catalog.resources
        resource = check_resource(resource, known)
        if not isinstance(field, str) or not field:
            raise ValueError(f"field must be a non-empty string, not {field!r}")
        spec = known[resource]
        if field in spec.fields or field in spec.expandable:
            raise ValueError(f"{resource} records already have a field {field!r}: name a new one")
        kind = check_kind(kind)
        from_id = _optional_id(from_id, "from_id")
        if isinstance(change, str):
            change = {"kind": change}
        change_kind = change_from = None
        if change is not None:
            if not isinstance(change, Mapping) or set(change) - {"kind", "from_id"}:
                raise ValueError('change must be {"kind": KIND, "from_id": ID or null}, or null')
            change_kind = check_kind(change.get("kind"), "change.kind")
            change_from = _optional_id(change.get("from_id"), "change.from_id")
        with self.state.lock:
            if change_kind is not None and change_from is None:
                change_from = self._median_id(resource)
            extra = ExtraField(resource, field, kind, from_id, change_kind, change_from)
            self.state.extras.add(extra)
            return extra.to_dict()

    def extra_fields(self) -> list[Record]:
        """The extra-field switches in force, in the order they were set (per resource)."""
        with self.state.lock:
            return [f.to_dict() for f in self.state.extras.all()]

    def clear_extra_fields(self, resource: str | None = None) -> None:
        """Stop serving extra fields: all of them, or those of one resource."""
        with self.state.lock:
            if resource is not None:
                check_resource(resource, self.catalog.resources)
            self.state.extras.clear(resource)

    def _median_id(self, resource: str) -> int:
        """The median of the ids `resource` has handed out (generated, then created), without a scan: the
        generated ones are consecutive and every created one is above them."""
        generated, created = self.ids.total(resource), self.state.created[resource]
        middle = (generated + len(created)) // 2
        if middle < generated:
            return self.ids.id_at(resource, middle)
        return created[middle - generated] if created else self.ids.first_created_id(resource)

    def events(self, workspace_id: int) -> list[Record]:
        """The workspace's outgoing event log, oldest first."""
        return self.records("webhooks_outgoing_events", workspace_id=workspace_id)

    def webhook_secret(self, endpoint_id: int) -> str | None:
        """The signing secret of an endpoint created through the API (answered once, kept here)."""
        return self.writes.webhook_secrets.get(endpoint_id)


def _optional_id(value: Any, name: str) -> int | None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise ValueError(f"{name} must be an integer record id or null, not {value!r}")
    return value
