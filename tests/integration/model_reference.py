"""Every model's rows computed in plain Python from the sandbox's own records (what its API serves), the
way an analyst would by hand from the API's documentation: no cfsync table, view or SQL involved.

Money is kept in integer cents; rates are Decimals rounded half up to 4 places; times are UTC datetimes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cfsync.sandbox import Sandbox

Row = dict[str, Any]


def ts(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def cents(value: Any) -> int | None:
    return None if value in (None, "") else int((Decimal(str(value)) * 100).to_integral_value(ROUND_HALF_UP))


def ratio(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP) if whole > 0 else None


def month_of(at: datetime) -> tuple[int, int]:
    return at.year, at.month


def next_month(month: tuple[int, int]) -> tuple[int, int]:
    year, m = month
    return (year + 1, 1) if m == 12 else (year, m + 1)


def month_start(month: tuple[int, int]) -> datetime:
    return datetime(month[0], month[1], 1, tzinfo=UTC)


@dataclass
class World:
    """What the sandbox serves for one account, indexed the way the models need it."""

    sb: Sandbox
    workspaces: list[int]
    orders: dict[int, Row] = field(default_factory=dict)
    order_ws: dict[int, int] = field(default_factory=dict)
    invoices: list[tuple[int, Row]] = field(default_factory=list)  # (workspace, invoice)
    transactions: list[tuple[int, Row]] = field(default_factory=list)
    prices: dict[int, Row] = field(default_factory=dict)
    price_product: dict[int, int] = field(default_factory=dict)
    products: dict[int, Row] = field(default_factory=dict)
    pages: dict[int, Row] = field(default_factory=dict)
    funnels: dict[int, Row] = field(default_factory=dict)
    contacts: dict[int, Row] = field(default_factory=dict)  # the listed ones: hidden contacts are not synced

    @classmethod
    def of(cls, sb: Sandbox, account: int = 0) -> World:
        w = cls(sb, sb.workspace_ids(account))
        for ws in w.workspaces:
            for order in sb.records("orders", workspace_id=ws):
                w.orders[order["id"]] = order
                w.order_ws[order["id"]] = ws
            w.invoices += [(ws, i) for i in sb.records("orders_invoices", workspace_id=ws)]
            for order_id in [o for o, s in w.order_ws.items() if s == ws]:
                w.transactions += [(ws, t) for t in sb.records("orders_transactions", parent_id=order_id)]
            for product in sb.records("products", workspace_id=ws):
                w.products[product["id"]] = product
                for price in sb.records("products_prices", parent_id=product["id"]):
                    w.prices[price["id"]] = price
                    w.price_product[price["id"]] = product["id"]
            w.pages.update({p["id"]: p for p in sb.records("pages", workspace_id=ws)})
            w.funnels.update({f["id"]: f for f in sb.records("funnels", workspace_id=ws)})
            w.contacts.update({c["id"]: c for c in sb.records("contacts", workspace_id=ws)})
        return w

    def currency(self, record: Row) -> str | None:
        order = self.orders.get(record.get("order_id"))  # type: ignore[arg-type]
        return record.get("currency") or (order or {}).get("currency")

    def paid_invoices(self) -> Iterable[tuple[int, Row, bool, int]]:
        """(workspace, invoice, is a refund, total in cents) of every paid invoice with a total."""
        for ws, invoice in self.invoices:
            total = cents(invoice.get("total_amount"))
            if invoice.get("paid_at") and total is not None:
                yield ws, invoice, invoice.get("invoice_type") == "refund", total


def _money(gross: int, refunds: int) -> Row:
    return {"gross_cents": gross, "refunds_cents": refunds, "net_cents": gross - refunds}


def revenue_daily(w: World) -> list[Row]:
    """Paid invoices per UTC day, workspace and currency: the only money the model counts."""
    groups: dict[tuple, dict[str, Any]] = defaultdict(lambda: {"orders": set(), "gross": 0, "refunds": 0})
    for ws, invoice, refund, total in w.paid_invoices():
        at = ts(invoice["paid_at"])
        assert at is not None
        g = groups[(at.date().isoformat(), ws, w.currency(invoice))]
        if refund:
            g["refunds"] += abs(total)
        else:
            g["gross"] += total
            g["orders"].add(invoice["order_id"])
    return [
        {"day": d, "workspace_id": ws, "currency": cur, "orders": len(g["orders"]),
         **_money(g["gross"], g["refunds"])}
        for (d, ws, cur), g in groups.items()
    ]  # fmt: skip


def successful_transactions(w: World) -> Iterable[tuple[int, Row, bool, int, datetime]]:
    """(workspace, transaction, is a refund, amount in cents, created_at) of every successful transaction."""
    for ws, t in w.transactions:
        amount, at = cents(t.get("amount")), ts(t.get("created_at"))
        if t.get("result") == "success" and amount is not None and at is not None:
            yield ws, t, t.get("external_type") == "refund", amount, at


def transactions_daily(w: World) -> list[Row]:
    groups: dict[tuple, dict[str, Any]] = defaultdict(
        lambda: {"transactions": 0, "orders": set(), "gross": 0, "refunds": 0}
    )
    for ws, t, refund, amount, at in successful_transactions(w):
        g = groups[(at.date().isoformat(), ws, w.currency(t))]
        g["transactions"] += 1
        if refund:
            g["refunds"] += abs(amount)
        else:
            g["gross"] += amount
            g["orders"].add(t["order_id"])
    return [
        {"day": d, "workspace_id": ws, "currency": cur, "transactions": g["transactions"],
         "orders": len(g["orders"]), **_money(g["gross"], g["refunds"])}
        for (d, ws, cur), g in groups.items()
    ]  # fmt: skip


Months = dict[tuple[str | None, str], int]  # (currency, 'YYYY-MM') -> cents


def net_per_month(rows: Iterable[tuple[str | None, datetime, bool, int]]) -> Months:
    """Net cents per currency and month of (currency, when, is a refund, amount) payments."""
    out: Months = defaultdict(int)
    for currency, at, refund, amount in rows:
        out[(currency, f"{at:%Y-%m}")] += -abs(amount) if refund else amount
    return dict(out)


def invoice_net_per_month(w: World) -> Months:
    """Paid invoices net of refunds per currency and month, from the sandbox's records."""
    return net_per_month(
        (w.currency(i), ts(i["paid_at"]), refund, total)  # type: ignore[misc]
        for _, i, refund, total in w.paid_invoices()
    )


def transaction_net_per_month(w: World) -> Months:
    """Successful transactions net of refunds per currency and month, from the sandbox's records."""
    return net_per_month((w.currency(t), at, r, amount) for _, t, r, amount, at in successful_transactions(w))


def revenue_by_product(w: World) -> list[Row]:
    groups: dict[tuple, dict[str, Any]] = defaultdict(
        lambda: {"orders": set(), "units": 0, "gross": 0, "refunds": 0}
    )
    for ws, invoice, refund, _ in w.paid_invoices():
        for line in invoice.get("line_items") or []:
            amount = cents(line.get("amount"))
            if amount is None:
                continue
            price = (line.get("products_price") or {}).get("id")
            product = w.price_product.get(price)  # type: ignore[arg-type]
            name = w.products[product]["name"] if product is not None else None
            g = groups[(ws, product, name, w.currency(invoice))]
            if refund:
                g["refunds"] += abs(amount)
            else:
                g["gross"] += amount
                g["units"] += line.get("quantity") or 1
                g["orders"].add(invoice["order_id"])
    return [
        {"workspace_id": ws, "product_id": p, "product_name": n, "currency": c, "orders": len(g["orders"]),
         "units": g["units"], **_money(g["gross"], g["refunds"])}
        for (ws, p, n, c), g in groups.items()
    ]  # fmt: skip


def _revenue_by(w: World, key: Any) -> dict[tuple, dict[str, Any]]:
    groups: dict[tuple, dict[str, Any]] = defaultdict(lambda: {"orders": set(), "gross": 0, "refunds": 0})
    for ws, invoice, refund, total in w.paid_invoices():
        order = w.orders.get(invoice["order_id"])
        if order is None:
            continue
        g = groups[(ws, *key(order), w.currency(invoice))]
        if refund:
            g["refunds"] += abs(total)
        else:
            g["gross"] += total
            g["orders"].add(order["id"])
    return groups


def revenue_by_page(w: World) -> list[Row]:
    def page(order: Row) -> tuple[Any, Any]:
        page_id = order.get("page_id")
        return page_id, (w.pages.get(page_id) or {}).get("name")

    return [
        {"workspace_id": ws, "page_id": p, "page_name": n, "currency": c, "orders": len(g["orders"]),
         **_money(g["gross"], g["refunds"])}
        for (ws, p, n, c), g in _revenue_by(w, page).items()
    ]  # fmt: skip


def revenue_by_funnel(w: World) -> list[Row]:
    def funnel(order: Row) -> tuple[Any, Any]:
        funnel_id = (
            order.get("origination_channel_id") if order.get("origination_channel_type") == "Funnel" else None
        )
        name = (w.funnels.get(funnel_id) or {}).get("name") or order.get("funnel_name")
        return funnel_id, name

    return [
        {"workspace_id": ws, "funnel_id": f, "funnel_name": n, "currency": c, "orders": len(g["orders"]),
         **_money(g["gross"], g["refunds"])}
        for (ws, f, n, c), g in _revenue_by(w, funnel).items()
    ]  # fmt: skip


_PER_MONTH = {"day": (365, 12), "week": (52, 12), "month": (1, 1), "year": (1, 12)}


def subscriptions(w: World) -> list[Row]:
    out = []
    for order_id, order in w.orders.items():
        if order.get("order_type") != "subscription-order":
            continue
        first = None
        for line in order.get("line_items") or []:
            price = w.prices.get((line.get("products_price") or {}).get("id"))  # type: ignore[arg-type]
            if price is not None and price.get("payment_type") == "subscription":
                first = (line, price)
                break
        row: Row = {
            "order_id": order_id,
            "workspace_id": w.order_ws[order_id],
            "contact_id": order.get("contact_id"),
            "email_address": (w.contacts.get(order.get("contact_id")) or {}).get("email_address"),  # type: ignore[arg-type]
            "currency": order.get("currency"),
            "status": "churned"
            if order.get("churned_at")
            else "canceled"
            if order.get("canceled_at")
            else "active",
            "service_status": order.get("service_status"),
            "started_at": ts(order.get("activated_at")),
            "canceled_at": ts(order.get("canceled_at")),
            "churned_at": ts(order.get("churned_at")),
            "next_charge_at": ts(order.get("next_charge_at")),
            "product_id": None, "product_name": None, "price_id": None, "billing_interval": None,
            "interval_count": None, "amount_cents": None, "mrr_cents": None,
        }  # fmt: skip
        if first is not None:
            line, price = first
            product = w.price_product[price["id"]]
            count = int(price.get("interval_count") or 1)
            amount = cents(price["amount"]) * (line.get("quantity") or 1)  # type: ignore[operator]
            num, den = _PER_MONTH[price["interval"]]
            mrr = (Decimal(amount * num) / Decimal(den * count)).to_integral_value(ROUND_HALF_UP)
            row.update(
                product_id=product, product_name=w.products[product]["name"], price_id=price["id"],
                billing_interval=price["interval"], interval_count=count, amount_cents=amount,
                mrr_cents=int(mrr),
            )  # fmt: skip
        out.append(row)
    return out


def mrr_monthly(w: World, today: datetime) -> list[Row]:
    subs = [s for s in subscriptions(w) if s["mrr_cents"] is not None and s["started_at"] is not None]
    if not subs:
        return []
    month, last = month_of(min(s["started_at"] for s in subs)), month_of(today)
    held: dict[tuple, dict[tuple, list[int]]] = {}  # month -> (ws, currency, contact) -> [mrr, subs]
    months = []
    while month <= last:
        end = month_start(next_month(month))
        per: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for s in subs:
            if s["started_at"] < end and (s["churned_at"] is None or s["churned_at"] >= end):
                key = (s["workspace_id"], s["currency"], s["contact_id"])
                per[key][0] += s["mrr_cents"]
                per[key][1] += 1
        held[month] = per
        months.append(month)
        month = next_month(month)
    out = []
    previous: dict[tuple, list[int]] = {}
    for month in months:
        now = held[month]
        totals: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for key in set(now) | set(previous):
            mrr, subs_n = now.get(key, [0, 0])
            prev = previous.get(key, [0, 0])[0]
            t = totals[(key[0], key[1])]
            t["subscriptions"] += subs_n
            t["customers"] += mrr > 0
            t["mrr_cents"] += mrr
            t["new_mrr_cents"] += mrr if prev == 0 and mrr > 0 else 0
            t["expansion_mrr_cents"] += mrr - prev if prev > 0 and mrr > prev else 0
            t["contraction_mrr_cents"] += prev - mrr if 0 < mrr < prev else 0
            t["churned_mrr_cents"] += prev if prev > 0 and mrr == 0 else 0
        for (ws, currency), t in totals.items():
            out.append(
                {"month": f"{month[0]:04d}-{month[1]:02d}", "workspace_id": ws, "currency": currency, **t}
            )
        previous = now
    return out


def contact_lifetime_value(w: World) -> list[Row]:
    groups: dict[tuple, dict[str, Any]] = defaultdict(lambda: {"orders": {}, "gross": 0, "refunds": 0})
    for ws, invoice, refund, total in w.paid_invoices():
        order = w.orders.get(invoice["order_id"])
        if order is None or order.get("contact_id") is None:
            continue
        g = groups[(ws, order["contact_id"], w.currency(invoice))]
        if refund:
            g["refunds"] += abs(total)
        else:
            g["gross"] += total
            g["orders"][order["id"]] = ts(order.get("created_at"))
    out = []
    for (ws, contact_id, currency), g in groups.items():
        contact = w.contacts.get(contact_id) or {}
        names = sorted({t["name"] for t in contact.get("tags") or [] if t.get("name")})
        stamps = [s for s in g["orders"].values() if s is not None]
        out.append({
            "workspace_id": ws, "contact_id": contact_id, "email_address": contact.get("email_address"),
            "first_name": contact.get("first_name"), "last_name": contact.get("last_name"),
            "currency": currency, "first_order_at": min(stamps, default=None),
            "last_order_at": max(stamps, default=None), "orders": len(g["orders"]),
            **_money(g["gross"], g["refunds"]), "tags": ", ".join(names) if names else None,
        })  # fmt: skip
    return out


def course_progress(w: World) -> list[Row]:
    out = []
    for ws in w.workspaces:
        for course in w.sb.records("courses", workspace_id=ws):
            sections = w.sb.records("courses_sections", parent_id=course["id"])
            lessons = sum(len(w.sb.records("courses_lessons", parent_id=s["id"])) for s in sections)
            enrollments = {e["id"] for e in w.sb.records("courses_enrollments", parent_id=course["id"])}
            done: dict[int, set[int]] = defaultdict(set)
            for c in w.sb.records("courses_lesson_completions", parent_id=course["id"]):
                if c["enrollment_id"] in enrollments:
                    done[c["enrollment_id"]].add(c["lesson_id"])
            finished = (
                sum(1 for lessons_done in done.values() if len(lessons_done) >= lessons) if lessons else 0
            )
            completed = sum(len(v) for v in done.values())
            out.append({
                "course_id": course["id"], "workspace_id": ws, "title": course.get("title"),
                "lessons": lessons,
                "enrollments": len(enrollments), "enrollments_started": sum(1 for v in done.values() if v),
                "enrollments_completed": finished, "lessons_completed": completed,
                "completion_rate": ratio(finished, len(enrollments)),
                "lesson_completion_rate": ratio(completed, len(enrollments) * lessons),
            })  # fmt: skip
    return out


def form_conversion(w: World) -> list[Row]:
    out = []
    for ws in w.workspaces:
        orders_by_contact: dict[int, list[datetime]] = defaultdict(list)
        for order_id, order in w.orders.items():
            created = ts(order.get("created_at"))
            if w.order_ws[order_id] == ws and order.get("contact_id") is not None and created is not None:
                orders_by_contact[order["contact_id"]].append(created)
        for form in w.sb.records("forms", workspace_id=ws):
            submissions = w.sb.records("forms_submissions", parent_id=form["id"])
            first: dict[int, datetime] = {}
            for s in submissions:
                at = ts(s.get("created_at"))
                if s.get("contact_id") is not None and at is not None:
                    first[s["contact_id"]] = min(first.get(s["contact_id"], at), at)
            ordered = sum(1 for c, at in first.items() if any(o > at for o in orders_by_contact.get(c, [])))
            out.append({
                "form_id": form["id"], "workspace_id": ws, "name": form.get("name"),
                "submissions": len(submissions), "contacts": len(first), "contacts_ordered_after": ordered,
                "conversion_rate": ratio(ordered, len(first)),
            })  # fmt: skip
    return out
