"""The traffic models' rows (and revenue_by_utm's) computed in plain Python from the sandbox's own records,
as model_reference.py does for the others: the visits as the API serves them inside contacts and orders,
the appointments as listed, no cfsync table, view or SQL involved."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from .model_reference import Row, World, _money, cents, ratio, ts

UTM = ("utm_source", "utm_medium", "utm_campaign")


def _utm(visit: Row | None) -> tuple[Any, ...]:
    return tuple((visit or {}).get(c) or None for c in UTM)


def _visit(record: Row | None, kind: str) -> Row | None:
    return ((record or {}).get("visits") or {}).get(kind)


def revenue_by_utm(w: World) -> list[Row]:
    groups: dict[tuple, dict[str, Any]] = defaultdict(lambda: {"orders": set(), "gross": 0, "refunds": 0})
    for ws, invoice, refund, total in w.paid_invoices():
        at = ts(invoice["paid_at"])
        assert at is not None
        order = w.orders.get(invoice["order_id"])
        contact = w.contacts.get((order or {}).get("contact_id"))  # type: ignore[arg-type]
        first = _utm(_visit(contact, "first_visit"))
        last = _utm(_visit(order, "last_visit_with_utm"))
        g = groups[(at.date().isoformat(), ws, w.currency(invoice), first, last)]
        if refund:
            g["refunds"] += abs(total)
        else:
            g["gross"] += total
            g["orders"].add(invoice["order_id"])
    return [
        {"day": day, "workspace_id": ws, "currency": currency,
         **{f"first_{c}": v for c, v in zip(UTM, first, strict=True)},
         **{f"last_{c}": v for c, v in zip(UTM, last, strict=True)},
         "orders": len(g["orders"]), **_money(g["gross"], g["refunds"])}
        for (day, ws, currency, first, last), g in groups.items()
    ]  # fmt: skip


def contacts_by_utm(w: World) -> list[Row]:
    counts: dict[tuple, int] = defaultdict(int)
    for ws in w.workspaces:
        for contact in w.sb.records("contacts", workspace_id=ws):
            created = ts(contact.get("created_at"))
            if created is not None:
                counts[(created.date().isoformat(), ws, _utm(_visit(contact, "first_visit")))] += 1
    return [
        {"day": day, "workspace_id": ws, **dict(zip(UTM, utm, strict=True)), "contacts": n}
        for (day, ws, utm), n in counts.items()
    ]


def appointments_daily(w: World) -> list[Row]:
    groups: dict[tuple, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("scheduled", "canceled", "with_order"), 0)
    )
    for ws in w.workspaces:
        for event in w.sb.records("appointments_scheduled_events", workspace_id=ws):
            start = ts(event.get("start_on"))
            if start is None:
                continue
            g = groups[(start.date().isoformat(), ws, (event.get("event_type") or {}).get("name"))]
            g["scheduled"] += 1
            g["canceled"] += (event.get("status") or "").lower() in ("canceled", "cancelled")
            g["with_order"] += bool(event.get("order_id"))
    return [
        {"day": day, "workspace_id": ws, "event_type": name, **g,
         "not_canceled": g["scheduled"] - g["canceled"], "cancel_rate": ratio(g["canceled"], g["scheduled"])}
        for (day, ws, name), g in groups.items()
    ]  # fmt: skip


def _iso(day: date) -> str:
    return datetime.combine(day, time(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def funnel_conversion_daily(w: World, days: Iterable[date], today: date) -> list[Row]:
    """Every step of every live, unarchived funnel on each of `days` on or after the funnel's creation
    day (the days a sync fetched; `today` was fetched before it ended), from the statistics the sandbox
    answers for that one UTC day."""
    out = []
    for ws in w.workspaces:
        for funnel in w.sb.records("funnels", workspace_id=ws):
            created = ts(funnel.get("created_at"))
            if funnel.get("archived"):
                continue
            for day in days:
                if created is not None and day < created.date():
                    continue
                window = {"timerange_start": _iso(day), "timerange_end": _iso(day + timedelta(days=1))}
                answer = w.sb.stats.funnel(funnel["id"], window, True)
                head = {"day": day.isoformat(), "workspace_id": ws, "funnel_id": funnel["id"],
                        "funnel_name": funnel.get("name")}  # fmt: skip
                out += [
                    {**head, **_step(position, step, answer["currency"]), "partial": int(day == today)}
                    for position, step in enumerate(answer["steps"])
                ]
    return out


def _step(position: int, step: Row, currency: str) -> Row:
    unique, views, value = step["views_unique"], step["views_all"], cents(step["sales_value"]) or 0
    return {
        "step": position, "page_id": step["page_id"], "step_name": step["name"], "views": views,
        "unique_views": unique, "optins": step["optins"], "sales": step["sales_count"],
        "optin_rate": ratio(step["optins"], unique), "sales_rate": ratio(step["sales_count"], unique),
        "currency": currency, "sales_value_cents": value, "earnings_per_view": ratio(value, views * 100),
    }  # fmt: skip
