"""Write bodies checked against the API facts before anything is sent.

The API drops unknown fields silently and answers 422 for a wrong type only after the request, so a typo in
a field name would look like success. Both are caught here, as a FieldError (a usage error, exit 2).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import FieldError

__all__ = ["FieldError", "FieldType", "check_fields", "from_text"]

_TYPE = re.compile(
    r"^(?P<base>[a-z]+)(?P<list>\[\])?\??(?:\|null)?(?:\(\S+\))?(?: enum\[(?P<enum>[^\]]*)\])?$"
)
_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a JSON object",
    "any": "a value",
}


@dataclass(frozen=True)
class FieldType:
    """One body field's type as the facts write it: `string|null`, `integer[]`, `string enum[a,b]`..."""

    base: str  # string, integer, number, boolean, object, any
    is_list: bool = False
    enum: tuple[str, ...] = ()

    @classmethod
    def parse(cls, spec: Any) -> FieldType:
        if isinstance(spec, dict):
            return cls("object")
        if isinstance(spec, list):
            return cls("object", is_list=True)
        m = _TYPE.match(str(spec))
        if m is None or m.group("base") not in _NAMES:
            return cls("any")  # a type the facts spell some new way: let the API judge it
        enum = tuple(e.strip() for e in (m.group("enum") or "").split(",") if e.strip())
        return cls(m.group("base"), bool(m.group("list")), enum)

    def describe(self) -> str:
        if self.is_list:
            return "a JSON array" + ("" if self.base == "any" else f" of {self.base}s")
        if self.enum:
            return "one of " + ", ".join(self.enum)
        return _NAMES[self.base]


def from_text(spec: Any, text: str) -> Any:
    """A value typed on a command line or in a CSV cell, read as the field's type wants it.

    JSON when it parses (numbers, true/false, null, arrays, objects), else the text itself, as `gh api -F`
    does; but a string field keeps its text as typed (`phone_number=0044...`, `name=1.50`), so only a JSON
    string literal or `null` is decoded there. `spec` None means "no schema": plain `gh api -F` rules.
    """
    ftype = FieldType.parse(spec) if spec is not None else None
    if ftype is not None and ftype.base == "string" and not ftype.is_list:
        if text != "null" and not text.startswith('"'):
            return text
    elif ftype is not None and ftype.base == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return json.loads(text)
    except ValueError:
        return text


def check_fields(allowed: Mapping[str, Any], values: Mapping[str, Any], *, what: str) -> dict[str, Any]:
    """`values` as the body of `what` (e.g. "contacts create"), or FieldError naming every problem.

    Every field may be null (the spec's `required` flags are unreliable). Numbers given to a string field
    become their text, the way the API would store them.
    """
    unknown = sorted(k for k in values if k not in allowed)
    problems = []
    if unknown:
        takes = ", ".join(allowed) or "none"
        problems.append(f"{what} takes no field {', '.join(map(repr, unknown))} (it takes: {takes})")
    body: dict[str, Any] = {}
    for key, value in values.items():
        if key not in allowed:
            continue
        ftype = FieldType.parse(allowed[key])
        fixed, ok = _fit(ftype, value)
        if not ok:
            problems.append(f"{key} must be {ftype.describe()}, not {json.dumps(value)[:60]}")
        body[key] = fixed
    if problems:
        raise FieldError("; ".join(problems))
    return body


def _fit(ftype: FieldType, value: Any) -> tuple[Any, bool]:
    if value is None:
        return None, True
    if ftype.is_list:
        if not isinstance(value, list):
            return value, False
        items = [_fit(FieldType(ftype.base), item) for item in value]
        return [v for v, _ in items], all(ok for _, ok in items)
    base = ftype.base
    if base == "string":
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        return value, isinstance(value, str) and (not ftype.enum or value in ftype.enum)
    if base == "integer":
        return value, isinstance(value, int) and not isinstance(value, bool)
    if base == "number":
        return value, isinstance(value, int | float) and not isinstance(value, bool)
    if base == "boolean":
        return value, isinstance(value, bool)
    if base == "object":
        return value, isinstance(value, dict)
    return value, True
