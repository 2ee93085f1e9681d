"""What the webhook tests share: deliveries as ClickFunnels shapes them, signed posts, database reads."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
import sqlalchemy as sa

from cfsync.config import Config, parse_config
from cfsync.store.schema import metadata, webhook_events

WS = 7
SECRET = "whsec_test_0123456789"
SECRET_ENV = "CF_TEST_WEBHOOK_SECRET"


def receiver_config(db_url: str, tmp_path: Any, **webhooks: Any) -> Config:
    """A config whose workspace 7 is verified with SECRET (from the environment, as a user would)."""
    settings = {
        "workspace_secrets": {str(WS): SECRET_ENV},
        "secrets_file": str(tmp_path / "secrets.json"),
        **webhooks,
    }
    return parse_config({"database": {"url": db_url}, "webhooks": settings}, {SECRET_ENV: SECRET})


def iso(minute: float) -> str:
    """2025-01-01T00:MM:SS.000Z: a record version `minute` minutes into the day."""
    seconds = round(minute * 60)
    return f"2025-01-01T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000Z"


def contact_event(
    contact_id: int,
    version: float = 1,
    *,
    action: str = "updated",
    first_name: str | None = None,
    event_id: str | None = None,
    workspace_id: int = WS,
    created: float | None = None,
) -> dict[str, Any]:
    """A contact.<action> delivery whose record was last updated at `iso(version)`."""
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": f"contact.{action}",
        "subject_id": contact_id,
        "subject_type": "Contact",
        "data": {
            "id": contact_id,
            "workspace_id": workspace_id,
            "email_address": f"c{contact_id}@example.com",
            "first_name": first_name if first_name is not None else f"v{version:g}",
            "updated_at": iso(version),
            "tags": [{"id": 1, "name": "vip", "color": "red"}],
        },
        "created_at": iso(created if created is not None else version),
        "api_version": 2,
        "workspace_id": workspace_id,
    }


def signed(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Webhook-ClickFunnels-Signature": signature, "X-Webhook-ClickFunnels-Timestamp": ts}


def encode(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


@dataclass
class Answer:
    status: int
    body: Any


async def deliver(
    session: aiohttp.ClientSession,
    url: str,
    event: dict[str, Any] | bytes,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    body = event if isinstance(event, bytes) else encode(event)
    sent = {**signed(body, secret, timestamp), **(headers or {})}
    async with session.post(url, data=body, headers=sent) as response:
        text = await response.text()
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
        return Answer(response.status, parsed)


def events_table(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(webhook_events).order_by(webhook_events.c.seq))
        return [dict(r._mapping) for r in rows]


def row(engine: sa.Engine, table: str, id_: int) -> dict[str, Any] | None:
    t = metadata.tables[table]
    with engine.connect() as conn:
        found = conn.execute(sa.select(t).where(t.c.id == id_)).mappings().first()
    return dict(found) if found else None
