"""`cfsync connections list|create|show|delete`: the ClickFunnels connections behind a Maton key."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..config import AccountConfig, Config
from ..errors import ConfigError
from .base import cli, config_of

if TYPE_CHECKING:
    from ..client.maton import MatonControl

__all__ = ["connections", "maton_account"]

T = TypeVar("T")


def maton_account(config: Config, name: str | None) -> AccountConfig:
    """The config account `name`, else the first one in Maton mode; a direct account is a ConfigError."""
    if name is None:
        for account in config.accounts:
            if account.mode == "maton":
                return account
        raise ConfigError("no account of the config is in maton mode: connections are a Maton feature")
    account = config.account(name)
    if account.mode != "maton":
        raise ConfigError(f"account {name!r} is in direct mode: connections are a Maton feature")
    return account


def _run(ctx: click.Context, name: str | None, call: Callable[[MatonControl], Coroutine[Any, Any, T]]) -> T:
    from ..client.maton import MatonControl

    account = maton_account(config_of(ctx), name)

    async def main() -> T:
        async with MatonControl(account) as maton:
            return await call(maton)

    import asyncio

    return asyncio.run(main())


def _is_terminal() -> bool:
    return sys.stdin.isatty()


def _account_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--account",
        "account_name",
        metavar="NAME",
        help="The config account whose Maton key to use [default: the first account in maton mode].",
    )(f)


def _json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")(f)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


@cli.group()
def connections() -> None:
    """The ClickFunnels accounts connected to a Maton key (Maton mode only)."""


@connections.command("list")
@_account_option
@click.option("--all", "show_all", is_flag=True, help="Include connections that are not ACTIVE.")
@_json_option
@click.pass_context
def list_(ctx: click.Context, account_name: str | None, show_all: bool, as_json: bool) -> None:
    """The connections, oldest first (only ACTIVE ones without --all)."""
    found = _run(ctx, account_name, lambda m: m.list(status=None if show_all else "ACTIVE"))
    if as_json:
        _echo_json(found)
        return
    if not found:
        click.echo(
            f"no {'' if show_all else 'active '}connections (add one with `cfsync connections create`)"
        )
        return
    click.echo(f"{'connection_id':<38} {'status':<10} {'created':<26} app")
    for c in found:
        click.echo(
            f"{c.get('connection_id')!s:<38} {c.get('status')!s:<10} "
            f"{c.get('creation_time') or '-'!s:<26} {c.get('app') or '-'}"
        )


@connections.command()
@_account_option
@_json_option
@click.pass_context
def create(ctx: click.Context, account_name: str | None, as_json: bool) -> None:
    """Start a new connection: prints the URL where a browser finishes the ClickFunnels sign-in."""
    made = _run(ctx, account_name, lambda m: m.create())
    if as_json:
        _echo_json(made)
        return
    cid = made["connection_id"]
    click.echo(f"created connection {cid} ({made.get('status') or 'PENDING'})")
    click.echo("open this URL in a browser and sign in to the ClickFunnels account to connect:")
    click.echo(f"  {made.get('url') or '(the gateway gave no url)'}")
    click.echo(f"then `cfsync connections show {cid}` says ACTIVE once it is done")


@connections.command()
@click.argument("connection_id")
@_account_option
@_json_option
@click.pass_context
def show(ctx: click.Context, connection_id: str, account_name: str | None, as_json: bool) -> None:
    """One connection's fields."""
    found = _run(ctx, account_name, lambda m: m.get(connection_id))
    if as_json:
        _echo_json(found)
        return
    for key, value in found.items():
        text = json.dumps(value) if isinstance(value, dict | list) else str(value)
        click.echo(f"{key + ':':<19} {text}")


@connections.command()
@click.argument("connection_id")
@_account_option
@click.option("--yes", is_flag=True, help="Do not ask (needed when stdin is not a terminal).")
@click.pass_context
def delete(ctx: click.Context, connection_id: str, account_name: str | None, yes: bool) -> None:
    """Remove a connection: the gateway stops reaching that ClickFunnels account through it."""
    maton_account(config_of(ctx), account_name)  # a config mistake is reported before any question
    if not yes:
        if not _is_terminal():
            raise ConfigError(f"deleting connection {connection_id} needs --yes when stdin is not a terminal")
        click.confirm(f"Delete connection {connection_id}?", abort=True)
    _run(ctx, account_name, lambda m: m.delete(connection_id))
    click.echo(f"deleted connection {connection_id}")
