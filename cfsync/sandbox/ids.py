"""Ids, public ids and generated timestamps: arithmetic, so that a record needs no memory until touched.

Every generated record of a resource has an *offset* 0 <= offset < total(resource), and
`id = base(resource) + offset`. A record's offset encodes where it lives:

    offset = index * total(parent) + offset(parent record)

so the parent of any id is one division away, ids rise with the index inside each list, and the records
of a list under any ancestor (an order's invoices, or all invoices of a workspace) are a mixed-radix
sequence that can be counted, indexed and bisected without generating them. Records created later take
`base + total + n`: above every generated id of their type.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

from cfsync.sandbox.catalog import ACCOUNT, Catalog
from cfsync.sandbox.config import SandboxConfig

__all__ = ["SPAN_MS", "IdSpace", "iso_ms", "stable_hex", "stable_int", "world_end_ms"]

_MS = 1000
_DAY_MS = 86_400 * _MS

# How far back the generated world reaches from its end: records are created over these 46 months, up to
# two hours before the end (so that an order created last is paid before it too).
SPAN_MS = 1400 * _DAY_MS
_LAST_CREATED_MS = SPAN_MS - 2 * 3_600 * _MS
MAX_LAG_MS = 45 * _DAY_MS


def world_end_ms(now: datetime) -> int:
    """Where the generated world ends for a sandbox built at `now`: the start of that UTC day, so two
    sandboxes built the same day from one seed hold the same data. Every generated timestamp of the past
    is earlier; the sandbox clock never reads earlier, so a record touched through the API always sorts
    after every untouched one."""
    day = now.astimezone(UTC).date()
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * _MS


_PUBLIC_MOD = 1 << 41
_NUMBERS = 128  # resource numbers a public id can carry (each resource's number is below it)
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ALNUM = _LETTERS + "0123456789"


def stable_int(*parts: object) -> int:
    """A 64-bit number from the parts, the same in every process (unlike `hash()`)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def stable_hex(*parts: object, size: int = 16) -> str:
    """Random-looking but reproducible hex: the same seed replays the same secrets and urls."""
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=size).hexdigest()


def iso_ms(ms: int) -> str:
    """`2024-03-01T12:00:00.000Z`: the API's timestamp shape."""
    # time.strftime over gmtime: a third of datetime's cost, for a call every generated timestamp makes.
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // _MS)) + f".{ms % _MS:03d}Z"


class IdSpace:
    """`end_ms`: where the generated world ends (`world_end_ms`); records are created over the SPAN_MS
    before it."""

    def __init__(self, catalog: Catalog, config: SandboxConfig, end_ms: int) -> None:
        self.seed = config.seed
        self.end_ms = end_ms
        self.start_ms = end_ms - SPAN_MS
        self._parent: dict[str, str] = {}
        self._count: dict[str, int] = {ACCOUNT: config.accounts}
        self._total: dict[str, int] = {ACCOUNT: config.accounts}
        self._base: dict[str, int] = {ACCOUNT: 0}
        self._number: dict[str, int] = {}
        self._lag: dict[str, int] = {}
        for name in catalog.order():
            spec = catalog.resources[name]
            self._parent[name] = spec.parent
            # A computed resource has no records of its own; a singleton exactly one per parent.
            self._count[name] = 0 if spec.computed else 1 if spec.singleton else config.count(name)
            self._total[name] = self._count[name] * self._total[spec.parent]
            # Bases differ per type, so an id used with the wrong resource is a 404, not a silent hit.
            self._base[name] = 1000 * (1 + stable_int(config.seed, name, "base") % 9000)
            if not 0 < spec.number < _NUMBERS:
                raise ValueError(f"public ids carry at most {_NUMBERS - 1} resources")
            self._number[name] = spec.number
            self._lag[name] = stable_int(config.seed, name, "lag") % MAX_LAG_MS
        self._by_number = {n: name for name, n in self._number.items()}
        self._key = stable_int(config.seed, "public-key") % _PUBLIC_MOD
        self._mult = (stable_int(config.seed, "public-mult") % _PUBLIC_MOD) | 1
        self._mult_inv = pow(self._mult, -1, _PUBLIC_MOD)

    # -- counts and offsets -------------------------------------------------------------------------

    def parent(self, name: str) -> str:
        return self._parent[name]

    def count(self, name: str) -> int:
        """Generated records per partition."""
        return self._count[name]

    def total(self, name: str) -> int:
        return self._total[name]

    def base(self, name: str) -> int:
        return self._base[name]

    def first_created_id(self, name: str) -> int:
        return self._base[name] + self._total[name]

    def id_at(self, name: str, offset: int) -> int:
        return self._base[name] + offset

    def offset_of(self, name: str, id_: int) -> int | None:
        """The offset of a generated id, None when `id_` is not a generated record of `name`."""
        offset = id_ - self._base[name]
        return offset if 0 <= offset < self._total[name] else None

    def index_of(self, name: str, offset: int) -> int:
        return offset // self._total[self._parent[name]]

    def ancestry(self, name: str, offset: int) -> list[tuple[str, int]]:
        """(resource, id) of the parent, grandparent... up to (ACCOUNT, account number)."""
        out = []
        while name != ACCOUNT:
            parent = self._parent[name]
            offset %= self._total[parent]
            out.append((parent, self._base[parent] + offset))
            name = parent
        return out

    # -- the records of a resource under one ancestor ------------------------------------------------

    def _path(self, name: str, scope: str) -> list[str]:
        path = [name]
        while self._parent[path[-1]] != scope:
            if path[-1] == ACCOUNT or self._parent[path[-1]] == ACCOUNT:
                raise ValueError(f"{scope} is not an ancestor of {name}")
            path.append(self._parent[path[-1]])
        return path

    def count_under(self, name: str, scope: str) -> int:
        """How many generated `name` records sit under one generated `scope` record."""
        n = 1
        for step in self._path(name, scope):
            n *= self._count[step]
        return n

    def offset_under(self, name: str, scope: str, scope_offset: int, position: int) -> int:
        """Offset of the position-th `name` record (in id order) under the scope record."""
        path = self._path(name, scope)
        digits = []
        for step in reversed(path):
            c = self._count[step]
            digits.append(position % c)
            position //= c
        offset = scope_offset
        # Fold from the scope down: each level's offset is its index over its parent's total.
        for step, digit in zip(reversed(path), digits, strict=True):
            offset = digit * self._total[self._parent[step]] + offset
        return offset

    # -- timestamps: rising with the offset, so sorting by updated_at needs no materialisation --------

    def created_ms(self, name: str, offset: int) -> int:
        """Spread over the world's span: the last record of a type is created a little before it ends."""
        return self.start_ms + offset * _LAST_CREATED_MS // max(self._total[name], 1)

    def updated_ms(self, name: str, offset: int) -> int:
        """Some time after creation, always before the world's end: the lag shrinks toward the end (a record
        created yesterday was changed since, if at all, yesterday). Strictly rising with the offset: the
        lag grows by less than the creation time does, and the jitter stays below what is left of the gap
        between neighbours."""
        created = self.created_ms(name, offset)
        lag = self._lag[name] * (self.end_ms - created) // SPAN_MS
        step = _LAST_CREATED_MS // max(self._total[name], 1)
        room = step - self._lag[name] * step // SPAN_MS - 2
        jitter = stable_int(self.seed, name, offset, "updated") % max(room, 1)
        return min(created + lag + jitter, self.end_ms - 1)

    # -- public ids -----------------------------------------------------------------------------------

    def public_id(self, name: str, id_: int) -> str:
        """Seven characters, unique across all types, starting with a letter so it never looks numeric."""
        y = ((id_ * _NUMBERS + self._number[name]) ^ self._key) * self._mult % _PUBLIC_MOD
        tail = []
        for _ in range(6):
            y, r = divmod(y, 62)
            tail.append(_ALNUM[r])
        return _LETTERS[y] + "".join(reversed(tail))

    def parse_public_id(self, public_id: str) -> tuple[str, int] | None:
        if len(public_id) != 7 or public_id[0] not in _LETTERS:
            return None
        y = _LETTERS.index(public_id[0])
        for ch in public_id[1:]:
            r = _ALNUM.find(ch)
            if r < 0:
                return None
            y = y * 62 + r
        if y >= _PUBLIC_MOD:
            return None
        x = (y * self._mult_inv % _PUBLIC_MOD) ^ self._key
        name = self._by_number.get(x % _NUMBERS)
        return (name, x // _NUMBERS) if name else None
