"""The sandbox's own control API under `/_sandbox/`: its data, request log, faults and corruptions over HTTP.

For tests that drive a sandbox in another process, and for humans with curl. It is not part of the API it
stands in for: its requests stay out of the request log and pass by the CDN check, the latency, the faults
and the rate limit, so steering the sandbox never changes what a test asserts on. (Not to be confused with
the Maton gateway's connection registry, `/connections`, which the request log calls `control` mode.)

Every route needs `Authorization: Bearer <Sandbox.control_token>`; bodies and answers are JSON, errors are
`{"error": ...}`.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from cfsync.sandbox.config import DELIVERY_MODES, Burst
from cfsync.sandbox.routes import RECORD_MISSING, json_body, json_response
from cfsync.sandbox.sandbox import Sandbox
from cfsync.sandbox.state import SandboxError

__all__ = ["PREFIX", "ROUTES", "handle", "is_control"]

PREFIX = "/_sandbox"
_NO_CONTENT = 204


@dataclass
class _Ask:
    sb: Sandbox
    params: dict[str, str]
    query: Mapping[str, str]
    body: Any  # parsed JSON; None when the request had no body


Handler = Callable[[_Ask], web.Response]


def is_control(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


async def handle(sb: Sandbox, request: web.Request) -> web.Response:
    """Answer a request under `/_sandbox`: token first, so an unauthorised caller learns nothing."""
    auth = request.headers.get("Authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    if not secrets.compare_digest(token.encode(), sb.control_token.encode()):
        return json_response(401, {"error": "Sandbox control token missing or invalid"})
    tail = request.path[len(PREFIX) :].rstrip("/")
    allowed: list[str] = []
    for method, pattern, handler in _ROUTES:
        m = pattern.fullmatch(tail)
        if m is None:
            continue
        if method != request.method:
            allowed.append(method)
            continue
        try:
            raw = await request.read()
            body = json_body(raw) if raw.strip() else None
            return handler(_Ask(sb, m.groupdict(), request.query, body))
        except SandboxError as e:
            return json_response(e.status, {"error": e.message})
        except ValueError as e:  # the Python helpers' word for a request that makes no sense
            return json_response(400, {"error": str(e)})
    if allowed:
        return json_response(405, {"error": "Method not allowed"}, {"Allow": ", ".join(allowed)})
    return json_response(404, {"error": f"No control route {request.path}"})


# -- reading requests --------------------------------------------------------------------------------------


def _fields(body: Any, known: Mapping[str, bool]) -> dict[str, Any]:
    """The body as an object with only the `known` keys (True: required); 400 otherwise."""
    if not isinstance(body, dict):
        raise SandboxError(400, "Expected a JSON object")
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise SandboxError(400, f"Unknown keys {unknown}; known: {sorted(known)}")
    missing = sorted(k for k, required in known.items() if required and k not in body)
    if missing:
        raise SandboxError(400, f"Missing keys {missing}")
    return body


def _int(value: Any, name: str, minimum: int | None = None) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)  # query strings
    if not isinstance(value, int) or isinstance(value, bool) or (minimum is not None and value < minimum):
        at_least = "" if minimum is None else f" >= {minimum}"
        raise SandboxError(400, f"{name} must be an integer{at_least}, not {value!r}")
    return value


def _number(value: Any, name: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise SandboxError(400, f"{name} must be a number >= 0, not {value!r}")
    return float(value)


def _optional_str(value: Any, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise SandboxError(400, f"{name} must be a string or null, not {value!r}")
    return value


def _regex(value: Any, name: str) -> str | None:
    pattern = _optional_str(value, name)
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as e:
            raise SandboxError(400, f"{name} is not a regular expression: {e}") from None
    return pattern


def _resource(a: _Ask) -> str:
    name = a.params["resource"]
    if name not in a.sb.catalog.resources:
        raise SandboxError(404, f"Unknown resource {name!r}")
    return name


def _record_id(a: _Ask) -> int:
    raw = a.params["id"]
    if not raw.isdigit():
        raise SandboxError(404, RECORD_MISSING)
    return int(raw)


def _account(sb: Sandbox, value: Any) -> int:
    account = _int(value, "account", 0)
    if account >= sb.accounts:
        raise SandboxError(404, f"No account {account}: the sandbox has {sb.accounts}")
    return account


def _where(sb: Sandbox, source: Mapping[str, Any]) -> dict[str, int]:
    """The `workspace_id` / `parent_id` / `account` a list or a create names, as `Sandbox.records` takes."""
    where = {k: _int(source[k], k) for k in ("workspace_id", "parent_id") if source.get(k) is not None}
    if source.get("account") is not None:
        where["account"] = _account(sb, source["account"])
    return where


# -- records -----------------------------------------------------------------------------------------------


def _list_records(a: _Ask) -> web.Response:
    resource = _resource(a)
    _fields(dict(a.query), {"workspace_id": False, "parent_id": False, "account": False})
    where = _where(a.sb, a.query)
    return json_response(
        200,
        a.sb.records(
            resource,
            workspace_id=where.get("workspace_id"),
            parent_id=where.get("parent_id"),
            account=where.get("account", 0),
        ),
    )


def _create_record(a: _Ask) -> web.Response:
    resource = _resource(a)
    body = _fields(a.body, {"fields": True, "workspace_id": False, "parent_id": False, "account": False})
    if not isinstance(body["fields"], dict):
        raise SandboxError(400, "fields must be an object")
    return json_response(201, a.sb.create(resource, body["fields"], **_where(a.sb, body)))


def _get_record(a: _Ask) -> web.Response:
    record = a.sb.get(_resource(a), _record_id(a))
    if record is None:
        raise SandboxError(404, RECORD_MISSING)
    return json_response(200, record)


def _update_record(a: _Ask) -> web.Response:
    resource, id_ = _resource(a), _record_id(a)
    body = _fields(a.body, {"fields": True})
    if not isinstance(body["fields"], dict):
        raise SandboxError(400, "fields must be an object")
    return json_response(200, a.sb.update(resource, id_, body["fields"]))


def _delete_record(a: _Ask) -> web.Response:
    a.sb.delete(_resource(a), _record_id(a))
    return web.Response(status=_NO_CONTENT)


def _corrupt(a: _Ask) -> web.Response:
    resource, id_ = _resource(a), _record_id(a)
    body = _fields(a.body, {"fields": True, "drop": False})
    fields, drop = body["fields"], body.get("drop") or []
    if fields is not None and not isinstance(fields, dict):
        raise SandboxError(400, "fields must be an object, or null to undo the corruption")
    if not isinstance(drop, list) or not all(isinstance(k, str) for k in drop):
        raise SandboxError(400, "drop must be a list of field names")
    a.sb.corrupt(resource, id_, fields, drop=drop)
    record = a.sb.get(resource, id_)
    if record is None:
        raise SandboxError(404, RECORD_MISSING)
    return json_response(200, record)


def _uncorrupt(a: _Ask) -> web.Response:
    a.sb.corrupt(_resource(a), _record_id(a), None)
    return web.Response(status=_NO_CONTENT)


def _events(a: _Ask) -> web.Response:
    raw = a.params["workspace_id"]
    if not raw.isdigit():
        raise SandboxError(404, RECORD_MISSING)
    return json_response(200, a.sb.events(int(raw)))


# -- the request log and the faults -----------------------------------------------------------------------


def _requests(a: _Ask) -> web.Response:
    _fields(dict(a.query), {"since": False})
    since = _int(a.query.get("since", 0), "since", 0)
    log = list(a.sb.requests)[since:]  # a copy first: the server appends while this runs
    return json_response(200, [dataclasses.asdict(r) for r in log])


def _clear_requests(a: _Ask) -> web.Response:
    a.sb.requests.clear()
    return web.Response(status=_NO_CONTENT)


def _add_fault(a: _Ask) -> web.Response:
    optional = ("times", "method", "path", "stall_seconds", "skip")
    body = _fields(a.body, {"kind": True, **dict.fromkeys(optional, False)})
    kind = body["kind"]
    if not isinstance(kind, str | int) or isinstance(kind, bool):
        raise SandboxError(400, f"kind must be a string, not {kind!r}")
    times = _int(body.get("times", 1), "times", 1)
    method = (_optional_str(body.get("method"), "method") or "").upper() or None
    path = _regex(body.get("path"), "path")
    stall_seconds = _number(body.get("stall_seconds", 30.0), "stall_seconds")
    skip = _int(body.get("skip", 0), "skip", 0)
    # ValueError (an unknown kind) is a 400.
    a.sb.faults.fail_next(str(kind), times, method=method, path=path, stall_seconds=stall_seconds, skip=skip)
    queued = {"kind": str(kind), "times": times, "method": method, "path": path, "skip": skip}
    return json_response(201, {**queued, "stall_seconds": stall_seconds, "pending": a.sb.faults.pending})


def _clear_faults(a: _Ask) -> web.Response:
    # Faults.clear: queued failures, plan gates, latency and the rate limit, back to a well-behaved API.
    a.sb.faults.clear()
    return web.Response(status=_NO_CONTENT)


def _latency(a: _Ask) -> web.Response:
    body = _fields(a.body, {"seconds": True, "max_seconds": False})
    seconds = _number(body["seconds"], "seconds")
    if body.get("max_seconds") is None:
        a.sb.faults.latency = seconds
        return json_response(200, {"seconds": seconds})
    # A range: each request waits a uniform draw between the two (ValueError when max < seconds: a 400).
    high = _number(body["max_seconds"], "max_seconds")
    a.sb.faults.latency = (seconds, high)
    return json_response(200, {"seconds": seconds, "max_seconds": high})


def _fault_rates(a: _Ask) -> web.Response:
    body = _fields(a.body, {"rates": True, "seed": False, "stall_seconds": False})
    rates = body["rates"]
    if not isinstance(rates, dict):
        raise SandboxError(400, 'rates must be an object of kind: share, e.g. {"502": 0.01}')
    seed = None if body.get("seed") is None else _int(body["seed"], "seed")
    stall = body.get("stall_seconds")
    stall_seconds = None if stall is None else _number(stall, "stall_seconds")
    # ValueError (an unknown kind, a rate out of range) is a 400.
    a.sb.faults.set_rates(rates, seed=seed, stall_seconds=stall_seconds)
    return json_response(200, {"rates": a.sb.faults.rates, "stall_seconds": a.sb.faults.stall_seconds})


def _bursts(a: _Ask) -> web.Response:
    body = _fields(a.body, {"bursts": True})
    items = body["bursts"]
    if not isinstance(items, list) or not all(isinstance(b, dict) for b in items):
        raise SandboxError(400, 'bursts must be a list like [{"kind": "429", "seconds": 3, "every": 30}]')
    bursts = []
    for item in items:
        fields = _fields(item, {"kind": True, "seconds": True, "every": True, "offset": False})
        offset = None if fields.get("offset") is None else _number(fields["offset"], "offset")
        # ValueError (an unknown kind, seconds > every) is a 400.
        seconds, every = _number(fields["seconds"], "seconds"), _number(fields["every"], "every")
        bursts.append(Burst(str(fields["kind"]), seconds, every, offset))
    a.sb.faults.set_bursts(tuple(bursts))
    return json_response(200, {"bursts": [str(b) for b in bursts]})


def _rate_limit(a: _Ask) -> web.Response:
    body = _fields(a.body, {"per_second": True, "burst": False})
    per_second = None if body["per_second"] is None else _number(body["per_second"], "per_second")
    burst = _int(body.get("burst", 10), "burst", 1)
    a.sb.faults.rate_limit(per_second, burst)
    return json_response(200, {"per_second": per_second, "burst": burst})


def _forbid(a: _Ask) -> web.Response:
    body = _fields(a.body, {"path": True, "account": False})
    path = _regex(body["path"], "path")
    if path is None:
        raise SandboxError(400, "path must be a regular expression")
    account = None if body.get("account") is None else _account(a.sb, body["account"])
    a.sb.faults.forbid(path, account)
    return json_response(201, {"path": path, "account": account})


def _deliveries(a: _Ask) -> web.Response:
    _fields(dict(a.query), {"since": False})
    since = _int(a.query.get("since", 0), "since", 0)
    attempts = list(a.sb.deliveries.attempts)[since:]
    return json_response(
        200, {**a.sb.deliveries.summary(), "attempts": [dataclasses.asdict(x) for x in attempts]}
    )


def _set_deliveries(a: _Ask) -> web.Response:
    """The outgoing webhooks' switches: mode, retry_scale, shuffle_seconds, duplicates."""
    body = _fields(a.body, dict.fromkeys(("mode", "retry_scale", "shuffle_seconds", "duplicates"), False))
    deliveries = a.sb.deliveries
    if "mode" in body:
        if body["mode"] not in DELIVERY_MODES:
            raise SandboxError(400, 'mode must be "loopback", "any" or "off"')
        deliveries.mode = body["mode"]
    for key in ("retry_scale", "shuffle_seconds"):
        if key in body:
            setattr(deliveries, key, _number(body[key], key))
    if "duplicates" in body:
        share = _number(body["duplicates"], "duplicates")
        if share > 1:
            raise SandboxError(400, "duplicates must be a share from 0 to 1")
        deliveries.duplicates = share
    return json_response(200, deliveries.summary())


def _add_stats(a: _Ask) -> web.Response:
    """Late counting: `{"views_all": 40, "views_unique": 30, "optins": 5}` (each optional) added to a page's
    day; answers the page's numbers for that day."""
    raw = a.params["page_id"]
    if not raw.isdigit():
        raise SandboxError(404, RECORD_MISSING)
    page = int(raw)
    body = _fields(a.body, dict.fromkeys(("views_all", "views_unique", "optins"), False))
    counts = {k: _int(v, k, 0) for k, v in body.items()}
    step = a.sb.add_stats(page, a.params["day"], **counts)
    return json_response(200, {"page_id": page, "day": a.params["day"], "step": step})


def _add_extra_field(a: _Ask) -> web.Response:
    """`{"resource", "field", "kind", "from_id", "change"}`: serve a field the facts do not have (extras.py);
    answers every switch in force."""
    known = {"resource": True, "field": True, "kind": True, "from_id": False, "change": False}
    body = _fields(a.body, known)
    # ValueError (an unknown resource or kind, a field the records have) is a 400.
    a.sb.add_extra_field(
        body["resource"], body["field"], body["kind"], body.get("from_id"), body.get("change")
    )
    return json_response(200, a.sb.extra_fields())


def _extra_fields(a: _Ask) -> web.Response:
    _fields(dict(a.query), {})
    return json_response(200, a.sb.extra_fields())


def _clear_extra_fields(a: _Ask) -> web.Response:
    _fields(dict(a.query), {"resource": False})
    a.sb.clear_extra_fields(a.query.get("resource"))
    return json_response(200, a.sb.extra_fields())


def _compiled(template: str) -> re.Pattern[str]:
    """`/records/{resource}` -> a pattern matching one path segment per `{name}`, as a named group (the
    templates are letters, `_` and `/` besides)."""
    return re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template))


_RECORD = "/records/{resource}"
_TABLE: tuple[tuple[str, str, Handler], ...] = (
    ("GET", _RECORD, _list_records),
    ("POST", _RECORD, _create_record),
    ("GET", _RECORD + "/{id}", _get_record),
    ("PATCH", _RECORD + "/{id}", _update_record),
    ("DELETE", _RECORD + "/{id}", _delete_record),
    ("POST", "/corrupt/{resource}/{id}", _corrupt),
    ("DELETE", "/corrupt/{resource}/{id}", _uncorrupt),
    ("GET", "/events/{workspace_id}", _events),
    ("GET", "/requests", _requests),
    ("DELETE", "/requests", _clear_requests),
    ("POST", "/faults", _add_fault),
    ("DELETE", "/faults", _clear_faults),
    ("POST", "/latency", _latency),
    ("POST", "/fault_rates", _fault_rates),
    ("POST", "/rate_limit", _rate_limit),
    ("POST", "/bursts", _bursts),
    ("POST", "/forbid", _forbid),
    ("GET", "/deliveries", _deliveries),
    ("POST", "/deliveries", _set_deliveries),
    ("POST", "/stats/pages/{page_id}/days/{day}", _add_stats),
    ("POST", "/extra_fields", _add_extra_field),
    ("GET", "/extra_fields", _extra_fields),
    ("DELETE", "/extra_fields", _clear_extra_fields),
)
_ROUTES = [(method, _compiled(template), handler) for method, template, handler in _TABLE]
# Every control route as (method, path template): what docs/sandbox.md documents, one by one.
ROUTES: tuple[tuple[str, str], ...] = tuple((method, PREFIX + template) for method, template, _ in _TABLE)
