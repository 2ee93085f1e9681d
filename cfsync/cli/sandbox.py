"""`cfsync sandbox serve`: the local ClickFunnels stand-in on a socket."""

from __future__ import annotations

import asyncio

import click

from ..errors import CfsyncError
from .base import cli

__all__ = ["sandbox"]


@cli.group()
def sandbox() -> None:
    """The local ClickFunnels stand-in used by tests, benchmarks and the demo."""


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, help="Port (0: any free port).")
@click.option("--seed", default=1, show_default=True, help="Same seed, same data.")
@click.option("--accounts", default=1, show_default=True, help="Accounts (teams), one API token each.")
@click.option("--workspaces", default=2, show_default=True, help="Workspaces per team.")
@click.option("--contacts", type=int, help="Contacts per workspace.")
@click.option("--orders", type=int, help="Orders per workspace.")
@click.option(
    "--count",
    "counts",
    multiple=True,
    metavar="RESOURCE=N",
    help="Records per partition of any resource (repeatable), e.g. courses_enrollments=50.",
)
@click.option("--latency", default=0.0, show_default=True, help="Seconds added to every answer.")
@click.option("--rate-limit", type=float, help="Requests per second per client IP before 429s.")
def serve(
    host: str,
    port: int,
    seed: int,
    accounts: int,
    workspaces: int,
    contacts: int | None,
    orders: int | None,
    counts: tuple[str, ...],
    latency: float,
    rate_limit: float | None,
) -> None:
    """Serve a deterministic ClickFunnels v2 API until interrupted."""
    from ..sandbox import Sandbox, SandboxConfig, serve_forever

    sizes: dict[str, int] = {}
    for item in counts:
        name, _, value = item.partition("=")
        if not value.isdigit():
            raise click.BadParameter(f"{item!r} is not RESOURCE=N", param_hint="--count")
        sizes[name] = int(value)
    sizes.update({k: v for k, v in (("contacts", contacts), ("orders", orders)) if v is not None})
    try:
        sb = Sandbox(
            SandboxConfig(
                seed=seed,
                accounts=accounts,
                workspaces=workspaces,
                counts=sizes,
                latency=latency,
                rate_limit=rate_limit,
            )
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None

    def ready(url: str) -> None:
        click.echo(f"sandbox listening on {url}  (Ctrl-C stops it)")
        for account in range(accounts):
            click.echo(
                f"  account {account}: direct base_url={url}  token={sb.api_token(account)}"
                f"  maton connection={sb.connection_ids[account]}"
            )
        click.echo(f"  maton: base_url={url}/clickfunnels  MATON_API_KEY={sb.maton_key}")
        click.echo(f"  control: {url}/_sandbox/  token={sb.control_token}")
        click.echo(f"  workspaces: {', '.join(str(w) for a in range(accounts) for w in sb.workspace_ids(a))}")

    try:
        asyncio.run(serve_forever(sb, host, port, on_ready=ready))
    except OSError as exc:
        raise CfsyncError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
