"""The API facts as plain Python data: ClickFunnels' v2 operations and object schemas.

Two copies are vendored, each as published: `api_facts_2025.json` (the v2 document of mid-2025) and
`api_facts_2026.json` (what ClickFunnels' own client knew in June 2026). They are merged here, the API as it
is today over the older document, so that nothing the older one described is lost:

- every operation of either (2026 wins for one both have; status codes only 2025 lists are kept);
- every field of either: a column is never dropped because the newer document stops listing its field;
- a field both type alike keeps 2025's spelling, with any enum value 2026 adds; one they type differently
  keeps 2025's type, so a column never changes type (2026's `pages.theme_id` integer stays the text it was);
- nested objects and arrays of objects merged field by field the same way;
- 2026's `ContactBaseAttributes` is still called `ContactAttributes` (the name tables and ids come from).

The 2026 generator drops null unions, so its types never say `|null`: every field is nullable anyway.
Both the catalog and the sandbox read the merged facts, so that neither hand-copies field lists.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "FACT_FILES",
    "Operation",
    "description",
    "item_schema",
    "list_operations",
    "load_facts",
    "merge_facts",
    "new_in_2026",
    "object_name",
    "operations",
    "plural",
    "resource_name",
    "schema",
    "since_2026",
]

FACT_FILES = ("api_facts_2025.json", "api_facts_2026.json")  # oldest first
# Schemas 2026 renamed: the older name stays (tables, ids and write bodies are named after it).
_RENAMED = {"ContactBaseAttributes": "ContactAttributes"}
_ENUM = re.compile(r"enum\[([^\]]*)\]")
# Fields ClickFunnels' documentation names (README beside the facts) that neither file lists: contacts'
# expandable email engagement. Free-form: its shape is not published.
_ADDENDA = {
    "ContactAttributes": {
        "email_engagement": (
            "object",
            "**Expandable** The contact's email engagement. Only returned when expand[]=email_engagement "
            "is provided (named in ClickFunnels' documentation; its shape is not published).",
        ),
    },
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    filters: tuple[str, ...]
    body: Any
    responses: dict[str, str]
    query: dict[str, Any]

    @property
    def is_list(self) -> bool:
        """A list endpoint: every `list*` operation (some answer an object or an unpaginated array)."""
        return self.method == "GET" and self.operation_id.startswith("list")

    @property
    def response_schema(self) -> str | None:
        """Name of the object schema answered on success (`ContactAttributes`), if named."""
        for status in ("200", "201"):
            m = re.match(r"(\w+Attributes)", self.responses.get(status, ""))
            if m:
                return m.group(1)
        return None

    @property
    def answer(self) -> str:
        """The success answer as the facts spell it: `ContactAttributes[] headers=...`, `inline`..."""
        return self.responses.get("200") or self.responses.get("201") or ""

    @property
    def sort_properties(self) -> tuple[str, ...]:
        """What `sort_property` may be (`id`, `updated_at`...): () when the list takes no sort."""
        m = re.search(r"enum\[([^\]]*)\]", str(self.query.get("sort_property", "")))
        return tuple(s.strip() for s in m.group(1).split(",")) if m else ()

    @property
    def object_answer(self) -> str | None:
        """The schema of a list that answers one object, not an array (`...Response`), if it does."""
        m = re.match(r"(\w+Response)\b", self.answer)
        return m.group(1) if m else None

    @property
    def expand_values(self) -> tuple[str, ...] | None:
        """What `expand[]` may ask for: None when the operation takes no expand[], () when any name."""
        spec = self.query.get("expand[]")
        if spec is None:
            return None
        m = re.search(r"enum\[([^\]]*)\]", str(spec))
        return tuple(s.strip() for s in m.group(1).split(",")) if m else ()


def _read(name: str) -> dict[str, Any]:
    text = resources.files("cfsync.resources").joinpath(name).read_text("utf-8")
    facts: dict[str, Any] = json.loads(text)
    return facts


@cache
def load_facts() -> dict[str, Any]:
    """The merged facts: {"operations": [...], "schemas": {...}, "descriptions": {...}, "added": {schema:
    fields new in 2026}, "added_operations": ["GET /path", ...new in 2026]}."""
    facts = merge_facts(*(_read(name) for name in FACT_FILES))
    for schema_name, extra in _ADDENDA.items():
        for field, (spec, text) in extra.items():
            facts["schemas"][schema_name].setdefault(field, spec)
            facts["descriptions"].setdefault(schema_name, {}).setdefault(field, text)
            facts["added"].setdefault(schema_name, []).append(field)
    return facts


def merge_facts(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`new` over `old` by the rules in this module's docstring; `added` lists, per schema, the fields
    `old` did not have (whole new schemas included)."""
    new = _renamed(new)
    schemas: dict[str, Any] = {}
    added: dict[str, list[str]] = {}
    for name in [*old["schemas"], *(n for n in new["schemas"] if n not in old["schemas"])]:
        before, after = old["schemas"].get(name), new["schemas"].get(name)
        schemas[name] = after if before is None else before if after is None else _merge_type(before, after)
        if after is not None and isinstance(after, dict):
            added[name] = [f for f in after if not isinstance(before, dict) or f not in before]
    ops: dict[tuple[str, str], dict[str, Any]] = {(o["method"], o["path"]): o for o in old["operations"]}
    added_ops = []
    for op in new["operations"]:
        key = (op["method"], op["path"])
        if key not in ops:
            added_ops.append(f"{op['method']} {op['path']}")
        ops[key] = _merge_operation(ops[key], op) if key in ops else op
    return {
        "info": [old.get("info"), new.get("info")],
        "operations": list(ops.values()),
        "schemas": schemas,
        "descriptions": new.get("descriptions", {}),
        "added": added,
        "added_operations": added_ops,
    }


def _renamed(facts: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(facts)
    for name, kept in _RENAMED.items():
        text = re.sub(rf"\b{name}\b", kept, text)
    result: dict[str, Any] = json.loads(text)
    return result


def _base(spec: str) -> str:
    return spec.split("|")[0].split(" ")[0].split("(")[0].rstrip("?")


def _merge_type(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        merged = {k: _merge_type(v, new[k]) if k in new else v for k, v in old.items()}
        merged.update((k, v) for k, v in new.items() if k not in old)
        return merged
    if isinstance(old, list) and isinstance(new, list) and old and new:
        return [_merge_type(old[0], new[0])]
    if isinstance(old, str) and isinstance(new, str):
        same_kind = _base(old) == _base(new) and old.endswith("[]") == new.endswith("[]")
        if not same_kind:
            return old  # a column never changes type
        return _more_values(old, new)
    if isinstance(old, list) != isinstance(new, list):
        return old  # an embedded array stays what it was (a child table, or a JSON column)
    # A free-form object ({} or "object") described in full later, or the reverse: the fuller one.
    return new if isinstance(new, dict) and new else old


def _more_values(old: str, new: str) -> str:
    """`old` (its nullability, its enum's order) with the enum values only `new` has appended: 2026 lists
    every enum sorted and adds a few values (`locale` gains `pt`)."""
    found = _ENUM.search(old), _ENUM.search(new)
    if found[0] is None or found[1] is None:
        return old
    values = found[0].group(1).split(",")
    values += [v for v in found[1].group(1).split(",") if v not in values]
    return old[: found[0].start(1)] + ",".join(values) + old[found[0].end(1) :]


def _merge_operation(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    merged = dict(new)
    responses = dict(old.get("responses", {}))
    for status, answer in new.get("responses", {}).items():
        before = responses.get(status, "")
        # 2026 spells some paginated lists' answers without their headers (restocks): keep them.
        same = before.split(" headers=")[0] == answer.split(" headers=")[0]
        responses[status] = before if same and len(before) > len(answer) else answer
    merged["responses"] = responses
    if isinstance(old.get("body"), dict) and isinstance(new.get("body"), dict):
        merged["body"] = _merge_type(old["body"], new["body"])
    return merged


@cache
def operations() -> tuple[Operation, ...]:
    return tuple(
        Operation(
            method=o["method"],
            path=o["path"],
            operation_id=o["operationId"],
            filters=tuple(o.get("query", {}).get("filter", ())),
            body=o.get("body"),
            responses=dict(o.get("responses", {})),
            query=dict(o.get("query") or {}),
        )
        for o in load_facts()["operations"]
    )


def list_operations() -> tuple[Operation, ...]:
    return tuple(o for o in operations() if o.is_list)


def item_schema(op: Operation) -> str | None:
    """The schema of a list's records: named in its answer, else the one its records' GET route answers
    (`/refine_filters/{id}` for `/workspaces/{workspace_id}/refine_filters`, whose answer is `inline`)."""
    if op.response_schema:
        return op.response_schema
    tail = re.sub(r".*\}", "", op.path)
    for member in (op.path + "/{id}", tail + "/{id}"):
        for other in operations():
            if other.method == "GET" and other.path == member and other.response_schema:
                return other.response_schema
    return None


def schema(name: str) -> dict[str, Any]:
    """Fields of one object schema: {field: type string | nested dict | [nested dict]}."""
    result: dict[str, Any] = load_facts()["schemas"][name]
    return result


def description(schema_name: str, field: str) -> str | None:
    """ClickFunnels' own words for a top-level field (2026 facts), if it gave any."""
    found: str | None = load_facts()["descriptions"].get(schema_name, {}).get(field)
    return found


def new_in_2026(op: Operation) -> bool:
    """The operation is in the 2026 facts only (a list the 2025 document did not have)."""
    return f"{op.method} {op.path}" in load_facts()["added_operations"]


def since_2026(schema_name: str) -> tuple[str, ...]:
    """The fields of a schema the 2025 document did not have (all of them for a new schema)."""
    return tuple(load_facts()["added"].get(schema_name, ()))


def object_name(schema_name: str) -> str:
    """`CoursesEnrollmentAttributes` -> `courses_enrollment`: the snake_case singular of write bodies."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", schema_name.removesuffix("Attributes")).lower()


def resource_name(schema_name: str) -> str:
    """`CoursesEnrollmentAttributes` -> `courses_enrollments`, `EmailsAddressAttributes` ->
    `emails_addresses`: the table and resource name of an object."""
    return plural(object_name(schema_name))


def plural(snake: str) -> str:
    """`courses_enrollment` -> `courses_enrollments`, `emails_address` -> `emails_addresses`."""
    if snake.endswith("y"):
        return snake[:-1] + "ies"
    return snake + ("es" if snake.endswith(("s", "x", "ch", "sh")) else "s")
