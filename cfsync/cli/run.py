"""`cfsync run`: keep the database current in one long-running process (see cfsync.service)."""

from __future__ import annotations

from datetime import timedelta

import click

from . import signals
from .base import cli, config_of
from .inputs import Duration, wait_option

__all__ = ["run"]


@cli.command()
@click.option(
    "--interval",
    type=Duration(timedelta(seconds=1), 'a second or more, like "5m"'),
    help="From the start of one scheduled sync to the next, a second or more, e.g. 5m "
    "[default: [run].interval, 5m].",
)
@click.option("--host", help="Interface for /healthz, /metrics and /status [default: [run].host, 127.0.0.1].")
@click.option("--port", type=click.IntRange(0, 65535), help="Their port, 0 = any free one [default: 8788].")
@click.option(
    "--webhooks/--no-webhooks",
    default=None,
    help="Receive webhooks too, on [webhooks].host:port [default: when the config has signing keys].",
)
@wait_option
@click.pass_context
def run(
    ctx: click.Context,
    interval: timedelta | None,
    host: str | None,
    port: int | None,
    webhooks: bool | None,
    wait: float,
) -> None:
    """Keep the database current: an incremental sync every interval (never two at once), webhooks
    applied as they come, and /healthz, /metrics (Prometheus) and /status for whoever watches it.

    SIGTERM (or Ctrl-C) stops it cleanly, a sync in hand recorded as interrupted. Exit codes as `sync`'s.
    """
    from ..service import Service, ServiceSettings

    config = config_of(ctx)
    settings = ServiceSettings(
        interval=(config.run.interval if interval is None else interval).total_seconds(),
        host=host or config.run.host,
        port=config.run.port if port is None else port,
        webhooks=webhooks,
        wait=wait,
    )
    service = Service(config, settings)

    def ready(url: str) -> None:
        hooks = f"; webhooks at {service.receiver.url}/webhooks" if service.receiver is not None else ""
        click.echo(
            f"run: {url}/healthz /metrics /status{hooks}  (every {settings.interval:g} s; Ctrl-C stops it)"
        )

    signals.run(service.run(on_ready=ready))
