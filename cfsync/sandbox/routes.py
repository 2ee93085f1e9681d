"""API route handlers: one per kind of operation (list, get, create, update, delete, special action).

Handlers are synchronous and run under the sandbox lock: everything that awaits (latency, faults, the
body) happens before, in the app's edge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web
from yarl import URL

from cfsync.sandbox.catalog import ACCOUNT, Route
from cfsync.sandbox.query import PAGE_SIZE, ListQuery, page
from cfsync.sandbox.state import SandboxError

if TYPE_CHECKING:
    from cfsync.sandbox.sandbox import Sandbox

__all__ = ["RECORD_MISSING", "Call", "dispatch", "json_body", "json_response", "parse_list_query"]

RECORD_MISSING = "Not found: Record missing"
_FILTER = re.compile(r"filter\[([^\[\]]*)\]")


@dataclass
class Call:
    sb: Sandbox
    route: Route
    params: dict[str, str]
    account: int
    query: Mapping[str, str] | Any  # a MultiDict: `getall` for repeated filter keys
    url: URL
    body: bytes


def json_response(status: int, data: Any, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(data).encode(), content_type="application/json", headers=headers
    )


def json_body(raw: bytes | None) -> Any:
    """A request's JSON body; 400 when it is not JSON (an empty body included)."""
    try:
        return json.loads(raw or b"")
    except ValueError:
        raise SandboxError(400, "Invalid JSON in request body") from None


def dispatch(call: Call) -> web.Response:
    try:
        return _HANDLERS[call.route.kind](call)
    except SandboxError as e:
        return json_response(e.status, {"error": e.message})


def parse_list_query(query: Any, allowed_filters: tuple[str, ...]) -> ListQuery:
    """Sort, cursor and filters of a list request; unknown top-level parameters are ignored."""
    order = query.get("sort_order", "asc")
    if order not in ("asc", "desc"):
        raise SandboxError(400, f"Invalid sort_order {order!r}: use asc or desc")
    prop = query.get("sort_property", "id")
    if prop not in ("id", "updated_at"):
        raise SandboxError(400, f"Invalid sort_property {prop!r}: use id or updated_at")
    raw_after = query.get("after", "")
    if raw_after and not raw_after.isdigit():
        raise SandboxError(400, f"Invalid after {raw_after!r}: use the id of the last record")
    filters: dict[str, tuple[str, ...]] = {}
    for key in dict.fromkeys(query.keys()):
        if not key.startswith("filter"):
            continue
        m = _FILTER.fullmatch(key)
        if not m or m.group(1) not in allowed_filters:
            known = ", ".join(allowed_filters) or "nothing"
            raise SandboxError(400, f"Unknown filter {key!r}; this list filters on: {known}")
        filters[m.group(1)] = tuple(v.strip() for raw in query.getall(key) for v in raw.split(","))
    return ListQuery(int(raw_after) if raw_after else None, order == "desc", prop == "updated_at", filters)


def _scope_id(c: Call, scope: str, param: str | None) -> int:
    """The numeric id of a list's parent, which must be a live record of the caller's account."""
    if scope == ACCOUNT or param is None:
        return c.account
    raw = c.params[param]
    state = c.sb.state
    id_ = int(raw) if raw.isdigit() else -1
    if not state.exists(scope, id_) or state.account_of(scope, id_) != c.account:
        raise SandboxError(404, RECORD_MISSING)
    return id_


def _member_id(c: Call) -> int:
    """The id of a member route's record: numeric or public id, of the caller's account."""
    raw, resource, state = c.params[c.route.param or "id"], c.route.resource, c.sb.state
    if raw.isdigit():
        id_ = int(raw)
    else:
        parsed = c.sb.ids.parse_public_id(raw)
        if parsed is None or parsed[0] != resource:
            raise SandboxError(404, RECORD_MISSING)
        id_ = parsed[1]
    if not state.exists(resource, id_) or state.account_of(resource, id_) != c.account:
        raise SandboxError(404, RECORD_MISSING)
    return id_


def _body(c: Call) -> dict[str, Any]:
    wrapper = c.route.wrapper or c.sb.catalog.spec(c.route.resource).wrapper or ""
    data = json_body(c.body)
    if not isinstance(data, dict) or not isinstance(data.get(wrapper), dict):
        raise SandboxError(400, f"param is missing or the value is empty: {wrapper}")
    body: dict[str, Any] = data[wrapper]
    return body


def _list(c: Call) -> web.Response:
    view = c.route.view
    assert view is not None
    scope_id = _scope_id(c, view.scope, view.param)
    q = parse_list_query(c.query, view.filters)
    state = c.sb.state
    records = page(state, view.resource, view.scope, scope_id, q)
    headers = {}
    if len(records) == PAGE_SIZE:
        # The real id: a corrupted record served without a usable one still has its place in the list.
        last = str(records[-1]["id"])
        headers["Pagination-Next"] = last
        headers["Link"] = f'<{c.url.update_query(after=last)}>; rel="next"'
    return json_response(200, [state.served(view.resource, r) for r in records], headers)


def _get(c: Call) -> web.Response:
    resource, state = c.route.resource, c.sb.state
    record = state.get(resource, _member_id(c))
    return json_response(200, None if record is None else state.served(resource, record))


def _create(c: Call) -> web.Response:
    view = c.route.view
    assert view is not None
    scope_id = _scope_id(c, view.scope, view.param)
    return json_response(201, c.sb.writes.create(c.route.resource, scope_id, _body(c), c.route.body or {}))


def _update(c: Call) -> web.Response:
    id_ = _member_id(c)
    return json_response(200, c.sb.writes.update(c.route.resource, id_, _body(c), c.route.body or {}))


def _delete(c: Call) -> web.Response:
    c.sb.writes.delete(c.route.resource, _member_id(c))
    return web.Response(status=204)


def _action(c: Call) -> web.Response:
    action, writes = c.route.action, c.sb.writes
    if action == "upsert" and c.route.view is not None:
        scope_id = _scope_id(c, c.route.view.scope, c.route.view.param)
        record, created = writes.upsert_contact(scope_id, _body(c), c.route.body or {})
        return json_response(201 if created else 200, record)
    if action == "reorder" and c.route.view is not None:
        return _reorder(c, _scope_id(c, c.route.view.scope, c.route.view.param))
    id_ = _member_id(c)
    if action == "gdpr_destroy":
        writes.gdpr_destroy(id_)
        return web.Response(status=204)
    if action in ("archive", "unarchive"):
        return json_response(200, writes.set_archived(id_, action == "archive"))
    if action == "cancel":
        return json_response(200, writes.cancel_fulfillment(id_))
    return json_response(404, {"error": "Not found"})


def _reorder(c: Call, parent_id: int) -> web.Response:
    """Answer the fields in the asked order; the sandbox keeps no field order of its own."""
    order = json_body(c.body)
    if not isinstance(order, list):
        raise SandboxError(400, "Expected a JSON array of field ids")
    records = c.sb.state.child_records(c.route.resource, parent_id, limit=10**6)
    rank = {str(v): i for i, v in enumerate(order)}
    records.sort(key=lambda r: rank.get(str(r["id"]), len(rank)))
    return json_response(200, records)


_HANDLERS: dict[str, Callable[[Call], web.Response]] = {
    "list": _list,
    "get": _get,
    "create": _create,
    "update": _update,
    "delete": _delete,
    "action": _action,
}
