"""Money and progress that add up: prices, orders, invoices, transactions and lesson completions generated
as one story per order (and per enrollment), so that models over them have something true to find.

Every order has a *fate*, a pure function of (seed, order): the prices it bought (a subscription price
first, or one-time prices, in one currency), its amounts (subtotal + the workspace's tax rate = total),
and what happened by the end of the generated world (`ids.end_ms`, the start of the day the sandbox was
built): a one-time order was paid, and some were refunded (in full or in part) a few days later; a
subscription was charged every interval since it was activated, and is still active, or was canceled (and
has churned at the end of its last paid period, or will), or was refunded at once. Nothing happens at or
after the world's end. The order's fields tell that story, and so do its generated invoices and
transactions: the first is the initial (or one-time) charge; the second is the refund, or else the latest
renewal; a second slot with neither does not exist (`absent`). Only the latest renewal has an invoice:
older renewals are not generated, and docs/sandbox.md says so.

Lesson completions are generated per (enrollment, lesson) of a course: some enrollments complete every
lesson, some the first few, some none (and none after the world's end).

A story's records take their times from it (`TIMES`): an order's updated_at is its last charge,
cancellation, churn or refund when that is later than its arithmetic one; an invoice or transaction is
created when it was charged, a completion when the lesson was completed, and each was updated soon after.
"""

from __future__ import annotations

import calendar
import random
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from cfsync.sandbox import sites
from cfsync.sandbox.ids import iso_ms, stable_int
from cfsync.sandbox.values import between

if TYPE_CHECKING:
    from cfsync.sandbox.generate import Ctx, Generator

__all__ = [
    "BASE",
    "TIMES",
    "Fate",
    "absent",
    "attribution",
    "fate",
    "money",
    "order_page",
    "workspace_currency",
]

_DAY = 86_400_000
_SETTLE = 2 * 3_600_000  # a storied record was last updated at most this long after its last event
CURRENCIES = ("USD", "USD", "USD", "EUR", "EUR", "GBP")
_TAX_RATES = (Decimal("0"), Decimal("0.05"), Decimal("0.08"), Decimal("0.2"))
_CENT = Decimal("0.01")

Rec = dict[str, Any]


def money(value: Decimal) -> str:
    return str(value.quantize(_CENT, rounding=ROUND_HALF_EVEN))


def add_months(ms: int, months: int) -> int:
    """`ms` plus whole calendar months (the 31st becomes the month's last day)."""
    at = datetime.fromtimestamp(ms / 1000, tz=UTC)
    month = at.month - 1 + months
    year, month = at.year + month // 12, month % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return int(at.replace(year=year, month=month, day=day).timestamp() * 1000)


def _ancestor(ctx: Ctx, name: str) -> int | None:
    return dict(ctx.ancestry).get(name)


def workspace_currency(gen: Generator, workspace: int | None) -> str:
    """The currency a workspace sells in: the one most of its prices are in (ties: USD, EUR, GBP), USD for
    a workspace without generated prices. Its funnels' statistics are in it, and so are orders placed on
    their pages."""
    found: dict[int | None, str] = gen.memo.setdefault("workspace-currency", {})
    if workspace not in found:
        tally = dict.fromkeys(("USD", "EUR", "GBP"), 0)
        for _, _, price in [] if workspace is None else _prices_of(gen, workspace):
            currency = str(price.get("currency") or "USD")
            tally[currency] = tally.get(currency, 0) + 1
        found[workspace] = max(tally, key=lambda c: (tally[c], -list(tally).index(c)))
    return found[workspace]


def _prices_of(gen: Generator, workspace: int) -> list[tuple[int, int, Rec]]:
    """(id, offset, record) of every generated price of a workspace, in id order."""
    ids = gen.ids
    offset = ids.offset_of("workspaces", workspace)
    if offset is None or "workspaces" not in gen.catalog.chain_types("products_prices"):
        return []
    out = []
    for p in range(ids.count_under("products_prices", "workspaces")):
        at = ids.offset_under("products_prices", "workspaces", offset, p)
        out.append((ids.id_at("products_prices", at), at, gen.peek("products_prices", at)))
    return out


def _priced_in(gen: Generator, workspace: int, currency: str) -> list[tuple[int, int, Rec]]:
    return [(i, at, dict(p)) for i, at, p in _prices_of(gen, workspace) if p.get("currency") == currency]


def _funnel_currency(gen: Generator, offset: int, workspace: int | None) -> str | None:
    """The currency a generated order must be in: its workspace's when placed on a funnel's page."""
    page = order_page(gen, offset)
    page_offset = None if page is None else gen.ids.offset_of("pages", page)
    if page_offset is None or sites.page_funnel(gen, page_offset) is None:
        return None
    return workspace_currency(gen, workspace)


def order_page(gen: Generator, offset: int) -> int | None:
    """The page a generated order was placed on, by arithmetic (no order is generated to know it): a page
    of its workspace, or none for about one order in ten (sold outside any page)."""
    ids = gen.ids
    n = ids.count("pages")
    if n == 0 or ids.parent("orders") != ids.parent("pages"):
        return None
    roll = stable_int(gen.seed, "order-page", ids.id_at("orders", offset))
    if roll % 10 == 0:
        return None
    # Both live right under the workspace: the page's offset is its position over the workspaces' total.
    total = ids.total(ids.parent("orders"))
    return ids.id_at("pages", (roll // 10) % n * total + offset % total)


# -- prices -----------------------------------------------------------------------------------------------


def _price(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    product_id = _ancestor(ctx, "products") or 0
    rng = ctx.rng
    rec["currency"] = random.Random(stable_int(gen.seed, "currency", product_id)).choice(CURRENCIES)
    subscription = rng.random() < 0.45
    rec["payment_type"] = "subscription" if subscription else "one_time"
    if subscription:
        yearly = rng.random() < 0.3
        monthly = Decimal(rng.choice((9, 19, 29, 49, 97)))
        rec.update(interval="year" if yearly else "month", interval_count="1")
        amount = monthly * 10 if yearly else monthly
    else:
        rec.update(interval=None, interval_count=None)
        amount = Decimal(rng.choice((7, 17, 27, 47, 97, 197, 297, 497))) - Decimal(rng.choice(("0", "0.03")))
    rec["amount"] = money(amount)
    rec["cost"] = money(amount * Decimal(rng.choice(("0.1", "0.2", "0.35"))))
    rec["compare_at_amount"] = money(amount * Decimal("1.5")) if rng.random() < 0.3 else None
    rec["setup_amount"] = None
    trial = subscription and rng.random() < 0.2
    rec.update(
        trial_interval="day" if trial else None,
        trial_duration="14" if trial else "0",
        trial_amount="0.00" if trial else None,
        duration=None,
    )


# -- orders -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    price_id: int
    product_id: int
    variant_id: int | None
    name: str
    payment_type: str
    quantity: int
    unit: Decimal


@dataclass(frozen=True)
class Fate:
    """What happened to one generated order, told up to the generated world's end."""

    order_id: int
    subscription: bool
    currency: str
    items: tuple[Item, ...]
    tax_rate: Decimal
    activated_ms: int
    interval_months: int  # 0 for a one-time order
    charges: int  # charges made: 1 for a one-time order, else initial + renewals
    canceled_ms: int | None
    churned_ms: int | None
    refund: Decimal | None  # the amount refunded (positive), if any
    refund_ms: int | None

    @property
    def subtotal(self) -> Decimal:
        return sum((i.unit * i.quantity for i in self.items), Decimal(0))

    @property
    def tax(self) -> Decimal:
        return (self.subtotal * self.tax_rate).quantize(_CENT, rounding=ROUND_HALF_EVEN)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax

    @property
    def recurring(self) -> tuple[Decimal, Decimal]:
        """(subtotal, tax) of a renewal: the subscription item alone."""
        sub = sum((i.unit * i.quantity for i in self.items if i.payment_type == "subscription"), Decimal(0))
        return sub, (sub * self.tax_rate).quantize(_CENT, rounding=ROUND_HALF_EVEN)

    @property
    def paid_until_ms(self) -> int | None:
        """A subscription's end of its last paid period (when it was refunded at once: the refund); None
        for a one-time order."""
        if not self.subscription:
            return None
        if self.refund is not None and self.charges == 1 and self.refund_ms is not None:
            return self.refund_ms
        return add_months(self.activated_ms, self.charges * self.interval_months)

    def charge_ms(self, number: int) -> int:
        """When charge `number` (1 = the initial one) was made."""
        return add_months(self.activated_ms, (number - 1) * self.interval_months) + (5 * 60_000)

    @property
    def last_ms(self) -> int:
        """Its latest event: the last charge, the cancellation, the churn or the refund."""
        events = (self.charge_ms(self.charges), self.canceled_ms, self.churned_ms, self.refund_ms)
        return max(e for e in events if e is not None)


def fate(gen: Generator, order_id: int) -> Fate | None:
    """The order's fate (None for an id that is not a generated order), kept for the generator's later
    questions: an order's invoices and transactions ask for it too."""
    memo: OrderedDict[int, Fate | None] = gen.memo.setdefault("fates", OrderedDict())
    if order_id in memo:
        memo.move_to_end(order_id)
        return memo[order_id]
    found = memo[order_id] = _fate(gen, order_id)
    if len(memo) > 20_000:
        memo.popitem(last=False)
    return found


def _fate(gen: Generator, order_id: int) -> Fate | None:
    offset = gen.ids.offset_of("orders", order_id)
    if offset is None:
        return None
    from cfsync.sandbox.generate import Ctx  # a cycle at import time otherwise

    rng = random.Random(stable_int(gen.seed, "fate", order_id))
    ancestry = [("orders", order_id), *gen.ids.ancestry("orders", offset)]
    ctx = Ctx("orders", order_id, offset, ancestry, rng, None)  # type: ignore[arg-type]
    # Placed on a funnel's page: priced in its workspace's currency, the one the funnel's statistics count in.
    want = _funnel_currency(gen, offset, dict(ancestry).get("workspaces"))
    prices = []
    seen: set[int] = set()
    for _ in range(12 if want is None else 24):
        pid = gen.pick(ctx, "products_prices")
        if pid is None or pid in seen:
            continue
        seen.add(pid)
        price_offset = gen.ids.offset_of("products_prices", pid)
        if price_offset is not None:
            price = gen.peek("products_prices", price_offset)  # read, never changed
            if want is None or price["currency"] == want:
                prices.append((pid, price_offset, price))
    if not prices and want is not None:
        prices = _priced_in(gen, dict(ancestry)["workspaces"], want)[:1]
    if not prices:
        return None
    first = prices[0][2]
    subscription = first["payment_type"] == "subscription"
    currency = first["currency"] or "USD"
    chosen = [prices[0]]
    extra = [p for p in prices[1:] if p[2]["payment_type"] == "one_time" and p[2]["currency"] == currency]
    chosen += extra[: rng.choice((0, 0, 1, 2))]
    items = tuple(
        Item(
            pid,
            gen.ids.ancestry("products_prices", poff)[0][1],
            price.get("variant_id") if isinstance(price.get("variant_id"), int) else None,
            str(price.get("name") or "Item"),
            price["payment_type"],
            1 if price["payment_type"] == "subscription" else rng.choice((1, 1, 2)),
            Decimal(price["amount"]),
        )
        for pid, poff, price in chosen
    )
    workspace = dict(ancestry).get("workspaces", 0)
    tax_rate = random.Random(stable_int(gen.seed, "tax", workspace)).choice(_TAX_RATES)
    # Created at least two hours before the world's end (ids.py): activated and first charged before it.
    activated = gen.ids.created_ms("orders", offset) + rng.randrange(60_000, 3_600_000)
    end = gen.ids.end_ms
    canceled = churned = refund_ms = None
    refund: Decimal | None = None
    draft = Fate(order_id, subscription, currency, items, tax_rate, activated, 0, 1, None, None, None, None)
    if not subscription:
        if rng.random() < 0.12:
            amount = draft.total if rng.random() < 0.6 else (draft.total / 2).quantize(_CENT)
            at = activated + rng.randrange(1, 30) * _DAY
            if at < end:  # a refund due after the world's end has not happened
                refund, refund_ms = amount, at
        return replace(draft, refund=refund, refund_ms=refund_ms)
    months = 12 if first["interval"] == "year" else 1
    draft = replace(draft, interval_months=months)
    # Charges the subscription would have made by the end, had it never stopped: about the months between
    # its activation and the end, made exact by a step or two.
    began, ends = (datetime.fromtimestamp(ms / 1000, tz=UTC) for ms in (activated, end))
    due = max(1, ((ends.year - began.year) * 12 + ends.month - began.month) // months - 1)
    while due > 1 and draft.charge_ms(due) >= end:
        due -= 1
    while draft.charge_ms(due + 1) < end:
        due += 1
    roll = rng.random()
    charges = due
    if roll < 0.1:  # refunded at once and canceled (unless that day is still to come: active until then)
        at = activated + rng.randrange(1, 10) * _DAY
        if at < end:
            charges, refund, refund_ms = 1, draft.total, at
            canceled = churned = refund_ms
    elif roll < 0.45:  # canceled after some charges: churns at the end of the last paid period
        # A quarter of cancellations are recent: in the period running now, which ends after the world.
        charges = due if rng.random() < 0.25 else rng.randint(1, due)
        period_end = add_months(activated, charges * months)
        if period_end < end:  # a few days before that period ended, and churned when it did
            canceled, churned = period_end - rng.randrange(1, 10) * _DAY, period_end
        else:  # some time since its last charge: it runs to the end of the period paid for
            charged = draft.charge_ms(charges)
            canceled = between(rng, charged, end - 1)
    return replace(
        draft, charges=charges, canceled_ms=canceled, churned_ms=churned, refund=refund, refund_ms=refund_ms,
    )  # fmt: skip


def _order(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    told = fate(gen, ctx.id)
    if told is None:
        rec.update(
            order_type="one-time-order", currency="USD", recurring_invoices_paid_count=0, paid_until=None,
            resource_install_intent=None, origination_channel_public_id=None,
        )  # fmt: skip
        return
    rec["order_type"] = "subscription-order" if told.subscription else "one-time-order"
    rec["currency"] = told.currency
    rec["total_amount"] = money(told.total)
    rec["tax_amount"] = money(told.tax)
    rec["activated_at"] = iso_ms(told.activated_ms)
    rec["in_trial"] = False
    rec["trial_end_at"] = None
    active = told.churned_ms is None and told.canceled_ms is None
    rec["canceled_at"] = iso_ms(told.canceled_ms) if told.canceled_ms else None
    rec["churned_at"] = iso_ms(told.churned_ms) if told.churned_ms else None
    if rec["canceled_at"] is None:
        rec.update(canceled_by=None, cancel_reason=None, cancel_description=None)
    elif not rec.get("canceled_by"):
        rec["canceled_by"] = "customer"
    rec["next_charge_at"] = iso_ms(told.charge_ms(told.charges + 1)) if told.subscription and active else None
    rec["billing_status"] = "refunded" if told.refund is not None else "paid"
    # Every charge of a subscription was a paid invoice with a recurring charge (older renewals are not
    # generated as invoices, but were paid); it is paid up to the end of its last paid period.
    rec["recurring_invoices_paid_count"] = told.charges if told.subscription else 0
    rec["paid_until"] = iso_ms(told.paid_until_ms) if told.paid_until_ms is not None else None
    rec["resource_install_intent"] = None
    if told.subscription:
        rec["service_status"] = "active" if active else "canceled" if told.churned_ms is None else "churned"
    else:
        rec["service_status"] = "inactive" if told.refund == told.total else "active"
    elements = rec.get("line_items") or []
    template = elements[0] if elements else {}
    lines = []
    for j, item in enumerate(told.items):
        line = dict(template)
        line["id"] = gen.embedded_id("orders", "line_items", ctx.id, j)
        line["public_id"] = ctx.values.hex(8)
        line["quantity"] = item.quantity
        shape = _line_shape(gen, "orders")
        line["products_price"] = _embed(gen, "products_prices", item.price_id, shape.get("products_price"))
        line["original_product"] = _embed(gen, "products", item.product_id, shape.get("original_product"))
        if "products_variant" in line:
            line["products_variant"] = _embed(
                gen, "products_variants", item.variant_id, shape.get("products_variant")
            )
        lines.append(line)
    rec["line_items"] = lines
    _attribution(gen, ctx, rec)


def _line_shape(gen: Generator, name: str) -> dict[str, Any]:
    lines = gen.catalog.spec(name).fields.get("line_items")
    return lines[0] if isinstance(lines, list) and lines and isinstance(lines[0], dict) else {}


def _embed(gen: Generator, name: str, id_: int | None, shape: Any) -> Rec | None:
    """A record a line item names (its price, product, variant), cut to the line item's shape: whole numbers
    where that shape wants them (a price keeps its `interval_count` as text)."""
    offset = None if id_ is None else gen.ids.offset_of(name, id_)
    if offset is None:
        return None
    record = gen.peek(name, offset)
    if not isinstance(shape, dict) or not shape:
        return {"id": id_, "public_id": record.get("public_id")}
    out: Rec = {}
    for key, typ in shape.items():
        value = record.get(key)
        if isinstance(typ, str) and typ.startswith("integer") and isinstance(value, str):
            value = int(value) if value.lstrip("-").isdigit() else None
        out[key] = value
    return out


def _attribution(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    """The page the order was placed on (its own name) and the funnel of that page, the one it came through
    (the store for a page of no funnel, or no page)."""
    page_id = rec["page_id"] = order_page(gen, ctx.offset)
    page_offset = gen.ids.offset_of("pages", page_id) if isinstance(page_id, int) else None
    if page_offset is not None:
        rec["page_name"] = gen.peek("pages", page_offset).get("name")
    if ctx.rng.random() < 0.8:  # drawn as before, so that the draws after it stay the same
        gen.pick(ctx, "funnels")
    funnel = None if page_offset is None else sites.page_funnel(gen, page_offset)
    funnel_offset = gen.ids.offset_of("funnels", funnel) if funnel is not None else None
    found = None if funnel_offset is None else gen.peek("funnels", funnel_offset)
    rec.update(attribution(found))


def attribution(funnel: Rec | None) -> Rec:
    """An order's funnel fields: the funnel it came through, or the store (`funnel` None)."""
    if funnel is None:
        return dict(
            funnel_name=None, origination_channel_type="Store", origination_channel_id=None,
            origination_channel_public_id=None, origination_channel_name="Store",
        )  # fmt: skip
    name = funnel.get("name")
    return dict(
        funnel_name=name, origination_channel_type="Funnel", origination_channel_id=funnel["id"],
        origination_channel_public_id=funnel.get("public_id"), origination_channel_name=name,
    )  # fmt: skip


# -- invoices and transactions ---------------------------------------------------------------------------


def _slot(gen: Generator, name: str, offset: int) -> tuple[Fate | None, int]:
    """The fate of the order an invoice or transaction belongs to, and the record's place under it."""
    order_id = gen.ids.ancestry(name, offset)[0][1]
    return fate(gen, order_id), gen.ids.index_of(name, offset)


def _second(told: Fate) -> str | None:
    """What the second invoice (and transaction) of an order is: a refund, the latest renewal, or none."""
    if told.refund is not None:
        return "refund"
    if told.subscription and told.charges >= 2:
        return "renewal"
    return None


def _kind(told: Fate, slot: int) -> str | None:
    """What an invoice (or transaction) slot of an order holds: first, renewal, refund, or None."""
    return "first" if slot == 0 else _second(told) if slot == 1 else None


def _charged_ms(told: Fate, kind: str) -> int:
    """When an invoice (or transaction) of this kind was paid."""
    if kind == "renewal":
        return told.charge_ms(told.charges)
    if kind == "refund":
        assert told.refund_ms is not None
        return told.refund_ms
    return told.activated_ms + 5 * 60_000


def absent(gen: Generator, name: str, offset: int) -> bool:
    """Whether a generated slot holds no record (the list skips it, its id answers 404)."""
    if name in ("orders_invoices", "orders_transactions"):
        told, slot = _slot(gen, name, offset)
        return told is not None and (slot > 1 or (slot == 1 and _second(told) is None))
    if name == "courses_lesson_completions":
        return _completion(gen, offset) is None
    return False


def _invoice(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    told, slot = _slot(gen, ctx.name, ctx.offset)
    if told is None:
        return
    kind = _kind(told, slot)
    if kind is None:
        return
    subtotal, tax = told.subtotal, told.tax
    lines = [(i, i.unit * i.quantity) for i in told.items]
    paid_ms, number = _charged_ms(told, kind), 1
    if kind == "renewal":
        subtotal, tax = told.recurring
        lines = [(i, i.unit * i.quantity) for i in told.items if i.payment_type == "subscription"]
        number = told.charges
    elif kind == "refund":
        assert told.refund is not None
        share = told.refund / told.total
        subtotal = (told.subtotal * share).quantize(_CENT)
        tax, lines = told.refund - subtotal, [(told.items[0], subtotal)]
    invoice_type = {
        "first": "initial" if told.subscription else "one_time",
        "renewal": "renewal",
        "refund": "refund",
    }[kind]
    currency = None if stable_int(gen.seed, "invoice-currency", ctx.id) % 10 == 0 else told.currency
    rec.update(
        status="paid",
        invoice_type=invoice_type,
        currency=currency,
        subtotal_amount=money(subtotal),
        tax_amount=money(tax),
        total_amount=money(subtotal + tax),
        due_amount="0.00",
        shipping_amount="0.00",
        discount_amount="0.00",
        issued_at=iso_ms(paid_ms - 60_000),
        due_at=iso_ms(paid_ms - 60_000),
        paid_at=iso_ms(paid_ms),
    )
    template = (rec.get("line_items") or [{}])[0]
    out = []
    for j, (item, amount) in enumerate(lines):
        line = dict(template)
        line.update(
            id=gen.embedded_id(ctx.name, "line_items", ctx.id, j),
            invoice_id=ctx.id,
            description=("Refund: " if kind == "refund" else "") + item.name,
            quantity=item.quantity,
            amount=money(amount),
            payment_type=item.payment_type,
            discount_amount=0.0,
            state_tax_amount=float((amount * told.tax_rate).quantize(_CENT)),
            county_tax_amount=0.0,
            city_tax_amount=0.0,
            district_tax_amount=0.0,
            state_tax_rate=float(told.tax_rate * 100),
            county_tax_rate=0.0,
            city_tax_rate=0.0,
            district_tax_rate=0.0,
            period_number=str(number),
        )
        shape = _line_shape(gen, ctx.name)
        line["products_price"] = _embed(gen, "products_prices", item.price_id, shape.get("products_price"))
        if "products_variant" in line:
            line["products_variant"] = _embed(
                gen, "products_variants", item.variant_id, shape.get("products_variant")
            )
        if item.payment_type == "subscription":
            # Both counted from the activation (a period from the 31st ends on the 31st where there is one).
            start, ends = (
                add_months(told.activated_ms, n * told.interval_months) for n in (number - 1, number)
            )
            line.update(period_start_at=iso_ms(start), period_end_at=iso_ms(ends))
        else:
            line.update(period_start_at=None, period_end_at=None)
        out.append(line)
    rec["line_items"] = out


def _transaction(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    told, slot = _slot(gen, ctx.name, ctx.offset)
    if told is None:
        return
    kind = _kind(told, slot)
    if kind is None:
        return
    first_id = gen.ids.id_at(ctx.name, ctx.offset - slot * gen.ids.total("orders"))
    amount, at, rebill = told.total, _charged_ms(told, kind), None
    if kind == "renewal":
        sub, tax = told.recurring
        amount, rebill = sub + tax, told.charges - 1
    elif kind == "refund":
        assert told.refund is not None
        amount = told.refund
    rec.update(
        status="completed",
        result="success",
        external_type="refund" if kind == "refund" else "charge",
        amount=money(amount),
        currency=told.currency,
        adjusted_transaction_id=str(first_id) if kind == "refund" else None,
        reason="requested_by_customer" if kind == "refund" else None,
        is_rebill=rebill is not None,
        rebill_number=str(rebill) if rebill is not None else None,
        created_at=iso_ms(at),  # when it was charged (TIMES: and updated soon after)
    )


# -- lesson completions ---------------------------------------------------------------------------------


def _completion(gen: Generator, offset: int) -> tuple[int, int, int] | None:
    """(enrollment id, lesson id, completed ms) of a completion slot, or None where that enrollment has
    not completed that lesson. Slots run through (enrollment, lesson) pairs of the course."""
    ids = gen.ids
    course = ids.ancestry("courses_lesson_completions", offset)[0][1]
    course_offset = ids.offset_of("courses", course)
    if course_offset is None:
        return None
    slot = ids.index_of("courses_lesson_completions", offset)
    lessons = ids.count_under("courses_lessons", "courses")
    enrollments = ids.count("courses_enrollments")
    if lessons == 0 or slot >= enrollments * lessons:
        return None
    e, lesson = divmod(slot, lessons)
    enrollment_offset = ids.offset_under("courses_enrollments", "courses", course_offset, e)
    enrollment = ids.id_at("courses_enrollments", enrollment_offset)
    rng = random.Random(stable_int(gen.seed, "progress", enrollment))
    roll = rng.random()
    done = lessons if roll < 0.35 else rng.randint(1, lessons - 1) if roll < 0.75 and lessons > 1 else 0
    if lesson >= done:
        return None
    lesson_offset = ids.offset_under("courses_lessons", "courses", course_offset, lesson)
    started = ids.created_ms("courses_enrollments", enrollment_offset)
    completed = started + (lesson + 1) * _DAY + rng.randrange(_DAY)
    if completed >= ids.end_ms:
        return None  # not yet: the world ends first
    return enrollment, ids.id_at("courses_lessons", lesson_offset), completed


def _lesson_completion(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    found = _completion(gen, ctx.offset)
    if found is not None:
        enrollment, lesson, at = found
        rec.update(enrollment_id=enrollment, lesson_id=lesson, completed_at=iso_ms(at))


# -- when storied records were created and last updated -----------------------------------------------


def _settled(gen: Generator, name: str, offset: int, last_ms: int) -> int:
    """A storied record's updated_at: a little after its last event, before the world's end."""
    lag = stable_int(gen.seed, name, offset, "settled") % _SETTLE
    return min(last_ms + lag, gen.ids.end_ms - 1)


def _order_times(gen: Generator, offset: int) -> tuple[int, int] | None:
    told = fate(gen, gen.ids.id_at("orders", offset))
    if told is None:
        return None
    ids = gen.ids
    return ids.created_ms("orders", offset), max(
        ids.updated_ms("orders", offset), _settled(gen, "orders", offset, told.last_ms)
    )


def _charge_times(name: str) -> Any:
    def times(gen: Generator, offset: int) -> tuple[int, int] | None:
        told, slot = _slot(gen, name, offset)
        kind = None if told is None else _kind(told, slot)
        if told is None or kind is None:
            return None
        paid = _charged_ms(told, kind)
        # An invoice is issued a minute before it is paid; a transaction is created as it is charged.
        return paid - (60_000 if name == "orders_invoices" else 0), _settled(gen, name, offset, paid)

    return times


def _completion_times(gen: Generator, offset: int) -> tuple[int, int] | None:
    found = _completion(gen, offset)
    if found is None:
        return None
    return found[2], _settled(gen, "courses_lesson_completions", offset, found[2])


TIMES = {
    "orders": _order_times,
    "orders_invoices": _charge_times("orders_invoices"),
    "orders_transactions": _charge_times("orders_transactions"),
    "courses_lesson_completions": _completion_times,
}

BASE = {
    "products_prices": _price,
    "orders": _order,
    "orders_invoices": _invoice,
    "orders_transactions": _transaction,
    "courses_lesson_completions": _lesson_completion,
}
