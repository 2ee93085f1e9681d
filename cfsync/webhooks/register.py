"""`cfsync webhooks register`: create an outgoing endpoint through the API and keep its one-time secret.

The endpoint goes through the ordinary write path (cfsync.manage), so its row lands in
`webhooks_outgoing_endpoints` at once, without the secret. The secret goes to the secrets file, keyed by
the endpoint id with its workspace, where `cfsync webhooks serve` reads it (even while running).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from ..app import synced_resources
from ..config import Config, Secret
from ..errors import CfsyncError, ConfigError
from ..manage import WriteSession, workspace_for
from ..resources.catalog import resource_for_event
from ..resources.transform import storable
from .secrets import StoredSecret, check_writable, save_secret

__all__ = ["DOCUMENTED_EVENT_TYPES", "Registered", "default_event_types", "register"]

# The event types ClickFunnels documents whose subject is a table cfsync fills (clickfunnels-v2 README).
# Types it documents for objects cfsync has no table for (one-time-order.*, subscription.*) are stored but
# not applied; `--events` registers any type.
DOCUMENTED_EVENT_TYPES = (
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "contact.identified",
    "contacts/applied_tag.created",
    "contacts/applied_tag.deleted",
    "order.created",
    "order.updated",
    "order.deleted",
    "order.completed",
    "orders/invoice.created",
    "orders/invoice.updated",
    "orders/invoice.paid",
    "orders/invoice.refunded",
    "orders/transaction.created",
    "orders/transaction.updated",
    "fulfillment.created",
    "fulfillment.updated",
    "product.created",
    "product.updated",
    "products/variant.created",
    "products/variant.updated",
    "course.created",
    "course.updated",
    "course.deleted",
    "course.published",
    "courses/enrollment.created",
    "courses/enrollment.updated",
    "courses/enrollment.deleted",
    "courses/enrollment.suspended",
    "courses/enrollment.course_completed",
    "form_submission.created",
    "sales/opportunity.created",
    "sales/opportunity.updated",
    "sales/opportunity.deleted",
)


@dataclass(frozen=True)
class Registered:
    endpoint: dict[str, Any]  # the API's answer without the secret
    secret: Secret
    workspace_id: int
    event_types: tuple[str, ...]
    secrets_file: str


def default_event_types(config: Config) -> list[str]:
    """Every documented event type whose subject lives in a table the config syncs."""
    synced = {r.name for r in synced_resources(config)}
    out = []
    for event_type in DOCUMENTED_EVENT_TYPES:
        resource = resource_for_event(event_type)
        if resource is not None and resource.name in synced:
            out.append(event_type)
    return out


async def register(
    config: Config,
    url: str,
    *,
    workspace_id: int | None = None,
    event_types: Sequence[str] = (),
    name: str | None = None,
    account: str | None = None,
) -> Registered:
    """Create an outgoing webhook endpoint in ClickFunnels and keep its one-time secret where the receiver
    reads it ([webhooks].secrets_file, mode 0600).

    Args:
        config: from load_config.
        url: where ClickFunnels posts (http or https).
        workspace_id: default the config's only [sync].workspaces entry.
        event_types: default every documented type whose subject lives in a synced table.
        name: the endpoint's name; default "cfsync URL".
        account: the config account to use (default its first).

    Returns:
        Registered: the endpoint (without its secret), the secret (a Secret, never printed), the workspace,
        the event types and the secrets file.

    Raises:
        ConfigError: a URL that is not http(s), no event types, or a secrets file that cannot be written
            (then nothing is created).
        ApiError: the API's refusal. When the secret cannot be stored after all, the endpoint is deleted
            again and CfsyncError says so.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"the webhook URL must be an http(s) URL, got {url!r}", option="url")
    workspace = workspace_for(config, workspace_id, "registering a webhook")
    types = list(dict.fromkeys(event_types)) or default_event_types(config)
    if not types:
        raise ConfigError("no event types to register: the synced resources have none", option="events")
    path = config.webhooks.secrets_file
    check_writable(path)
    fields = {"url": url, "name": name or f"cfsync {url}", "event_type_ids": types}
    async with WriteSession(config, account=account) as session:
        written = await session.write(
            "webhooks_outgoing_endpoints.create", {"workspace_id": workspace}, fields
        )
        record = written.record or {}
        endpoint_id, secret = record.get("id"), record.get("webhook_secret")
        if not isinstance(endpoint_id, int) or not isinstance(secret, str) or not secret:
            raise CfsyncError(
                f"the API created endpoint {endpoint_id} but answered no webhook_secret: delete it "
                "(`cfsync webhooks endpoints delete ID`) and register again"
            )
        entry = StoredSecret(
            endpoint_id=endpoint_id,
            workspace_id=workspace,
            secret=Secret(secret),
            url=url,
            account=session.account.name,
            registered_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        try:
            save_secret(path, entry)
        except (OSError, CfsyncError) as exc:
            # The secret is never shown again: an endpoint nobody can verify is worse than none.
            await session.write("webhooks_outgoing_endpoints.delete", {"id": endpoint_id})
            detail = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise CfsyncError(
                f"cannot store the secret in {path} ({detail}): endpoint {endpoint_id} was deleted again"
            ) from None
    return Registered(storable(record), Secret(secret), workspace, tuple(types), str(path.absolute()))
