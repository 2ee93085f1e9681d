"""The dashboard `cfsync browse` opens on: charts over the models, as data for datasette-dashboards.

Each chart is one question: its SQL over one model and a Vega-Lite spec (the plugin adds the rows and the
width). The filters (workspace, currency, from, to) reach the SQL as named parameters inside `[[ ... ]]`
blocks, which the plugin drops while a filter is empty; dates apply to every chart whose model has them.

Money charts show one currency, never a mix: the currency filter's, else the currency with the most net
revenue (revenue_daily) under the other filters. Their SQL returns it in a `currency` column and their axis
title is built from it, so the chart says which currency it shows.

To add a chart: append a `Chart` to CHARTS (a slug, a title, SQL ending in rows, a Vega-Lite spec without
`data`) and give its slug a place in LAYOUT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CHARTS", "DASHBOARD", "LAYOUT", "Chart", "dashboards", "filters"]

DASHBOARD = "cfsync"
# The plugin says v5; it bundles Vega-Lite 6, which warns on every chart unless the spec says 6.
_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# The plugin fits charts to their card's width; heights follow from the rows (bars of nominal axes).
_FIT_X = {"autosize": {"type": "fit-x", "contains": "padding"}}

# One line each: the plugin finds a block's parameter by its first `:name`, and a block never spans lines.
_WORKSPACE = "[[AND workspace_id = CAST(:workspace AS INTEGER)]]"
_DAYS = "[[AND day >= :date_from]] [[AND day <= :date_to]]"
# mrr_monthly.month is 'YYYY-MM': a month is in the range when any of its days is.
_MONTHS = "[[AND month >= substr(:date_from, 1, 7)]] [[AND month <= substr(:date_to, 1, 7)]]"
# The one currency money charts show: the filter's, else the one with the most net revenue under the filters.
_PICKED = f"""picked AS (
  SELECT currency FROM (
    SELECT currency, 0 AS chosen, SUM(net_cents) AS net FROM revenue_daily
    WHERE currency IS NOT NULL {_WORKSPACE} {_DAYS}
    GROUP BY currency
    [[UNION ALL SELECT :currency, 1, 0]]
  ) ORDER BY chosen DESC, net DESC, currency LIMIT 1
)"""
_IN_PICKED = "currency = (SELECT currency FROM picked)"


def _money_title(what: str) -> dict[str, str]:
    """An axis title naming the currency of the rows, e.g. 'Net revenue (EUR)'."""
    return {"expr": f"'{what} (' + (length(data('rows')) ? data('rows')[0].currency : '-') + ')'"}


def _ranked(label: str, value: dict[str, Any]) -> dict[str, Any]:
    """Horizontal bars, one per `label`, the longest first; `value` is the x encoding (field, title)."""
    return {
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": label, "type": "nominal", "sort": "-x", "title": None},
            "x": {"type": "quantitative", **value},
        },
    }


def _grouped(label: str, series: list[str], name: str, value: dict[str, Any], bar_px: int) -> dict[str, Any]:
    """Bars of several columns (`series`) side by side per `label`, in that order: each row's columns are
    folded into (`name`, value["field"]) pairs; `value` is the x encoding."""
    return {
        "height": {"step": bar_px},
        "transform": [{"fold": series, "as": [name, value["field"]]}],
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": label, "type": "nominal", "sort": None, "title": None},
            "yOffset": {"field": name, "sort": series},
            "x": {"type": "quantitative", **value},
            "color": {"field": name, "type": "nominal", "title": None, "sort": series},
        },
    }


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    sql: str
    spec: dict[str, Any]
    money: bool = False  # one currency, in a `currency` column of every row


_MONTH = {"field": "month", "type": "temporal", "timeUnit": "utcyearmonth", "title": None}

CHARTS: tuple[Chart, ...] = (
    Chart(
        "revenue",
        "Revenue per month: charges, refunds (below zero) and net",
        f"""WITH {_PICKED}
SELECT substr(day, 1, 7) AS month, currency,
  SUM(gross_cents) / 100.0 AS gross, -SUM(refunds_cents) / 100.0 AS refunds, SUM(net_cents) / 100.0 AS net
FROM revenue_daily
WHERE {_IN_PICKED} {_WORKSPACE} {_DAYS}
GROUP BY month, currency ORDER BY month""",
        {
            "encoding": {"x": _MONTH},
            "layer": [
                {
                    "transform": [{"fold": ["gross", "refunds"], "as": ["part", "amount"]}],
                    "mark": {"type": "bar", "tooltip": True},
                    "encoding": {
                        "y": {
                            "field": "amount",
                            "type": "quantitative",
                            "axis": {"title": _money_title("Revenue")},
                        },
                        "color": {
                            "field": "part",
                            "type": "nominal",
                            "title": None,
                            "scale": {
                                "domain": ["gross", "refunds", "net"],
                                "range": ["#4c78a8", "#f58518", "#222"],
                            },
                        },
                    },
                },
                {
                    "mark": {"type": "line", "point": True, "tooltip": True},
                    "encoding": {
                        "color": {"datum": "net"},
                        "y": {
                            "field": "net",
                            "type": "quantitative",
                            "axis": {"title": _money_title("Revenue")},
                        },
                    },
                },
            ],
        },
        money=True,
    ),
    Chart(
        "mrr",
        "MRR per month and its movements: new, expansion, contraction, churn",
        f"""WITH {_PICKED}
SELECT month, currency, SUM(mrr_cents) / 100.0 AS mrr,
  SUM(new_mrr_cents) / 100.0 AS new, SUM(expansion_mrr_cents) / 100.0 AS expansion,
  -SUM(contraction_mrr_cents) / 100.0 AS contraction, -SUM(churned_mrr_cents) / 100.0 AS churn
FROM mrr_monthly
WHERE {_IN_PICKED} {_WORKSPACE} {_MONTHS}
GROUP BY month, currency ORDER BY month""",
        {
            "encoding": {"x": _MONTH},
            "layer": [
                {
                    "transform": [
                        {"fold": ["new", "expansion", "contraction", "churn"], "as": ["movement", "amount"]}
                    ],
                    "mark": {"type": "bar", "tooltip": True},
                    "encoding": {
                        "y": {
                            "field": "amount",
                            "type": "quantitative",
                            "axis": {"title": _money_title("MRR")},
                        },
                        "color": {
                            "field": "movement",
                            "type": "nominal",
                            "title": None,
                            "scale": {
                                "domain": ["new", "expansion", "contraction", "churn", "MRR"],
                                "range": ["#4c9a2a", "#a4de02", "#f4a261", "#d62828", "#222"],
                            },
                        },
                    },
                },
                {
                    "mark": {"type": "line", "point": True, "tooltip": True},
                    "encoding": {
                        "color": {"datum": "MRR"},
                        "y": {"field": "mrr", "type": "quantitative", "axis": {"title": _money_title("MRR")}},
                    },
                },
            ],
            "resolve": {"scale": {"y": "shared"}},
        },
        money=True,
    ),
    Chart(
        "products",
        "Net revenue by product, all time",
        f"""WITH {_PICKED}
SELECT product_id, COALESCE(product_name, '(no product)') AS product, currency,
  SUM(net_cents) / 100.0 AS net, SUM(units) AS units
FROM revenue_by_product
WHERE {_IN_PICKED} {_WORKSPACE}
GROUP BY product_id, product, currency ORDER BY net DESC""",
        _ranked("product", {"field": "net", "axis": {"title": _money_title("Net revenue")}}),
        money=True,
    ),
    Chart(
        "utm",
        "Net revenue by UTM source, last touch (the order's last visit with UTM)",
        f"""WITH {_PICKED}
SELECT COALESCE(NULLIF(last_utm_source, ''), '(none)') AS utm_source, currency,
  SUM(net_cents) / 100.0 AS net, SUM(orders) AS orders
FROM revenue_by_utm
WHERE {_IN_PICKED} {_WORKSPACE} {_DAYS}
GROUP BY utm_source, currency ORDER BY net DESC""",
        _ranked("utm_source", {"field": "net", "axis": {"title": _money_title("Net revenue, last touch")}}),
        money=True,
    ),
    Chart(
        "funnels",
        "Funnel steps: views, opt-ins and sales",
        f"""SELECT funnel_id, step,
  funnel_name || ' / ' || (step + 1) || '. ' || COALESCE(step_name, '') AS step_label,
  SUM(views) AS views, SUM(optins) AS optins, SUM(sales) AS sales
FROM funnel_conversion_daily
WHERE 1 = 1 {_WORKSPACE} {_DAYS}
GROUP BY funnel_id, step, step_label ORDER BY funnel_name, funnel_id, step""",
        # Bars of a few pixels each: three per step, a dozen steps and more.
        _grouped(
            "step_label",
            ["views", "optins", "sales"],
            "count",
            {"field": "n", "title": "People (views, opt-ins, sales)"},
            bar_px=7,
        ),
    ),
    Chart(
        "forms",
        "Form conversion: contacts who ordered after submitting",
        f"""SELECT form_id, COALESCE(name, '(form ' || form_id || ')') AS form, submissions, contacts,
  contacts_ordered_after, conversion_rate
FROM form_conversion
WHERE 1 = 1 {_WORKSPACE}
ORDER BY conversion_rate DESC, form_id""",
        _ranked(
            "form",
            {"field": "conversion_rate", "title": "Submitters who ordered after", "axis": {"format": "%"}},
        ),
    ),
    Chart(
        "courses",
        "Courses: enrollments started and completed",
        f"""SELECT course_id, COALESCE(title, '(course ' || course_id || ')') AS course, enrollments,
  enrollments_started, enrollments_completed,
  CASE WHEN enrollments > 0 THEN ROUND(1.0 * enrollments_started / enrollments, 4) END AS started,
  completion_rate AS completed
FROM course_progress
WHERE 1 = 1 {_WORKSPACE}
ORDER BY completion_rate DESC, course_id""",
        _grouped(
            "course",
            ["started", "completed"],
            "share",
            {"field": "rate", "title": "Share of enrollments", "axis": {"format": "%"}},
            bar_px=9,
        ),
    ),
)

LAYOUT = (
    ("revenue", "mrr"),
    ("products", "utm"),
    ("funnels", "funnels"),
    ("forms", "courses"),
)


def filters(database: str) -> dict[str, dict[str, Any]]:
    """The filters: a workspace, a currency, a range of days (ISO dates, both ends included)."""
    return {
        # "id name": the id leads, so CAST(:workspace AS INTEGER) reads it and the list shows the name.
        "workspace": {
            "name": "Workspace",
            "type": "select",
            "db": database,
            "query": "SELECT id || COALESCE(' ' || name, '') FROM workspaces WHERE _deleted_at IS NULL "
            "ORDER BY id",
        },
        "currency": {
            "name": "Currency (money charts show one)",
            "type": "select",
            "db": database,
            "query": "SELECT DISTINCT currency FROM revenue_daily WHERE currency IS NOT NULL "
            "ORDER BY currency",
        },
        "date_from": {"name": "From", "type": "date"},
        "date_to": {"name": "To", "type": "date"},
    }


def dashboards(database: str) -> dict[str, Any]:
    """The datasette-dashboards plugin configuration for a cfsync database opened as `database`."""
    return {
        DASHBOARD: {
            "title": "cfsync: revenue, MRR, funnels, forms and courses",
            "description": "Money charts show one currency: the filter's, else the one with the most net "
            "revenue under the other filters. Dates apply to the charts that have them. Every chart's SQL is "
            "a link away (its title), and the tables and models are at the Datasette index.",
            "settings": {"allow_fullscreen": True},
            "layout": [list(row) for row in LAYOUT],
            "filters": filters(database),
            "charts": {
                chart.slug: {
                    "title": chart.title,
                    "db": database,
                    "query": chart.sql,
                    "library": "vega-lite",
                    "display": {"$schema": _SCHEMA, **_FIT_X, **chart.spec},
                }
                for chart in CHARTS
            },
        }
    }
