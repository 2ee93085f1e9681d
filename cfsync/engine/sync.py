"""The sync: walk every partition's list from its saved cursor and hand each page to the store.

Partitions run concurrently (their requests share each account's rate limit); a parent's partition spawns
its children's when it ends (workspaces -> contacts, courses -> enrollments). One failing partition is
recorded and the others go on; an authentication error stops the run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from ..client.http import ApiClient, Page
from ..client.paginate import Paginator
from ..errors import AuthError, CfsyncError, RecordError
from ..resources.catalog import CHANGED_PARENTS, Resource
from ..resources.transform import RecordRows, to_rows
from .ports import PageWrite, Partition, PartitionKey, Reject, Reporter, RunSummary, StorePort, WriteResult

__all__ = ["NullReporter", "SyncPlan", "Syncer"]

log = logging.getLogger("cfsync.sync")
T = TypeVar("T")


@dataclass(frozen=True)
class SyncPlan:
    resources: tuple[Resource, ...]  # parents included, parent-first (catalog.resolve)
    workspaces: frozenset[int] = frozenset()  # empty: every workspace
    full_refresh: bool = False


class NullReporter:
    def run_started(self, run_id: int, resources: Sequence[str]) -> None:
        pass

    def partition_started(self, partition: Partition) -> None:
        pass

    def page_written(self, partition: Partition, result: WriteResult) -> None:
        pass

    def partition_finished(self, partition: Partition, error: str | None) -> None:
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
    ) -> None:
        self.store = store
        self.clients = clients
        self.reporter: Reporter = reporter or NullReporter()
        self.clock = clock
        in_flight = sum(c.account.max_in_flight for c in clients.values())
        # Each partition keeps one request in flight, so twice the in-flight cap keeps the API busy while
        # bounding open walks (and the pages they hold) however many parents there are.
        self._slots = asyncio.Semaphore(max_partitions or max(2, 2 * in_flight))
        # One writer thread: SQLite takes one writer at a time, and pages of one partition stay in order.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cfsync-db")

    async def run(self, plan: SyncPlan) -> RunSummary:
        names = [r.name for r in plan.resources]
        run_id = await self._db(self.store.start_run, names, plan.full_refresh, list(self.clients))
        summary = RunSummary(run_id=run_id, rows={name: WriteResult() for name in names})
        self.reporter.run_started(run_id, names)
        try:
            if plan.full_refresh:
                for account in self.clients:
                    await self._db(self.store.reset_cursors, account, names)
            async with asyncio.TaskGroup() as group:
                for account in self.clients:
                    for resource in plan.resources:
                        if resource.parent is None:
                            part = Partition(PartitionKey(account, resource.name), resource)
                            group.create_task(self._partition(group, plan, part, summary))
        except BaseException as exc:
            cause = _first_cfsync_error(exc)
            summary.status = "failed"
            summary.error = str(cause) if cause else f"interrupted ({type(exc).__name__})"
            self._finish(summary)
            await self._db(self.store.finish_run, summary)
            self._executor.shutdown(wait=False)
            self.reporter.run_finished(summary)
            if cause is not None:
                raise cause from None
            raise
        summary.status = "partial" if summary.failures else "succeeded"
        self._finish(summary)
        await self._db(self.store.finish_run, summary)
        self._executor.shutdown(wait=True)
        self.reporter.run_finished(summary)
        return summary

    def _finish(self, summary: RunSummary) -> None:
        summary.requests = sum(c.stats.requests for c in self.clients.values())
        summary.retries = sum(c.stats.retries for c in self.clients.values())
        summary.rate_limited = sum(c.stats.rate_limited for c in self.clients.values())

    async def _partition(
        self, group: asyncio.TaskGroup, plan: SyncPlan, part: Partition, summary: RunSummary
    ) -> None:
        async with self._slots:
            summary.partitions += 1
            self.reporter.partition_started(part)
            error: str | None = None
            try:
                await self._walk(part, summary)
            except AuthError:
                raise
            except CfsyncError as exc:
                error = str(exc)
            except Exception as exc:  # a bug must not stop the other partitions; it is reported as failed
                log.exception("partition %s failed", part.key)
                error = f"{type(exc).__name__}: {exc}"
            if error is not None:
                summary.failures.append((str(part.key), error))
            await self._db(self.store.finish_partition, part.key, summary.run_id, error)
            self.reporter.partition_finished(part, error)
        # Children of the parents this store knows, even if this walk failed: their own lists may still work.
        for child in plan.resources:
            if child.parent != part.resource.name:
                continue
            changed_only = child.fanout == CHANGED_PARENTS and not plan.full_refresh
            ids = await self._db(self.store.parent_ids, part, child.name if changed_only else None)
            for parent_id in ids:
                if child.parent == "workspaces" and plan.workspaces and parent_id not in plan.workspaces:
                    continue
                workspace_id = parent_id if child.parent == "workspaces" else part.key.workspace_id
                key = PartitionKey(part.key.account, child.name, workspace_id, parent_id)
                group.create_task(self._partition(group, plan, Partition(key, child), summary))

    async def _walk(self, part: Partition, summary: RunSummary) -> None:
        client = self.clients[part.key.account]
        after = await self._db(self.store.cursor, part.key)
        paginator = Paginator(after)
        writing: asyncio.Future[WriteResult] | None = None
        try:
            while True:
                page = await client.list_page(part.path, after=after)
                following = paginator.advance(len(page.items), page.pagination_next)
                if writing is not None:
                    self._count(part, await writing, summary)
                    writing = None
                if page.items:
                    cursor = _cursor(page, after)
                    # The next request goes out while this page is written.
                    writing = self._db(self._write_page, part, page.items, cursor, summary.run_id)
                if following is None:
                    break
                after = following
        finally:
            if writing is not None:
                self._count(part, await writing, summary)

    def _count(self, part: Partition, result: WriteResult, summary: RunSummary) -> None:
        summary.rows[part.resource.name].add(result)
        self.reporter.page_written(part, result)

    def _write_page(self, part: Partition, items: list[Any], cursor: str | None, run_id: int) -> WriteResult:
        now = self.clock()
        records: dict[int, RecordRows] = {}
        rejects = []
        for item in items:
            try:
                rows = to_rows(part.resource, item, part.scope, now)
            except RecordError as exc:
                raw_id = item.get("id") if isinstance(item, dict) else None
                rejects.append(Reject(None if raw_id is None else str(raw_id), str(exc), item))
                continue
            records[rows.row["id"]] = rows  # a repeated id in one page: the later copy wins
        page = PageWrite(part, list(records.values()), rejects, cursor, run_id, now)
        return self.store.write_page(page)

    def _db(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        return asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)


def _cursor(page: Page, previous: str | None) -> str | None:
    """Where the next run continues: the API's cursor, else the last id on the page."""
    if page.pagination_next and page.pagination_next.strip():
        return page.pagination_next.strip()
    for item in reversed(page.items):
        if isinstance(item, dict) and isinstance(item.get("id"), int) and not isinstance(item["id"], bool):
            return str(item["id"])
    return previous


def _first_cfsync_error(exc: BaseException) -> CfsyncError | None:
    if isinstance(exc, CfsyncError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _first_cfsync_error(inner)
            if found is not None:
                return found
    return None
