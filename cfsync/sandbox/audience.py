"""Where contacts came from and how they take email: visits and UTMs, suppressions, engagement; the visits
an order followed; the appointments contacts booked.

A contact's visits are a pure function of (seed, contact). About one in ten was imported and never visited.
The others came first through one channel (`CHANNELS`: Facebook and Google ads, the newsletter, YouTube,
Instagram, or no UTM at all: organic search and direct visits), landing on a page of their workspace; six in
ten came back later, some of those through the newsletter. `last_visit_with_utm` is the latest visit that
carried UTMs (none for a contact who never came through a campaign); `last_visit` is null when the contact
never came back, as ClickFunnels leaves it out when it equals the first. Channels convert differently
(`Channel.converts`): an order's contact is drawn again when its channel does not convert, so the newsletter
and search bring more orders per contact than Instagram. An order carries its contact's last visit and last
visit with UTMs: the same visits, uuids included, except that the visit with UTMs landed on the page the
order was placed on (its funnel's domain, where the funnel has one), the UTMs kept in its URL.

`is_active` is worked out whenever a contact is served: false exactly when it has no email address, has
unsubscribed, or has an email suppression reason. Appointments are booked by contacts of their workspace
(never anonymous ones): a paid session through one of the contact's orders, a free call without one.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, urlsplit

from cfsync.sandbox.ids import iso_ms
from cfsync.sandbox.values import WORDS, between

if TYPE_CHECKING:
    from cfsync.sandbox.generate import Ctx, Generator

__all__ = ["BASE", "CHANNELS", "SERVE", "Channel", "is_active"]

Rec = dict[str, Any]
_MINUTE = 60_000
_DAY = 86_400_000


@dataclass(frozen=True)
class Channel:
    weight: int
    source: str | None  # None: no UTM (organic search or a direct visit)
    medium: str | None
    campaigns: tuple[str, ...]
    terms: tuple[str | None, ...]
    contents: tuple[str | None, ...]
    referrer: str | None
    converts: float  # the chance an order drawn for one of its contacts keeps that contact


CHANNELS = (
    Channel(28, "facebook", "cpc", ("spring-launch", "retargeting-30d"), (None,),
            ("video-ad-a", "carousel-b", None), "https://l.facebook.com/", 0.5),
    Channel(18, "google", "cpc", ("brand-search", "funnel-builder"),
            ("sales funnel builder", "clickfunnels", "landing page software"), (None,),
            "https://www.google.com/", 0.9),
    Channel(12, "newsletter", "email", ("weekly-digest", "black-friday"), (None,), ("header-link", None),
            None, 1.0),
    Channel(9, "youtube", "video", ("webinar-replay",), (None,), ("description-link", None),
            "https://www.youtube.com/", 0.6),
    Channel(8, "instagram", "social", ("summer-sale", "creator-collab"), (None,), ("story", "bio-link"),
            "https://l.instagram.com/", 0.3),
    Channel(25, None, None, (), (None,), (None,), None, 0.7),
)  # fmt: skip
_NEWSLETTER = CHANNELS[2]
_ORGANIC_REFERRERS = ("https://www.google.com/", "https://duckduckgo.com/", "https://www.bing.com/", None)
_SUPPRESSIONS = ("hard_bounce", "spam_complaint", "invalid_address")
_WEBKIT = "AppleWebKit/605.1.15 (KHTML, like Gecko)"
_BLINK = "AppleWebKit/537.36 (KHTML, like Gecko)"
# (weight, device, browser, os, user agent)
_DEVICES = (
    (40, "desktop", "Chrome", "Windows", f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_BLINK} Chrome/124.0"),
    (15, "desktop", "Safari", "Mac OS X", f"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) {_WEBKIT} Safari"),
    (25, "mobile", "Mobile Safari", "iOS", f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4) {_WEBKIT}"),
    (13, "mobile", "Chrome Mobile", "Android", f"Mozilla/5.0 (Linux; Android 14; Pixel 8) {_BLINK} Mobile"),
    (7, "tablet", "Mobile Safari", "iPadOS", f"Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) {_WEBKIT}"),
)
_EVENT_TYPES = (  # (name, minutes, paid)
    ("Discovery call", 30, False),
    ("Onboarding call", 30, False),
    ("Strategy session", 60, True),
    ("Coaching call", 45, True),
)
_TZIDS = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "Europe/Berlin")


_CHANNEL_WEIGHTS = list(accumulate(c.weight for c in CHANNELS))
_DEVICE_WEIGHTS = list(accumulate(d[0] for d in _DEVICES))


def _channel(rng: random.Random) -> Channel:
    return rng.choices(CHANNELS, cum_weights=_CHANNEL_WEIGHTS)[0]


def _landings(gen: Generator, ctx: Ctx) -> list[str]:
    """The URLs of the pages of the contact's workspace (its site's home page when it has none), worked
    out once per workspace: every contact's visits land on one."""
    workspace = dict(ctx.ancestry).get("workspaces")
    found: dict[Any, list[str]] = gen.memo.setdefault("landings", {})
    if workspace not in found:
        offset = None if workspace is None else gen.ids.offset_of("workspaces", workspace)
        urls = []
        if offset is not None and gen.ids.parent("pages") == "workspaces":
            for p in range(gen.ids.count("pages")):
                page = gen.peek("pages", gen.ids.offset_under("pages", "workspaces", offset, p))
                urls += [str(page["url"])] if page.get("url") else []
        if not urls:
            subdomain = "www" if offset is None else gen.peek("workspaces", offset).get("subdomain")
            urls = [f"https://{subdomain}.myclickfunnels.com/"]
        found[workspace] = urls
    return found[workspace]


def _visit(
    rng: random.Random, shape: dict[str, Any], at_ms: int, channel: Channel | None, landing: str
) -> Rec:
    """One visit in the schema's shape: its UTMs (none when `channel` carries none) and its device."""
    _, device, browser, os_name, agent = rng.choices(_DEVICES, cum_weights=_DEVICE_WEIGHTS)[0]
    utm: dict[str, str | None] = dict.fromkeys(("source", "medium", "campaign", "term", "content"))
    referrer = rng.choice(_ORGANIC_REFERRERS)
    if channel is not None and channel.source is not None:
        utm.update(
            source=channel.source,
            medium=channel.medium,
            campaign=rng.choice(channel.campaigns),
            term=rng.choice(channel.terms),
            content=rng.choice(channel.contents),
        )
        referrer = channel.referrer
        landing += "?" + "&".join(f"utm_{k}={quote_plus(v)}" for k, v in utm.items() if v is not None)
    ends = at_ms + rng.randrange(1, 25) * _MINUTE
    started = iso_ms(at_ms)
    values = {
        "browser": browser,
        "created_at": started,
        "device_type": device,
        "ip": f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randrange(1, 255)}",
        "landing_page": landing,
        "os": os_name,
        "referrer": referrer,
        "referring_domain": urlsplit(referrer).hostname if referrer else None,
        "started_at": started,
        "updated_at": iso_ms(ends),
        "user_agent": agent,
        "uuid": f"{rng.getrandbits(128):032x}",
        **{f"utm_{k}": v for k, v in utm.items()},
    }
    return {k: values.get(k) for k in shape}


def _visits(gen: Generator, ctx: Ctx, shape: dict[str, Any], email: bool) -> Rec:
    """A contact's first visit, its last (null when it never came back) and its last with UTMs."""
    rng = ctx.rng
    visits: Rec = dict.fromkeys(shape)
    if rng.random() < 0.1:
        return visits  # imported: never visited
    v = ctx.values
    channel = _channel(rng)
    first_ms = v.created_ms - rng.randrange(2 * _MINUTE, 3 * _DAY)
    landings = _landings(gen, ctx)
    first = _visit(rng, shape["first_visit"], first_ms, channel, rng.choice(landings))
    last = None
    if rng.random() < 0.6:
        # Back later: through the newsletter (only a subscriber gets it), the same campaign, or directly.
        again = _NEWSLETTER if email and rng.random() < 0.4 else channel if rng.random() < 0.3 else None
        # Over (a visit lasts up to 25 minutes) by the contact's last update.
        last_ms = between(
            rng, v.created_ms + _MINUTE, max(v.updated_ms - 25 * _MINUTE, v.created_ms + 2 * _MINUTE)
        )
        last = _visit(rng, shape["last_visit"], last_ms, again, rng.choice(landings))
    with_utm = next((x for x in (last, first) if x is not None and x.get("utm_source")), None)
    visits.update(first_visit=first, last_visit=last, last_visit_with_utm=with_utm)
    return visits


def _contact(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rng = ctx.rng
    email = bool(rec.get("email_address"))
    rec["email_suppression_reason"] = rng.choice(_SUPPRESSIONS) if email and rng.random() < 0.07 else None
    shape = gen.catalog.spec("contacts").fields["visits"]
    if isinstance(shape, dict) and {"first_visit", "last_visit", "last_visit_with_utm"} <= set(shape):
        rec["visits"] = _visits(gen, ctx, shape, email)
    reached = email and not rec.get("unsubscribed_at") and not rec["email_suppression_reason"]
    received = rng.randint(3, 60) if email else 0
    opens = rng.randint(0, received) if reached else 0
    clicks = rng.randint(0, opens // 2) if opens else 0
    # Its shape is not published: counts and the latest open, enough to rank contacts by engagement.
    rec["email_engagement"] = {
        "emails_received": received,
        "opens": opens,
        "clicks": clicks,
        "last_opened_at": ctx.values.time_between() if opens else None,
    }


def is_active(contact: Rec) -> bool:
    """ClickFunnels' rule: an email address, not unsubscribed, no email suppression reason."""
    return (
        bool(contact.get("email_address"))
        and not contact.get("unsubscribed_at")
        and not contact.get("email_suppression_reason")
    )


def _serve_contact(gen: Generator, rec: Rec, lookup: Any, children: Any) -> None:
    if "is_active" in rec:
        rec["is_active"] = is_active(rec)


def _contact_base(gen: Generator, contact_id: Any) -> Rec | None:
    offset = gen.ids.offset_of("contacts", contact_id) if isinstance(contact_id, int) else None
    return None if offset is None else gen.peek("contacts", offset)


def _channel_of(contact: Rec) -> Channel | None:
    first = (contact.get("visits") or {}).get("first_visit") or {}
    return next((c for c in CHANNELS if c.source == first.get("utm_source")), None)


def _order(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    contact = _contact_base(gen, rec.get("contact_id"))
    for _ in range(3):
        channel = None if contact is None else _channel_of(contact)
        if contact is None or channel is None or ctx.rng.random() < channel.converts:
            break
        drawn = gen.pick(ctx, "contacts")
        if drawn is not None:
            rec["contact_id"], contact = drawn, _contact_base(gen, drawn)
    shape = gen.catalog.spec("orders").fields.get("visits")
    if not isinstance(shape, dict) or not shape:
        return
    seen = (contact or {}).get("visits") or {}
    visits = {
        "last_visit": seen.get("last_visit") or seen.get("first_visit"),
        "last_visit_with_utm": seen.get("last_visit_with_utm"),
    }
    # The visit that brought the buyer landed on the page the order was placed on (on its funnel's domain).
    page_id = rec.get("page_id")
    page_offset = gen.ids.offset_of("pages", page_id) if isinstance(page_id, int) else None
    url = None if page_offset is None else gen.peek("pages", page_offset).get("url")
    utm = visits["last_visit_with_utm"]
    if url and isinstance(utm, dict):
        query = urlsplit(str(utm.get("landing_page") or "")).query
        moved = {**utm, "landing_page": f"{url}?{query}" if query else url}
        visits = {
            k: moved if isinstance(v, dict) and v.get("uuid") == utm.get("uuid") else v
            for k, v in visits.items()
        }
    rec["visits"] = {k: visits.get(k) for k in shape}


def _appointment(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rng = ctx.rng
    name, minutes, paid = rng.choice(_EVENT_TYPES)
    order_id = gen.pick(ctx, "orders") if paid else None
    order_offset = None if order_id is None else gen.ids.offset_of("orders", order_id)
    order = None if order_offset is None else gen.peek("orders", order_offset)
    contact_id = None if order is None else order.get("contact_id")
    contact = _contact_base(gen, contact_id)
    if contact is None or contact.get("anonymous") is not None:
        order_id = contact_id = None
        for _ in range(5):  # a free call, booked by someone the contact list shows
            contact_id = gen.pick(ctx, "contacts")
            contact = _contact_base(gen, contact_id)
            if contact is not None and contact.get("anonymous") is None:
                break
        else:
            contact_id = None
    start = ctx.values.created_ms + rng.randrange(1, 15) * _DAY + rng.randrange(8, 18) * 3_600_000
    rec.update(
        primary_contact=None if contact_id is None else {"id": contact_id},
        order_id=None if order_id is None else str(order_id),
        event_type={"name": name} if rng.random() < 0.97 else None,  # its type since deleted
        start_on=iso_ms(start - start % (30 * _MINUTE)),
        end_on=iso_ms(start - start % (30 * _MINUTE) + minutes * _MINUTE),
        status=rng.choices(("active", "canceled"), (85, 15))[0],
        tzid=rng.choice(_TZIDS),
        max_invitees=1,
        comments=None if rng.random() < 0.4 else f"I'd like to talk about my {rng.choice(WORDS)} funnel.",
    )


BASE: dict[str, Callable[[Generator, Ctx, Rec], None]] = {
    "contacts": _contact,
    "orders": _order,
    "appointments_scheduled_events": _appointment,
}
SERVE: dict[str, Callable[[Generator, Rec, Any, Any], None]] = {"contacts": _serve_contact}
