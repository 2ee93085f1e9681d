from pathlib import Path

from cfsync.resources.catalog import CATALOG
from cfsync.store.docs import schema_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"


def test_docs_schema_is_current():
    assert DOC.read_text() == schema_markdown(), "docs/schema.md is stale: run `make docs`"


def test_every_table_and_column_is_documented():
    text = schema_markdown()
    for resource in CATALOG.values():
        assert f"\n## {resource.name}\n" in text
        for child in resource.children:
            assert f"\n### {child.name}\n" in text
    assert "| `total_amount` | decimal | total_amount (string\\|null) |" in text
    assert "| `id` (key) | integer | id (integer) |" in text
