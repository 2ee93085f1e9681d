"""List queries: keyset pages over generated and overlay records, in id or updated_at order.

Generated records of a list are a sequence whose ids and updated_at both rise with the position, so a
cursor is found by bisection and a page costs ~20 generated records however long the list. The exception
are records whose story runs on after their creation (an order renewed, canceled, churned): their
updated_at is the story's last event, so in updated_at order their list is sorted once (by arithmetic on
their stories, not by generating them) and kept. Touched records sit after every generated one in
updated_at order (the sandbox clock starts at the generated world's end), which is what lets the two be
merged without sorting the whole list.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cfsync.sandbox.state import SandboxError, State

__all__ = ["PAGE_SIZE", "ListQuery", "page"]

PAGE_SIZE = 20

Record = dict[str, Any]


@dataclass(frozen=True)
class ListQuery:
    after: int | None = None
    desc: bool = False
    by_updated: bool = False
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    include_archived: bool = True  # False: archived records are left out (a list asked without the flag)


def page(
    state: State, name: str, scope: str, scope_id: int, q: ListQuery, limit: int | None = PAGE_SIZE
) -> list[Record]:
    """Up to `limit` records of `name` under the scope record, as the list endpoint shows them."""
    if state.catalog.resources[name].computed:
        # One record per parent, worked out from other records (a price's change options).
        parent = state.catalog.resources[name].parent
        above = [] if scope == parent else page(state, parent, scope, scope_id, ListQuery(), None)
        parents = [scope_id] if scope == parent else [r["id"] for r in above]
        found = (state.get(name, p) for p in parents)
        return [r for r in found if r is not None][:limit]
    after_key: tuple[int, int] | None = None
    if q.after is not None:
        after_key = state.sort_key(name, q.after) if q.by_updated else (0, q.after)
        if after_key is None:
            raise SandboxError(400, f"Invalid after: {q.after} is not a record of this list")
    indexed = "id" in q.filters or (name == "contacts" and "email_address" in q.filters)
    candidates = (
        _candidates(state, name, scope, scope_id, q, after_key)
        if indexed
        else _ordered(state, name, scope, scope_id, q, after_key)
    )
    out: list[Record] = []
    for id_ in candidates:
        rec = state.get(name, id_)
        if (
            rec is None
            or not state.listed(name, rec, include_archived=q.include_archived)
            or not _matches(rec, q.filters)
        ):
            continue
        out.append(rec)
        if limit is not None and len(out) >= limit:
            break
    return out


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _matches(rec: Record, filters: Mapping[str, tuple[str, ...]]) -> bool:
    for key, values in filters.items():
        if key == "email_address":
            if _fmt(rec.get(key)).lower() not in {v.lower() for v in values}:
                return False
        elif key not in rec and key.endswith("_ids"):
            if not _named(rec, key.removesuffix("_ids")) & set(values):
                return False
        elif _fmt(rec.get(key)) not in values:
            return False
    return True


def _named(rec: Record, stem: str) -> set[str]:
    """The ids a `filter[<stem>_ids]` looks for in a record without such a field: its embedded `<stem>`
    (a page's `funnel`) or the objects of its `<stem>s` (a contact's `tags`)."""
    found = rec.get(stem)
    items = [found] if isinstance(found, dict) else rec.get(stem + "s") or []
    return {_fmt(i.get("id")) for i in items if isinstance(i, dict) and i.get("id") is not None}


def _candidates(
    state: State, name: str, scope: str, scope_id: int, q: ListQuery, after_key: tuple[int, int] | None
) -> Iterator[int]:
    """Filters on `id` or `email_address` name their records: look them up instead of scanning."""
    found: set[int] | None = None
    if "id" in q.filters:
        found = {int(v) for v in q.filters["id"] if v.strip().isdigit()}
    if name == "contacts" and "email_address" in q.filters:
        by_email = {state.find_contact(scope_id, v) for v in q.filters["email_address"] if v}
        emails = {i for i in by_email if i is not None}
        found = emails if found is None else found & emails
    keyed = []
    for id_ in found or ():
        if state.exists(name, id_) and state.under(name, id_, scope, scope_id):
            key = state.sort_key(name, id_) if q.by_updated else (0, id_)
            if key is not None and (after_key is None or (key < after_key if q.desc else key > after_key)):
                keyed.append((key, id_))
    keyed.sort(reverse=q.desc)
    return iter([id_ for _, id_ in keyed])


def _ordered(
    state: State, name: str, scope: str, scope_id: int, q: ListQuery, after_key: tuple[int, int] | None
) -> Iterator[int]:
    ids = state.ids
    # An account added after generation (Sandbox.add_account) has no generated records: its offset is
    # None, or its generated slot would name an id that records created later already use.
    scope_offset = ids.offset_of(scope, scope_id)
    n = ids.count_under(name, scope) if scope_offset is not None else 0
    base = ids.base(name)

    def offset(p: int) -> int:
        return ids.offset_under(name, scope, scope_offset or 0, p)

    def id_key(p: int) -> tuple[int, int]:
        return 0, base + offset(p)

    def updated_key(p: int) -> tuple[int, int]:
        o = offset(p)
        return ids.updated_ms(name, o), base + o

    def id_at(p: int) -> int:
        return base + offset(p)

    key_of = updated_key if q.by_updated else id_key
    if q.by_updated and state.gen.storied(name) and scope_offset is not None:
        keys = state.gen.sorted_keys(name, scope, scope_offset)

        def sorted_key(p: int) -> tuple[int, int]:
            return keys[p]

        def sorted_id(p: int) -> int:
            return keys[p][1]

        key_of, id_at = sorted_key, sorted_id
    # Records changed or created through the sandbox: in updated_at order they all come after the
    # untouched generated ones. (An overlay copy never stamped, like a tombstone, keeps its place.)
    entries = {
        i: e
        for i, e in state.entries[name].items()
        if q.by_updated and (not e.generated or e.updated_ms >= ids.end_ms)
    }
    tail: list[tuple[int, int]]
    if q.by_updated:
        tail = sorted(
            (e.updated_ms, i)
            for i, e in entries.items()
            if not e.deleted and state.under(name, i, scope, scope_id)
        )
    else:
        tail = [(0, i) for i in state.created[name] if state.under(name, i, scope, scope_id)]
    positions = range(n)
    if not q.desc:
        start = 0 if after_key is None else bisect_right(positions, after_key, key=key_of)
        for p in range(start, n):
            id_ = id_at(p)
            if id_ not in entries:
                yield id_
        for key in tail:
            if after_key is None or key > after_key:
                yield key[1]
    else:
        for key in reversed(tail):
            if after_key is None or key < after_key:
                yield key[1]
        end = n if after_key is None else bisect_left(positions, after_key, key=key_of)
        for p in range(end - 1, -1, -1):
            id_ = id_at(p)
            if id_ not in entries:
                yield id_
