"""What a page with a new field costs the store (issue 21), on SQLite and PostgreSQL: wall milliseconds.

    .venv/bin/python -m bench.schema_evolution     # SQLite: 10,000 and 100,000 rows; PostgreSQL: 10,000
    .venv/bin/python -m bench.schema_evolution --rows sqlite=10000,postgresql=10000 --runs 5

No network and no event loop: the store's write path as the engine's writer drives it, one page of 20
contacts at a time: `Store.evolve` (the columns the records need), the sync's transform, then
`Store.write_pages`. A table of N contacts is loaded first (1,000 written by the store, then copied in SQL
under new ids). Then, each figure the median over the runs (the baseline and the later pages: of 5 pages
each run):

- baseline: a page of 20 new contacts without a new field (evolve finds nothing new);
- first page with a new field (an integer): its ALTER TABLE, the fill of the N rows from `_raw`, the
  change row, then the page itself; twice: with no stored row holding the field in its `_raw` (the usual
  case: the API just started sending it) and with every row holding it (a table synced under
  `schema = "freeze"`, or a field the catalog left in `_raw`: every row is updated);
- next pages with the field: the column known, nothing to add.

The database server's work is inside these figures (wall time, not CPU). Standalone: `make bench` does not
run it; its figures go in bench/standalone.md by hand.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import fresh_postgres, postgres_server
from cfsync.engine.ports import PageWrite, Partition, PartitionKey
from cfsync.resources.catalog import CATALOG
from cfsync.resources.transform import to_rows
from cfsync.sandbox import Sandbox, SandboxConfig
from cfsync.store import Store
from cfsync.store.schema import metadata

PAGE, PAGES, SEED_ROWS = 20, 5, 1_000
FIELD = "loyalty_points"
WORKSPACE = 1


def _templates() -> list[dict[str, Any]]:
    sb = Sandbox(SandboxConfig(seed=7, workspaces=1, counts={"contacts": 120}))
    return sb.records("contacts", workspace_id=sb.workspace_ids()[0])


def _contact(template: dict[str, Any], id_: int, field: bool) -> dict[str, Any]:
    record = {**template, "id": id_, "workspace_id": WORKSPACE, "email_address": f"c{id_}@example.com"}
    if field:
        record[FIELD] = None if id_ % 7 == 0 else id_ % 1000
    return record


def _write(store: Store, partition: Partition, records: list[dict[str, Any]]) -> tuple[float, float]:
    """One page the way the engine's writer does it: (seconds in evolve, seconds in all)."""
    at = datetime.now(UTC)
    began = time.perf_counter()
    resource, _ = store.evolve(partition.resource, records, run_id=None)
    evolved = time.perf_counter()
    rows = [to_rows(resource, r, partition.scope, at) for r in records]
    part = partition if resource is partition.resource else replace(partition, resource=resource)
    store.write_pages([PageWrite(part, rows, [], str(records[-1]["id"]), run_id=None, written_at=at)])
    return evolved - began, time.perf_counter() - began


def _load(store: Store, partition: Partition, templates: list[dict[str, Any]], n: int, field: bool) -> None:
    """N contacts, ids 1..N: SEED_ROWS written by the store (without evolving: a field in them stays in
    `_raw`, as a frozen sync keeps it), the rest copies of those under new ids."""
    at = datetime.now(UTC)
    seed = [_contact(templates[i % len(templates)], i + 1, field) for i in range(min(n, SEED_ROWS))]
    pages = [
        PageWrite(
            partition,
            [to_rows(partition.resource, r, partition.scope, at) for r in chunk],
            [],
            None,
            None,
            at,
        )
        for chunk in (seed[i : i + PAGE] for i in range(0, len(seed), PAGE))
    ]
    store.write_pages(pages)
    names = ", ".join(c.name for c in metadata.tables["contacts"].columns)
    copied = names.replace("id, ", "id + :offset, ", 1) if names.startswith("id, ") else None
    assert copied, "contacts' first column is its id"
    with store.engine.begin() as conn:
        for offset in range(SEED_ROWS, n, SEED_ROWS):
            conn.execute(
                sa.text(f"INSERT INTO contacts ({names}) SELECT {copied} FROM contacts WHERE id <= :top"),
                {"offset": offset, "top": min(SEED_ROWS, n - offset)},
            )
        assert conn.scalar(sa.text("SELECT count(*) FROM contacts")) == n


def _run(url: str, n: int, templates: list[dict[str, Any]], in_raw: bool) -> dict[str, Any]:
    key = PartitionKey("default", "contacts", WORKSPACE, WORKSPACE)
    partition = Partition(key, CATALOG["contacts"])
    store = Store.open(url)
    try:
        store.migrate()
        _load(store, partition, templates, n, field=in_raw)
        next_id = n + 1

        def page(field: bool) -> list[dict[str, Any]]:
            nonlocal next_id
            records = [
                _contact(templates[(next_id + i) % len(templates)], next_id + i, field) for i in range(PAGE)
            ]
            next_id += PAGE
            return records

        baseline = [_write(store, partition, page(False))[1] for _ in range(PAGES)]
        first_evolve, first = _write(store, partition, page(True))
        with store.engine.connect() as conn:
            filled = conn.scalar(sa.text(f"SELECT count({FIELD}) FROM contacts"))
        later = [_write(store, partition, page(True))[1] for _ in range(PAGES)]
    finally:
        store.close()
    # The fill took the field from every stored row's _raw that had a value (copies carry their seed's).
    expected_filled = sum(1 for i in range(n) if (i % SEED_ROWS + 1) % 7) if in_raw else 0
    expected_filled += sum(1 for i in range(next_id - PAGE * (PAGES + 1), next_id - PAGE * PAGES) if i % 7)
    assert filled == expected_filled, (filled, expected_filled)
    return {
        "baseline": statistics.median(baseline),
        "first": first,
        "first_evolve": first_evolve,
        "later": statistics.median(later),
    }


@contextmanager
def _database(name: str, work: Path, tag: str, admin: str | None) -> Iterator[str]:
    if name == "sqlite":
        yield f"sqlite:///{work}/evolve-{tag}.db"
        return
    assert admin is not None
    with fresh_postgres(admin) as url:
        yield url


def _sizes(spec: str) -> list[tuple[str, int]]:
    out = []
    for item in spec.split(","):
        name, _, rows = item.strip().partition("=")
        if name not in ("sqlite", "postgresql") or not rows.isdigit() or int(rows) < 1:
            raise ValueError(item)
        out.append((name, int(rows)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.schema_evolution", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rows", default="sqlite=10000,sqlite=100000,postgresql=10000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    try:
        sizes = _sizes(args.rows)
    except ValueError as exc:
        parser.error(f"--rows takes database=rows pairs (sqlite, postgresql), not {exc}")
    templates = _templates()
    ms = 1000.0
    lines = [
        f"pages of {PAGE} contacts; wall ms per page, median of {args.runs} runs "
        f"(baseline and next pages: of {PAGES} pages a run)",
        "| database | rows stored | field in their `_raw` | page without a new field | first page with it "
        "(of which evolve: ALTER, fill, change row) | next pages with it |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cfsync-bench-evolve-")))
        need_pg = any(name == "postgresql" for name, _ in sizes)
        admin, why = stack.enter_context(postgres_server()) if need_pg else (None, "")
        if need_pg and admin is None:
            sys.exit(f"bench.schema_evolution: no PostgreSQL ({why}); or --rows sqlite=...")
        for name, n in sizes:
            for in_raw in (False, True):
                runs = []
                for run in range(args.runs):
                    with _database(name, work, f"{n}-{in_raw}-{run}", admin) as url:
                        runs.append(_run(url, n, templates, in_raw))
                cell = {k: statistics.median(r[k] for r in runs) * ms for k in runs[0]}
                lines.append(
                    f"| {name} | {n:,} | {'every row' if in_raw else 'none'} | {cell['baseline']:.1f} | "
                    f"{cell['first']:.1f} ({cell['first_evolve']:.1f}) | {cell['later']:.1f} |"
                )
                print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
