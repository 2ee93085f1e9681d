"""The sync: one pass over every partition (walk.py), many partitions at once.

Partitions run concurrently (their requests share each account's request budget); a parent's partition
spawns its children's when it ends (workspaces -> contacts, courses -> enrollments). With claims
(PostgreSQL), workers started together share the partitions. One failing partition is recorded and the
others go on; an authentication error, or an account the gateway cannot reach, stops the run.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from ..client.http import ApiClient
from ..dbthread import DbThread
from ..errors import (
    ApiError,
    AuthError,
    BadRequestError,
    CfsyncError,
    ConfigError,
    DatabaseError,
    DatabaseUnavailableError,
    NotFoundError,
    UnknownHostError,
)
from ..logfmt import logfmt
from ..resources.catalog import CATALOG, CHANGED_PARENTS, Resource
from ..resources.evolve import change_label
from ..resources.stats import FUNNEL_STATS
from .ports import (
    Claims,
    Partition,
    PartitionKey,
    PartitionState,
    Reporter,
    RunProgress,
    RunSummary,
    StorePort,
    WriteResult,
)
from .stats import fetch_days
from .walk import PassPolicy, walk_partition
from .writer import PageWriter

__all__ = ["NullReporter", "SyncPlan", "Syncer"]

log = logging.getLogger("cfsync.sync")
T = TypeVar("T")


@dataclass(frozen=True)
class SyncPlan:
    resources: tuple[Resource, ...]  # parents included, parent-first (catalog.resolve)
    workspaces: frozenset[int] = frozenset()  # empty: every workspace
    policy: PassPolicy = field(default_factory=PassPolicy)
    stats_days: int = 0  # funnel statistics: the days of each funnel's daily series kept fresh (0: none)

    @property
    def stats(self) -> bool:
        """Funnel statistics are fetched: asked for, and their funnels synced."""
        return self.stats_days > 0 and any(r.name == FUNNEL_STATS.parent for r in self.resources)

    def tables(self) -> list[str]:
        """What the run writes, as its summary and progress name it: the lists, then the statistics."""
        names = [r.name for r in self.resources]
        return [*names, FUNNEL_STATS.name, FUNNEL_STATS.steps_name] if self.stats else names


class NullReporter:
    def run_started(self, run_id: int, resources: Sequence[str]) -> None:
        pass

    def partition_started(self, partition: Partition) -> None:
        pass

    def page_written(self, partition: Partition, result: WriteResult) -> None:
        pass

    def partition_finished(self, partition: Partition, error: str | None) -> None:
        pass

    def tick(self, progress: RunProgress) -> None:
        pass

    def run_finished(self, summary: RunSummary) -> None:
        pass


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Syncer:
    def __init__(
        self,
        store: StorePort,
        clients: Mapping[str, ApiClient],
        *,
        reporter: Reporter | None = None,
        clock: Callable[[], datetime] = _utcnow,
        max_partitions: int | None = None,
        claims: Claims | None = None,
        claim_poll: float = 0.25,
        tick_seconds: float = 1.0,
        db_patience: float = 90.0,
        verify: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        # Called once the partitions are done, before the run is recorded: raises when the database is
        # damaged, and the run is then recorded as failed (store.integrity.after_run).
        self.verify = verify
        self.tick_seconds = tick_seconds
        self.db_patience = db_patience
        self._done = 0
        self._pages_left: dict[PartitionKey, Callable[[], float]] = {}  # see walk_partition
        # Set once a workspace's event log is read in this run: nested lists wait for it (see _due).
        self._event_logs: dict[tuple[str, int], asyncio.Event] = {}
        self._named_found: dict[tuple[str, int], dict[str, dict[int | None, datetime]]] = {}
        self._named_lock = asyncio.Lock()
        self._workspaces_seen: set[int] = set()  # workspace ids the teams list (parents walked under)
        self._workspaces_failed = False
        self.claims = claims
        self.claim_poll = claim_poll
        self.clients = clients
        self.reporter: Reporter = reporter or NullReporter()
        self.clock = clock
        in_flight = sum(c.account.max_in_flight for c in clients.values())
        # Each partition keeps one request in flight, so twice the in-flight cap keeps the API busy while
        # bounding open walks (and the pages they hold) however many parents there are.
        self._slots = asyncio.Semaphore(max_partitions or max(2, 2 * in_flight))
        # One writer thread: SQLite takes one writer at a time, and pages of one partition stay in order.
        self._thread = DbThread("cfsync-db")
        self._writer = PageWriter(store, self._db, clients)

    async def run(self, plan: SyncPlan) -> RunSummary:
        names = [r.name for r in plan.resources]
        self.started = self.clock()
        tables = plan.tables()
        run_id = await self._db(self.store.start_run, tables, plan.policy.full_refresh, list(self.clients))
        summary = RunSummary(run_id=run_id, rows={name: WriteResult() for name in tables})
        if self.claims is not None:
            # Workers started together form one sync: what a peer finished since it began is done.
            peer_started = await asyncio.wrap_future(self.claims.join(run_id))
            if peer_started is not None and peer_started < self.started:
                self.started = peer_started
        # The step rows come with their day's summary: one line for both on a progress display.
        self.reporter.run_started(run_id, [t for t in tables if t != FUNNEL_STATS.steps_name])
        ticker = asyncio.create_task(self._tick(summary))
        try:
            if plan.policy.full_refresh:
                await self._db(self.store.begin_sweeps, list(self.clients), names, self.clock())
            async with asyncio.TaskGroup() as group:
                for account in self.clients:
                    for resource in plan.resources:
                        if resource.parent is None:
                            part = Partition(PartitionKey(account, resource.name), resource)
                            group.create_task(self._partition(group, plan, part, summary))
            if self.verify is not None:
                await self.verify()
        except BaseException as exc:
            ticker.cancel()
            cause = _first_cfsync_error(exc)
            if cause is None and isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
                summary.status = "interrupted"
                why = exc.args[0] if exc.args and isinstance(exc.args[0], str) else ""
                summary.error = f"interrupted by {why}" if why else "interrupted"
            else:
                summary.status = "failed"
                summary.error = str(cause) if cause else f"{type(exc).__name__}: {exc}"
            self._finish(summary)
            try:
                # After the page in hand: the writer thread takes one call at a time.
                await self._schema_changes(summary)
                await self._db(self.store.finish_run, summary)
            except CfsyncError as failed:
                log.warning(logfmt(event="run_not_recorded", run=summary.run_id, error=str(failed)))
            self._thread.close(wait=False)
            self.reporter.run_finished(summary)
            if cause is not None:
                raise cause from None
            raise
        ticker.cancel()
        _judge(summary)
        unknown = self._unknown_workspaces(plan)
        if unknown:
            summary.status = "failed"
            summary.error = (
                f"workspace {', '.join(map(str, unknown))} not found: no team of the configured accounts "
                f"lists it (they list {', '.join(map(str, sorted(self._workspaces_seen))) or 'none'})"
            )
        self._finish(summary)
        await self._schema_changes(summary)
        await self._db(self.store.finish_run, summary)
        self._thread.close()
        self.reporter.run_finished(summary)
        if unknown:
            raise ConfigError(str(summary.error))
        return summary

    def _unknown_workspaces(self, plan: SyncPlan) -> list[int]:
        """Workspace ids the plan names that no team listed (when every workspaces list was walked)."""
        walked = any(r.parent == "workspaces" for r in plan.resources)
        if not plan.workspaces or not walked or self._workspaces_failed:
            return []
        return sorted(plan.workspaces - self._workspaces_seen)

    async def _walk(
        self,
        plan: SyncPlan,
        part: Partition,
        summary: RunSummary,
        state: PartitionState | None = None,
        fetch: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """One partition's pass (or `fetch`, for a partition that is not a list), its failure recorded."""
        summary.partitions += 1
        self.reporter.partition_started(part)
        began = self.clock()
        error: str | None = None
        cause = ""
        watermark = None
        try:
            client = self.clients[part.key.account]
            if fetch is not None:
                await fetch()
            else:
                watermark = await walk_partition(
                    part,
                    client,
                    self.store,
                    self._db,
                    self._writer,
                    policy=plan.policy,
                    clock=self.clock,
                    run_id=summary.run_id,
                    summary=summary,
                    reporter=self.reporter,
                    max_segments=client.account.max_in_flight,
                    pages_left=self._pages_left,
                    state=state,
                )
        except (AuthError, UnknownHostError, DatabaseError):
            raise  # the account, or the database, is unusable: the whole run stops
        except BadRequestError as exc:
            if part.resource.parent is None:
                raise  # the account itself is unusable (a Maton gateway without an active connection)
            error = str(exc)
        except NotFoundError as exc:
            if part.resource.nested and await self._parent_gone(part, summary):
                self._done += 1
                self.reporter.partition_finished(part, None)
                return
            error = str(exc)
        except ApiError as exc:
            error, cause = str(exc), exc.cause
        except CfsyncError as exc:
            error = str(exc)
        except Exception as exc:  # a bug must not stop the other partitions; it is reported as failed
            log.exception(logfmt(event="partition_error", partition=part.key))
            error = f"{type(exc).__name__}: {exc}"
        if error is not None:
            self._workspaces_failed |= part.resource.name in ("teams", "workspaces")
            summary.failures.append((str(part.key), error))
            cause = cause or error
            summary.causes[cause] = summary.causes.get(cause, 0) + 1
        await self._db(self.store.finish_partition, part.key, summary.run_id, error, watermark, began)
        self._done += 1
        self.reporter.partition_finished(part, error)

    async def _parent_gone(self, part: Partition, summary: RunSummary) -> bool:
        """A nested list answered 404: if its parent's own route says 404 too, the parent was deleted since
        it was stored. That is a delete to record (parent row and this list's rows), not a failure. A
        parent's statistics stay: they are what the parent did while it lived."""
        parent_path = part.resource.path.rsplit("/", 1)[0].replace(
            "{" + str(part.resource.parent_param) + "}", str(part.key.parent_id)
        )
        try:
            await self.clients[part.key.account].request("GET", parent_path)
        except NotFoundError:
            parent = CATALOG[part.resource.parent or ""]
            if part.resource.name == FUNNEL_STATS.name:
                await self._db(self.store.mark_deleted, parent, [part.key.parent_id], self.clock())
                gone, detail = 0, "its statistics stay"
            else:
                gone = await self._db(self.store.retire_partition, part, parent, summary.run_id, self.clock())
                detail = "its rows were removed"
            summary.rows.setdefault(parent.name, WriteResult()).deleted += 1
            summary.rows.setdefault(part.resource.name, WriteResult()).deleted += gone
            log.info(logfmt(event="parent_gone", partition=part.key, detail=detail))
            return True
        except CfsyncError:
            return False
        return False

    async def _claim(self, part: Partition) -> tuple[bool, PartitionState | None]:
        """(True, its state if read) when this worker is to walk the partition; (False, None) when a peer
        walked it during this run.

        Without claims (SQLite: one sync at a time) every partition is ours. With them, a busy partition is
        waited for, then skipped if the peer finished it; its children are spawned either way.
        """
        if self.claims is None:
            return True, None
        while True:
            mine = await asyncio.wrap_future(self.claims.try_claim(part.key))
            state = await self._db(self.store.partition_state, part.key)
            done = state.last_success_at is not None and state.last_success_at >= self.started
            if mine and not done:
                return True, state  # claimed: nobody else moves it until released
            if mine:
                await asyncio.wrap_future(self.claims.release(part.key))
            if done:
                log.debug(
                    logfmt(event="partition_skipped", partition=part.key, detail="synced by another worker")
                )
                return False, None
            await asyncio.sleep(self.claim_poll * (0.5 + random.random()))

    async def _tick(self, summary: RunSummary) -> None:
        while True:
            await asyncio.sleep(self.tick_seconds)
            self.reporter.tick(self._progress(summary))

    def _progress(self, summary: RunSummary) -> RunProgress:
        clients = self.clients.values()
        budgets = list({id(c.budget): c.budget for c in clients}.values())
        views = [b.view() for b in budgets]
        ages = [v.oldest_open for v in views if v.oldest_open is not None]
        return RunProgress(
            partitions_done=self._done,
            partitions_started=summary.partitions,
            rows=summary.rows_written(),
            requests=sum(c.stats.requests for c in clients),
            retries=sum(c.stats.retries for c in clients),
            rate_limited=sum(c.stats.rate_limited for c in clients),
            pace=sum(v.pace for v in views),
            open=sum(v.open for v in views),
            waiting=sum(v.waiting for v in views),
            oldest_open=max(ages, default=None),
            held_for=max((v.held_for for v in views), default=0.0),
            pages_left=sum(estimate() for estimate in self._pages_left.values())
            if self._pages_left
            else None,
        )

    def _finish(self, summary: RunSummary) -> None:
        summary.requests = sum(c.stats.requests for c in self.clients.values())
        summary.retries = sum(c.stats.retries for c in self.clients.values())
        summary.rate_limited = sum(c.stats.rate_limited for c in self.clients.values())

    async def _schema_changes(self, summary: RunSummary) -> None:
        """The columns and child tables this run added (recorded with its id, whichever worker made them)."""
        changes = await self._db(self.store.schema_changes, summary.run_id)
        summary.schema_changes = [change_label(c["table_name"], c["column_name"], c["kind"]) for c in changes]

    async def _partition(
        self,
        group: asyncio.TaskGroup,
        plan: SyncPlan,
        part: Partition,
        summary: RunSummary,
        walk: bool = True,
    ) -> None:
        """Walk one partition (unless `walk` is False: a parent not due whose own children may be), then
        start its children's partitions."""
        try:
            if walk:
                await self._pass(plan, part, summary)
        finally:
            if part.resource.name == _EVENT_LOG:
                self._event_logs.setdefault((part.key.account, part.key.workspace_id), asyncio.Event()).set()
        # Children of the parents this store knows, even if this walk failed: their own lists may still work.
        for child in plan.resources:
            if child.parent == part.resource.name:
                await self._children(group, plan, part, child, summary)
        if plan.stats and part.resource.name == FUNNEL_STATS.parent:
            await self._daily_stats(group, plan, part, summary)

    async def _daily_stats(
        self, group: asyncio.TaskGroup, plan: SyncPlan, part: Partition, summary: RunSummary
    ) -> None:
        """Once a workspace's funnels and its event log are read (new, deleted and archived funnels known),
        each live funnel's due days of statistics (engine/stats.py), one partition per funnel: claimed by
        one worker, failed alone, sharing the account's request budget with the lists."""
        if any(r.name == _EVENT_LOG for r in plan.resources):  # its `funnel.deleted` entries first
            slot = (part.key.account, part.key.workspace_id)
            await self._event_logs.setdefault(slot, asyncio.Event()).wait()
        parents = await self._db(self.store.stats_parents, part)
        if self.claims is not None:
            random.shuffle(parents)
        client = self.clients[part.key.account]
        for parent_id, created in parents:
            key = PartitionKey(part.key.account, FUNNEL_STATS.name, part.key.workspace_id, parent_id)
            stats = Partition(key, FUNNEL_STATS.resource)
            fetch = partial(
                fetch_days,
                FUNNEL_STATS,
                stats,
                client,
                self.store,
                self._db,
                created=created,
                days=plan.stats_days,
                clock=self.clock,
                summary=summary,
                reporter=self.reporter,
            )
            group.create_task(self._pass(plan, stats, summary, fetch))

    async def _pass(
        self,
        plan: SyncPlan,
        part: Partition,
        summary: RunSummary,
        fetch: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        async with self._slots:
            if self.clients[part.key.account].budget.outage is not None:
                # The account's API answered nothing for a whole retry schedule: every request would
                # fail at once with the same cause. Its partitions wait for the next run.
                summary.not_started += 1
                return
            mine, state = await self._claim(part)
            if mine:
                try:
                    await self._walk(plan, part, summary, state, fetch)
                finally:
                    if self.claims is not None:
                        await asyncio.wrap_future(self.claims.release(part.key))

    async def _children(
        self, group: asyncio.TaskGroup, plan: SyncPlan, part: Partition, child: Resource, summary: RunSummary
    ) -> None:
        """Start `child`'s partitions under the parents `part` holds: the parents due (see _due) are walked;
        the others, when `child` has lists of its own in the plan, are looked into for those."""
        due = self._due(plan, child)
        if due:
            named = await self._named(plan, part.key)
            ids = await self._db(self.store.parent_ids, part, *due, named.get(child.name, {}))
        else:
            ids = await self._db(self.store.parent_ids, part)
        if child.parent == "workspaces":
            self._workspaces_seen.update(ids)
        if self.claims is not None:
            random.shuffle(ids)  # workers sharing a sync start on different partitions
        others: list[int] = []
        if due and any(r.parent == child.name for r in plan.resources):
            walked = set(ids)
            others = [i for i in await self._db(self.store.parent_ids, part) if i not in walked]
        for parent_id, walk in [*((i, True) for i in ids), *((i, False) for i in others)]:
            if child.parent == "workspaces" and plan.workspaces and parent_id not in plan.workspaces:
                continue
            workspace_id = parent_id if child.parent == "workspaces" else part.key.workspace_id
            key = PartitionKey(part.key.account, child.name, workspace_id, parent_id)
            group.create_task(self._partition(group, plan, Partition(key, child), summary, walk))

    async def _named(self, plan: SyncPlan, key: PartitionKey) -> dict[str, dict[int | None, datetime]]:
        """The parents events named in `key`'s workspace (Store.named_parents), read once per run, after
        the workspace's event log when it is in the plan (it is a sibling of every list of the workspace,
        so it is on its way)."""
        slot = (key.account, key.workspace_id)
        if any(r.name == _EVENT_LOG for r in plan.resources):
            await self._event_logs.setdefault(slot, asyncio.Event()).wait()
        async with self._named_lock:
            if slot not in self._named_found:
                self._named_found[slot] = await self._db(
                    self.store.named_parents, key.account, key.workspace_id, plan.policy.overlap
                )
        return self._named_found[slot]

    def _due(self, plan: SyncPlan, child: Resource) -> tuple[Any, ...]:
        """Which parents a child list is walked under: all of them on a full refresh and for lists of a
        workspace; else (a nested list) the new and changed ones, and the others per `revisit_every` (never,
        for the expensive fan-outs that are walked under changed parents only)."""
        if plan.policy.full_refresh or not child.nested:
            return ()
        revisit = None if child.fanout == CHANGED_PARENTS else plan.policy.revisit_every
        if revisit is None and child.fanout != CHANGED_PARENTS:
            return ()  # revisit_every = "": every parent, every run
        return (child.name, revisit, self.clock())

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on the writer thread. While the database is unavailable (a PostgreSQL restart, a
        SQLite file locked past its timeout) the call is tried again, 1, 2, 4 ... 15 s apart, for up to
        `db_patience` seconds: a transaction that failed rolled back whole, so trying it again is safe."""
        delay, waited = 1.0, 0.0
        while True:
            try:
                return await self._thread.call(fn, *args)
            except DatabaseUnavailableError as exc:
                if waited >= self.db_patience:
                    if not waited:
                        raise
                    raise DatabaseUnavailableError(f"{exc} (tried again for {waited:.0f} s)") from None
                log.warning(logfmt(event="database_unavailable", error=str(exc), retry_in=f"{delay:.0f}s"))
                await asyncio.sleep(delay)
                waited += delay
                delay = min(2 * delay, 15.0)


_EVENT_LOG = "webhooks_outgoing_events"


def _judge(summary: RunSummary) -> None:
    """succeeded, partial, or failed: every partition that ran failed for one cause (the API unreachable,
    say), which the summary then says once."""
    if not summary.failures:
        summary.status = "succeeded"
        return
    if len(summary.causes) == 1 and len(summary.failures) == summary.partitions:
        (cause,) = summary.causes
        failed = len(summary.failures)
        summary.status = "failed"
        summary.error = f"{cause} ({failed} partition{'s' if failed != 1 else ''} failed"
        summary.error += f", {summary.not_started} not started)" if summary.not_started else ")"
        return
    summary.status = "partial"


def _first_cfsync_error(exc: BaseException) -> CfsyncError | None:
    if isinstance(exc, CfsyncError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _first_cfsync_error(inner)
            if found is not None:
                return found
    return None
