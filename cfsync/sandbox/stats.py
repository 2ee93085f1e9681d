"""Funnel and page statistics that agree with the orders: `GET /funnels/{funnel_id}/stats` and
`GET /pages/{page_id}/stats`.

A funnel's steps are its pages (`sites.funnel_pages`, then pages written into it). A step's sales over a
window are the orders placed on its page (`page_id`) created in the window, before the sandbox clock: their
count, their totals, and those of subscription orders as the recurring sales. Views (all, unique) and opt-ins
are synthetic, a pure function of (seed, page, day), plus what the control API added to a day (late
counting); each day keeps views_all >= views_unique >= optins >= sales_count, raising them where a day's
sales need it. Days before the page existed have no traffic of their own, the day of the clock counts up to
the clock, later days are zeros.

Orders are found through an index by (page, day): the generated orders of a workspace are placed by
arithmetic (`commerce.order_page`), indexed once when a stats request first needs that workspace; orders
written since are added as they are written (`State.watchers`), and every candidate is checked against the
record as it is now, so a changed or deleted order counts where it is, or not at all.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cfsync.sandbox import commerce, sites
from cfsync.sandbox.ids import iso_ms, stable_int
from cfsync.sandbox.state import Entry, SandboxError, State

__all__ = ["MAX_DAYS", "Counts", "Stats", "parse_window", "place_order"]

DAY_MS = 86_400_000
MAX_DAYS = 90  # the longest window answered; a longer one is clamped to its last 90 days
DEFAULT_DAYS = 30
Record = dict[str, Any]


@dataclass
class Counts:
    """One step's numbers over a window (or one day)."""

    views_all: int = 0
    views_unique: int = 0
    optins: int = 0
    sales_count: int = 0
    sales_value: Decimal = Decimal(0)
    recurring_sales_count: int = 0
    recurring_sales_value: Decimal = Decimal(0)

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Index:
    """Order ids by page and UTC day number."""

    generated: dict[int, dict[int, dict[int, list[int]]]] = field(default_factory=dict)  # workspace ->
    written: defaultdict[tuple[int, int], set[int]] = field(default_factory=lambda: defaultdict(set))


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _per(value: Decimal, whole: int) -> str:
    return commerce.money(value / whole) if whole else "0.00"


def _parse_ms(raw: Any) -> int | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return int((at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp() * 1000)


def parse_window(query: Any, now_ms: int) -> tuple[int, int]:
    """[start, end) in ms from `timerange_start` / `timerange_end` (ISO 8601; a time without a zone is UTC).
    Defaults: the end is now, the start 30 days before the end. A window longer than 90 days keeps its
    last 90. SandboxError 400 for a timestamp that does not parse or an end not after the start."""
    bounds: list[int | None] = []
    for name in ("timerange_start", "timerange_end"):
        raw = query.get(name)
        if raw is None or raw == "":
            bounds.append(None)
            continue
        ms = _parse_ms(raw)
        if ms is None:
            raise SandboxError(400, f"Invalid {name} {raw!r}: use an ISO 8601 date-time")
        bounds.append(ms)
    start, end = bounds
    end = now_ms if end is None else end
    start = end - DEFAULT_DAYS * DAY_MS if start is None else start
    if end <= start:
        raise SandboxError(400, "timerange_end must be after timerange_start")
    return max(start, end - MAX_DAYS * DAY_MS), end


def place_order(state: State, rec: Record) -> None:
    """A written order that names a page (the Python helpers and the control API can set `page_id`) is
    attributed as a generated one: the page's name, its funnel (else the store) and, on a funnel's page,
    its workspace's currency, the one the funnel's statistics count in."""
    page_id = rec.get("page_id")
    page = state.base("pages", page_id) if isinstance(page_id, int) else None
    if page is None:
        return
    ref = page.get("funnel")
    funnel_id = ref.get("id") if isinstance(ref, dict) else None
    funnel = state.base("funnels", funnel_id) if isinstance(funnel_id, int) else None
    rec.update(page_name=page.get("name"), **commerce.attribution(funnel))
    if funnel is not None:
        rec["currency"] = commerce.workspace_currency(state.gen, state.workspace_of("funnels", funnel["id"]))


class Stats:
    def __init__(self, state: State) -> None:
        self.s = state
        self.gen = state.gen
        self._index = _Index()
        # (page, day) -> [views_all, views_unique, optins] added through the control API
        self.added: dict[tuple[int, int], list[int]] = {}
        state.watchers.setdefault("orders", []).append(self._written)

    # -- the clock --------------------------------------------------------------------------------------

    def now_ms(self) -> int:
        """The injected clock as it reads (not floored like `State.now_ms`, nor made monotonic)."""
        return int(self.s.clock().timestamp() * 1000)

    # -- the order index --------------------------------------------------------------------------------

    def _written(self, entry: Entry) -> None:
        page, created = entry.rec.get("page_id"), _parse_ms(entry.rec.get("created_at"))
        if isinstance(page, int) and created is not None:
            self._index.written[(page, created // DAY_MS)].add(entry.rec["id"])

    def _generated(self, workspace: int) -> dict[int, dict[int, list[int]]]:
        found = self._index.generated.get(workspace)
        if found is None:
            found = self._index.generated[workspace] = {}
            ids = self.s.ids
            ws_offset = ids.offset_of("workspaces", workspace)
            if ws_offset is not None and ids.parent("orders") == "workspaces":
                total = ids.total("workspaces")
                for p in range(ids.count("orders")):
                    offset = p * total + ws_offset  # the p-th order of the workspace
                    page = commerce.order_page(self.gen, offset)
                    if page is not None:
                        day = ids.created_ms("orders", offset) // DAY_MS
                        found.setdefault(page, {}).setdefault(day, []).append(ids.id_at("orders", offset))
        return found

    def _orders(
        self, workspace: int, page: int, day: int, start: int, end: int
    ) -> list[tuple[Decimal, bool]]:
        """(total, subscription) of each live order placed on `page` created in [start, end) of `day`."""
        s, ids = self.s, self.s.ids
        candidates = {
            *self._generated(workspace).get(page, {}).get(day, ()),
            *self._index.written[(page, day)],
        }
        out = []
        for oid in sorted(candidates):
            entry = s.entries["orders"].get(oid)
            if entry is None:
                offset = ids.offset_of("orders", oid)
                told = None if offset is None else commerce.fate(self.gen, oid)
                if (
                    offset is None
                    or not start <= ids.created_ms("orders", offset) < end
                    or not s.exists("orders", oid)
                ):
                    continue
                out.append((told.total if told else Decimal(0), bool(told and told.subscription)))
                continue
            rec = entry.rec
            created = _parse_ms(rec.get("created_at"))
            if rec.get("page_id") != page or created is None or not start <= created < end:
                continue
            if not s.exists("orders", oid):
                continue
            try:
                total = Decimal(str(rec.get("total_amount") or 0))
            except ArithmeticError:
                total = Decimal(0)
            out.append((total, rec.get("order_type") == "subscription-order"))
        return out

    # -- one page's numbers -----------------------------------------------------------------------------

    def _traffic(self, page: int, day: int) -> tuple[int, int, int]:
        """A whole day's synthetic (views_all, views_unique, optins) of a page, before late counting."""
        seed = self.s.ids.seed
        rng = random.Random(stable_int(seed, "traffic", page, day))
        reach = 1 + stable_int(seed, "reach", page) % 8  # some pages draw far more visitors
        unique = rng.randint(4, 40) * reach
        views = unique + rng.randint(0, unique // 2)
        rate = (3 + stable_int(seed, "optin-rate", page) % 40) / 100
        optins = min(unique, int(unique * rate * rng.uniform(0.6, 1.4)))
        return views, unique, optins

    def page_counts(self, workspace: int, page: int, start: int, end: int, born_ms: int) -> Counts:
        """A page's numbers over [start, end): day by day, each day's invariants kept."""
        total = Counts()
        end = min(end, self.now_ms() + 1)  # what happened at the clock's millisecond has happened
        day = start // DAY_MS
        while day * DAY_MS < end:
            a, b = max(start, day * DAY_MS), min(end, (day + 1) * DAY_MS)
            if a < b:
                total.add(self._day(workspace, page, day, a, b, born_ms))
            day += 1
        return total

    def _day(self, workspace: int, page: int, day: int, a: int, b: int, born_ms: int) -> Counts:
        own = self._traffic(page, day) if (day + 1) * DAY_MS > born_ms else (0, 0, 0)
        extra = self.added.get((page, day), [0, 0, 0])
        # The share of the day asked for (1 for a whole day): a partial day counts its part.
        va, vu, op = (((x + y) * (b - a)) // DAY_MS for x, y in zip(own, extra, strict=True))
        c = Counts()
        for value, subscription in self._orders(workspace, page, day, a, b):
            c.sales_count += 1
            c.sales_value += value
            if subscription:
                c.recurring_sales_count += 1
                c.recurring_sales_value += value
        c.optins = max(op, c.sales_count)
        c.views_unique = max(vu, c.optins)
        c.views_all = max(va, c.views_unique)
        return c

    def add(self, page: int, day: str, views_all: int = 0, views_unique: int = 0, optins: int = 0) -> Record:
        """Late counting: numbers added to a page's day (`YYYY-MM-DD`, UTC), whenever; the day's invariants
        still hold (views are raised to the opt-ins, and so on). Answers the page's step for that day.
        SandboxError 404 for a page that is gone, 400 for a day or a number that makes no sense."""
        if not self.s.exists("pages", page):
            raise SandboxError(404, "Not found: Record missing")
        try:
            number = int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp() * 1000) // DAY_MS
        except (TypeError, ValueError):
            raise SandboxError(400, f"Invalid day {day!r}: use YYYY-MM-DD") from None
        values = (views_all, views_unique, optins)
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in values):
            raise SandboxError(400, f"views_all, views_unique and optins must be integers >= 0, not {values}")
        got = self.added.setdefault((page, number), [0, 0, 0])
        for i, value in enumerate(values):
            got[i] += value
        return self._step(page, number * DAY_MS, (number + 1) * DAY_MS)

    # -- answers ----------------------------------------------------------------------------------------

    def steps(self, funnel: int) -> list[int]:
        """The live pages of a funnel, in step order: its generated pages still in it, then pages written
        into it (created or moved there), by id."""
        s = self.s
        out = [p for p in sites.funnel_pages(self.gen, funnel) if self._funnel_of(p) == funnel]
        written = [pid for pid, e in s.entries["pages"].items() if not e.deleted and pid not in out]
        out += sorted(p for p in written if self._funnel_of(p) == funnel)
        return out

    def _funnel_of(self, page: int) -> int | None:
        rec = self.s.base("pages", page)
        funnel = (rec or {}).get("funnel")
        found = funnel.get("id") if isinstance(funnel, dict) else None
        return found if isinstance(found, int) else None

    def currency(self, workspace: int | None) -> str:
        return commerce.workspace_currency(self.gen, workspace)

    def _step(self, page: int, start: int, end: int) -> Record:
        s = self.s
        rec = s.base("pages", page) or {}
        workspace = s.workspace_of("pages", page) or 0
        found = rec.get("show_page_step")
        step: Record = found if isinstance(found, dict) else {}
        born = _parse_ms(rec.get("created_at")) or 0
        c = self.page_counts(workspace, page, start, end, born)
        return {
            "page_id": page,
            "name": step.get("name") or rec.get("name"),
            "current_path": step.get("current_path") or rec.get("current_path"),
            "views_all": c.views_all,
            "views_unique": c.views_unique,
            "optins": c.optins,
            "optin_rate": _rate(c.optins, c.views_unique),
            "sales_count": c.sales_count,
            "sales_rate": _rate(c.sales_count, c.views_unique),
            "sales_value": commerce.money(c.sales_value),
            "recurring_sales_count": c.recurring_sales_count,
            "recurring_sales_value": commerce.money(c.recurring_sales_value),
            "earnings_per_view": _per(c.sales_value, c.views_all),
            "earnings_per_unique_view": _per(c.sales_value, c.views_unique),
        }

    def _funnel_ref(self, funnel: int | None) -> Record | None:
        rec = None if funnel is None else self.s.base("funnels", funnel)
        return (
            None
            if rec is None
            else {"id": rec["id"], "name": rec.get("name"), "public_id": rec.get("public_id")}
        )

    def funnel(self, funnel: int, query: Any, expand_steps: bool) -> Record:
        """The answer of `GET /funnels/{funnel_id}/stats` (a live funnel: routes checked it)."""
        start, end = parse_window(query, self.now_ms())
        pages = self.steps(funnel)
        steps = [self._step(p, start, end) for p in pages]
        pageviews = sum(st["views_all"] for st in steps)
        count = sum(st["sales_count"] for st in steps)
        upfront = sum((Decimal(st["sales_value"]) for st in steps), Decimal(0))
        recurring = sum((Decimal(st["recurring_sales_value"]) for st in steps), Decimal(0))
        clicks = steps[0]["views_unique"] if steps else 0
        answer: Record = {
            "funnel": self._funnel_ref(funnel),
            "currency": self.currency(self.s.workspace_of("funnels", funnel)),
            "timerange": {"from": iso_ms(start), "to": iso_ms(end)},
            "summary": {
                "pageviews": pageviews,
                "upfront_sales": commerce.money(upfront),
                "upfront_sales_count": count,
                "recurring_sales": commerce.money(recurring),
                "average_cart_value": _per(upfront, count),
                "earnings_per_click": _per(upfront, clicks),
            },
        }
        if expand_steps:
            answer["steps"] = steps
        else:
            answer["page_public_ids"] = [self.s.ids.public_id("pages", p) for p in pages]
        return answer

    def page(self, page: int, query: Any) -> Record:
        """The answer of `GET /pages/{page_id}/stats` (a live page)."""
        start, end = parse_window(query, self.now_ms())
        rec = self.s.base("pages", page) or {}
        funnel = self._funnel_of(page)
        return {
            "funnel": self._funnel_ref(funnel),
            "page": {k: rec.get(k) for k in ("current_path", "id", "name", "public_id", "type")},
            "step": self._step(page, start, end),
            "currency": self.currency(self.s.workspace_of("pages", page)),
            "timerange": {"from": iso_ms(start), "to": iso_ms(end)},
        }
