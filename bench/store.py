"""CPU the store spends per page of 20 contacts, on SQLite and on PostgreSQL: the write path alone.

    .venv/bin/python -m bench.store                      # 20,000 contacts, 3 runs, both databases
    .venv/bin/python -m bench.store --contacts 100000 --databases sqlite

No network and no event loop: the sandbox's records (generated in this process, with their tags) are
turned into rows by the sync's transform, then written by `Store.write_pages` 8 pages a transaction, as
the engine's writer does when the fetches keep it busy. Three figures per database, in milliseconds of
this process's CPU per page: the transform, the first write into an empty database (inserts), and the
same pages written again (every record compared and found unchanged). The database server's own CPU
(PostgreSQL) is not in them. Standalone: `make bench` does not run it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench.common import fresh_postgres, postgres_server
from cfsync.engine.ports import PageWrite, Partition, PartitionKey
from cfsync.resources.catalog import CATALOG
from cfsync.resources.transform import RecordRows, to_rows
from cfsync.sandbox import Sandbox, SandboxConfig
from cfsync.store import Store

PAGE, BATCH = 20, 8


def _pages(contacts: int) -> tuple[Partition, list[list[dict]]]:
    sb = Sandbox(SandboxConfig(seed=7, workspaces=1, counts={"contacts": contacts}))
    [workspace] = sb.workspace_ids()
    records = sb.records("contacts", workspace_id=workspace)
    key = PartitionKey("default", "contacts", workspace, workspace)
    partition = Partition(key, CATALOG["contacts"])
    return partition, [records[i : i + PAGE] for i in range(0, len(records), PAGE)]


def _write(store: Store, partition: Partition, pages: list[list[RecordRows]], at: datetime) -> float:
    """CPU seconds to write every page, BATCH pages a transaction, each with its cursor."""
    started = time.process_time()
    for start in range(0, len(pages), BATCH):
        batch = [
            PageWrite(partition, rows, [], str(rows[-1].row["id"]), run_id=1, written_at=at)
            for rows in pages[start : start + BATCH]
        ]
        store.write_pages(batch)
    return time.process_time() - started


def _run(url: str, partition: Partition, raw_pages: list[list[dict]]) -> dict[str, float]:
    at = datetime.now(UTC)
    started = time.process_time()
    pages = [[to_rows(partition.resource, r, partition.scope, at) for r in page] for page in raw_pages]
    transform = time.process_time() - started
    store = Store.open(url)
    try:
        store.migrate()
        first = _write(store, partition, pages, at)
        again = _write(store, partition, pages, at)
    finally:
        store.close()
    n = len(pages) / 1000  # figures in ms per page
    return {"transform": transform / n, "insert": first / n, "unchanged": again / n}


@contextmanager
def _database(name: str, work: Path, run: int, admin: str | None) -> Iterator[str]:
    """A fresh database for one run: a SQLite file, or a PostgreSQL database dropped afterwards."""
    if name == "sqlite":
        yield f"sqlite:///{work}/store-{run}.db"
        return
    assert admin is not None
    with fresh_postgres(admin) as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    args = parser.parse_args()
    which = [d.strip() for d in args.databases.split(",") if d.strip()]
    if not which or set(which) - {"sqlite", "postgresql"}:
        parser.error("--databases takes sqlite and/or postgresql")
    partition, raw_pages = _pages(args.contacts)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in which}
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cfsync-bench-store-")))
        admin, why = stack.enter_context(postgres_server()) if "postgresql" in which else (None, "")
        if "postgresql" in which and admin is None:
            sys.exit(f"bench.store: no PostgreSQL ({why}); or --databases sqlite")
        for run in range(args.runs):
            for name in which:
                with _database(name, work, run, admin) as url:
                    results[name].append(_run(url, partition, raw_pages))
    print(
        f"{args.contacts:,} contacts, {len(raw_pages):,} pages of {PAGE}, {BATCH} pages a transaction, "
        f"median of {args.runs} runs; ms of CPU per page"
    )
    print("| database | transform | first write (inserts) | same pages again (unchanged) |")
    print("| --- | --- | --- | --- |")
    for name, runs in results.items():
        cells = [statistics.median(r[k] for r in runs) for k in ("transform", "insert", "unchanged")]
        print(f"| {name} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")


if __name__ == "__main__":
    main()
