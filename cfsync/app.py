"""cfsync from Python: each function wires config -> client -> engine -> store for one feature.

The CLI is a thin layer over these; scripts and tests call them directly.

    from cfsync.app import sync
    from cfsync.config import load_config
    summary = asyncio.run(sync(load_config(Path("cfsync.toml"), os.environ)))
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack, contextmanager, nullcontext
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from .client.budget import Budgets
from .client.http import ApiClient
from .client.maton import MatonControl
from .config import ALL_CONNECTIONS, AccountConfig, Config
from .engine.ports import Reporter, RunSummary
from .engine.sync import Syncer, SyncPlan
from .engine.walk import PassPolicy
from .errors import ConfigError, DatabaseError, DatabaseReadOnlyError, StoreError
from .resources.catalog import CATALOG, Resource, UnknownResourceError, resolve
from .store import integrity
from .store.aside import move_aside
from .store.budgets import PostgresBoard
from .store.db import create_engine, redacted
from .store.integrity import Check
from .store.locks import AdvisoryClaims, RunLock, run_alive, run_lock_path, sqlite_file
from .store.store import Store

__all__ = [
    "check_database",
    "existing_store",
    "expand_accounts",
    "open_store",
    "plan",
    "rebuild",
    "run_plan",
    "sync",
    "synced_resources",
]


def plan(
    config: Config,
    resources: Sequence[str] = (),
    workspaces: Sequence[int] = (),
    *,
    full_refresh: bool = False,
) -> SyncPlan:
    """What a sync will do: flags override the config's [sync] table."""
    chosen = synced_resources(config, resources)
    policy = PassPolicy(
        full_refresh=full_refresh,
        full_refresh_every=config.sync.full_refresh_every,
        overlap=config.sync.overlap,
        revisit_every=config.sync.revisit_every,
        expand=checked_expand(config.sync.expand),
    )
    checked_schema(config.sync.schema)
    return SyncPlan(
        resources=chosen,
        workspaces=frozenset(workspaces or config.sync.workspaces),
        policy=policy,
        stats_days=config.sync.stats_days,
    )


def checked_expand(expand: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """`[sync].expand` where every name is a list that takes expand[] and each field one it may ask for
    (any name, where the facts do not enumerate them); ConfigError naming the first that is not."""
    for name, fields in expand.items():
        resource = CATALOG.get(name)
        if resource is None:
            raise ConfigError(f"config: sync.expand: unknown resource {name!r} (see `cfsync resources`)")
        if resource.expand is None:
            takes = ", ".join(r.name for r in CATALOG.values() if r.expand is not None)
            raise ConfigError(f"config: sync.expand.{name}: the list takes no expand[] (these do: {takes})")
        wrong = [f for f in fields if resource.expand and f not in resource.expand]
        if wrong:
            raise ConfigError(
                f"config: sync.expand.{name}: {wrong[0]!r} is not one of {', '.join(resource.expand)}"
            )
    return dict(expand)


def checked_schema(schema: Mapping[str, str]) -> dict[str, str]:
    """`[sync].schema` where every key is `default` or a resource name; ConfigError naming the first that
    is not."""
    for name in schema:
        if name != "default" and name not in CATALOG:
            raise ConfigError(
                f"config: sync.schema: unknown resource {name!r} (keys: default or a resource name, see "
                "`cfsync resources`)"
            )
    return dict(schema)


def synced_resources(config: Config, names: Sequence[str] = ()) -> tuple[Resource, ...]:
    """The resources a sync of `names` (default: the config's [sync].resources) walks, parents included,
    the config's exclusions left out."""
    try:
        return resolve(list(names) or list(config.sync.resources), config.sync.exclude)
    except UnknownResourceError as exc:
        raise ConfigError(f"unknown resource {exc.name!r} (see `cfsync resources`)") from None


def open_store(config: Config, *, migrate: bool = True) -> Store:
    store = Store.open(config.database.url, deletes=config.sync.deletes, schema=config.sync.schema_policy)
    if migrate:
        store.migrate()
    return store


@contextmanager
def existing_store(config: Config) -> Iterator[Store]:
    """The configured database for a command that only reads or tidies it: it must exist and be migrated
    already (StoreError otherwise: such a command never creates one); runs whose process is gone are
    marked abandoned first. Closed afterwards."""
    _require_file(config)
    store = open_store(config, migrate=False)
    try:
        store.check_migrated()
        with contextlib.suppress(DatabaseReadOnlyError):  # a read-only copy still shows its state
            store.abandon_dead_runs(run_alive(store.engine, run_lock_path(config.database.url)))
        yield store
    finally:
        store.close()


async def sync(
    config: Config,
    resources: Sequence[str] = (),
    workspaces: Sequence[int] = (),
    *,
    full_refresh: bool = False,
    reporter: Reporter | None = None,
    wait: float = 0.0,
) -> RunSummary:
    """Migrate the database, then copy what changed in every account of the config into it.

    Args:
        config: from load_config.
        resources: resource names to sync (their parents come along); default the config's
            [sync].resources. See `cfsync resources`.
        workspaces: workspace ids to sync; default the config's [sync].workspaces (empty: every one).
        full_refresh: sweep every partition from its first record, which also finds deleted records.
        reporter: told of the run as it goes (partitions, pages, a tick a second); default: nothing.
        wait: SQLite runs one sync at a time; wait this long for another one before LockedError.

    Returns:
        The RunSummary (also kept in the sync_runs table): status "succeeded", or "partial" when some
        partitions failed (summary.failures says which and why), or "failed" when every partition that
        ran failed for one cause (summary.error).

    Raises:
        ConfigError: a bad setting, an unknown resource, or a workspace no team lists.
        AuthError: the API refused the key.
        LockedError: another sync holds the SQLite database.
        DatabaseError: the database is unavailable (past [database].retry_seconds), corrupt, read-only
            or full; what was committed stays.
        asyncio.CancelledError: cancelled (the run is recorded as interrupted first).
    """
    sync_plan = plan(config, resources, workspaces, full_refresh=full_refresh)
    return await run_plan(config, sync_plan, reporter=reporter, wait=wait)


async def run_plan(
    config: Config,
    sync_plan: SyncPlan,
    *,
    reporter: Reporter | None = None,
    wait: float = 0.0,
    lock_held: bool = False,
    full_check: bool = False,
) -> RunSummary:
    """One sync of `sync_plan` (what `sync` does once it has planned). `lock_held`: the caller already
    holds the SQLite run lock for its whole life (`cfsync run`), so this run does not take it again.
    Before the run is recorded, a SQLite file is checked (store.integrity.after_run): the sync's own tables,
    or the whole file when it is small, when `[database].check_every` has passed, or with `full_check`."""
    for account in config.accounts:
        account.require_key()
    accounts = await expand_accounts(config)
    lock_path = run_lock_path(config.database.url)
    with RunLock(lock_path) if lock_path and not lock_held else nullcontext() as run_lock:
        if run_lock is not None:
            await asyncio.to_thread(run_lock.acquire, wait)
        store = open_store(config)
        patience = config.database.retry_seconds
        postgres = store.engine.dialect.name == "postgresql"
        claims = AdvisoryClaims(store.engine, patience=patience) if postgres else None
        # PostgreSQL workers on one key share its budget through the database; SQLite runs one sync.
        board = PostgresBoard(store.engine) if postgres else None
        budgets = Budgets(board)
        try:
            store.abandon_dead_runs(run_alive(store.engine, lock_path, holding=True))
            async with AsyncExitStack() as stack:
                clients = {}
                for account in accounts:
                    client = ApiClient(account, budget=budgets.for_account(account))
                    clients[account.name] = await stack.enter_async_context(client)
                verify = partial(_check, store, config.database.check_every, full_check)
                syncer = Syncer(
                    store, clients, reporter=reporter, claims=claims, db_patience=patience, verify=verify
                )
                return await syncer.run(sync_plan)
        finally:
            if claims is not None:
                claims.close()
            if board is not None:
                board.close()
            store.close()


async def _check(store: Store, every: timedelta, full: bool) -> None:
    """The check after a run (store.integrity.after_run), in a thread of its own; cancelled (a signal), it
    tells SQLite to give up, so a check of a big file never holds the process's exit back."""
    stop = threading.Event()
    try:
        await asyncio.to_thread(integrity.after_run, store.engine, every=every, full=full, stop=stop)
    finally:
        stop.set()


async def expand_accounts(config: Config) -> list[AccountConfig]:
    """The config's accounts, with each Maton `connection = "all"` replaced by one account per active
    connection, named `<account>:<connection_id>`."""
    accounts: list[AccountConfig] = []
    for account in config.accounts:
        if account.mode != "maton" or account.connection != ALL_CONNECTIONS:
            accounts.append(account)
            continue
        async with MatonControl(account) as maton:
            connections = await maton.list(status="ACTIVE")
        if not connections:
            raise ConfigError(
                f"account {account.name!r}: the Maton key has no active ClickFunnels connection"
            )
        for connection in connections:
            cid = str(connection["connection_id"])
            accounts.append(replace(account, name=f"{account.name}:{cid}", connection=cid))
    return accounts


def check_database(config: Config) -> Check:
    """`cfsync db check`: the whole SQLite file (integrity_check), or on PostgreSQL the revision and the
    tables, columns and views the head revision expects. StoreError when the SQLite file does not exist."""
    _require_file(config)
    engine = create_engine(config.database.url)
    try:
        return integrity.check_database(engine)
    finally:
        engine.dispose()


async def rebuild(
    config: Config,
    *,
    force: bool = False,
    reporter: Reporter | None = None,
    wait: float = 0.0,
    on_moved: Callable[[list[tuple[Path, Path]]], None] | None = None,
) -> RunSummary:
    """`cfsync db rebuild`: move a damaged SQLite file aside (with its -wal and -shm; never deleted), then
    create a fresh one and sync every configured account into it. Holds the run lock throughout, so no
    other sync writes meanwhile. A sound file is left alone unless `force`; `on_moved` is told where the
    old files went before the sync starts. ConfigError on PostgreSQL."""
    path = sqlite_file(config.database.url)
    if path is None:
        raise ConfigError(
            "`cfsync db rebuild` moves a SQLite file aside; on PostgreSQL run `cfsync db check`, then "
            "restore the database from the server's backups (or create an empty one and run `cfsync sync`)"
        )
    for account in config.accounts:
        account.require_key()
    _require_file(config)
    lock_path = run_lock_path(config.database.url)
    assert lock_path is not None
    with RunLock(lock_path) as lock:
        await asyncio.to_thread(lock.acquire, wait)
        if not force:  # the pages only: a schema behind the head is the next sync's to migrate
            engine = create_engine(config.database.url)
            try:
                found = integrity.quick_check(engine, pragma="integrity_check")
            finally:
                engine.dispose()
            if found.sound:
                raise ConfigError(
                    f"database {redacted(config.database.url)} is sound ({found.scope}): nothing to rebuild; "
                    "--force moves it aside and syncs a fresh one anyway"
                )
        try:
            moved = move_aside(path, datetime.now(UTC))
        except OSError as exc:
            raise DatabaseError(
                f"cannot move {path} aside ({exc.strerror or exc}): may cfsync write its directory?"
            ) from None
        if on_moved is not None:
            on_moved(moved)
        sync_plan = plan(config, full_refresh=True)
        return await run_plan(config, sync_plan, reporter=reporter, lock_held=True, full_check=True)


def _require_file(config: Config) -> None:
    path = sqlite_file(config.database.url)
    if path is not None and not path.exists():
        raise StoreError(
            f"no database at {redacted(config.database.url)} yet: `cfsync sync` (or `cfsync db upgrade`) "
            "creates it"
        )
