"""Counters kept as dataclasses: one way to add them up and to read them out."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Self

__all__ = ["Tally"]


class Tally:
    """Mixed into a dataclass of counters. `add` adds another's numbers in (lists are extended, dicts of
    numbers added key by key); `counts` gives the plain int fields as a dict."""

    def add(self, other: Self) -> Self:
        for f in fields(self):  # type: ignore[arg-type]
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, list):
                mine.extend(theirs)
            elif isinstance(mine, dict):
                for key, value in theirs.items():
                    mine[key] = mine.get(key, 0) + value
            else:
                setattr(self, f.name, mine + theirs)
        return self

    def counts(self) -> dict[str, Any]:
        found = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        return {name: value for name, value in found.items() if type(value) is int}
