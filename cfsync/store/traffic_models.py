"""Models of traffic: what each funnel step turned views into (from the statistics cfsync fetches day by
day), the new contacts each UTM source brought, and the appointments on the calendar. (The money per UTM
source, `revenue_by_utm`, sits with the other revenue models: it counts the same invoices.)"""

from __future__ import annotations

from .model_sql import Model, Sql

__all__ = ["TRAFFIC_MODELS"]

# The visit kinds' fixed `_position` in contacts__visits / orders__visits.
FIRST_VISIT, LAST_VISIT_WITH_UTM = 0, 2
UTM = ("utm_source", "utm_medium", "utm_campaign")
NO_UTM = "NULL: no UTM known (no visit recorded, or a visit without that parameter)"


def _funnel_conversion_daily(q: Sql) -> str:
    return f"""
SELECT s.day, s.workspace_id, s.funnel_id, f.name AS funnel_name,
  s._position AS step, s.page_id, s.name AS step_name, s.views_all AS views, s.views_unique AS unique_views,
  s.optins, s.sales_count AS sales,
  {q.ratio("s.optins", "s.views_unique")} AS optin_rate,
  {q.ratio("s.sales_count", "s.views_unique")} AS sales_rate,
  d.currency, {q.money("s.sales_value_cents", "sales_value")},
  {q.ratio("s.sales_value_cents", "s.views_all * 100")} AS earnings_per_view,
  s.partial
FROM funnel_step_stats_daily s
LEFT JOIN funnel_stats_daily d ON d.funnel_id = s.funnel_id AND d.day = s.day
LEFT JOIN funnels f ON f.id = s.funnel_id"""


def _contacts_by_utm(q: Sql) -> str:
    utm = ", ".join(f"v.{c}" for c in UTM)
    return f"""
SELECT {q.day("c.created_at")} AS day, c.workspace_id, {utm}, COUNT(*) AS contacts
FROM contacts c
LEFT JOIN contacts__visits v ON v.contact_id = c.id AND v._position = {FIRST_VISIT} AND v._deleted_at IS NULL
WHERE c._deleted_at IS NULL AND c.created_at IS NOT NULL
GROUP BY {q.day("c.created_at")}, c.workspace_id, {utm}"""


# The API documents no values of an appointment's `status`; the sandbox says 'canceled', ClickFunnels'
# other objects spell it 'cancelled' too: either counts.
_CANCELED = "LOWER(COALESCE(a.status, '')) IN ('canceled', 'cancelled')"


def _appointments_daily(q: Sql) -> str:
    event_type = q.json_text("a.event_type", "name")
    canceled = f"SUM(CASE WHEN {_CANCELED} THEN 1 ELSE 0 END)"
    return f"""
SELECT {q.day("a.start_on")} AS day, a.workspace_id, {event_type} AS event_type, COUNT(*) AS scheduled,
  {canceled} AS canceled, COUNT(*) - {canceled} AS not_canceled,
  SUM(CASE WHEN a.order_id IS NOT NULL AND a.order_id <> '' THEN 1 ELSE 0 END) AS with_order,
  {q.ratio(canceled, "COUNT(*)")} AS cancel_rate
FROM appointments_scheduled_events a
WHERE a._deleted_at IS NULL AND a.start_on IS NOT NULL
GROUP BY {q.day("a.start_on")}, a.workspace_id, {event_type}"""


TRAFFIC_MODELS: tuple[Model, ...] = (
    Model(
        "funnel_conversion_daily",
        "one funnel step on one UTC day, from the statistics cfsync fetches a day at a time "
        "(`funnel_step_stats_daily`, `[sync].stats_days`)",
        (
            ("day", "the UTC day the statistics cover"),
            ("workspace_id", "the funnel's workspace"),
            ("funnel_id", "the funnel"),
            ("funnel_name", "its name (`funnels`; kept for a funnel deleted since)"),
            ("step", "the step's place in the funnel, from 0 (its index in the API's `steps`)"),
            ("page_id", "the step's page"),
            ("step_name", "the step's `name`"),
            ("views", "`views_all`: every view of the step that day"),
            ("unique_views", "`views_unique`: views by distinct visitors"),
            ("optins", "`optins`"),
            ("sales", "`sales_count`"),
            ("optin_rate", "optins / unique_views, to 4 decimals (NULL without unique views)"),
            ("sales_rate", "sales / unique_views, to 4 decimals (NULL without unique views)"),
            ("currency", "the statistics' `currency` (the funnel summary's, that day)"),
            ("sales_value_cents", "`sales_value` in cents, in that currency"),
            ("sales_value", "sales_value_cents / 100"),
            ("earnings_per_view", "sales_value / views, in units to 4 decimals (NULL without views)"),
            ("partial", "true when the day was fetched before it ended: its counts may still grow"),
        ),
        _funnel_conversion_daily,
        "ClickFunnels does not define the denominators of its own `optin_rate` and `sales_rate` (nor "
        "whether they are fractions or percentages), so the model computes its rates from the counts, over "
        "unique views, and keeps the API's values in `funnel_step_stats_daily`. Nor does it say which views "
        "a step counts (`views_all` against `views_unique`), whether `sales_value` includes recurring "
        "sales (it has `recurring_sales_value` beside it; the model counts `sales_value` only) or tax, or "
        "whether a day's late sales are counted on the day of the view or of the sale: a day is fetched "
        "again for two days after it ends, and a `partial` day again on the next run.",
    ),
    Model(
        "contacts_by_utm",
        "the new contacts of one UTC day, workspace and first-visit UTM source, medium and campaign",
        (
            ("day", "the UTC day of the contact's `created_at`"),
            ("workspace_id", "the workspace"),
            ("utm_source", f"`utm_source` of the contact's first visit; {NO_UTM}"),
            ("utm_medium", f"`utm_medium` of the contact's first visit; {NO_UTM}"),
            ("utm_campaign", f"`utm_campaign` of the contact's first visit; {NO_UTM}"),
            ("contacts", "contacts created that day (the ones the contact list shows; deleted ones no more)"),
        ),
        _contacts_by_utm,
        "First touch: the `first_visit` of the contact's `visits` (contacts__visits, kind 'first_visit'). "
        "The API does not say whether the first visit is the one that created the contact, nor how long "
        "ClickFunnels keeps visits; a contact imported or created by API usually has none.",
    ),
    Model(
        "appointments_daily",
        "the scheduled events (appointments) starting on one UTC day, per workspace and event type",
        (
            ("day", "the UTC day of the event's `start_on`"),
            ("workspace_id", "the workspace"),
            (
                "event_type",
                "the event type's `name` (NULL: a type deleted since, which the API says can happen)",
            ),
            ("scheduled", "events starting that day, whatever their status"),
            ("canceled", "of those, events whose `status` is 'canceled' (or 'cancelled')"),
            ("not_canceled", "scheduled - canceled: still on the calendar (or held, for a past day)"),
            ("with_order", "events with an `order_id` (a paid booking)"),
            ("cancel_rate", "canceled / scheduled, to 4 decimals"),
        ),
        _appointments_daily,
        "The day is the appointment's, not the booking's: the API gives no time of cancellation, so a "
        "canceled event can only be counted against the day it was for, and the calendar's load per day is "
        "what a business plans with; it is the UTC day, not the day in the event's own `tzid`. The API's "
        "event type object has a `name` and no id, so types are told apart by name. The API documents no "
        "values of `status`: 'canceled' and 'cancelled' count as canceled, any other value as not.",
    ),
)
