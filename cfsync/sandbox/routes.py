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

from cfsync.sandbox import computed
from cfsync.sandbox.catalog import ACCOUNT, ListView, Route
from cfsync.sandbox.query import PAGE_SIZE, ListQuery, page
from cfsync.sandbox.state import SandboxError, unexpanded

if TYPE_CHECKING:
    from cfsync.sandbox.sandbox import Sandbox

__all__ = [
    "RECORD_MISSING",
    "Call",
    "dispatch",
    "json_body",
    "json_response",
    "parse_expand",
    "parse_list_query",
]

RECORD_MISSING = "Not found: Record missing"
_FILTER = re.compile(r"filter\[([^\[\]]*)\]")
_EXPAND = "expand[]"
Record = dict[str, Any]


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


def parse_list_query(query: Any, allowed_filters: tuple[str, ...], view: ListView | None = None) -> ListQuery:
    """Sort, cursor and filters of a list request; unknown top-level parameters are ignored (the sort and
    cursor of a list that takes none, too: it answers in id order)."""
    sorted_ = view is None or bool(view.sorts)
    order = query.get("sort_order", "asc") if sorted_ else "asc"
    if order not in ("asc", "desc"):
        raise SandboxError(400, f"Invalid sort_order {order!r}: use asc or desc")
    prop = query.get("sort_property", "id") if sorted_ else "id"
    sorts = view.sorts if view is not None and view.sorts else ("id", "updated_at")
    if prop not in sorts:
        raise SandboxError(400, f"Invalid sort_property {prop!r}: use {' or '.join(sorts)}")
    # `sort_order` (course sections and lessons) is a generated record's place under its parent: id order.
    raw_after = query.get("after", "") if view is None or view.paged else ""
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
    # Without `include_archived=true`, a list that can hide archived records does.
    shown = view is None or not view.include_archived or query.get("include_archived") == "true"
    return ListQuery(
        int(raw_after) if raw_after else None, order == "desc", prop == "updated_at", filters, shown
    )


def parse_expand(query: Any, allowed: tuple[str, ...] | None) -> frozenset[str]:
    """The names `expand[]=a&expand[]=b` asks for (repeated, as Rails reads it). A name the operation's facts
    do not enumerate is a 400 when they enumerate any; otherwise an unknown name is ignored."""
    names = frozenset(v.strip() for v in query.getall(_EXPAND, ()) if v.strip())
    if allowed:
        unknown = sorted(names - set(allowed))
        if unknown:
            known = ", ".join(allowed)
            raise SandboxError(400, f"Invalid expand[] {unknown[0]!r}; this endpoint expands: {known}")
    return names


def _expand(c: Call) -> frozenset[str]:
    return parse_expand(c.query, c.route.expand)


def _shown(c: Call, record: Record | None) -> Record | None:
    """A record a write or a singleton answers, with only the expandable fields `expand[]` asked for."""
    spec = c.sb.catalog.resources.get(c.route.resource)
    if record is None or spec is None or not spec.expandable:
        return record
    return unexpanded(record, spec.expandable, _expand(c))


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


def _member_id(c: Call, resource: str | None = None) -> int:
    """The id of a member route's record: numeric or public id, of the caller's account. A nested member
    route (`/funnels/{funnel_id}/split_test_steps/{id}`) must name the record's own parent."""
    param = c.route.param or "id"
    raw, state = c.params[param], c.sb.state
    resource = resource or c.route.resource
    if raw.isdigit():
        id_ = int(raw)
    else:
        parsed = c.sb.ids.parse_public_id(raw)
        if parsed is None or parsed[0] != resource:
            raise SandboxError(404, RECORD_MISSING)
        id_ = parsed[1]
    if not state.exists(resource, id_) or state.account_of(resource, id_) != c.account:
        raise SandboxError(404, RECORD_MISSING)
    above = {str(rid) for _, rid in state.ancestry(resource, id_) or []}
    if any(v not in above for k, v in c.params.items() if k != param):
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
    q = parse_list_query(c.query, view.filters, view)
    expand = _expand(c)
    state = c.sb.state
    spec = c.sb.catalog.spec(view.resource)
    records = page(state, view.resource, view.scope, scope_id, q, PAGE_SIZE if view.paged else None)
    if spec.envelope is not None:
        # One object per parent (a price's change options): its record's id is the parent's, left out.
        if not records:
            raise SandboxError(404, RECORD_MISSING)
        answer = {k: v for k, v in state.served(view.resource, records[0], expand).items() if k != "id"}
        return json_response(200, {spec.envelope: answer} if spec.envelope else answer)
    headers = {}
    if view.paged and len(records) == PAGE_SIZE:
        # The real id: a corrupted record served without a usable one still has its place in the list.
        last = str(records[-1]["id"])
        headers["Pagination-Next"] = last
        headers["Link"] = f'<{c.url.update_query(after=last)}>; rel="next"'
    return json_response(200, [state.served(view.resource, r, expand) for r in records], headers)


def _get(c: Call) -> web.Response:
    resource, state = c.route.resource, c.sb.state
    id_ = _member_id(c)
    expand = _expand(c)
    record = state.get(resource, id_)
    return json_response(200, None if record is None else state.served(resource, record, expand))


def _create(c: Call) -> web.Response:
    resource, view, writes = c.route.resource, c.route.view, c.sb.writes
    if c.route.through is not None:
        # Made under another record (a price under its variant): in its own parent, naming that record.
        owner_id = _member_id(c, c.route.through)
        parent = c.sb.catalog.spec(resource).parent
        scope_id = dict(c.sb.state.ancestry(c.route.through, owner_id) or []).get(parent, owner_id)
        naming = writes.fields_naming(resource, c.route.through)  # `variant_id`
        body = {**_body(c), **dict.fromkeys(naming, owner_id)}
        allowed = {**(c.route.body or {}), **dict.fromkeys(naming, "integer")}
        made = writes.create(resource, scope_id, body, allowed, required_refs=c.route.nulls)
        return json_response(201, _shown(c, made))
    assert view is not None
    scope_id = _scope_id(c, view.scope, view.param)
    made = writes.create(resource, scope_id, _body(c), c.route.body, required_refs=c.route.nulls)
    return json_response(201, _shown(c, made))


def _update(c: Call) -> web.Response:
    id_ = _member_id(c)
    return json_response(200, _shown(c, c.sb.writes.update(c.route.resource, id_, _body(c), c.route.body)))


def _delete(c: Call) -> web.Response:
    if c.route.action == "archive":  # `archiveEmailsTopic`: kept, out of the list without include_archived
        c.sb.actions.archive(c.route.resource, _member_id(c))
    else:
        c.sb.writes.delete(c.route.resource, _member_id(c))
    return web.Response(status=204)


def _one(c: Call) -> web.Response:
    """A singleton: the token's user, a workspace's site (GET and PUT) or its email settings."""
    view, state = c.route.view, c.sb.state
    assert view is not None
    scope_id = _scope_id(c, view.scope, view.param)
    found = computed.one(state, c.route.resource, scope_id)
    if found is None:
        raise SandboxError(404, RECORD_MISSING)
    if c.route.method == "PUT":
        found = c.sb.writes.update(c.route.resource, found["id"], _body(c), c.route.body)
    elif c.route.resource in c.sb.catalog.resources:
        found = state.served(c.route.resource, found)
    return json_response(200, _shown(c, found))


def _action(c: Call) -> web.Response:
    action, writes = c.route.action, c.sb.actions
    if action == "upsert" and c.route.view is not None:
        scope_id = _scope_id(c, c.route.view.scope, c.route.view.param)
        record, created = writes.upsert_contact(scope_id, _body(c), c.route.body or {})
        return json_response(201 if created else 200, _shown(c, record))
    if action == "reorder" and c.route.view is not None:
        return _reorder(c, _scope_id(c, c.route.view.scope, c.route.view.param))
    id_ = _member_id(c)
    if action == "stats" and c.route.method == "GET":
        if c.route.resource == "funnels":
            return json_response(200, c.sb.stats.funnel(id_, c.query, "steps" in _expand(c)))
        return json_response(200, c.sb.stats.page(id_, c.query))
    if action == "gdpr_destroy":
        writes.gdpr_destroy(id_)
        return web.Response(status=204)
    if action in ("archive", "unarchive"):
        return json_response(200, writes.set_archived(id_, action == "archive"))
    if action == "cancel":
        return json_response(200, writes.cancel_fulfillment(id_))
    if action == "products" and c.route.resource == "pages":
        body = json_body(c.body)
        product_ids = body.get("product_ids") if isinstance(body, dict) else None
        if not isinstance(product_ids, list):
            raise SandboxError(400, "param is missing or the value is empty: product_ids")
        writes.remove_page_products(id_, [str(p) for p in product_ids])
        return web.Response(status=204)
    if action == "set_default":
        # No field shows which theme is the default: the theme itself, unchanged.
        return json_response(200, c.sb.state.get(c.route.resource, id_))
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
    "one": _one,
}
