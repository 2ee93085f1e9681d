"""One delivery, checked: its signature over the raw bytes first, then its JSON.

ClickFunnels signs `"{timestamp}.{raw body}"` with HMAC-SHA256 keyed by the endpoint's `webhook_secret` and
sends the hex digest in `X-Webhook-ClickFunnels-Signature`, the unix timestamp in
`X-Webhook-ClickFunnels-Timestamp`. Pure functions of the receiver. The sandbox, standing in for
ClickFunnels, signs with its own code (cfsync/sandbox/deliveries.py), so a mistake here cannot hide behind
the same mistake there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..errors import RecordError
from ..resources.transform import coerce, storable
from ..store.webhooks import IncomingEvent
from .secrets import SigningKey

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Rejected",
    "parse_delivery",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "X-Webhook-ClickFunnels-Signature"
TIMESTAMP_HEADER = "X-Webhook-ClickFunnels-Timestamp"
_TEXT_LIMIT = 255  # event ids and types longer than this are not ClickFunnels'


class Rejected(Exception):
    """A delivery the receiver refuses: the HTTP status, a short reason for the log, and the answer's text."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(keys: Sequence[SigningKey], timestamp: str, body: bytes, signature: str) -> SigningKey | None:
    """The key that signed `body`, or None. Every key is tried and compared in constant time, so neither
    the answer's timing nor its order tells which keys exist."""
    given = signature.strip().lower().encode()
    found = None
    for key in keys:
        expected = sign(key.secret.value, timestamp, body).encode()
        if hmac.compare_digest(expected, given) and found is None:
            found = key
    return found


def parse_delivery(body: bytes, endpoint_id: int | None) -> IncomingEvent:
    """The delivery's fields, or Rejected(400) naming what is missing or malformed."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Rejected(400, "malformed_json", "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise Rejected(400, "malformed_json", "the body is not a JSON object")
    missing = [
        k
        for k in (
            "event_id",
            "event_type",
            "subject_id",
            "subject_type",
            "data",
            "created_at",
            "api_version",
            "workspace_id",
        )
        if k not in payload
    ]
    if missing:
        raise Rejected(400, "missing_field", f"missing field(s): {', '.join(missing)}")
    for key in ("event_id", "event_type"):
        value = payload[key]
        if not isinstance(value, str) or not value.strip() or len(value) > _TEXT_LIMIT:
            raise Rejected(400, "bad_field", f"{key} must be a non-empty string")
    workspace_id = _integer(payload, "workspace_id", nullable=False)
    subject_id = _integer(payload, "subject_id", nullable=True)
    subject_type = payload["subject_type"]
    if subject_type is not None and not isinstance(subject_type, str):
        raise Rejected(400, "bad_field", "subject_type must be a string")
    if not isinstance(payload["data"], dict):
        raise Rejected(400, "bad_field", "data must be an object")
    try:
        created_at = coerce("timestamp", payload["created_at"], "created_at")
    except RecordError:
        created_at = None
    if not isinstance(created_at, datetime):
        raise Rejected(400, "bad_field", "created_at must be an ISO-8601 timestamp")
    # The one-time endpoint secret never reaches the database, even if an event were to carry it.
    payload = {**payload, "data": storable(payload["data"])}
    return IncomingEvent(
        event_id=payload["event_id"],
        event_type=payload["event_type"],
        workspace_id=workspace_id,
        subject_type=subject_type,
        subject_id=subject_id,
        endpoint_id=endpoint_id,
        created_at=created_at,
        payload=payload,
    )


def _integer(payload: dict[str, Any], key: str, *, nullable: bool) -> Any:
    value = payload[key]
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63:
        raise Rejected(400, "bad_field", f"{key} must be a 64-bit integer")
    return value
