"""Records as a pure function of (seed, resource, offset), shaped exactly by the facts' schemas.

A record is built in two layers:
- its *base*: every scalar and free-form field, generated from the schema type and the field name, with
  references (`contact_id`, `tag_ids`...) pointing at real records of the same workspace (or parent);
- its *derived* fields: embedded copies of other records (an order's `contact`, a contact's `tags`, a
  product's `variant_ids`), filled in when the record is served, so they follow later writes.
"""

from __future__ import annotations

import random
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from cfsync.sandbox import overrides
from cfsync.sandbox.catalog import ACCOUNT, Catalog, catalog, singular
from cfsync.sandbox.ids import IdSpace, iso_ms, stable_int
from cfsync.sandbox.values import Scalars, field_type

__all__ = ["Children", "Derived", "Generator", "Lookup", "project", "ref_target"]

_CACHE_SIZE = 20_000  # generated records kept (a few MB)

Lookup = Callable[[str, int], "dict[str, Any] | None"]
# (resource, parent id, shallow): the records under a parent; shallow ones without their embedded copies.
Children = Callable[[str, int, bool], "list[dict[str, Any]]"]

_EMAIL_ID = re.compile(r"\.(\d+)@")


@dataclass(frozen=True)
class Derived:
    field: str
    kind: str  # embed | children | child_ids | child_tag_ids | applied_tags
    target: str
    id_field: str | None = None
    shape: Any = None


@dataclass
class Ctx:
    """One record being generated: its place in the tree and its own random stream."""

    name: str
    id: int
    offset: int
    ancestry: list[tuple[str, int]]  # itself first, then parent... up to the account
    rng: random.Random
    values: Scalars


def project(src: dict[str, Any] | None, shape: dict[str, Any]) -> dict[str, Any] | None:
    """`src` cut to the keys of an embedded schema; missing keys are null."""
    if src is None:
        return None
    out: dict[str, Any] = {}
    for key, typ in shape.items():
        value = src.get(key)
        if isinstance(typ, dict) and typ:
            value = project(value, typ) if isinstance(value, dict) else None
        out[key] = value
    return out


@cache
def ref_target(name: str, field: str) -> str | None:
    """The resource a `*_id`/`*_ids` field of `name` points at, from the field name alone.

    `primary_contact_id` -> contacts, `tag_id` on an order's applied tag -> orders_tags (the candidate
    sharing the record's prefix), `fields_option_ids` -> forms_fields_options.
    """
    if field.startswith("external") or not field.endswith(("_id", "_ids")):
        return None
    words = field.rsplit("_", 1)[0].split("_")
    for k in range(len(words)):
        stem = "_".join(words[k:])
        plural = stem[:-1] + "ies" if stem.endswith("y") else stem + "s"
        found = [r for r in catalog().resources if r == plural or r.endswith("_" + plural)]
        if found:
            prefix = name.split("_")[0]
            found.sort(key=lambda r: (r.split("_")[0] != prefix, r != plural, len(r)))
            return found[0]
    return None


class Generator:
    def __init__(self, catalog: Catalog, ids: IdSpace) -> None:
        self.catalog = catalog
        self.ids = ids
        self.seed = ids.seed
        self._derived = {name: self._derivations(name) for name in catalog.resources}
        self._cache: OrderedDict[tuple[str, int], dict[str, Any]] = OrderedDict()
        self.memo: dict[str, Any] = {}  # what overrides work out once per generator (an order's fate)

    # -- references -----------------------------------------------------------------------------------

    def ref_target(self, name: str, field: str) -> str | None:
        return ref_target(name, field)

    def pick(self, ctx: Ctx, target: str) -> int | None:
        """A real `target` record near this one: an ancestor itself, or a random one under the closest
        ancestor both share (the same course for a lesson completion, the same workspace for an order)."""
        for res, rid in ctx.ancestry[1:]:
            if res == target:
                return rid
        chain = self.catalog.chain_types(target)
        for res, rid in ctx.ancestry:
            if res in chain:
                scope_offset = rid if res == ACCOUNT else self.ids.offset_of(res, rid)
                n = self.ids.count_under(target, res)
                if scope_offset is None or n == 0:
                    return None
                offset = self.ids.offset_under(target, res, scope_offset, ctx.rng.randrange(n))
                return self.ids.id_at(target, offset)
        return None

    def embedded_id(self, name: str, field: str, id_: int, j: int) -> int:
        """Ids for objects that live only inside another (an order's line items): unique per field."""
        base = 1000 * (1 + stable_int(self.seed, name, field, "embedded") % 9000)
        return base + (id_ - self.ids.base(name)) * 8 + j

    # -- when: the arithmetic skeleton, or a record's own story ---------------------------------------

    def storied(self, name: str) -> bool:
        """Whether records of `name` may take their times from a story (then updated_at does not rise
        with the id: an order renewed last week was created years ago)."""
        return overrides.storied(name)

    def times(self, name: str, offset: int) -> tuple[int, int]:
        """(created_ms, updated_ms) of a generated record: its story's (an order's updated_at is its last
        charge, cancellation or churn, if later than the arithmetic one), else arithmetic (ids.py). Always
        before the world's end."""
        told = overrides.times(self, name, offset) if overrides.storied(name) else None
        if told is None:
            return self.ids.created_ms(name, offset), self.ids.updated_ms(name, offset)
        return told

    def updated_ms(self, name: str, offset: int) -> int:
        return self.times(name, offset)[1]

    def sorted_keys(self, name: str, scope: str, scope_offset: int) -> list[tuple[int, int]]:
        """(updated_ms, id) of every generated `name` record under one scope record, sorted: the
        updated_at order of a storied list, worked out once (records are pure, so it never goes stale)."""
        memo: dict[tuple[str, str, int], list[tuple[int, int]]] = self.memo.setdefault("sorted-keys", {})
        key = (name, scope, scope_offset)
        found = memo.get(key)
        if found is None:
            ids = self.ids
            offsets = (
                ids.offset_under(name, scope, scope_offset, p) for p in range(ids.count_under(name, scope))
            )
            found = memo[key] = sorted((self.updated_ms(name, o), ids.id_at(name, o)) for o in offsets)
        return found

    # -- base records ---------------------------------------------------------------------------------

    def base(self, name: str, offset: int) -> dict[str, Any]:
        """A generated record (a fresh copy: callers fill in embedded objects)."""
        return _clone(self.peek(name, offset))

    def peek(self, name: str, offset: int) -> dict[str, Any]:
        """A generated record to read, not to change: the cached copy itself (another record's story
        reads a contact's visits or a funnel's domain many times)."""
        key = (name, offset)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._generate(name, offset)
            # Records are pure functions of (seed, name, offset), so a bounded cache changes no answer. It
            # spares the small pools that every page embeds (a contact's tags, an order's products) from
            # being generated again and again.
            self._cache[key] = cached
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return cached

    def _generate(self, name: str, offset: int) -> dict[str, Any]:
        ids = self.ids
        id_ = ids.id_at(name, offset)
        rng = random.Random(stable_int(self.seed, name, offset))
        index = ids.index_of(name, offset)
        created, updated = self.times(name, offset)
        values = Scalars(rng, name, id_, index, created, updated)
        ctx = Ctx(name, id_, offset, [(name, id_), *ids.ancestry(name, offset)], rng, values)
        derived = {d.field: d for d in self._derived[name]}
        rec: dict[str, Any] = {}
        for field, typ in self.catalog.spec(name).fields.items():
            d = derived.get(field)
            if d is None:
                rec[field] = self._field(ctx, field, typ)
            elif d.kind == "embed" and d.id_field is None:
                # An embedded record named only by its own id (an appointment's primary contact): the
                # base keeps the id, serving fills in the rest.
                rid = self.pick(ctx, d.target)
                rec[field] = None if rid is None else {"id": rid}
            else:
                rec[field] = None
        overrides.apply(self, ctx, rec)
        return rec

    def _field(self, ctx: Ctx, field: str, typ: Any) -> Any:
        if field == "id":
            return ctx.id
        if field == "public_id":
            return self.ids.public_id(ctx.name, ctx.id)
        if isinstance(typ, list):
            return self._array(ctx, field, typ[0])
        if isinstance(typ, dict):
            if not typ:
                return {}  # a free-form object (`visits`)
            if ctx.rng.random() < 0.4:
                return None
            return {k: self._element_field(ctx, k, t) for k, t in typ.items()}
        t = field_type(typ)
        target = self.ref_target(ctx.name, field)
        if target and field.endswith("_ids"):
            picks = {self.pick(ctx, target) for _ in range(ctx.rng.randint(0, 3))}
            return sorted(p for p in picks if p is not None)
        if target:
            rid = self.pick(ctx, target)
            if rid is None or (
                t.nullable and rid not in dict(ctx.ancestry[1:]).values() and ctx.rng.random() < 0.1
            ):
                return None
            return str(rid) if t.base == "string" else rid
        return ctx.values.value(field, t)

    def _array(self, ctx: Ctx, field: str, shape: dict[str, Any]) -> list[dict[str, Any]]:
        # An array naming records of the workspace (a funnel's tags, a theme's styles): some of them.
        target = self.ref_target(ctx.name, singular(field) + "_id")
        if target:
            chosen = sorted({p for p in (self.pick(ctx, target) for _ in range(ctx.rng.randint(0, 3))) if p})
            return [r for r in (project(self.pure(target, p), shape) for p in chosen) if r is not None]
        n = ctx.rng.randint(1, 3) if field == "line_items" else ctx.rng.randint(0, 2)
        own = singular(ctx.name.split("_")[-1]) + "_id"
        out = []
        for j in range(n):
            element = {}
            for key, typ in shape.items():
                if key == "id":
                    element[key] = self.embedded_id(ctx.name, field, ctx.id, j)
                elif key == own:
                    element[key] = ctx.id
                else:
                    element[key] = self._element_field(ctx, key, typ)
            out.append(element)
        return out

    def _element_field(self, ctx: Ctx, field: str, typ: Any) -> Any:
        if field == "public_id":
            return ctx.values.hex(8)
        if isinstance(typ, dict | list):
            return None if typ else {}
        t = field_type(typ)
        if t.base == "object" and (target := self.ref_target(ctx.name, field + "_id")):
            rid = self.pick(ctx, target)
            return None if rid is None else {"id": rid, "public_id": self.ids.public_id(target, rid)}
        if field.endswith("_id") and t.base == "integer":
            target = self.ref_target(ctx.name, field)
            return self.pick(ctx, target) if target else ctx.rng.randint(1, 10**6)
        if field == "id":
            return ctx.rng.randint(1, 10**6)
        return ctx.values.value(field, t)

    # -- records created through the API --------------------------------------------------------------

    def blank(self, name: str, id_: int, ancestry: list[tuple[str, int]], now_ms: int) -> dict[str, Any]:
        """A new record before its body is applied: ids, parents and timestamps set, the rest empty."""
        parents = dict(ancestry)
        rec: dict[str, Any] = {}
        rng = random.Random(stable_int(self.seed, name, id_, "created"))
        for field, typ in self.catalog.spec(name).fields.items():
            value: Any = None
            if isinstance(typ, list):
                value = []
            elif isinstance(typ, dict):
                # An embedded parent (a split test step's funnel) is known at once; other objects are not.
                target = self.ref_target(name, field + "_id")
                value = {"id": parents[target]} if target in parents and "id" in typ else None if typ else {}
            elif field.endswith("_public_id") and self.ref_target(name, field[:-10] + "_id") in parents:
                target = self.ref_target(name, field[:-10] + "_id") or ""
                value = self.ids.public_id(target, parents[target])  # a conditional split's funnel_public_id
            else:
                t = field_type(typ)
                target = self.ref_target(name, field)
                if target in parents:
                    value = str(parents[target]) if t.base == "string" else parents[target]
                elif t.base.endswith("[]"):
                    value = []
                elif t.base == "object":
                    value = {}
                elif t.base == "boolean" and not t.nullable:
                    value = False
            rec[field] = value
        rec["id"] = id_
        if "public_id" in rec:
            rec["public_id"] = self.ids.public_id(name, id_)
        for field in ("created_at", "updated_at"):
            if field in rec:
                rec[field] = iso_ms(now_ms)
        overrides.blank(name, rec, rng)
        return rec

    def absent(self, name: str, offset: int) -> bool:
        """A generated slot that holds no record (an order's second invoice when there was neither a refund
        nor a renewal): lists skip it and its id answers 404."""
        return overrides.absent(self, name, offset)

    def archived(self, name: str, offset: int) -> bool:
        """A generated record that was archived (an email topic): lists that hide archived records skip it."""
        return overrides.archived(self, name, offset)

    # -- derived fields -------------------------------------------------------------------------------

    def derived(self, name: str) -> list[Derived]:
        return self._derived[name]

    def _derivations(self, name: str) -> list[Derived]:
        fields = self.catalog.spec(name).fields
        kids = self.catalog.children(name)
        out = []
        for field, typ in fields.items():
            if isinstance(typ, dict) and typ:
                target = self.ref_target(name, field + "_id")
                id_field = next(
                    (
                        f
                        for f in (field + "_id", *fields)
                        if f in fields and f.endswith("_id") and self.ref_target(name, f) == target
                    ),
                    None,
                )
                # Without an id field, the embedded object's own id names the record, if its shape is a
                # cut of that record's (a page's `funnel`, not its `show_page_step`).
                own = target is not None and "id" in typ and set(typ) <= set(self.catalog.spec(target).fields)
                if target and (id_field or own):
                    out.append(Derived(field, "embed", target, id_field, typ))
            elif isinstance(typ, list):
                applied = [k for k in kids if k.endswith("_applied_" + field)]
                matching = [k for k in kids if k == field or k.endswith("_" + field)]
                if applied:
                    out.append(Derived(field, "applied_tags", applied[0], shape=typ[0]))
                elif matching:
                    out.append(Derived(field, "children", matching[0], shape=typ[0]))
            elif field.endswith("_ids"):
                target = self.ref_target(name, field)
                applied = [k for k in kids if k.endswith("_applied_tags")]
                if target in kids:
                    out.append(Derived(field, "child_ids", target))
                elif field == "tag_ids" and applied:
                    out.append(Derived(field, "child_tag_ids", applied[0]))
        return out

    def derive(self, name: str, rec: dict[str, Any], lookup: Lookup, children: Children) -> dict[str, Any]:
        """Fill the embedded copies of other records into `rec` (in place) and return it."""
        for d in self._derived[name]:
            if d.kind == "embed":
                if d.id_field is None:
                    own = rec.get(d.field)
                    ref = own.get("id") if isinstance(own, dict) else None
                else:
                    ref = rec.get(d.id_field)
                target = lookup(d.target, int(ref)) if ref not in (None, "") else None
                rec[d.field] = project(target, d.shape)
                continue
            # Only copies of whole children need theirs served; ids and tags are read from the bare records
            # (an applied tag embeds its contact, which embeds its tags...).
            kids = children(d.target, rec["id"], d.kind != "children")
            if d.kind == "children":
                rec[d.field] = [project(k, d.shape) for k in kids]
            elif d.kind == "child_ids":
                rec[d.field] = [k["id"] for k in kids]
            elif d.kind == "child_tag_ids":
                rec[d.field] = [k["tag_id"] for k in kids]
            else:  # applied_tags: the tags themselves, stamped with when they were applied
                tags = []
                tag_resource = self.ref_target(d.target, "tag_id") or ""
                for applied in kids:
                    # A helper (or the control API) may have applied no tag at all: nothing to embed.
                    tag_id = applied.get("tag_id")
                    tag = None if tag_id is None else lookup(tag_resource, tag_id)
                    if tag is not None:
                        tags.append(project({**tag, "applied_at": applied.get("created_at")}, d.shape))
                rec[d.field] = tags
        overrides.serve(self, name, rec, lookup, children)
        return rec

    def pure(self, name: str, id_: int, depth: int = 0) -> dict[str, Any] | None:
        """A generated record as first generated, derived fields included (writes not applied)."""
        offset = self.ids.offset_of(name, id_)
        if offset is None:
            return None
        if depth > 2:
            return self.base(name, offset)

        def lookup(n: str, i: int) -> dict[str, Any] | None:
            return self.pure(n, i, depth + 1)

        def children(n: str, parent_id: int, shallow: bool = False) -> list[dict[str, Any]]:
            parent_offset = self.ids.offset_of(self.ids.parent(n), parent_id)
            if parent_offset is None:
                return []
            count = self.ids.count(n)
            return [
                self.base(n, self.ids.offset_under(n, self.ids.parent(n), parent_offset, p))
                for p in range(count)
            ]

        return self.derive(name, self.base(name, offset), lookup, children)

    @staticmethod
    def email_id(email: str) -> int | None:
        """The contact id a generated email carries (`ada.lovelace.1234@example.com` -> 1234)."""
        m = _EMAIL_ID.search(email)
        return int(m.group(1)) if m else None


def _clone(value: Any) -> Any:
    """A copy of JSON-shaped data, several times faster than copy.deepcopy."""
    if type(value) is dict:
        return {k: _clone(v) for k, v in value.items()}
    if type(value) is list:
        return [_clone(v) for v in value]
    return value
