"""`cfsync webhooks serve`: an aiohttp server that verifies ClickFunnels deliveries and stores them.

    POST /webhooks                      tries every known signing key
    POST /webhooks/{endpoint_id}        that endpoint's keys and the workspace keys
    ...?workspace_id=ID                 only keys of that workspace (or of unknown workspace)
    GET  /healthz                       {"status": "ok", "pending": ..., ...}

Answers: 200 once the event is committed (`{"status": "accepted"}`, or `"duplicate"` for a redelivery);
400 malformed JSON or missing fields; 401 missing or bad signature, stale or future timestamp; 403 a key of
another workspace; 413 a body over `max_body_bytes` (refused before it is read); 503 the database cannot
take it now (the sender retries). Every refusal is one logfmt line, never with a secret or a signature.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from ..app import open_store, synced_resources
from ..config import Config
from ..listen import bind, close_all, url_of
from ..logfmt import logfmt
from ..store.store import Store
from ..store.webhooks import ApplyPolicy, IncomingEvent, WebhookEvents
from .delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER, Rejected, parse_delivery, verify
from .secrets import Keyring, describe
from .sink import EventSink, Overloaded

__all__ = ["Receiver", "policy_for", "serve_forever"]

log = logging.getLogger("cfsync.webhooks")
SUMMARY_EVERY = 60.0


def policy_for(config: Config) -> ApplyPolicy:
    """Events change only the tables the sync fills, in the workspaces it syncs."""
    return ApplyPolicy(
        account=config.accounts[0].name,
        resources=frozenset(r.name for r in synced_resources(config)),
        workspaces=frozenset(config.sync.workspaces),
    )


def _durable(dbapi_connection: Any, _record: Any) -> None:
    # An answered delivery is never sent again: its commit must survive a power cut, not just a crash.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


class Receiver:
    """The webhook receiver: verifies ClickFunnels' signed deliveries, commits each before answering 2xx,
    and applies them to the synced tables in order (`cfsync webhooks serve` runs one).

        async with cfsync.Receiver(config, port=0) as receiver:
            receiver.url    # "http://127.0.0.1:PORT": deliveries go to receiver.url + "/webhooks"

    Args:
        config: from load_config; its [webhooks] table (keys, secrets file, limits) and database.
        host, port: where to listen; default [webhooks].host and .port (port 0: any free one).

    Raises (on entering):
        DatabaseError: the database cannot be opened or migrated.
        ListenError: the address cannot be listened on (taken, not local, not resolvable, privileged).
    """

    def __init__(
        self,
        config: Config,
        host: str | None = None,
        port: int | None = None,
        *,
        clock: Callable[[], float] = time.time,
        summary_every: float = SUMMARY_EVERY,
    ) -> None:
        self.config = config
        self.settings = config.webhooks
        self.host = host if host is not None else self.settings.host
        self.port = port if port is not None else self.settings.port
        self.clock = clock
        self.summary_every = summary_every
        self.keyring = Keyring(self.settings)
        self.rejected = 0
        self.sink: EventSink | None = None
        self._store: Store | None = None
        self._runner: web.AppRunner | None = None
        self._summary: asyncio.Task[None] | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the receiver is not started")
        return self._url

    def endpoint_url(self, endpoint_id: int | None = None) -> str:
        return f"{self.url}/webhooks" + (f"/{endpoint_id}" if endpoint_id is not None else "")

    async def start(self) -> str:
        self.keyring.check()
        policy = policy_for(self.config)
        sockets = bind(self.host, self.port)  # first: a taken address fails before the database is touched
        try:
            store = open_store(self.config, migrate=False)  # migrated below, its connections made durable
        except BaseException:
            close_all(sockets)
            raise
        self._store = store
        try:
            if store.engine.dialect.name == "sqlite":
                sa.event.listen(store.engine, "connect", _durable)
            await asyncio.to_thread(store.migrate)
            self.sink = EventSink(WebhookEvents(store, policy), max_batch=self.settings.max_batch)
            repaired = await self.sink.start()
            if repaired.total:
                log.info(logfmt(event="webhooks_repaired", **_stats(repaired)))
            app = web.Application(client_max_size=self.settings.max_body_bytes)
            app.router.add_post("/webhooks", self._handle)
            app.router.add_post("/webhooks/{endpoint_id}", self._handle)
            app.router.add_get("/healthz", self._health)
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
            await runner.setup()
            self._runner = runner
            for sock in sockets:
                await web.SockSite(runner, sock).start()
        except BaseException:
            await self.close()
            close_all(sockets)
            raise
        self.port = sockets[0].getsockname()[1]
        self._url = url_of(sockets[0])
        keys = self.keyring.signing_keys()
        log.info(logfmt(event="webhooks_listening", url=self._url, **describe(keys)))
        if not keys:
            log.warning(
                logfmt(event="webhooks_no_keys", hint="cfsync webhooks register, or [webhooks.*_secrets]")
            )
        self._summary = asyncio.create_task(self._summaries())
        return self._url

    async def close(self) -> None:
        """Stop listening, commit and apply what is in hand, close the database."""
        if self._summary is not None:
            self._summary.cancel()
            self._summary = None
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        if self.sink is not None:
            await self.sink.close()
            log.info(logfmt(event="webhooks_stopped", **self.counters()))
            self.sink = None
        if self._store is not None:
            self._store.close()
            self._store = None

    async def __aenter__(self) -> Receiver:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def counters(self) -> dict[str, int]:
        sink = self.sink
        if sink is None:
            return {"rejected": self.rejected}
        return {
            "received": sink.received,
            "duplicates": sink.duplicates,
            "rejected": self.rejected,
            **_stats(sink.totals),
        }

    async def drained(self, within: float = 30.0) -> bool:
        """Every delivery answered so far is applied (or found stale, ignored, failed)."""
        return self.sink is not None and await self.sink.drained(within)

    # -- requests --------------------------------------------------------------------------------------

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", **self.counters()})

    async def _handle(self, request: web.Request) -> web.Response:
        endpoint = request.match_info.get("endpoint_id")
        fields: dict[str, Any] = {"endpoint": endpoint or "", "remote": request.remote or ""}
        try:
            event = await self._verified(request, fields)
        except Rejected as rejected:
            self.rejected += 1
            log.warning(
                logfmt(event="webhook_rejected", status=rejected.status, reason=rejected.reason, **fields)
            )
            return web.json_response({"error": rejected.message}, status=rejected.status)
        fields.update(event_id=event.event_id, type=event.event_type, workspace=event.workspace_id)
        assert self.sink is not None
        try:
            new = await asyncio.shield(self.sink.submit(event))
        except Overloaded as exc:
            log.warning(logfmt(event="webhook_deferred", reason=str(exc), **fields))
            return web.json_response({"error": "busy, retry later"}, status=503, headers={"Retry-After": "1"})
        except Exception:  # logged by the sink; the sender retries
            return web.json_response({"error": "the event could not be stored"}, status=503)
        status = "accepted" if new else "duplicate"
        if log.isEnabledFor(logging.DEBUG):
            log.debug(logfmt(event="webhook_received", status=status, **fields))
        return web.json_response({"status": status, "event_id": event.event_id})

    async def _verified(self, request: web.Request, fields: dict[str, Any]) -> IncomingEvent:
        endpoint_text = request.match_info.get("endpoint_id")
        if endpoint_text is not None and not endpoint_text.isdigit():
            raise Rejected(404, "unknown_path", "not found")
        endpoint_id = int(endpoint_text) if endpoint_text is not None else None
        workspace_text = request.query.get("workspace_id")
        if workspace_text is not None and not workspace_text.isdigit():
            raise Rejected(400, "bad_query", "workspace_id must be a number")
        workspace_id = int(workspace_text) if workspace_text is not None else None
        limit = self.settings.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise Rejected(413, "too_large", f"the body is over {limit} bytes")
        timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
        signature = request.headers.get(SIGNATURE_HEADER, "").strip()
        if not timestamp or not signature:
            raise Rejected(401, "unsigned", f"{SIGNATURE_HEADER} and {TIMESTAMP_HEADER} are required")
        if not timestamp.isdigit():
            raise Rejected(401, "bad_timestamp", f"{TIMESTAMP_HEADER} must be unix seconds")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise Rejected(413, "too_large", f"the body is over {limit} bytes") from None
        fields["bytes"] = len(body)
        key = verify(self.keyring.candidates(endpoint_id, workspace_id), timestamp, body, signature)
        if key is None and self.keyring.refresh(force=True):  # registered a moment ago?
            key = verify(self.keyring.candidates(endpoint_id, workspace_id), timestamp, body, signature)
        if key is None:
            raise Rejected(401, "bad_signature", "signature does not match")
        fields["key"] = key.origin
        if key.endpoint_id is not None:
            fields["endpoint"] = key.endpoint_id
        skew = self.clock() - int(timestamp)
        if abs(skew) > self.settings.tolerance_seconds:
            reason = "stale_timestamp" if skew > 0 else "future_timestamp"
            raise Rejected(401, reason, f"timestamp is {abs(skew):.0f} s away from now")
        event = parse_delivery(body, key.endpoint_id if key.endpoint_id is not None else endpoint_id)
        if key.workspace_id is not None and event.workspace_id != key.workspace_id:
            raise Rejected(403, "wrong_workspace", "the signing key belongs to another workspace")
        return event

    async def _summaries(self) -> None:
        last: dict[str, int] = {}
        while True:
            await asyncio.sleep(self.summary_every)
            now = self.counters()
            if now != last:
                log.info(logfmt(event="webhooks_summary", **now))
                last = now


def _stats(stats: Any) -> dict[str, int]:
    return {k: getattr(stats, k) for k in ("applied", "stale", "ignored", "failed")}


async def serve_forever(
    config: Config,
    host: str | None = None,
    port: int | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until cancelled (`cfsync webhooks serve`: by a signal), then finish what is in hand: the
    deliveries being committed are committed, and their answers sent."""
    async with Receiver(config, host, port) as receiver:
        if on_ready is not None:
            on_ready(receiver.url)
        await asyncio.Event().wait()
