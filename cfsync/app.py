"""cfsync from Python: each function wires config -> client -> engine -> store for one feature.

The CLI is a thin layer over these; scripts and tests call them directly.

    from cfsync.app import sync
    from cfsync.config import load_config
    summary = asyncio.run(sync(load_config(Path("cfsync.toml"), os.environ)))
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AsyncExitStack, contextmanager, nullcontext
from dataclasses import replace

from .client.budget import Budgets
from .client.http import ApiClient
from .client.maton import MatonControl
from .config import ALL_CONNECTIONS, AccountConfig, Config
from .engine.ports import Reporter, RunSummary
from .engine.sync import Syncer, SyncPlan
from .engine.walk import PassPolicy
from .errors import ConfigError, DatabaseReadOnlyError, StoreError
from .resources.catalog import CATALOG, Resource, UnknownResourceError, resolve
from .store.budgets import PostgresBoard
from .store.db import redacted
from .store.locks import AdvisoryClaims, RunLock, run_alive, run_lock_path, sqlite_file
from .store.store import Store

__all__ = ["existing_store", "expand_accounts", "open_store", "plan", "run_plan", "sync", "synced_resources"]


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
    return SyncPlan(
        resources=chosen, workspaces=frozenset(workspaces or config.sync.workspaces), policy=policy
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


def synced_resources(config: Config, names: Sequence[str] = ()) -> tuple[Resource, ...]:
    """The resources a sync of `names` (default: the config's [sync].resources) walks, parents included,
    the config's exclusions left out."""
    try:
        return resolve(list(names) or list(config.sync.resources), config.sync.exclude)
    except UnknownResourceError as exc:
        raise ConfigError(f"unknown resource {exc.name!r} (see `cfsync resources`)") from None


def open_store(config: Config, *, migrate: bool = True) -> Store:
    store = Store.open(config.database.url, deletes=config.sync.deletes)
    if migrate:
        store.migrate()
    return store


@contextmanager
def existing_store(config: Config) -> Iterator[Store]:
    """The configured database for a command that only reads or tidies it: it must exist and be migrated
    already (StoreError otherwise: such a command never creates one); runs whose process is gone are
    marked abandoned first. Closed afterwards."""
    path = sqlite_file(config.database.url)
    if path is not None and not path.exists():
        raise StoreError(
            f"no database at {redacted(config.database.url)} yet: `cfsync sync` (or `cfsync db upgrade`) "
            "creates it"
        )
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
) -> RunSummary:
    """One sync of `sync_plan` (what `sync` does once it has planned). `lock_held`: the caller already
    holds the SQLite run lock for its whole life (`cfsync run`), so this run does not take it again."""
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
                syncer = Syncer(store, clients, reporter=reporter, claims=claims, db_patience=patience)
                return await syncer.run(sync_plan)
        finally:
            if claims is not None:
                claims.close()
            if board is not None:
                board.close()
            store.close()


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
