"""The overlay: every record changed since generation, and the current state of any record.

A generated record costs nothing until it is touched; touching it copies it into an `Entry` here. Records
created through the API exist only here. Deleted records stay as tombstones, so a page cursor pointing at
one still has a sort key and the event log still has its last state.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cfsync.sandbox import computed
from cfsync.sandbox.catalog import ACCOUNT, Catalog
from cfsync.sandbox.extras import ExtraFields
from cfsync.sandbox.generate import Generator
from cfsync.sandbox.ids import IdSpace, iso_ms

__all__ = ["Clock", "Entry", "SandboxError", "State", "real_clock", "unexpanded"]

Clock = Callable[[], datetime]
Record = dict[str, Any]

# How deep embedded copies follow references (an invoice embeds its order, which embeds its contact).
_MAX_DEPTH = 3


class SandboxError(Exception):
    """A request the API would refuse: `status` and the `error` text of its body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass
class Entry:
    resource: str
    rec: Record  # the base record: derived (embedded) fields are filled when served
    ancestry: list[tuple[str, int]]  # parent, grandparent... (ACCOUNT, n)
    updated_ms: int
    generated: bool
    hidden: bool = False  # GDPR-redacted: kept, but out of the list
    deleted: bool = False
    archived: bool = False  # out of lists that hide archived records (email topics), unless asked for


def real_clock() -> datetime:
    return datetime.now(UTC)


def unexpanded(rec: Record, expandable: Mapping[str, tuple[str, ...]], expand: Collection[str]) -> Record:
    """`rec` without the expandable fields `expand` does not name. Only the objects on the way to a field
    left out are copied: the record itself is not changed."""
    out = rec
    for name, path in expandable.items():
        if name in expand:
            continue
        holders = [out]
        for key in path[:-1]:
            inner = holders[-1].get(key)
            if not isinstance(inner, dict):
                break
            holders.append(inner)
        if len(holders) < len(path) or path[-1] not in holders[-1]:
            continue
        copied = {k: v for k, v in holders[-1].items() if k != path[-1]}
        for holder, key in zip(reversed(holders[:-1]), reversed(path[:-1]), strict=True):
            copied = {**holder, key: copied}
        out = copied
    return out


class State:
    def __init__(
        self, catalog: Catalog, ids: IdSpace, generator: Generator, clock: Clock | None = None
    ) -> None:
        self.catalog = catalog
        self.ids = ids
        self.gen = generator
        self.clock = clock or real_clock
        self.lock = threading.RLock()
        self.entries: dict[str, dict[int, Entry]] = {name: {} for name in catalog.resources}
        self.created: dict[str, list[int]] = {name: [] for name in catalog.resources}
        self._next_id = {name: ids.first_created_id(name) for name in catalog.resources}
        # (raw values, keys left out) applied to records only where they are served: see `served`.
        self.corruptions: dict[str, dict[int, tuple[Record, frozenset[str]]]] = {
            name: {} for name in catalog.resources
        }
        self._emails: dict[tuple[int, str], int] = {}
        self._email_of: dict[int, tuple[int, str]] = {}
        self._last_ms = ids.end_ms  # the generated world's end: every generated record is older
        # Told of every record written (created or changed), by resource: the stats' order index.
        self.watchers: dict[str, list[Callable[[Entry], None]]] = {}
        # Fields the facts do not have, served where a record is answered (lists, GETs, writes, webhooks).
        self.extras = ExtraFields(ids.seed, (ids.start_ms, ids.end_ms))

    # -- time -----------------------------------------------------------------------------------------

    def now_ms(self) -> int:
        """The sandbox clock in ms: never earlier than the generated world's end, never going back."""
        ms = int(self.clock().timestamp() * 1000)
        self._last_ms = max(self._last_ms, ms)
        return self._last_ms

    # -- where a record lives ---------------------------------------------------------------------------

    def ancestry(self, name: str, id_: int) -> list[tuple[str, int]] | None:
        entry = self.entries[name].get(id_)
        if entry is not None:
            return entry.ancestry
        offset = self.ids.offset_of(name, id_)
        return None if offset is None else self.ids.ancestry(name, offset)

    def exists(self, name: str, id_: int) -> bool:
        if self.catalog.resources[name].computed:
            return self.exists(self.catalog.resources[name].parent, id_)  # one per parent, its id
        entry = self.entries[name].get(id_)
        if entry is not None and entry.deleted:
            return False
        ancestry = entry.ancestry if entry is not None else self.ancestry(name, id_)
        if ancestry is None:
            return False
        if entry is None and self._absent(name, id_):
            return False
        for res, rid in ancestry:
            if res != ACCOUNT:
                up = self.entries[res].get(rid)
                if up is not None and up.deleted:
                    return False
                if up is None and self._absent(res, rid):
                    return False
        return True

    def _absent(self, name: str, id_: int) -> bool:
        offset = self.ids.offset_of(name, id_)
        return offset is not None and self.gen.absent(name, offset)

    def account_of(self, name: str, id_: int) -> int | None:
        ancestry = self.ancestry(name, id_)
        return ancestry[-1][1] if ancestry else None

    def workspace_of(self, name: str, id_: int) -> int | None:
        if name == "workspaces":
            return id_
        return dict(self.ancestry(name, id_) or []).get("workspaces")

    def under(self, name: str, id_: int, scope: str, scope_id: int) -> bool:
        return (scope, scope_id) in (self.ancestry(name, id_) or [])

    def sort_key(self, name: str, id_: int) -> tuple[int, int] | None:
        """(updated_ms, id): the order of `sort_property=updated_at`; tombstones keep theirs."""
        entry = self.entries[name].get(id_)
        if entry is not None:
            return entry.updated_ms, id_
        offset = self.ids.offset_of(name, id_)
        return None if offset is None else (self.gen.updated_ms(name, offset), id_)

    # -- reading --------------------------------------------------------------------------------------

    def base(self, name: str, id_: int) -> Record | None:
        """The stored (or generated) record without its embedded copies; None when gone."""
        if self.catalog.resources[name].computed:
            return computed.record(self, name, id_)
        if not self.exists(name, id_):
            return None
        entry = self.entries[name].get(id_)
        if entry is not None:
            return copy.deepcopy(entry.rec)
        offset = self.ids.offset_of(name, id_)
        return None if offset is None else self.gen.base(name, offset)

    def get(self, name: str, id_: int, depth: int = 0) -> Record | None:
        """A record exactly as the API serves it (every expandable field included), or None."""
        rec = self.base(name, id_)
        if rec is None or self.catalog.resources[name].computed:
            return rec
        return self.serve(name, rec, depth)

    def serve(self, name: str, rec: Record, depth: int = 0) -> Record:
        def lookup(n: str, i: int) -> Record | None:
            return self.get(n, i, depth + 1) if depth < _MAX_DEPTH else self.base(n, i)

        def children(n: str, parent_id: int, shallow: bool = False) -> list[Record]:
            return self.child_records(n, parent_id, _MAX_DEPTH if shallow else depth + 1)

        return self.gen.derive(name, rec, lookup, children)

    def child_records(self, name: str, parent_id: int, depth: int = 0, limit: int = 100) -> list[Record]:
        """The records of `name` under one parent, id ascending (for embedded copies)."""
        parent = self.ids.parent(name)
        out: list[Record] = []
        offset = self.ids.offset_of(parent, parent_id)
        if offset is not None:
            for p in range(min(self.ids.count(name), limit)):
                cid = self.ids.id_at(name, self.ids.offset_under(name, parent, offset, p))
                rec = self.base(name, cid) if depth >= _MAX_DEPTH else self.get(name, cid, depth)
                if rec is not None:
                    out.append(rec)
        for cid in self.created[name]:
            entry = self.entries[name][cid]
            if entry.ancestry[0] == (parent, parent_id) and not entry.deleted and len(out) < limit:
                rec = self.base(name, cid) if depth >= _MAX_DEPTH else self.get(name, cid, depth)
                if rec is not None:
                    out.append(rec)
        return out

    def served(self, name: str, rec: Record, expand: Collection[str] | None = None) -> Record:
        """`rec` (a record as `get` returns it) as a list or member route answers it: its expandable fields
        only where `expand` names them (None: all of them), its extra fields (extras.py) and the raw values
        of its corruption merged in. Only the answer is wrong; everything else (paging, filters, writes,
        embedded copies, events) keeps using the real record."""
        if expand is not None:
            rec = unexpanded(rec, self.catalog.resources[name].expandable, expand)
        if self.extras.by_resource:  # no switch (the usual case): not even a call
            rec = self.extras.apply(name, rec)
        corruption = self.corruptions[name].get(rec["id"])
        if corruption is None:
            return rec
        fields, drop = corruption
        return {**{k: v for k, v in rec.items() if k not in drop}, **copy.deepcopy(fields)}

    def archived(self, name: str, id_: int) -> bool:
        """Archived, and so hidden by a list that shows archived records only when asked (email topics)."""
        entry = self.entries[name].get(id_)
        if entry is not None:
            return entry.archived
        offset = self.ids.offset_of(name, id_)
        return offset is not None and self.gen.archived(name, offset)

    def listed(self, name: str, rec: Record, *, include_archived: bool = True) -> bool:
        """Whether a list shows this record: anonymous and GDPR-redacted contacts are left out, and archived
        records unless the list is asked for them."""
        if not include_archived and self.archived(name, rec["id"]):
            return False
        if name != "contacts":
            return True
        entry = self.entries[name].get(rec["id"])
        return rec.get("anonymous") is None and not (entry is not None and entry.hidden)

    def find_contact(self, workspace_id: int, email: str) -> int | None:
        """The contact of a workspace with this email, without a scan: the overlay's index, else the
        id a generated email carries."""
        key = email.strip().lower()
        cid = self._emails.get((workspace_id, key))
        if cid is not None and self.exists("contacts", cid):
            return cid
        gid = self.gen.email_id(key)
        offset = None if gid is None else self.ids.offset_of("contacts", gid)
        if gid is None or offset is None or gid in self.entries["contacts"]:
            return None
        rec = self.gen.base("contacts", offset)
        if (rec.get("email_address") or "").lower() != key or rec.get("workspace_id") != workspace_id:
            return None
        return gid if self.exists("contacts", gid) else None

    # -- writing the overlay --------------------------------------------------------------------------

    def touch(self, name: str, id_: int) -> Entry:
        """The overlay entry of a live record, copied from its generated self on first touch."""
        entry = self.entries[name].get(id_)
        if entry is None:
            offset = self.ids.offset_of(name, id_)
            if offset is None or not self.exists(name, id_):
                raise SandboxError(404, "Not found: Record missing")
            entry = Entry(
                name,
                self.gen.base(name, offset),
                self.ids.ancestry(name, offset),
                self.gen.updated_ms(name, offset),
                generated=True,
                archived=self.gen.archived(name, offset),
            )
            self.entries[name][id_] = entry
        if entry.deleted:
            raise SandboxError(404, "Not found: Record missing")
        return entry

    def stamp(self, entry: Entry, now_ms: int | None = None) -> None:
        """Mark a record changed now: `updated_at` and its sort key move to the sandbox clock."""
        entry.updated_ms = self.now_ms() if now_ms is None else now_ms
        if "updated_at" in entry.rec:
            entry.rec["updated_at"] = iso_ms(entry.updated_ms)
        self.index_email(entry)
        for watcher in self.watchers.get(entry.resource, ()):
            watcher(entry)

    def insert(self, name: str, parent: str, parent_id: int, now_ms: int) -> Entry:
        ancestry = (
            [(parent, parent_id), *(self.ancestry(parent, parent_id) or [])]
            if parent != ACCOUNT
            else [(ACCOUNT, parent_id)]
        )
        id_ = self._next_id[name]
        self._next_id[name] += 1
        entry = Entry(name, self.gen.blank(name, id_, ancestry, now_ms), ancestry, now_ms, generated=False)
        self.entries[name][id_] = entry
        self.created[name].append(id_)
        return entry

    def index_email(self, entry: Entry) -> None:
        if entry.resource != "contacts":
            return
        rid = entry.rec["id"]
        old = self._email_of.pop(rid, None)
        if old is not None and self._emails.get(old) == rid:
            del self._emails[old]
        email = entry.rec.get("email_address")
        if email and not entry.deleted:
            key = (dict(entry.ancestry)["workspaces"], email.lower())
            self._emails[key] = rid
            self._email_of[rid] = key
