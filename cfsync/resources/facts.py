"""The API facts (a copy of ClickFunnels' v2 operations and object schemas) as plain Python data.

Both the catalog and the sandbox read them, so that neither hand-copies field lists.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "Operation",
    "list_operations",
    "load_facts",
    "object_name",
    "operations",
    "resource_name",
    "schema",
]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    filters: tuple[str, ...]
    body: Any
    responses: dict[str, str]

    @property
    def is_list(self) -> bool:
        return self.method == "GET" and "Pagination-Next" in self.responses.get("200", "")

    @property
    def response_schema(self) -> str | None:
        """Name of the object schema answered on success (`ContactAttributes`), if named."""
        for status in ("200", "201"):
            m = re.match(r"(\w+Attributes)", self.responses.get(status, ""))
            if m:
                return m.group(1)
        return None


@cache
def load_facts() -> dict[str, Any]:
    text = resources.files("cfsync.resources").joinpath("api_facts.json").read_text("utf-8")
    facts: dict[str, Any] = json.loads(text)
    return facts


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
        )
        for o in load_facts()["operations"]
    )


def list_operations() -> tuple[Operation, ...]:
    return tuple(o for o in operations() if o.is_list)


def schema(name: str) -> dict[str, Any]:
    """Fields of one object schema: {field: type string | nested dict | [nested dict]}."""
    result: dict[str, Any] = load_facts()["schemas"][name]
    return result


def object_name(schema_name: str) -> str:
    """`CoursesEnrollmentAttributes` -> `courses_enrollment`: the snake_case singular of write bodies."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", schema_name.removesuffix("Attributes")).lower()


def resource_name(schema_name: str) -> str:
    """`CoursesEnrollmentAttributes` -> `courses_enrollments`: the table and resource name of an object."""
    snake = object_name(schema_name)
    return snake[:-1] + "ies" if snake.endswith("y") else snake + "s"
