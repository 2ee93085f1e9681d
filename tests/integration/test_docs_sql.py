"""Every SQL example of the README and the docs runs on SQLite and PostgreSQL as written, and sums money the
way the docs say to: through the exact `_cents` columns, never the decimal ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from cfsync.store.models import MODELS
from cfsync.store.schema import metadata

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "docs" / "analysis.md", ROOT / "docs" / "sync.md"]
# What a comment next to an example tells a PostgreSQL reader to write instead.
ON_POSTGRES = {"substr(day, 1, 7)": "to_char(day, 'YYYY-MM')"}


def statements() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for block in re.findall(r"```sql\n(.*?)```", page.read_text(), re.S):
            code = "\n".join(line.split("--")[0] for line in block.splitlines())
            found += [(page.name, s.strip()) for s in code.split(";") if s.strip()]
    return found


def money_names() -> set[str]:
    """The decimal columns that have a `_cents` twin, in the tables and the models."""
    columns = {c.name for t in metadata.tables.values() for c in t.columns}
    columns |= {c for m in MODELS for c, _ in m.columns}
    return {c.removesuffix("_cents") for c in columns if c.endswith("_cents")}


def test_the_docs_have_examples_over_the_models():
    text = " ".join(s for _, s in statements())
    for model in ("revenue_daily", "mrr_monthly", "contact_lifetime_value", "revenue_by_utm"):
        assert f"FROM {model}" in text, model
    assert "source" not in re.sub(r"utm_source", "", text), "revenue_daily has no source column"


@pytest.mark.parametrize(("page", "sql"), statements())
def test_every_example_sums_cents_per_currency(page, sql):
    summed = set(re.findall(r"SUM\((?:\w+\.)?(\w+)\)", sql))
    assert not summed & money_names(), f"{page}: sums a decimal column: {sql}"
    if summed & {f"{m}_cents" for m in money_names()}:
        assert re.search(r"GROUP BY[^;]*currency|WHERE[^;]*currency =", sql), f"{page}: {sql}"


def test_every_example_runs_on_both_databases(engine):
    pg = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        for page, sql in statements():
            if pg:
                for sqlite, postgres in ON_POSTGRES.items():
                    sql = sql.replace(sqlite, postgres)
            try:
                conn.execute(sa.text(sql)).all()
            except sa.exc.DBAPIError as exc:
                pytest.fail(f"{page}: {sql}\n{exc.orig}")
