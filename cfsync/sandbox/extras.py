"""Extra fields: fields the facts do not have, served on a list's records so tests see the API grow.

ClickFunnels adds fields to lists without notice; cfsync evolves its schema when it meets one. A switch
(`ExtraFields.add`, from `Sandbox.add_extra_field`, `POST /_sandbox/extra_fields` or `cfsync sandbox serve
--extra-field`) names a resource, a field and a kind; from then on every answer of one of its records (list
pages, member GETs, write answers, the webhook deliveries and event log; not copies embedded in other
records) shows the field, through the one function `ExtraFields.apply`. A value depends only on (seed,
resource, record id, field, kind) and the record's own timestamps, so every path shows the same one; about
one record in 7 sends null.

`from_id` limits the field to records with id >= it (the field "appeared" for newer records); a `change`
sends another kind from `change.from_id` on (a field whose type changes halfway: `None` is the median id
of the resource at the moment the switch is set).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cfsync.sandbox.ids import iso_ms, stable_int

__all__ = ["EXTRA_KINDS", "ExtraField", "ExtraFields", "parse_extra_field"]

EXTRA_KINDS = ("integer", "number", "boolean", "timestamp", "money", "text", "object", "array")

# Text that fits no other kind: what a field that was a number sends once it changes ("n/a").
_TEXTS = ("n/a", "unknown", "-", "pending", "gold tier", "see notes", "none yet")
_TIERS = ("bronze", "silver", "gold", "platinum")
_BADGES = ("early bird", "top buyer", "referrer", "streak", "reviewer", "vip")
_NULL_ONE_IN = 7
_SPEC = re.compile(r"^([a-z0-9_]+)\.([^=\s]+)=([a-z]+)(?:>([a-z]+))?$")

Record = dict[str, Any]


@dataclass(frozen=True)
class ExtraField:
    resource: str
    field: str
    kind: str
    from_id: int | None = None  # None: every record carries it
    change_kind: str | None = None
    change_from_id: int | None = None  # set (resolved) whenever change_kind is

    def kind_for(self, id_: int) -> str | None:
        """The kind record `id_` sends, None when the field is not on it."""
        if self.from_id is not None and id_ < self.from_id:
            return None
        if self.change_kind is not None and self.change_from_id is not None and id_ >= self.change_from_id:
            return self.change_kind
        return self.kind

    def to_dict(self) -> dict[str, Any]:
        change = None
        if self.change_kind is not None:
            change = {"kind": self.change_kind, "from_id": self.change_from_id}
        return {
            "resource": self.resource,
            "field": self.field,
            "kind": self.kind,
            "from_id": self.from_id,
            "change": change,
        }


def parse_extra_field(spec: str) -> tuple[str, str, str, str | None]:
    """`contacts.loyalty_points=integer` or `=integer>text` (the kind changes halfway) -> (resource, field,
    kind, change kind or None). ValueError naming what is wrong."""
    m = _SPEC.fullmatch(spec.strip())
    if m is None:
        raise ValueError(f"{spec!r} is not RESOURCE.FIELD=KIND or RESOURCE.FIELD=KIND>KIND")
    resource, field, kind, change = m.groups()
    for k in (kind, change):
        if k is not None and k not in EXTRA_KINDS:
            raise ValueError(f"{spec!r}: unknown kind {k!r}; kinds: {', '.join(EXTRA_KINDS)}")
    return resource, field, kind, change


def check_kind(kind: Any, name: str = "kind") -> str:
    if kind not in EXTRA_KINDS:
        raise ValueError(f"unknown {name} {kind!r}; kinds: {', '.join(EXTRA_KINDS)}")
    return str(kind)


def check_resource(resource: Any, known: Collection[str]) -> str:
    """The resource, or ValueError naming a close match and a few known names (there are ~60)."""
    if isinstance(resource, str) and resource in known:
        return resource
    close = difflib.get_close_matches(str(resource), list(known), n=1, cutoff=0.75)
    hint = f"did you mean {close[0]}? " if close else ""
    examples = [n for n in ("contacts", "orders", "products", "courses_enrollments") if n in known]
    raise ValueError(
        f"unknown resource {resource!r}; {hint}known: the list names, e.g. {', '.join(examples)} "
        f"({len(known)} in all)"
    )


class ExtraFields:
    """The switches in force, by resource then field. Empty (the default) costs one dict lookup."""

    def __init__(self, seed: int, world: tuple[int, int]) -> None:
        self.seed = seed
        self.world = world  # (start, end) ms of the generated world: times for a record without its own
        self.by_resource: dict[str, dict[str, ExtraField]] = {}

    def add(self, extra: ExtraField) -> None:
        """Add, or replace the switch of the same resource and field."""
        self.by_resource.setdefault(extra.resource, {})[extra.field] = extra

    def clear(self, resource: str | None = None) -> None:
        if resource is None:
            self.by_resource.clear()
        else:
            self.by_resource.pop(resource, None)

    def all(self) -> list[ExtraField]:
        return [f for fields in self.by_resource.values() for f in fields.values()]

    def apply(self, name: str, rec: Record) -> Record:
        """`rec` with the extra fields of `name` it carries (a copy; `rec` itself when there are none)."""
        fields = self.by_resource.get(name)
        if not fields:
            return rec
        id_ = rec.get("id")
        if not isinstance(id_, int) or isinstance(id_, bool):
            return rec
        out = dict(rec)
        for extra in fields.values():
            kind = extra.kind_for(id_)
            if kind is not None:
                out[extra.field] = self.value(name, id_, extra.field, kind, rec)
        return out

    def value(self, name: str, id_: int, field: str, kind: str, rec: Mapping[str, Any]) -> Any:
        """The value record `id_` sends for `field` as `kind`: the same on every call."""
        h = stable_int(self.seed, "extra", name, id_, field)
        if h % _NULL_ONE_IN == 0:
            return None
        h //= _NULL_ONE_IN
        if kind == "integer":
            return h % 5000
        if kind == "number":
            return round((h % 1_000_000) / 1000 + 0.0005, 4)  # never a whole number: JSON shows a fraction
        if kind == "boolean":
            return bool(h & 1)
        if kind == "timestamp":
            return _timestamp(h, rec, self.world)
        if kind == "money":
            return f"{h % 100_000 / 100:.2f}"
        if kind == "text":
            return _TEXTS[h % len(_TEXTS)]
        if kind == "object":
            return {"tier": _TIERS[h % len(_TIERS)], "points": (h >> 8) % 1000, "active": bool(h >> 20 & 1)}
        if kind == "array":
            # Item ids unique across the resource's records: 4 slots per record id.
            return [
                {
                    "id": id_ * 4 + i,
                    "name": _BADGES[(h >> (4 * i)) % len(_BADGES)],
                    "awarded_at": _timestamp(
                        stable_int(self.seed, "extra", name, id_, field, i), rec, self.world
                    ),
                }
                for i in range(h % 4)
            ]
        raise ValueError(f"unknown kind {kind!r}")


def _ms(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value).timestamp() * 1000)
    except ValueError:
        return None


def _timestamp(h: int, rec: Mapping[str, Any], world: tuple[int, int]) -> str:
    """An ISO 8601 time between the record's created_at and updated_at (when it has them, else within the
    generated world), ending in `Z` or `+00:00` (both are what APIs send)."""
    low, high = _ms(rec.get("created_at")), _ms(rec.get("updated_at"))
    if low is None:
        low, high = world[0], world[1] - 1
    if high is None or high < low:
        high = low
    ms = low + h % (high - low + 1)
    text = iso_ms(ms)
    return text if h & 2 else text[:-1] + "+00:00"
