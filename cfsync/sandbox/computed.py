"""Answers worked out from other records when asked, never stored: a price's change options, a workspace's
email settings, the token's own user, a workspace's one site.

They follow every write to the records they come from (a new variant price is an option at once), and hold
no state of their own, so the sandbox has nothing of theirs to keep in step.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cfsync.sandbox.state import State

__all__ = ["CHANGE_OPTIONS", "change_options", "one", "record"]

Record = dict[str, Any]

CHANGE_OPTIONS = "products_prices_change_options"


def record(state: State, name: str, id_: int) -> Record | None:
    """The record of a computed resource with this id (its parent's), or None when the parent is gone."""
    if name == CHANGE_OPTIONS:
        return change_options(state, id_)
    raise KeyError(f"no computed resource {name!r}")


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _whole(value: Any) -> int | None:
    """A count the price keeps as text (`interval_count` "1") as the change options' integer."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.lstrip("-").isdigit() else None


def change_options(state: State, price_id: int) -> Record | None:
    """What a price can change to: the product's other live prices, by variant, dearer ones under `upgrade`
    and cheaper ones under `downgrade` (an equal amount is neither); variants without such a price are left
    out, and archived prices too. `id` is the price's own, as a sync keeps the record."""
    price = state.get("products_prices", price_id)
    ancestry = state.ancestry("products_prices", price_id)
    if price is None or not ancestry:
        return None
    product_id = ancestry[0][1]
    prices = [
        p
        for p in state.child_records("products_prices", product_id, limit=10**6)
        if p["id"] != price_id and not p.get("archived")
    ]
    mine = _amount(price.get("amount"))
    options: dict[str, list[Record]] = {"downgrade": [], "upgrade": []}
    for variant in state.child_records("products_variants", product_id, limit=10**6):
        for way, dearer in (("downgrade", False), ("upgrade", True)):
            chosen = []
            for p in prices:
                amount = _amount(p.get("amount"))
                if p.get("variant_id") != variant["id"] or amount is None or mine is None or amount == mine:
                    continue
                if (amount > mine) == dearer:
                    chosen.append(_price(p))
            if chosen:
                options[way].append(
                    {
                        "products_variant": {
                            "id": variant["id"],
                            "name": variant.get("name"),
                            "prices": chosen,
                            "product_id": product_id,
                            "public_id": variant.get("public_id"),
                        }
                    }
                )
    return {"id": price_id, **options}


def _price(p: Record) -> Record:
    return {
        "amount": p.get("amount"),
        "currency": p.get("currency"),
        "duration": _whole(p.get("duration")),
        "id": p["id"],
        "interval": p.get("interval"),
        "interval_count": _whole(p.get("interval_count")),
        "key": p.get("key"),
        "name": p.get("name"),
        "public_id": p.get("public_id"),
    }


def one(state: State, resource: str, scope_id: int) -> Record | None:
    """What a singleton route answers under its scope record (an account, a workspace): None for nothing."""
    if resource == "emails_settings":
        return _email_settings(state, scope_id)
    # The token's user (its account's first) or the workspace's one site: a record of its own.
    found = state.child_records(resource, scope_id, limit=1)
    return found[0] if found else None


def _email_settings(state: State, workspace_id: int) -> Record:
    """Marketing and system emails come from the workspace's default address; system replies go to its
    second address when it has one."""
    addresses = state.child_records("emails_addresses", workspace_id)
    first = addresses[0] if addresses else None
    default = next((a for a in addresses if a.get("is_workspace_default")), first)
    other = next((a for a in addresses if a is not default), default)

    def pair(address: Record | None) -> Record | None:
        return None if address is None else {k: address.get(k) for k in ("email_address", "name")}

    return {
        "marketing_emails_from_address": pair(default),
        "marketing_emails_reply_to_address": pair(default),
        "system_emails_from_address": pair(default),
        "system_emails_reply_to_address": pair(other),
        "workspace_id": workspace_id,
    }
