"""`cfsync webhooks`: the endpoints ClickFunnels posts events to, and the receiver that applies them.

`endpoints list|create|update|delete` manage the endpoints through the API; `serve` receives, verifies,
stores and applies deliveries; `register` creates an endpoint for the receiver and keeps its secret;
`prune` trims the receiver's table.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from . import signals
from .base import cli, config_of, is_quiet
from .inputs import Duration, account_option, echo_json, workspace_option
from .writes import write_command

__all__ = ["endpoints", "prune", "register_command", "serve", "webhooks"]


@cli.group()
def webhooks() -> None:
    """Outgoing webhooks: endpoints, and the receiver that applies deliveries (serve, register, prune)."""


@webhooks.group()
def endpoints() -> None:
    """The endpoints ClickFunnels posts events to."""


@endpoints.command("list")
@workspace_option
@account_option
@click.pass_context
def list_endpoints(ctx: click.Context, workspace: int | None, account: str | None) -> None:
    """Every outgoing webhook endpoint of a workspace, as one JSON array."""
    import asyncio

    from ..manage import list_webhook_endpoints

    echo_json(asyncio.run(list_webhook_endpoints(config_of(ctx), workspace, account=account)))


write_command(
    endpoints, "create", "webhooks_outgoing_endpoints.create", "Create an outgoing webhook endpoint."
)
write_command(endpoints, "update", "webhooks_outgoing_endpoints.update", "Change a webhook endpoint.", "ID")
write_command(endpoints, "delete", "webhooks_outgoing_endpoints.delete", "Delete a webhook endpoint.", "ID")


@webhooks.command()
@click.option("--host", help="Interface to listen on [default: [webhooks].host, 127.0.0.1].")
@click.option("--port", type=click.IntRange(0, 65535), help="Port, 0 = any free one [default: 8787].")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Receive ClickFunnels webhooks: verify, store, apply to the database.

    POST deliveries to /webhooks (every known key is tried) or /webhooks/ENDPOINT_ID. Each is answered
    2xx only once committed; events left unapplied by a crash are applied on the next start.
    """
    from ..webhooks import serve_forever

    config = config_of(ctx)

    def ready(url: str) -> None:
        click.echo(f"webhooks: listening on {url}/webhooks  (Ctrl-C stops it)", err=False)

    signals.run(serve_forever(config, host, port, on_ready=ready))


@webhooks.command("register")
@click.option(
    "--url", required=True, help="Where ClickFunnels posts, e.g. https://hooks.example.com/webhooks."
)
@workspace_option
@click.option(
    "--events",
    "event_types",
    multiple=True,
    metavar="TYPE",
    help="Event type to subscribe (repeatable) [default: every documented type of a synced table].",
)
@click.option("--name", help="The endpoint's name [default: 'cfsync URL'].")
@click.option(
    "--show-secret", is_flag=True, help="Also print the webhook_secret (shown by the API only now)."
)
@account_option
@click.pass_context
def register_command(
    ctx: click.Context,
    url: str,
    workspace: int | None,
    event_types: tuple[str, ...],
    name: str | None,
    show_secret: bool,
    account: str | None,
) -> None:
    """Create an outgoing webhook endpoint and keep its secret where `serve` finds it.

    Prints the endpoint as JSON; the secret goes to [webhooks].secrets_file (mode 0600), not to the screen
    unless --show-secret.
    """
    import asyncio

    from ..webhooks import register

    config = config_of(ctx)
    done = asyncio.run(
        register(config, url, workspace_id=workspace, event_types=event_types, name=name, account=account)
    )
    record = dict(done.endpoint)
    if show_secret:
        record["webhook_secret"] = done.secret.value
    click.echo(
        f"cfsync: registered endpoint {record.get('id')} in workspace {done.workspace_id} for "
        f"{len(done.event_types)} event types; its secret is in {done.secrets_file}",
        err=True,
    )
    echo_json(record)


@webhooks.command()
@click.option(
    "--older-than",
    type=Duration(),
    default="30d",
    show_default=True,
    help="Prune events received longer ago than this (0s: every decided one). Keep at least as long as "
    "ClickFunnels retries.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON on stdout.")
@click.pass_context
def prune(ctx: click.Context, older_than: timedelta, as_json: bool) -> None:
    """Delete old webhook_events whose fate is decided (applied, stale, ignored, failed).

    Pending events and applied *.deleted events (which keep older events from bringing a deleted row back)
    stay. A redelivery of a pruned event is stored again and judged by updated_at, so it changes nothing.
    """
    from .. import app
    from ..store.webhooks import prune_events

    before = datetime.now(UTC) - older_than
    with app.existing_store(config_of(ctx)) as store:
        gone = prune_events(store, before)
    if as_json:
        echo_json({"before": before.isoformat(), "pruned": gone})
    if is_quiet(ctx):
        return
    click.echo(
        f"cfsync: pruned {sum(gone.values())} webhook events received before "
        f"{before.isoformat(timespec='seconds')} ("
        + ", ".join(f"{status} {n}" for status, n in gone.items())
        + ")",
        err=True,
    )
