"""Plausible scalar values for a schema field, from its type string and, mostly, its name."""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

from cfsync.sandbox.ids import iso_ms

__all__ = ["FieldType", "Scalars", "field_type", "nth", "slug"]

FIRST_NAMES = (
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Maya",
    "Noah",
    "Olivia",
    "Liam",
    "Emma",
    "Sofia",
    "Mateo",
    "Yuki",
    "Amara",
    "Ravi",
    "Chloe",
    "Lucas",
    "Ines",
    "Omar",
    "Hana",
    "Jonas",
    "Zara",
    "Diego",
    "Freya",
    "Kofi",
)
LAST_NAMES = (
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Garcia",
    "Smith",
    "Tanaka",
    "Okafor",
    "Muller",
    "Rossi",
    "Nguyen",
    "Silva",
    "Kowalski",
    "Dubois",
    "Patel",
    "Johansson",
    "Haddad",
    "Kim",
    "Moreau",
    "Santos",
)
ADJECTIVES = (
    "Bright",
    "Bold",
    "Swift",
    "Quiet",
    "Golden",
    "Lucky",
    "Clever",
    "Fresh",
    "Grand",
    "Prime",
    "Rapid",
    "Sunny",
    "Urban",
    "Vivid",
    "Wild",
    "Zen",
)
NOUNS = ("Launch", "Summit", "Harbor", "Orbit", "Canvas", "Spark", "Atlas", "Beacon", "Maple", "Nova")
COMPANIES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Cyberdyne")
WORDS = (
    "growth",
    "funnel",
    "launch",
    "offer",
    "bonus",
    "weekly",
    "premium",
    "starter",
    "coaching",
    "mastery",
    "bundle",
    "trial",
    "members",
    "webinar",
    "summit",
    "checkout",
    "upsell",
    "journey",
    "insider",
    "vip",
)
TIME_ZONES = (
    "Eastern Time (US & Canada)",
    "Pacific Time (US & Canada)",
    "Central Time (US & Canada)",
    "London",
    "Berlin",
    "Tokyo",
    "Sydney",
    "UTC",
    "Mountain Time (US & Canada)",
    "Paris",
)
CITIES = (
    ("Austin", "TX", "US", "78701"),
    ("Boise", "ID", "US", "83702"),
    ("Toronto", "ON", "CA", "M5H 2N2"),
    ("London", "London", "GB", "EC1A 1BB"),
    ("Berlin", "Berlin", "DE", "10115"),
)
STREETS = ("Main St", "Oak Ave", "Elm St", "Pine Rd", "Cedar Ln", "Maple Dr")
DOMAINS = ("example.com", "example.org", "example.net")

_TYPE = re.compile(
    r"^(?P<base>[a-z]+(?:\[\])?)(?P<opt>\?)?(?P<null>\|null)?(?:\((?P<fmt>[\w-]+)\))?"
    r"(?: enum\[(?P<enum>[^\]]*)\])?$"
)


@dataclass(frozen=True)
class FieldType:
    base: str  # string, integer, number, boolean, object, any[], string[], integer[], object[]
    nullable: bool
    fmt: str | None
    enum: tuple[str, ...]


@cache
def field_type(spec: str) -> FieldType:
    m = _TYPE.match(spec)
    if not m:
        return FieldType("string", True, None, ())
    enum = tuple(e for e in (m.group("enum") or "").split(",") if e)
    return FieldType(m.group("base"), bool(m.group("null") or m.group("opt")), m.group("fmt"), enum)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def nth(names: tuple[str, ...], index: int, sep: str = " ") -> str:
    """The index-th of a few names, numbered once they run out: `Newsletter`, ..., `Newsletter 2`."""
    lap = index // len(names)
    return names[index % len(names)] + (f"{sep}{lap + 1}" if lap else "")


def between(rng: random.Random, low: int, high: int) -> int:
    """A time in [low, high] from exactly one draw, whatever the range: the draws after it (which contact
    is anonymous, what an order bought) stay the same when the world's end, and so every time, moves."""
    return low + int(rng.random() * (max(high, low) - low + 1))


class Scalars:
    """Values for one record: `rng` is the record's own generator; times are its created/updated ms."""

    def __init__(
        self, rng: random.Random, resource: str, id_: int, index: int, created_ms: int, updated_ms: int
    ) -> None:
        self.rng = rng
        self.resource = resource
        self.id = id_
        self.index = index
        self.created_ms = created_ms
        self.updated_ms = updated_ms
        self.first = rng.choice(FIRST_NAMES)
        self.last = rng.choice(LAST_NAMES)
        self.city = rng.choice(CITIES)
        self.noun = resource.split("_")[-1].removesuffix("s").replace("ie", "y").capitalize()

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex(self, n: int = 12) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def money(self) -> str:
        return f"{self.rng.randint(5, 500)}.{self.rng.choice(('00', '50', '99'))}"

    def title(self) -> str:
        return f"{self.rng.choice(ADJECTIVES)} {self.noun} {self.index + 1}"

    def sentence(self) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(4, 9))).capitalize() + "."

    def time_between(self) -> str:
        return iso_ms(between(self.rng, self.created_ms, self.updated_ms))

    def email(self) -> str:
        return f"{self.first}.{self.last}.{self.id}@{self.rng.choice(DOMAINS)}".lower()

    def value(self, name: str, t: FieldType) -> Any:
        """A value of type `t` for field `name`; null now and then when the type allows it."""
        if t.enum:
            if t.nullable and self.rng.random() < 0.1:
                return None
            return self.rng.choice(t.enum)
        if name == "created_at":
            return iso_ms(self.created_ms)
        if name == "updated_at":
            return iso_ms(self.updated_ms)
        if t.nullable and self.rng.random() < _null_share(name):
            return None
        if t.base == "string":
            return self.string(name, t)
        if t.base == "integer":
            return self.integer(name)
        if t.base == "number":
            return round(self.rng.uniform(0.5, 50), 2)
        if t.base == "boolean":
            share = 0.15 if name in ("archived", "hidden", "suspended", "in_trial", "is_rebill") else 0.7
            return self.rng.random() < share
        if t.base == "object":
            return {}
        return []  # arrays without a known target

    def integer(self, name: str) -> int:
        if name == "api_version":
            return 2
        if name == "sort_order":
            return self.index
        if name in ("fulfillment_number", "rebill_number"):
            return self.index + 1
        if name == "quantity":
            return self.rng.randint(1, 5)
        if name == "days_till_drip_access":
            return self.rng.randint(0, 14)
        if name.startswith("total_value"):
            return self.rng.randint(0, 20_000)
        return self.rng.randint(1, 100)

    def string(self, name: str, t: FieldType) -> str:
        rng = self.rng
        if t.fmt == "date-time" or name.endswith("_at"):
            return self.time_between()
        if name in ("email", "email_address") or name.endswith("_email"):
            return self.email()
        if name.endswith("first_name"):
            return self.first
        if name.endswith("last_name"):
            return self.last
        if name.endswith("organization_name"):
            return f"{rng.choice(COMPANIES)} Inc."
        if name.endswith("url"):
            return f"https://{rng.choice(DOMAINS)}/{rng.choice(WORDS)}-{self.id}"
        if name == "current_path":
            return f"/{rng.choice(WORDS)}-{self.id}"
        if name.endswith("phone_number"):
            return f"+1555{rng.randint(0, 9_999_999):07d}"
        if name == "time_zone":
            return rng.choice(TIME_ZONES)
        if name == "locale":
            return "en"
        if name == "currency" or name.endswith("_currency"):
            return "USD"
        if name in ("amount", "price", "cost", "empty_weight") or name.endswith("_amount"):
            return self.money()
        if name == "color":
            return f"#{rng.getrandbits(24):06x}"
        if name == "uuid":
            return self.uuid()
        if name in (
            "name",
            "title",
            "seo_title",
            "custom_name",
            "label",
            "funnel_name",
            "page_name",
            "origination_channel_name",
            "address_name",
        ):
            return self.title()
        if name in (
            "description",
            "body",
            "content",
            "notes",
            "entry",
            "reason",
            "seo_description",
            "cancel_description",
            "suspension_reason",
            "cancel_reason",
        ):
            return self.sentence()
        if name in ("token", "sharing_fingerprint", "arn", "tracking_code", "key") or name.startswith(
            "external"
        ):
            return self.hex()
        if name == "sku":
            return f"SKU-{self.id}"
        if name.endswith("_number"):
            return f"{self.id:08d}"
        if name.endswith(("street_one", "address_one")):
            return f"{rng.randint(1, 999)} {rng.choice(STREETS)}"
        if name.endswith(("street_two", "address_two")):
            return f"Suite {rng.randint(1, 400)}"
        for i, part in enumerate(("city", "region", "country", "postal_code")):
            if name.endswith(part):
                return self.city[i]
        if name.endswith("jurisdiction"):
            return self.city[1]
        return _WORD_FIELDS.get(name, lambda r: r.choice(WORDS))(rng)


def _null_share(name: str) -> float:
    if name.endswith(("canceled_at", "churned_at", "unsubscribed_at", "trial_end_at", "closed_at")):
        return 0.7
    if name.endswith("_id"):
        return 0.2
    return 0.1


_WORD_FIELDS: dict[str, Any] = {
    "status": lambda r: r.choice(("paid", "paid", "pending", "completed", "active")),
    "billing_status": lambda r: r.choice(("paid", "unpaid", "refunded")),
    "service_status": lambda r: r.choice(("active", "canceled", "inactive")),
    "fulfillment_status": lambda r: r.choice(("unfulfilled", "fulfilled", "partially_fulfilled")),
    "result": lambda r: r.choice(("success", "success", "failure")),
    "interval": lambda r: r.choice(("month", "year", "week")),
    "trial_interval": lambda r: r.choice(("day", "week")),
    "duration": lambda r: str(r.choice((1, 3, 12))),
    "trial_duration": lambda r: str(r.choice((0, 7, 14))),
    "interval_count": lambda r: str(r.choice((1, 1, 3))),
    "payment_processor": lambda r: r.choice(("stripe", "paypal", "payments_ai")),
    "shipping_provider": lambda r: r.choice(("UPS", "FedEx", "USPS")),
    "provider_name": lambda r: r.choice(("UPS", "FedEx", "USPS")),
    "weight_unit": lambda r: r.choice(("lb", "kg")),
    "dimensions_unit": lambda r: r.choice(("in", "cm")),
    "product_type": lambda r: r.choice(("digital", "physical", "service")),
    "field_type": lambda r: r.choice(("text", "email", "checkbox", "select")),
    "collection_type": lambda r: r.choice(("manual", "smart")),
    "origination_channel_type": lambda r: r.choice(("Page", "Funnel", "Store")),
    "origination_source_type": lambda r: r.choice(("Order", "Funnel", "Manual")),
    "external_type": lambda r: r.choice(("charge", "refund")),
    "payment_type": lambda r: r.choice(("card", "paypal")),
    "canceled_by": lambda r: r.choice(("customer", "admin")),
    "taxable": lambda r: r.choice(("true", "false")),
    "out_of_stock_sales": lambda r: r.choice(("true", "false")),
    "seo_indexable": lambda r: r.choice(("true", "false")),
    "prorated": lambda r: r.choice(("true", "false")),
}
