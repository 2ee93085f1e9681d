"""Receiver: verify, dedupe, apply. ClickFunnels deliveries are checked against their signature, stored once
per event_id before they are answered, then applied to the synced tables when they are not older than the
stored rows. `register` creates an endpoint and keeps its one-time secret."""

from .delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER, Rejected, parse_delivery, sign, verify
from .receiver import Receiver, policy_for, serve_forever
from .register import DOCUMENTED_EVENT_TYPES, Registered, default_event_types, register
from .secrets import Keyring, SigningKey, StoredSecret, load_secrets, save_secret

__all__ = [
    "DOCUMENTED_EVENT_TYPES",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Keyring",
    "Receiver",
    "Registered",
    "Rejected",
    "SigningKey",
    "StoredSecret",
    "default_event_types",
    "load_secrets",
    "parse_delivery",
    "policy_for",
    "register",
    "save_secret",
    "serve_forever",
    "sign",
    "verify",
]
