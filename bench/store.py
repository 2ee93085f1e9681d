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
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from cfsync.engine.ports import PageWrite, Partition, PartitionKey
from cfsync.resources.catalog import CATALOG
from cfsync.resources.transform import RecordRows, to_rows
from cfsync.sandbox import Sandbox, SandboxConfig
from cfsync.store import Store

ROOT = Path(__file__).resolve().parents[1]
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
def _databases(which: list[str], work: Path) -> Iterator[Iterator[tuple[str, str]]]:
    """(name, a fresh database URL) for each run of each database asked for."""
    server = None
    if "postgresql" in which:
        sys.path.insert(0, str(ROOT))
        from tests.postgres import find_bin_dir, throwaway_server

        bin_dir = find_bin_dir()
        if bin_dir is None:
            sys.exit("bench.store: no initdb on PATH or in /usr/lib/postgresql/*/bin (or --databases sqlite)")
        server = throwaway_server(bin_dir)
        admin = server.__enter__()
    counter = iter(range(1_000_000))

    def fresh() -> Iterator[tuple[str, str]]:
        while True:
            n = next(counter)
            for name in which:
                if name == "sqlite":
                    yield name, f"sqlite:///{work}/store-{n}.db"
                else:
                    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
                    with engine.connect() as conn:
                        conn.exec_driver_sql(f"CREATE DATABASE bench_store_{n}")
                    engine.dispose()
                    yield name, admin.rsplit("/", 1)[0] + f"/bench_store_{n}"

    try:
        yield fresh()
    finally:
        if server is not None:
            server.__exit__(None, None, None)


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
    with (
        tempfile.TemporaryDirectory(prefix="cfsync-bench-store-") as work,
        _databases(which, Path(work)) as dbs,
    ):
        for _ in range(args.runs * len(which)):
            name, url = next(dbs)
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
