"""cfsync from Python: each function wires config -> client -> engine -> store for one feature.

The CLI is a thin layer over these; scripts and tests call them directly.

    from cfsync.app import sync
    from cfsync.config import load_config
    summary = asyncio.run(sync(load_config(Path("cfsync.toml"), os.environ)))
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import replace

from .client.budget import Budgets
from .client.http import ApiClient
from .client.maton import MatonControl
from .config import ALL_CONNECTIONS, AccountConfig, Config
from .engine.ports import Reporter, RunSummary
from .engine.sync import Syncer, SyncPlan
from .errors import ConfigError
from .resources.catalog import UnknownResourceError, resolve
from .store.store import Store

__all__ = ["expand_accounts", "open_store", "plan", "sync"]


def plan(
    config: Config,
    resources: Sequence[str] = (),
    workspaces: Sequence[int] = (),
    *,
    full_refresh: bool = False,
) -> SyncPlan:
    """What a sync will do: flags override the config's [sync] table."""
    try:
        chosen = resolve(list(resources) or list(config.sync.resources), config.sync.exclude)
    except UnknownResourceError as exc:
        raise ConfigError(f"unknown resource {exc.name!r} (see `cfsync resources`)") from None
    return SyncPlan(
        resources=chosen,
        workspaces=frozenset(workspaces or config.sync.workspaces),
        full_refresh=full_refresh,
    )


def open_store(config: Config, *, migrate: bool = True) -> Store:
    store = Store.open(config.database.url)
    if migrate:
        store.migrate()
    return store


async def sync(
    config: Config,
    resources: Sequence[str] = (),
    workspaces: Sequence[int] = (),
    *,
    full_refresh: bool = False,
    reporter: Reporter | None = None,
) -> RunSummary:
    """Migrate the database, then sync every account of the config. Raises CfsyncError subclasses."""
    sync_plan = plan(config, resources, workspaces, full_refresh=full_refresh)
    for account in config.accounts:
        account.require_key()
    accounts = await expand_accounts(config)
    store = open_store(config)
    budgets = Budgets()
    try:
        async with AsyncExitStack() as stack:
            clients = {}
            for account in accounts:
                client = ApiClient(account, budget=budgets.for_account(account))
                clients[account.name] = await stack.enter_async_context(client)
            return await Syncer(store, clients, reporter=reporter).run(sync_plan)
    finally:
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
