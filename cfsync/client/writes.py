"""The write operations: create, update, delete and the special actions, checked before they are sent.

Each operation is one row of OPERATIONS naming its API operation id; its method, path, body wrapper
(`{"contact": {...}}`) and allowed body fields all come from the API facts. Operations are named
`resource.verb` ("contacts.upsert") everywhere: in `cfsync.write`, in WriteSession and on the command line.

    async with ApiClient(account) as client:
        upserted = await Writer(client).run("contacts.upsert", {"workspace_id": 1}, {"email_address": "a@b"})
        upserted.created  # False (200): the contact existed
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..errors import ApiProtocolError, ConfigError
from ..resources.facts import Operation, object_name, operations, resource_name
from .fields import check_fields
from .paginate import pages

if TYPE_CHECKING:  # the command line reads OPERATIONS without loading aiohttp
    from .http import ApiClient

__all__ = ["OPERATIONS", "WriteOperation", "Writer", "Written", "list_all", "operation"]

# What a success does to the local copy: upsert the answer, mark the row deleted, or fetch the record again
# (GDPR erase answers 204 but keeps the record, redacted).
RECORD, DELETE, REFETCH = "record", "delete", "refetch"


@dataclass(frozen=True)
class WriteOperation:
    resource: str  # the table the record lives in: "courses_enrollments"
    verb: str  # "create", "update", "delete", "upsert", "gdpr_destroy", "archive", ...
    method: str
    path: str  # as in the facts: "/courses/{course_id}/enrollments"
    effect: str  # RECORD, DELETE or REFETCH
    wrapper: str | None  # the body's single key ("courses_enrollment"), None when it takes no body
    fields: Mapping[str, Any] = field(repr=False)  # body field -> type, from the facts

    @property
    def name(self) -> str:
        return f"{self.resource}.{self.verb}"

    @property
    def params(self) -> tuple[str, ...]:
        """The path's placeholders, in order: ("workspace_id",), ("id",), ("course_id",)."""
        return tuple(re.findall(r"{(\w+)}", self.path))

    @property
    def repeatable(self) -> bool:
        """Resending cannot do it twice: everything but a create (an upsert matches on email; archive and
        cancel answer 409 the second time)."""
        return not (self.method == "POST" and self.verb == "create")

    @property
    def member_path(self) -> str:
        """The record's own GET route: the path without its action (`/contacts/{id}/gdpr_destroy`)."""
        return self.path.rsplit("/", 1)[0] if self.effect == REFETCH else self.path

    def url(self, ids: Mapping[str, int | str]) -> str:
        missing = [p for p in self.params if p not in ids]
        if missing:
            raise ConfigError(f"{self.name} needs {', '.join(missing)}")
        # Quoted, so an id like "../teams" cannot reach another route.
        return re.sub(r"{(\w+)}", lambda m: quote(str(ids[m.group(1)]), safe=""), self.path)

    def body(self, values: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The request body, wrapped; FieldError for a field the facts do not list or a wrong type."""
        what = f"{self.resource} {self.verb}"
        if self.wrapper is None:
            if values:
                raise ConfigError(f"{what} takes no fields")
            return None
        return {self.wrapper: check_fields(self.fields, values or {}, what=what)}


def _operation(resource: str, verb: str, operation_id: str, effect: str = RECORD) -> WriteOperation:
    op: Operation | None = next((o for o in operations() if o.operation_id == operation_id), None)
    if op is None:
        raise ValueError(f"no operation {operation_id} in the API facts")
    schema = op.response_schema
    if schema is not None and resource_name(schema) != resource:
        raise ValueError(f"{operation_id} answers {schema}, not a record of {resource}")
    wrapper = None
    fields: Mapping[str, Any] = {}
    if op.body is not None:
        wrapper = object_name(schema) if schema else None
        if not isinstance(op.body, dict) or wrapper is None or set(op.body) != {wrapper}:
            raise ValueError(f"{operation_id}: the facts' body is not wrapped in {wrapper!r}")
        fields = op.body[wrapper]
    return WriteOperation(resource, verb, op.method, op.path, effect, wrapper, fields)


def _table(*rows: WriteOperation) -> dict[str, WriteOperation]:
    return {row.name: row for row in rows}


OPERATIONS: dict[str, WriteOperation] = _table(
    _operation("contacts", "create", "createContacts"),
    _operation("contacts", "update", "updateContacts"),
    _operation("contacts", "delete", "removeContacts", DELETE),
    _operation("contacts", "upsert", "upsertContacts"),
    _operation("contacts", "gdpr_destroy", "gdpr_destroyContacts", REFETCH),
    _operation("products", "create", "createProducts"),
    _operation("products", "update", "updateProducts"),
    _operation("products", "archive", "archiveProducts"),
    _operation("products", "unarchive", "unarchiveProducts"),
    _operation("orders", "update", "updateOrders"),
    _operation("fulfillments", "create", "createFulfillments"),
    _operation("fulfillments", "cancel", "cancelFulfillments"),
    _operation("courses_enrollments", "create", "createCoursesEnrollments"),
    _operation("courses_enrollments", "update", "updateCoursesEnrollments"),
    _operation("images", "create", "createImages"),
    _operation("webhooks_outgoing_endpoints", "create", "createWebhooksOutgoingEndpoints"),
    _operation("webhooks_outgoing_endpoints", "update", "updateWebhooksOutgoingEndpoints"),
    _operation("webhooks_outgoing_endpoints", "delete", "removeWebhooksOutgoingEndpoints", DELETE),
)


def operation(name: str) -> WriteOperation:
    """An operation by name, `resource.verb` ("contacts.upsert"); ConfigError when there is none."""
    try:
        return OPERATIONS[name]
    except KeyError:
        raise ConfigError(f"no write operation {name!r} (known: {', '.join(OPERATIONS)})") from None


@dataclass(frozen=True)
class Written:
    """A write the API accepted: its status and the record it answered (None for a 204)."""

    operation: WriteOperation
    status: int
    record: dict[str, Any] | None

    @property
    def created(self) -> bool:
        """True when the API made a new record (201): how an upsert says which it did."""
        return self.status == 201


async def list_all(client: ApiClient, path: str, params: Mapping[str, str] | None = None) -> list[Any]:
    """Every item of a list endpoint, following `Pagination-Next` (a repeated cursor is an error)."""
    return [item async for page, _ in pages(client, path, params=params) for item in page.items]


class Writer:
    """The write operations over one ApiClient. Fields are checked before any request is sent."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def run(
        self,
        op: WriteOperation | str,
        ids: Mapping[str, int | str] | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Written:
        op = operation(op) if isinstance(op, str) else op
        body = op.body(fields)
        url = op.url(ids or {})
        response = await self.client.call(op.method, url, body=body, repeatable=op.repeatable)
        if response.data is not None and not isinstance(response.data, dict):
            raise ApiProtocolError(
                f"expected a record, got {type(response.data).__name__}", method=op.method, url=url
            )
        return Written(op, response.status, response.data)

    async def fetch(self, op: WriteOperation | str, record_id: int | str) -> dict[str, Any]:
        """The record an operation acts on, as its GET route serves it now."""
        op = operation(op) if isinstance(op, str) else op
        url = op.member_path.replace("{id}", quote(str(record_id), safe=""))
        data, _ = await self.client.request("GET", url)
        if not isinstance(data, dict):
            raise ApiProtocolError(f"expected a record, got {type(data).__name__}", method="GET", url=url)
        return data
