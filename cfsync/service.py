"""`cfsync run`: one long-running process that keeps the database current, watched like any service.

It receives webhooks (when configured), runs an incremental sync every `[run].interval` (full sweeps come
due inside those runs, every `[sync].full_refresh_every`), never two at once, and serves:

- `/healthz`: 200 once the database is reachable and migrated, 503 otherwise (or while it is not);
- `/metrics`: Prometheus text, from the official client library: runs, rows, requests, 429s, retries, the
  pace, webhook deliveries by outcome, per resource the age of its newest change and its last success, and
  the columns and child tables added for fields the API started sending;
- `/status`: JSON, what `cfsync status --json` prints.

On SQLite the process holds the database's run lock for its whole life: a second `run` (or a `sync` from
cron) waits `--wait` seconds, then exits with the lock's code. On PostgreSQL several `run` processes share
each round the way `sync` workers do (partition claims). A signal stops it between steps or mid-run, the run
then recorded as interrupted, as `sync` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from . import app, listen
from .config import Config
from .engine.ports import Partition, RunProgress, RunSummary, WriteResult
from .engine.sync import SyncPlan
from .errors import AuthError, CfsyncError, ConfigError, DatabaseError, DatabaseUnavailableError
from .logfmt import logfmt
from .progress import LogReporter
from .store import queries
from .store.db import create_engine
from .store.locks import RunLock, run_lock_path
from .store.migrate import current_revision, head_revision
from .store.schema import schema_changes, sync_state

__all__ = ["Service", "ServiceSettings"]

log = logging.getLogger("cfsync.run")
_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class ServiceSettings:
    """How `Service` runs: what `cfsync run`'s flags and the [run] section say."""

    interval: float  # seconds from the start of one scheduled sync to the start of the next
    host: str = "127.0.0.1"
    port: int = 8788
    webhooks: bool | None = None  # None: when the config has signing keys (or a secrets file)
    wait: float = 0.0  # SQLite: how long to wait for another process holding the database


class _Metrics:
    """The process's Prometheus metrics: counters fed by the syncs, and a collector that reads the
    receiver and the database when scraped (the database at most every `cache` seconds)."""

    def __init__(self, service: Service, cache: float = 15.0) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.runs = Counter("cfsync_runs", "Scheduled syncs, by how they ended", ["status"], registry=r)
        self.rows = Counter(
            "cfsync_rows", "Rows written, by resource and change", ["resource", "change"], registry=r
        )
        self.requests = Counter(
            "cfsync_requests", "HTTP attempts sent to the API, retries included", registry=r
        )
        self.rate_limited = Counter("cfsync_rate_limited", "429 answers from the API", registry=r)
        self.retries = Counter("cfsync_retries", "Requests retried", registry=r)
        self.pace = Gauge(
            "cfsync_pace_requests_per_second", "Requests per second the budget lets out now", registry=r
        )
        self.running = Gauge("cfsync_sync_running", "1 while a scheduled sync runs", registry=r)
        self.last_run = Gauge(
            "cfsync_last_run_timestamp_seconds", "When the last scheduled sync ended", registry=r
        )
        self.last_duration = Gauge("cfsync_last_run_duration_seconds", "How long it took", registry=r)
        self.schema_changes = Counter(
            "cfsync_schema_changes",
            "Columns and child tables scheduled syncs added for fields the API started sending, by table",
            ["table"],
            registry=r,
        )
        r.register(_Live(service, cache))


class _Live(Collector):
    """What is read when scraped: webhook deliveries by outcome, and from the database (cached) the age of
    each resource's newest change, its last successful walk and how many columns and child tables the
    database gained on its own (by any process: syncs, webhooks, writes)."""

    def __init__(self, service: Service, cache: float) -> None:
        self.service = service
        self.cache = cache
        self._read_at = float("-inf")
        self._newest: dict[str, datetime] = {}
        self._success: dict[str, datetime] = {}
        self._evolved: int | None = None

    def collect(self) -> Iterable[Metric]:
        deliveries = CounterMetricFamily(
            "cfsync_webhook_deliveries", "Webhook deliveries, by outcome", labels=["outcome"]
        )
        receiver = self.service.receiver
        for outcome, n in (receiver.counters() if receiver is not None else {}).items():
            deliveries.add_metric([outcome], n)
        yield deliveries
        self._refresh()
        now = datetime.now(UTC)
        age = GaugeMetricFamily(
            "cfsync_newest_change_age_seconds",
            "Seconds since the newest updated_at among a resource's rows (synced or applied from webhooks)",
            labels=["resource"],
        )
        for resource, at in sorted(self._newest.items()):
            age.add_metric([resource], (now - at).total_seconds())
        yield age
        success = GaugeMetricFamily(
            "cfsync_last_success_timestamp_seconds",
            "When a partition of the resource was last walked successfully",
            labels=["resource"],
        )
        for resource, at in sorted(self._success.items()):
            success.add_metric([resource], at.timestamp())
        yield success
        evolved = GaugeMetricFamily(
            "cfsync_evolved_columns",
            "Columns and child tables added for fields the API started sending (rows of _schema_changes)",
        )
        if self._evolved is not None:
            evolved.add_metric([], float(self._evolved))
        yield evolved
        ready = GaugeMetricFamily("cfsync_ready", "1 when the database is reachable and migrated")
        ready.add_metric([], 1.0 if self.service.ready else 0.0)
        yield ready

    def _refresh(self) -> None:
        if time.monotonic() - self._read_at < self.cache or self.service.engine is None:
            return
        self._read_at = time.monotonic()
        engine = self.service.engine
        try:
            self._newest = queries.newest_changes(engine)
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.select(sync_state.c.resource, sa.func.max(sync_state.c.last_success_at)).group_by(
                        sync_state.c.resource
                    )
                ).all()
            self._success = {name: at for name, at in rows if at is not None}
            with engine.connect() as conn:
                self._evolved = conn.scalar(sa.select(sa.func.count()).select_from(schema_changes)) or 0
        except (CfsyncError, sa.exc.SQLAlchemyError) as exc:  # the database is away: keep what was read
            log.warning(logfmt(event="metrics_not_read", error=str(exc).splitlines()[0][:200]))


class _Reporter(LogReporter):
    """A scheduled sync's logfmt lines, and its figures into the metrics as they move."""

    def __init__(self, metrics: _Metrics, every: float = 60.0) -> None:
        super().__init__(every=every)
        self.metrics = metrics
        self._seen = (0, 0, 0)

    def run_started(self, run_id: int, resources: Sequence[str]) -> None:
        super().run_started(run_id, resources)
        self._seen = (0, 0, 0)
        self.metrics.running.set(1)

    def page_written(self, partition: Partition, result: WriteResult) -> None:
        name = partition.resource.name
        for change in ("inserted", "updated", "deleted"):
            n = getattr(result, change)
            if n:
                self.metrics.rows.labels(name, change).inc(n)

    def tick(self, progress: RunProgress) -> None:
        super().tick(progress)
        self._count(progress.requests, progress.rate_limited, progress.retries)
        self.metrics.pace.set(progress.pace)

    def run_finished(self, summary: RunSummary) -> None:
        super().run_finished(summary)
        self._count(summary.requests, summary.rate_limited, summary.retries)
        for label in summary.schema_changes:  # "contacts.score integer", "contacts__badges table"
            self.metrics.schema_changes.labels(label.split(" ", 1)[0].split(".", 1)[0]).inc()
        self.metrics.running.set(0)

    def _count(self, requests: int, rate_limited: int, retries: int) -> None:
        before = self._seen
        self.metrics.requests.inc(max(0, requests - before[0]))
        self.metrics.rate_limited.inc(max(0, rate_limited - before[1]))
        self.metrics.retries.inc(max(0, retries - before[2]))
        self._seen = (max(requests, before[0]), max(rate_limited, before[1]), max(retries, before[2]))


class Service:
    """`cfsync run`, as a library: `await Service(config, settings).run()` until cancelled."""

    def __init__(
        self, config: Config, settings: ServiceSettings, *, clock: Callable[[], float] = time.monotonic
    ):
        self.config = config
        self.settings = settings
        self.clock = clock
        self.ready = False
        self.engine: sa.Engine | None = None
        self.receiver: Any = None
        self.metrics = _Metrics(self)
        self.url: str | None = None
        self.runs = 0
        self.checked_whole = False  # the first run that gets through checks the whole SQLite file

    async def run(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Serve and sync until cancelled; ConfigError, AuthError and a database that is corrupt,
        read-only or full end it (they need a person); anything else is logged and tried again at the next
        interval."""
        lock_path = run_lock_path(self.config.database.url)
        lock = RunLock(lock_path) if lock_path is not None else None
        # Bind first: an address it cannot have ends it before it locks, migrates or syncs anything.
        with listen.bound(self.settings.host, self.settings.port) as sockets:
            try:
                if lock is not None:
                    await asyncio.to_thread(lock.acquire, self.settings.wait)
                await self._serve(sockets, on_ready)
            finally:
                self.ready = False
                if lock is not None:
                    lock.release()

    async def _serve(self, sockets: list[socket.socket], on_ready: Callable[[str], None] | None) -> None:
        async with contextlib.AsyncExitStack() as stack:
            self.engine = create_engine(self.config.database.url)
            stack.callback(self.engine.dispose)
            runner = await self._serve_ops(sockets)
            stack.push_async_callback(runner.cleanup)
            if self._webhooks_on():  # binds its address before it migrates the database
                from .webhooks import Receiver

                self.receiver = await stack.enter_async_context(Receiver(self.config))
            await asyncio.to_thread(app.open_store(self.config).close)  # migrate, models included
            self.ready = True
            if on_ready is not None:
                on_ready(self.url or "")
            await self._schedule()

    def _webhooks_on(self) -> bool:
        if self.settings.webhooks is not None:
            return self.settings.webhooks
        hooks = self.config.webhooks
        return bool(hooks.secrets) or hooks.secrets_file.exists()

    async def _schedule(self) -> None:
        plan = app.plan(self.config)
        while True:
            started = self.clock()
            await self._one(plan)
            await asyncio.sleep(max(0.0, self.settings.interval - (self.clock() - started)))

    async def _one(self, plan: SyncPlan) -> None:
        reporter = _Reporter(self.metrics)
        started = self.clock()
        status = "failed"
        try:
            # The process's first run checks the whole file: it may have been damaged while nothing ran.
            summary = await app.run_plan(
                self.config, plan, reporter=reporter, lock_held=True, full_check=not self.checked_whole
            )
            self.checked_whole = True
            status = summary.status
        except (ConfigError, AuthError):
            raise
        except DatabaseUnavailableError as exc:  # past retry_seconds: the next interval tries again
            log.warning(logfmt(event="run_failed", error=str(exc)))
        except DatabaseError:
            raise  # corrupt, read-only, full: a person has to act
        except CfsyncError as exc:
            log.warning(logfmt(event="run_failed", error=str(exc)))
        finally:
            self.runs += 1
            self.metrics.runs.labels(status).inc()
            self.metrics.last_run.set(time.time())
            self.metrics.last_duration.set(self.clock() - started)
            self.metrics.running.set(0)

    # -- the operations endpoints ---------------------------------------------------------------------

    async def _serve_ops(self, sockets: list[socket.socket]) -> web.AppRunner:
        ops = web.Application()
        ops.add_routes(
            [
                web.get("/healthz", self._healthz),
                web.get("/metrics", self._metrics),
                web.get("/status", self._status),
            ]
        )
        runner = web.AppRunner(ops, access_log=None)
        await runner.setup()
        try:
            for sock in sockets:
                await web.SockSite(runner, sock).start()
        except BaseException:
            await runner.cleanup()
            raise
        self.url = listen.url_of(sockets[0])
        return runner

    async def _healthz(self, request: web.Request) -> web.Response:
        problem = None if self.ready else "starting: the database is not migrated yet"
        if problem is None:
            problem = await asyncio.to_thread(self._database_problem)
        if problem:
            return web.json_response({"ok": False, "problem": problem}, status=503)
        return web.json_response({"ok": True, "runs": self.runs})

    def _database_problem(self) -> str | None:
        assert self.engine is not None
        try:
            if current_revision(self.engine) != head_revision():
                return "the database is not at the schema's head revision"
        except (CfsyncError, sa.exc.SQLAlchemyError) as exc:
            return f"the database is unreachable: {str(exc).splitlines()[0][:200]}"
        return None

    async def _metrics(self, request: web.Request) -> web.Response:
        body = await asyncio.to_thread(generate_latest, self.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": _CONTENT_TYPE})

    async def _status(self, request: web.Request) -> web.Response:
        if self.engine is None or not self.ready:
            return web.json_response({"ok": False, "problem": "starting"}, status=503)
        try:
            report = await asyncio.to_thread(queries.report, self.engine)
        except (CfsyncError, sa.exc.SQLAlchemyError) as exc:
            return web.json_response({"ok": False, "problem": str(exc).splitlines()[0][:200]}, status=503)
        return web.Response(text=json.dumps(report, default=str), content_type="application/json")
