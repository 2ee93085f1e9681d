"""What a sandbox holds and how badly it behaves: plain frozen data, no behaviour."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "BURST_KINDS",
    "DEFAULT_COUNTS",
    "DELIVERY_MODES",
    "FAULT_KINDS",
    "Burst",
    "Fault",
    "Latency",
    "SandboxConfig",
    "check_fault_rates",
    "check_latency",
    "parse_bursts",
    "parse_fault_rates",
    "parse_latency",
]

# Records per partition: per workspace for workspace-level lists, per parent record for nested ones
# (enrollments per course), per account for teams and users. Small, but enough for every list to have
# more than nothing and the big ones (contacts, orders) to need several pages. Every list a sync walks costs
# requests in every test that syncs the sandbox: the lists of 2026 hold a few records each, and one blog per
# workspace. (A split test step or conditional split exists only in a funnel of two pages or more.)
DEFAULT_COUNTS: Mapping[str, int] = {
    "teams": 1,
    "users": 3,
    "appointments_scheduled_events": 3,
    "blogs": 1,
    "blogs_posts": 3,
    "blogs_tags": 3,
    "conditional_split_steps": 1,
    "domains": 2,
    "emails_addresses": 2,
    "emails_broadcasts": 3,
    "emails_templates": 2,
    "emails_topics": 3,
    "refine_filters": 2,
    "split_test_steps": 1,
    "contacts": 120,
    "contacts_tags": 8,
    "contacts_applied_tags": 2,
    "courses": 4,
    "courses_enrollments": 7,
    "courses_sections": 3,
    "courses_lessons": 3,
    "forms": 3,
    "forms_field_sets": 2,
    "forms_fields": 3,
    "forms_fields_options": 2,
    "forms_submissions": 9,
    "forms_submissions_answers": 2,
    "form_submissions": 10,
    "fulfillments": 25,
    "fulfillments_locations": 2,
    "funnels": 5,
    "funnels_tags": 4,
    "images": 10,
    "orders": 60,
    "orders_applied_tags": 1,
    "orders_invoices": 2,
    "orders_invoices_restocks": 2,
    "orders_transactions": 2,
    "orders_tags": 4,
    "pages": 8,
    "products": 12,
    "products_collections": 3,
    "products_prices": 2,
    "products_variants": 2,
    "products_tags": 4,
    "sales_pipelines": 2,
    "sales_pipelines_stages": 4,
    "sales_opportunities": 10,
    "sales_opportunities_notes": 2,
    "shipping_packages": 3,
    "shipping_profiles": 2,
    "shipping_location_groups": 2,
    "shipping_zones": 2,
    "shipping_rates": 2,
    "shipping_rates_names": 3,
    "stores": 2,
    "styles": 3,
    "themes": 3,
    "webhooks_outgoing_endpoints": 2,
    "webhooks_outgoing_events": 3,
}

# A queued or random fault answers with one of these instead of the real response.
FAULT_KINDS = ("429", "500", "502", "503", "reset", "stall")
DELIVERY_MODES = ("loopback", "any", "off")  # where outgoing webhooks may go
BURST_KINDS = ("429", "500", "502", "503")  # what a burst answers every request with

# Seconds added to each request: fixed, or (low, high) drawn uniformly per request.
Latency = float | tuple[float, float]


@dataclass(frozen=True)
class Fault:
    """One queued failure: the next `times` requests matching `method` and `path` fail with `kind`.

    `path` is a regular expression searched in the API path (the part after `/api/v2`, the same for direct
    and Maton requests), `None` matches all. `stall_seconds` is how long a `stall` waits before answering.
    `skip` matching requests go by untouched first: `skip=1` fails the second page of a list walk, not the
    first.
    """

    kind: str
    times: int = 1
    method: str | None = None
    path: str | None = None
    stall_seconds: float = 30.0
    skip: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, not {self.kind!r}")
        if self.times < 1:
            raise ValueError("a fault must fire at least once")
        if self.skip < 0:
            raise ValueError("a fault cannot skip a negative number of requests")


@dataclass(frozen=True)
class Burst:
    """Every API request answered `kind` for `seconds`, every `every` seconds, the first `offset` seconds
    after the burst was set (None: after `every`): a gateway shedding load, a proxy that is down."""

    kind: str
    seconds: float
    every: float
    offset: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in BURST_KINDS:
            raise ValueError(f"a burst answers one of {', '.join(BURST_KINDS)}, not {self.kind!r}")
        if not (0 < self.seconds <= self.every and math.isfinite(self.every)):
            raise ValueError(f"a burst needs 0 < seconds <= every, not {self.seconds:g}/{self.every:g}")
        if self.offset is not None and not 0 <= self.offset < math.inf:
            raise ValueError(f"a burst's offset must be 0 or more seconds, not {self.offset!r}")

    def active(self, elapsed: float) -> bool:
        """Is a burst on, `elapsed` seconds after it was set?"""
        since_first = elapsed - (self.every if self.offset is None else self.offset)
        return since_first >= 0 and since_first % self.every < self.seconds

    def __str__(self) -> str:
        first = "" if self.offset is None else f"+{self.offset:g}"
        return f"{self.kind}:{self.seconds:g}/{self.every:g}{first}"


@dataclass(frozen=True)
class SandboxConfig:
    seed: int = 1
    accounts: int = 1
    workspaces: int = 2
    counts: Mapping[str, int] = field(default_factory=dict)
    # Added to every request before it is answered, in seconds: fixed, or (low, high) drawn uniformly
    # per request from a generator seeded with `fault_seed`.
    latency: Latency = 0.0
    # Token bucket per client IP: `rate_limit` requests per second with bursts of `rate_limit_burst`;
    # beyond it, 429 without Retry-After. None: unlimited.
    rate_limit: float | None = None
    rate_limit_burst: int = 10
    faults: tuple[Fault, ...] = ()
    # Random faults: the share of API requests each kind answers, e.g. {"502": 0.01, "reset": 0.005}.
    # One draw per request from a generator seeded with `fault_seed` (None: `seed`), so a run of requests
    # sent one after another meets the same faults every time. A random `stall` waits `stall_seconds`.
    fault_rates: Mapping[str, float] = field(default_factory=dict)
    fault_seed: int | None = None
    stall_seconds: float = 30.0
    # Bursts: every request answered with one status for a while, at regular times (Burst).
    bursts: tuple[Burst, ...] = ()
    # Outgoing webhooks (deliveries.py): to "loopback" URLs only, "any" URL, or "off"; the retry schedule
    # (1 s, 15 s, 1 m, ...) times `webhook_retry_scale`; first attempts held up to `webhook_shuffle_seconds`
    # (out of order); the share of deliveries sent twice.
    webhook_delivery: str = "loopback"
    webhook_retry_scale: float = 1.0
    webhook_shuffle_seconds: float = 0.0
    webhook_duplicates: float = 0.0

    def __post_init__(self) -> None:
        check_fault_rates(self.fault_rates)
        check_latency(self.latency)
        if not self.stall_seconds >= 0:
            raise ValueError(f"stall_seconds must be >= 0, not {self.stall_seconds!r}")
        if self.webhook_delivery not in DELIVERY_MODES:
            raise ValueError(
                f'webhook_delivery must be "loopback", "any" or "off", not {self.webhook_delivery!r}'
            )
        if not (self.webhook_retry_scale >= 0 and self.webhook_shuffle_seconds >= 0):
            raise ValueError("webhook_retry_scale and webhook_shuffle_seconds must be >= 0")
        if not 0.0 <= self.webhook_duplicates <= 1.0:
            raise ValueError(f"webhook_duplicates must be from 0 to 1, not {self.webhook_duplicates!r}")
        if self.accounts < 1 or self.workspaces < 0:
            raise ValueError("a sandbox needs at least one account and no negative workspace count")
        if "workspaces" in self.counts:
            raise ValueError("set the number of workspaces per team with `workspaces=`, not in counts")
        if self.counts.get("teams", 1) != 1:
            raise ValueError("each account is exactly one team")
        bad = {k: v for k, v in self.counts.items() if not isinstance(v, int) or v < 0}
        if bad:
            raise ValueError(f"counts must be non-negative integers: {bad}")

    def count(self, resource: str) -> int:
        """Records per partition of `resource`."""
        if resource == "workspaces":
            return self.workspaces
        if resource == "courses_lesson_completions" and resource not in self.counts:
            # A slot per (enrollment, lesson) of the course: each enrollment's progress decides which hold
            # a completion (see commerce.py).
            lessons = self.count("courses_sections") * self.count("courses_lessons")
            return self.count("courses_enrollments") * lessons
        return int(self.counts.get(resource, DEFAULT_COUNTS.get(resource, 2)))


def check_fault_rates(rates: Mapping[str, float]) -> dict[str, float]:
    """The rates as floats; ValueError naming the first kind or rate that makes no sense."""
    out: dict[str, float] = {}
    for kind, rate in rates.items():
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; kinds: {', '.join(FAULT_KINDS)}")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
            raise ValueError(f"the rate of {kind} must be a number from 0 to 1, not {rate!r}")
        out[kind] = float(rate)
    if math.fsum(out.values()) > 1.0:
        raise ValueError(f"fault rates add up to {math.fsum(out.values()):g}, more than 1")
    return out


def check_latency(latency: Latency) -> Latency:
    if isinstance(latency, tuple):
        low, high = latency
        if not 0.0 <= low <= high:
            raise ValueError(f"a latency range needs 0 <= low <= high, not {low:g}-{high:g}")
        return (float(low), float(high))
    if not latency >= 0.0:
        raise ValueError(f"latency must be >= 0 seconds, not {latency!r}")
    return float(latency)


def parse_fault_rates(spec: str) -> dict[str, float]:
    """`502=0.01,reset=0.005` -> {"502": 0.01, "reset": 0.005}; ValueError saying what is wrong."""
    rates: dict[str, float] = {}
    for item in (part.strip() for part in spec.split(",")):
        kind, eq, value = item.partition("=")
        kind = kind.strip()
        if not eq or not kind:
            raise ValueError(f"{item!r} is not KIND=RATE (e.g. 502=0.01,reset=0.005)")
        if kind in rates:
            raise ValueError(f"fault kind {kind} is given twice")
        try:
            rates[kind] = float(value)
        except ValueError:
            raise ValueError(
                f"the rate of {kind} must be a number from 0 to 1, not {value.strip()!r}"
            ) from None
    return check_fault_rates(rates)


def parse_latency(spec: str) -> Latency:
    """`0.25` (seconds) or `0.1-0.5` (uniform between); ValueError saying what is wrong."""
    low, dash, high = spec.strip().partition("-")
    try:
        value: Latency = (float(low), float(high)) if dash else float(low)
    except ValueError:
        raise ValueError(f"latency must be SECONDS or MIN-MAX (e.g. 0.25 or 0.1-0.5), not {spec!r}") from None
    return check_latency(value)


def parse_bursts(spec: str) -> tuple[Burst, ...]:
    """`429:3/30,502:60/600+20` -> bursts of KIND for SECONDS every EVERY seconds (the first +OFFSET
    seconds after they are set, by default after EVERY); ValueError saying what is wrong."""
    bursts = []
    for item in (part.strip() for part in spec.split(",")):
        kind, colon, rest = item.partition(":")
        seconds, slash, timing = rest.partition("/")
        every, plus, offset = timing.partition("+")
        try:
            if not (colon and slash):
                raise ValueError
            bursts.append(Burst(kind.strip(), float(seconds), float(every), float(offset) if plus else None))
        except ValueError as exc:
            reason = f": {exc}" if str(exc) else ""
            raise ValueError(
                f"{item!r} is not KIND:SECONDS/EVERY[+OFFSET] (e.g. 429:3/30 or 502:60/600+10){reason}"
            ) from None
    return tuple(bursts)
