"""Models: views over the synced tables that answer what every ClickFunnels business asks (revenue per
day, per product, page and funnel; subscriptions and MRR; contacts' lifetime value; course progress; form
conversion), the same names and columns on SQLite and PostgreSQL.

Each model is data: what a row is, what each column means and how it is derived, and its SQL, written once
with a few dialect-specific pieces (`Sql`). `refresh(connection)` creates them when they are missing or
differ from these definitions, and records which definitions are in place in `_models`, so a sync that
migrates finds nothing to do and never takes the locks a view replacement needs. Money columns come in
pairs: `<x>_cents` (an exact integer) and `<x>` (the same amount in units: `x_cents / 100.0`, a NUMERIC with
two decimals on PostgreSQL, a REAL on SQLite that prints exactly to the cent). Each view counts one source of
money (invoices; transactions only in `transactions_daily`), so no sum over it counts a payment twice. Days
and months are dates on PostgreSQL and ISO text on SQLite, which has no date type.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .model_sql import Model, Sql
from .schema import models_state as _STATE
from .traffic_models import FIRST_VISIT, LAST_VISIT_WITH_UTM, NO_UTM, TRAFFIC_MODELS, UTM

__all__ = ["MODELS", "Model", "Sql", "refresh"]


_REFUND_INVOICE = "COALESCE(i.invoice_type, '') = 'refund'"
_REFUND_TRANSACTION = "COALESCE(t.external_type, '') = 'refund'"
_MONEY_COLUMNS = (
    ("gross_cents", "charges in cents: paid invoices other than refunds, tax included"),
    ("gross", "gross_cents / 100"),
    ("refunds_cents", "refunds in cents: paid refund invoices (their absolute amount)"),
    ("refunds", "refunds_cents / 100"),
    ("net_cents", "gross_cents - refunds_cents"),
    ("net", "net_cents / 100"),
)


def _sums(q: Sql, amount: str = "i.total_amount_cents", refund: str = _REFUND_INVOICE) -> str:
    """gross, refunds and net of the money grouped: charges, refunds (their absolute amount), the two net."""
    return ",\n  ".join(
        (
            q.money(f"SUM(CASE WHEN {refund} THEN 0 ELSE {amount} END)", "gross"),
            q.money(f"SUM(CASE WHEN {refund} THEN ABS({amount}) ELSE 0 END)", "refunds"),
            q.money(f"SUM(CASE WHEN {refund} THEN -ABS({amount}) ELSE {amount} END)", "net"),
        )
    )


# Paid invoices, and the order each belongs to (for its currency when the invoice has none).
_PAID_FROM = "orders_invoices i LEFT JOIN orders o ON o.id = i.order_id"
_PAID_WHERE = "i._deleted_at IS NULL AND i.paid_at IS NOT NULL AND i.total_amount_cents IS NOT NULL"
_PAID = f"""{_PAID_FROM}
    WHERE {_PAID_WHERE}"""
_INVOICE_NOTES = (
    "An invoice counts once it has a `paid_at` (the API documents no values of `status`). A refund is an "
    "invoice of `invoice_type` 'refund'; the API does not say whether its amount is positive or negative, so "
    "its absolute amount is subtracted. An invoice without a `currency` takes its order's."
)


def _revenue_daily(q: Sql) -> str:
    return f"""
SELECT {q.day("i.paid_at")} AS day, i.workspace_id, COALESCE(i.currency, o.currency) AS currency,
  COUNT(DISTINCT CASE WHEN {_REFUND_INVOICE} THEN NULL ELSE i.order_id END) AS orders, {_sums(q)}
FROM {_PAID}
GROUP BY {q.day("i.paid_at")}, i.workspace_id, COALESCE(i.currency, o.currency)"""


def _transactions_daily(q: Sql) -> str:
    refund = _REFUND_TRANSACTION
    return f"""
SELECT {q.day("t.created_at")} AS day, t.workspace_id, COALESCE(t.currency, o.currency) AS currency,
  COUNT(*) AS transactions, COUNT(DISTINCT CASE WHEN {refund} THEN NULL ELSE t.order_id END) AS orders,
  {_sums(q, "t.amount_cents", refund)}
FROM orders_transactions t LEFT JOIN orders o ON o.id = t.order_id
WHERE t._deleted_at IS NULL AND t.result = 'success' AND t.created_at IS NOT NULL
  AND t.amount_cents IS NOT NULL
GROUP BY {q.day("t.created_at")}, t.workspace_id, COALESCE(t.currency, o.currency)"""


def _revenue_by_product(q: Sql) -> str:
    refund = _REFUND_INVOICE
    return f"""
SELECT i.workspace_id, p.product_id, pr.name AS product_name, COALESCE(i.currency, o.currency) AS currency,
  COUNT(DISTINCT CASE WHEN {refund} THEN NULL ELSE i.order_id END) AS orders,
  SUM(CASE WHEN {refund} THEN 0 ELSE COALESCE(li.quantity, 1) END) AS units,
  {q.money(f"SUM(CASE WHEN {refund} THEN 0 ELSE li.amount_cents END)", "gross")},
  {q.money(f"SUM(CASE WHEN {refund} THEN ABS(li.amount_cents) ELSE 0 END)", "refunds")},
  {q.money(f"SUM(CASE WHEN {refund} THEN -ABS(li.amount_cents) ELSE li.amount_cents END)", "net")}
FROM orders_invoices__line_items li
JOIN orders_invoices i ON i.id = li.orders_invoice_id
LEFT JOIN orders o ON o.id = i.order_id
LEFT JOIN products_prices p ON p.id = {q.json_id("li.products_price")}
LEFT JOIN products pr ON pr.id = p.product_id
WHERE li._deleted_at IS NULL AND i._deleted_at IS NULL AND i.paid_at IS NOT NULL
  AND li.amount_cents IS NOT NULL
GROUP BY i.workspace_id, p.product_id, pr.name, COALESCE(i.currency, o.currency)"""


def _revenue_by_page(q: Sql) -> str:
    return f"""
SELECT o.workspace_id, o.page_id, pg.name AS page_name, COALESCE(i.currency, o.currency) AS currency,
  COUNT(DISTINCT CASE WHEN {_REFUND_INVOICE} THEN NULL ELSE o.id END) AS orders, {_sums(q)}
FROM orders_invoices i JOIN orders o ON o.id = i.order_id AND o._deleted_at IS NULL
LEFT JOIN pages pg ON pg.id = o.page_id
WHERE i._deleted_at IS NULL AND i.paid_at IS NOT NULL AND i.total_amount_cents IS NOT NULL
GROUP BY o.workspace_id, o.page_id, pg.name, COALESCE(i.currency, o.currency)"""


def _revenue_by_funnel(q: Sql) -> str:
    funnel = "CASE WHEN o.origination_channel_type = 'Funnel' THEN o.origination_channel_id END"
    return f"""
SELECT o.workspace_id, {funnel} AS funnel_id, COALESCE(f.name, o.funnel_name) AS funnel_name,
  COALESCE(i.currency, o.currency) AS currency,
  COUNT(DISTINCT CASE WHEN {_REFUND_INVOICE} THEN NULL ELSE o.id END) AS orders, {_sums(q)}
FROM orders_invoices i JOIN orders o ON o.id = i.order_id AND o._deleted_at IS NULL
LEFT JOIN funnels f ON f.id = {funnel}
WHERE i._deleted_at IS NULL AND i.paid_at IS NOT NULL AND i.total_amount_cents IS NOT NULL
GROUP BY o.workspace_id, {funnel}, COALESCE(f.name, o.funnel_name), COALESCE(i.currency, o.currency)"""


def _revenue_by_utm(q: Sql) -> str:
    first = ", ".join(f"fv.{c} AS first_{c}" for c in UTM)
    last = ", ".join(f"lv.{c} AS last_{c}" for c in UTM)
    keys = ", ".join(f"{v}.{c}" for v in ("fv", "lv") for c in UTM)
    currency = "COALESCE(i.currency, o.currency)"
    return f"""
SELECT {q.day("i.paid_at")} AS day, i.workspace_id, {currency} AS currency, {first}, {last},
  COUNT(DISTINCT CASE WHEN {_REFUND_INVOICE} THEN NULL ELSE i.order_id END) AS orders, {_sums(q)}
FROM {_PAID_FROM}
LEFT JOIN contacts__visits fv ON fv.contact_id = o.contact_id AND fv._position = {FIRST_VISIT}
  AND fv._deleted_at IS NULL
LEFT JOIN orders__visits lv ON lv.order_id = i.order_id AND lv._position = {LAST_VISIT_WITH_UTM}
  AND lv._deleted_at IS NULL
WHERE {_PAID_WHERE}
GROUP BY {q.day("i.paid_at")}, i.workspace_id, {currency}, {keys}"""


# Months per billing interval, as (numerator, denominator) of the monthly share of one period's amount.
_PER_MONTH = {"day": (365, 12), "week": (52, 12), "month": (1, 1), "year": (1, 12)}


def _subscriptions(q: Sql) -> str:
    num = (
        "CASE fi.price_interval "
        + " ".join(f"WHEN '{k}' THEN {n}" for k, (n, _) in _PER_MONTH.items())
        + " END"
    )
    den = (
        "CASE fi.price_interval "
        + " ".join(f"WHEN '{k}' THEN {d}" for k, (_, d) in _PER_MONTH.items())
        + " END"
    )
    count = "COALESCE(CAST(NULLIF(fi.interval_count, '') AS INTEGER), 1)"
    amount = "fi.amount_cents * COALESCE(fi.quantity, 1)"
    mrr = f"CAST(ROUND({amount} * {num} * 1.0 / ({den} * {count})) AS BIGINT)"
    return f"""
WITH items AS (
  SELECT li.order_id, li._position, li.quantity, p.id AS price_id, p.product_id, p.amount_cents,
    p.interval AS price_interval, p.interval_count
  FROM orders__line_items li JOIN products_prices p ON p.id = {q.json_id("li.products_price")}
  WHERE li._deleted_at IS NULL AND p.payment_type = 'subscription'
), fi AS (
  SELECT * FROM items
  WHERE _position = (SELECT MIN(j._position) FROM items j WHERE j.order_id = items.order_id)
)
SELECT o.id AS order_id, o.workspace_id, o.contact_id, c.email_address, fi.product_id,
  pr.name AS product_name, fi.price_id, o.currency,
  CASE WHEN o.churned_at IS NOT NULL THEN 'churned' WHEN o.canceled_at IS NOT NULL THEN 'canceled'
    ELSE 'active' END AS status,
  o.service_status, o.activated_at AS started_at, o.canceled_at, o.churned_at, o.next_charge_at,
  fi.price_interval AS billing_interval, {count} AS interval_count,
  {q.money(amount, "amount")}, {q.money(mrr, "mrr")}
FROM orders o
LEFT JOIN fi ON fi.order_id = o.id
LEFT JOIN contacts c ON c.id = o.contact_id
LEFT JOIN products pr ON pr.id = fi.product_id
WHERE o._deleted_at IS NULL AND o.order_type = 'subscription-order'"""


def _mrr_monthly(q: Sql) -> str:
    key = "workspace_id, currency, contact"
    cur, prev = (" AND ".join(f"{a}.{k} = k.{k}" for k in key.split(", ")) for a in ("cur", "prev"))
    return f"""
WITH RECURSIVE months(month_start) AS (
  SELECT {q.month_start("MIN(started_at)")} FROM subscriptions WHERE started_at IS NOT NULL
  UNION ALL
  SELECT {q.next_month("month_start")} FROM months WHERE month_start < {q.this_month}
), held AS (
  SELECT m.month_start, s.workspace_id, COALESCE(s.currency, '') AS currency,
    COALESCE(s.contact_id, -s.order_id) AS contact, SUM(s.mrr_cents) AS mrr, COUNT(*) AS subs
  FROM months m JOIN subscriptions s ON s.started_at < {q.instant(q.next_month("m.month_start"))}
    AND (s.churned_at IS NULL OR s.churned_at >= {q.instant(q.next_month("m.month_start"))})
  WHERE s.mrr_cents IS NOT NULL AND s.started_at IS NOT NULL
  GROUP BY m.month_start, s.workspace_id, COALESCE(s.currency, ''), COALESCE(s.contact_id, -s.order_id)
), k AS (
  SELECT month_start, {key} FROM held
  UNION
  SELECT {q.next_month("month_start")}, {key} FROM held WHERE month_start < {q.this_month}
), moves AS (
  SELECT k.month_start, k.workspace_id, k.currency, COALESCE(cur.mrr, 0) AS mrr,
    COALESCE(prev.mrr, 0) AS prev_mrr, COALESCE(cur.subs, 0) AS subs
  FROM k
  LEFT JOIN held cur ON cur.month_start = k.month_start AND {cur}
  LEFT JOIN held prev ON prev.month_start = {q.previous_month("k.month_start")} AND {prev}
)
SELECT {q.month("month_start")} AS month, workspace_id, NULLIF(currency, '') AS currency,
  SUM(subs) AS subscriptions, SUM(CASE WHEN mrr > 0 THEN 1 ELSE 0 END) AS customers,
  {q.money("SUM(mrr)", "mrr")},
  {q.money("SUM(CASE WHEN prev_mrr = 0 AND mrr > 0 THEN mrr ELSE 0 END)", "new_mrr")},
  {q.money("SUM(CASE WHEN prev_mrr > 0 AND mrr > prev_mrr THEN mrr - prev_mrr ELSE 0 END)", "expansion_mrr")},
  {q.money("SUM(CASE WHEN mrr > 0 AND mrr < prev_mrr THEN prev_mrr - mrr ELSE 0 END)", "contraction_mrr")},
  {q.money("SUM(CASE WHEN prev_mrr > 0 AND mrr = 0 THEN prev_mrr ELSE 0 END)", "churned_mrr")}
FROM moves
GROUP BY month_start, workspace_id, currency"""


def _contact_lifetime_value(q: Sql) -> str:
    tags = (
        f"SELECT contact_id, {q.names('name')} AS tags FROM contacts__tags "
        "WHERE _deleted_at IS NULL GROUP BY contact_id"
        if q.pg
        else "SELECT contact_id, group_concat(name, ', ') AS tags FROM (SELECT DISTINCT contact_id, name "
        "FROM contacts__tags WHERE _deleted_at IS NULL ORDER BY contact_id, name) GROUP BY contact_id"
    )
    return f"""
WITH bought AS (
  SELECT o.workspace_id, o.contact_id, COALESCE(i.currency, o.currency) AS currency,
    MIN(CASE WHEN {_REFUND_INVOICE} THEN NULL ELSE o.created_at END) AS first_order_at,
    MAX(CASE WHEN {_REFUND_INVOICE} THEN NULL ELSE o.created_at END) AS last_order_at,
    COUNT(DISTINCT CASE WHEN {_REFUND_INVOICE} THEN NULL ELSE o.id END) AS orders,
    SUM(CASE WHEN {_REFUND_INVOICE} THEN 0 ELSE i.total_amount_cents END) AS gross,
    SUM(CASE WHEN {_REFUND_INVOICE} THEN ABS(i.total_amount_cents) ELSE 0 END) AS refund
  FROM orders_invoices i JOIN orders o ON o.id = i.order_id AND o._deleted_at IS NULL
  WHERE i._deleted_at IS NULL AND i.paid_at IS NOT NULL AND i.total_amount_cents IS NOT NULL
    AND o.contact_id IS NOT NULL
  GROUP BY o.workspace_id, o.contact_id, COALESCE(i.currency, o.currency)
), tags AS ({tags})
SELECT b.workspace_id, b.contact_id, c.email_address, c.first_name, c.last_name, b.currency,
  b.first_order_at, b.last_order_at, b.orders,
  {q.money("b.gross", "gross")}, {q.money("b.refund", "refunds")}, {q.money("b.gross - b.refund", "net")},
  t.tags
FROM bought b
LEFT JOIN contacts c ON c.id = b.contact_id AND c._deleted_at IS NULL
LEFT JOIN tags t ON t.contact_id = b.contact_id"""


def _course_progress(q: Sql) -> str:
    return f"""
WITH lessons AS (
  SELECT s.course_id, COUNT(*) AS lessons
  FROM courses_lessons l JOIN courses_sections s ON s.id = l.section_id
  WHERE l._deleted_at IS NULL AND s._deleted_at IS NULL
  GROUP BY s.course_id
), enrolled AS (
  SELECT course_id, COUNT(*) AS enrollments FROM courses_enrollments WHERE _deleted_at IS NULL
  GROUP BY course_id
), done AS (
  SELECT lc.course_id, lc.enrollment_id, COUNT(DISTINCT lc.lesson_id) AS completed
  FROM courses_lesson_completions lc
  JOIN courses_enrollments e ON e.id = lc.enrollment_id AND e._deleted_at IS NULL
  WHERE lc._deleted_at IS NULL
  GROUP BY lc.course_id, lc.enrollment_id
), progress AS (
  SELECT d.course_id, SUM(CASE WHEN d.completed > 0 THEN 1 ELSE 0 END) AS started,
    SUM(CASE WHEN d.completed >= l.lessons THEN 1 ELSE 0 END) AS finished, SUM(d.completed) AS completed
  FROM done d JOIN lessons l ON l.course_id = d.course_id
  GROUP BY d.course_id
)
SELECT c.id AS course_id, c.workspace_id, c.title, COALESCE(l.lessons, 0) AS lessons,
  COALESCE(e.enrollments, 0) AS enrollments, COALESCE(p.started, 0) AS enrollments_started,
  COALESCE(p.finished, 0) AS enrollments_completed, COALESCE(p.completed, 0) AS lessons_completed,
  {q.ratio("COALESCE(p.finished, 0)", "COALESCE(e.enrollments, 0)")} AS completion_rate,
  {q.ratio("COALESCE(p.completed, 0)", "COALESCE(e.enrollments, 0) * COALESCE(l.lessons, 0)")}
    AS lesson_completion_rate
FROM courses c
LEFT JOIN lessons l ON l.course_id = c.id
LEFT JOIN enrolled e ON e.course_id = c.id
LEFT JOIN progress p ON p.course_id = c.id
WHERE c._deleted_at IS NULL"""


def _form_conversion(q: Sql) -> str:
    return f"""
WITH firsts AS (
  SELECT form_id, contact_id, MIN(created_at) AS first_at FROM forms_submissions
  WHERE _deleted_at IS NULL AND contact_id IS NOT NULL
  GROUP BY form_id, contact_id
), flags AS (
  SELECT f.form_id, f.contact_id,
    CASE WHEN EXISTS (SELECT 1 FROM orders o WHERE o.contact_id = f.contact_id AND o._deleted_at IS NULL
      AND o.created_at > f.first_at) THEN 1 ELSE 0 END AS ordered
  FROM firsts f
), totals AS (
  SELECT form_id, COUNT(*) AS submissions FROM forms_submissions WHERE _deleted_at IS NULL GROUP BY form_id
), per_form AS (
  SELECT form_id, COUNT(*) AS contacts, SUM(ordered) AS ordered FROM flags GROUP BY form_id
)
SELECT f.id AS form_id, f.workspace_id, f.name, COALESCE(t.submissions, 0) AS submissions,
  COALESCE(p.contacts, 0) AS contacts, COALESCE(p.ordered, 0) AS contacts_ordered_after,
  {q.ratio("COALESCE(p.ordered, 0)", "COALESCE(p.contacts, 0)")} AS conversion_rate
FROM forms f
LEFT JOIN totals t ON t.form_id = f.id
LEFT JOIN per_form p ON p.form_id = f.id
WHERE f._deleted_at IS NULL"""


_UTM_COLUMNS = tuple(
    (f"{touch}_{c}", f"`{c}` of {visit}; {NO_UTM}")
    for touch, visit in (
        ("first", "the customer's first visit (the order's contact's `first_visit`)"),
        ("last", "the order's last visit with UTM (its `last_visit_with_utm`)"),
    )
    for c in UTM
)
_REVENUE_BY_UTM = Model(
    "revenue_by_utm",
    "one UTC day of one workspace's invoiced money in one currency, per first-touch and last-touch UTM "
    "source, medium and campaign",
    (
        ("day", "the UTC day the invoice was paid (its `paid_at`)"),
        ("workspace_id", "the workspace"),
        ("currency", "the invoice's currency, else its order's"),
        *_UTM_COLUMNS,
        ("orders", "distinct orders charged that day"),
        *_MONEY_COLUMNS,
    ),
    _revenue_by_utm,
    _INVOICE_NOTES + " The invoices are revenue_daily's, each once: first and last "
    "touch are columns of one row, so any sum over this model equals revenue_daily's for the same "
    "workspace, currency and days; sum over the first-touch columns or the last-touch ones, as the "
    "question asks. The API does not say how ClickFunnels picks an order's `last_visit_with_utm` (how "
    "far back it looks, or whether it is the visit of the purchase) nor whether the refund of an order "
    "belongs to the visit of the order: a refund is counted under its order's visits, on the day it was "
    "paid.",
)


MODELS: tuple[Model, ...] = (
    Model(
        "revenue_daily",
        "one UTC day of one workspace's invoiced money in one currency: every paid invoice once, so any "
        "sum over its rows is a sum of invoices",
        (
            ("day", "the UTC day the invoice was paid (its `paid_at`)"),
            ("workspace_id", "the workspace"),
            ("currency", "the invoice's currency, else its order's"),
            ("orders", "distinct orders charged that day"),
            *_MONEY_COLUMNS,
        ),
        _revenue_daily,
        _INVOICE_NOTES + " Transactions (the payments behind the invoices) are another record of the same "
        "money: they have a model of their own, `transactions_daily`, never to be added to this one.",
    ),
    Model(
        "transactions_daily",
        "one UTC day of one workspace's successful payment transactions in one currency (when "
        "`orders_transactions` is synced; it is off by default)",
        (
            ("day", "the UTC day of the transaction (its `created_at`)"),
            ("workspace_id", "the workspace"),
            ("currency", "the transaction's currency, else its order's"),
            ("transactions", "successful transactions that day, charges and refunds"),
            ("orders", "distinct orders charged that day"),
            ("gross_cents", "charges in cents: successful transactions other than refunds"),
            ("gross", "gross_cents / 100"),
            ("refunds_cents", "refunds in cents: successful refund transactions (their absolute amount)"),
            ("refunds", "refunds_cents / 100"),
            ("net_cents", "gross_cents - refunds_cents"),
            ("net", "net_cents / 100"),
        ),
        _transactions_daily,
        "The same money as `revenue_daily`'s invoices, as the payment processor moved it: compare the two, "
        "never add them. A transaction counts when its `result` is 'success'; a refund is one whose "
        "`external_type` is 'refund' (undocumented values: a guess from the API's names). A transaction "
        "without a `currency` takes its order's.",
    ),
    Model(
        "revenue_by_product",
        "one product's paid invoice lines in one workspace and currency, all time",
        (
            ("workspace_id", "the workspace"),
            (
                "product_id",
                "the product of the line's price (`products_price.id` -> products_prices.product_id)",
            ),
            ("product_name", "its name"),
            ("currency", "the invoice's currency, else its order's"),
            ("orders", "distinct orders with a charged line of the product"),
            ("units", "quantity charged"),
            ("gross_cents", "line amounts charged in cents, before tax"),
            ("gross", "gross_cents / 100"),
            ("refunds_cents", "refund lines in cents (absolute)"),
            ("refunds", "refunds_cents / 100"),
            ("net_cents", "gross_cents - refunds_cents"),
            ("net", "net_cents / 100"),
        ),
        _revenue_by_product,
        _INVOICE_NOTES + " A line's `amount` is taken as the line's total (quantity included), before tax.",
    ),
    Model(
        "revenue_by_page",
        "the money of the orders placed on one page, per workspace and currency, all time",
        (
            ("workspace_id", "the workspace"),
            ("page_id", "the order's `page_id` (NULL: orders with no page)"),
            ("page_name", "the page's name"),
            ("currency", "the invoice's currency, else its order's"),
            ("orders", "distinct orders charged"),
            *_MONEY_COLUMNS,
        ),
        _revenue_by_page,
        _INVOICE_NOTES,
    ),
    Model(
        "revenue_by_funnel",
        "the money of the orders that came through one funnel, per workspace and currency, all time",
        (
            ("workspace_id", "the workspace"),
            (
                "funnel_id",
                "the order's `origination_channel_id` when its `origination_channel_type` is "
                "'Funnel' (NULL: any other origin)",
            ),
            ("funnel_name", "the funnel's name, else the order's `funnel_name`"),
            ("currency", "the invoice's currency, else its order's"),
            ("orders", "distinct orders charged"),
            *_MONEY_COLUMNS,
        ),
        _revenue_by_funnel,
        _INVOICE_NOTES + " The v2 API links an order to a funnel only through `origination_channel_type` / "
        "`origination_channel_id` and the text `funnel_name`: that `origination_channel_id` is a funnel id "
        "when the type is 'Funnel' is an assumption the API does not document.",
    ),
    _REVENUE_BY_UTM,
    Model(
        "subscriptions",
        "one subscription order",
        (
            ("order_id", "the order (`order_type` 'subscription-order')"),
            ("workspace_id", "the workspace"),
            ("contact_id", "the customer"),
            ("email_address", "the customer's email (NULL for a contact the list hides)"),
            ("product_id", "the product of its first subscription line's price"),
            ("product_name", "its name"),
            ("price_id", "that price"),
            ("currency", "the order's currency"),
            ("status", "'churned' (churned_at set), 'canceled' (canceled, not churned yet) or 'active'"),
            ("service_status", "the order's own `service_status`, as the API gives it"),
            ("started_at", "the order's `activated_at`"),
            ("canceled_at", "the order's `canceled_at`"),
            ("churned_at", "the order's `churned_at`: when it stopped counting toward MRR"),
            ("next_charge_at", "the order's `next_charge_at`"),
            ("billing_interval", "the price's `interval`: day, week, month or year"),
            ("interval_count", "the price's `interval_count` (1 when empty)"),
            (
                "amount_cents",
                "what one period costs in cents: the price's amount x the line's quantity, before tax",
            ),
            ("amount", "amount_cents / 100"),
            ("mrr_cents", "monthly recurring revenue in cents: the amount per month, rounded to the cent"),
            ("mrr", "mrr_cents / 100"),
        ),
        _subscriptions,
        "A subscription is an order with `order_type` 'subscription-order' (the API README says so); its "
        "billing terms come from the price of its first subscription line (`payment_type` 'subscription'), "
        "as the price is now: the API keeps no history of a price. `canceled_at` and `churned_at` are read "
        "as 'asked to stop' and 'stopped' (the event names say so; the API does not define them).",
    ),
    Model(
        "mrr_monthly",
        "one month of one workspace's recurring revenue in one currency, from the first subscription's "
        "month to this one",
        (
            ("month", "the month: its first day on PostgreSQL (a date), '2024-11' on SQLite"),
            ("workspace_id", "the workspace"),
            ("currency", "the subscriptions' currency"),
            (
                "subscriptions",
                "subscriptions counting at the month's end: started before it, not churned by it",
            ),
            ("customers", "contacts with MRR at the month's end"),
            ("mrr_cents", "their MRR at the month's end, in cents"),
            ("mrr", "mrr_cents / 100"),
            ("new_mrr_cents", "MRR of customers who had none the month before"),
            ("new_mrr", "new_mrr_cents / 100"),
            ("expansion_mrr_cents", "increases of customers who had MRR the month before"),
            ("expansion_mrr", "expansion_mrr_cents / 100"),
            ("contraction_mrr_cents", "decreases of customers who still have MRR"),
            ("contraction_mrr", "contraction_mrr_cents / 100"),
            ("churned_mrr_cents", "last month's MRR of customers who have none now"),
            ("churned_mrr", "churned_mrr_cents / 100"),
        ),
        _mrr_monthly,
        "Built on `subscriptions`; movements are per customer (contact) and month: mrr_cents = last month's "
        "+ new + expansion - contraction - churned. A price change shows only as of now (the API has no "
        "history), so expansion and contraction come from customers adding or ending subscriptions.",
    ),
    Model(
        "contact_lifetime_value",
        "one customer's paid orders in one currency (contacts with no paid invoice have no row)",
        (
            ("workspace_id", "the workspace"),
            ("contact_id", "the customer"),
            ("email_address", "their email (NULL for a contact the list hides)"),
            ("first_name", "their first name"),
            ("last_name", "their last name"),
            ("currency", "the invoices' currency, else their orders'"),
            ("first_order_at", "`created_at` of their first order with a paid charge"),
            ("last_order_at", "`created_at` of their last order with a paid charge"),
            ("orders", "distinct orders with a paid charge"),
            *_MONEY_COLUMNS,
            ("tags", "their tags' names, distinct, sorted, comma-separated"),
        ),
        _contact_lifetime_value,
        _INVOICE_NOTES,
    ),
    Model(
        "course_progress",
        "one course",
        (
            ("course_id", "the course"),
            ("workspace_id", "its workspace"),
            ("title", "its title"),
            ("lessons", "lessons in its sections"),
            ("enrollments", "enrollments"),
            ("enrollments_started", "enrollments with at least one lesson completed"),
            ("enrollments_completed", "enrollments that completed every lesson"),
            ("lessons_completed", "distinct (enrollment, lesson) completions"),
            ("completion_rate", "enrollments_completed / enrollments, to 4 decimals"),
            ("lesson_completion_rate", "lessons_completed / (enrollments x lessons), to 4 decimals"),
        ),
        _course_progress,
        "Every lesson counts, published or not; a course is completed when every one of its lessons is "
        "(the API has no completion flag on an enrollment).",
    ),
    Model(
        "form_conversion",
        "one form",
        (
            ("form_id", "the form"),
            ("workspace_id", "its workspace"),
            ("name", "its name"),
            ("submissions", "its submissions (`forms_submissions`)"),
            ("contacts", "distinct contacts who submitted it"),
            (
                "contacts_ordered_after",
                "of those, contacts with an order created after their first submission",
            ),
            ("conversion_rate", "contacts_ordered_after / contacts, to 4 decimals"),
        ),
        _form_conversion,
        "Submissions without a contact count toward `submissions` only. Any order counts, paid or not.",
    ),
    *TRAFFIC_MODELS,
)


def _digest(model: Model, dialect: str) -> str:
    return hashlib.sha256(model.definition(dialect).encode()).hexdigest()[:16]


def refresh(connection: Connection) -> list[str]:
    """Create the models that are missing or out of date (in dependency order: `mrr_monthly` reads
    `subscriptions`), inside the caller's transaction. Returns the names (re)created."""
    dialect = connection.dialect.name
    have = {name: digest for name, digest in connection.execute(sa.select(_STATE.c.name, _STATE.c.digest))}
    stale = [m for m in MODELS if have.get(m.name) != _digest(m, dialect)]
    if not stale:
        return []
    for model in reversed(MODELS):  # dependents first
        connection.execute(sa.text(f"DROP VIEW IF EXISTS {model.name}"))
    for model in MODELS:
        connection.execute(sa.text(f"CREATE VIEW {model.name} AS {model.definition(dialect)}"))
        connection.execute(_STATE.delete().where(_STATE.c.name == model.name))
        connection.execute(_STATE.insert().values(name=model.name, digest=_digest(model, dialect)))
    return [m.name for m in stale]
