"""What checking a SQLite file costs: the full quick_check, integrity_check (`cfsync db check`), a run's
check of the sync's own tables, and for comparison quick_check of the contacts table alone, on a database
of 1,000,000 contacts.

    .venv/bin/python -m bench.integrity                # 1,000,000 contacts
    .venv/bin/python -m bench.integrity --rows 200000

The file is made as bench/backfill.py makes its own (a sandbox contact repeated with new ids and emails),
at the head revision. Each check runs three times on a warm page
cache (the file was just written); the median is printed with the file's size. Standalone: `make bench`
does not run it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from bench.backfill import _load
from cfsync.store.db import create_engine
from cfsync.store.integrity import BOOKKEEPING, FULL_BELOW_BYTES, quick_check
from cfsync.store.migrate import upgrade


def _median(check: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        check()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _integrity_check(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "check.db"
        engine = create_engine(f"sqlite:///{path}")
        try:
            upgrade(engine)
            _load(engine, args.rows)
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            size = path.stat().st_size
            full = _median(lambda: quick_check(engine))
            integrity = _median(lambda: _integrity_check(engine))
            quiet = _median(lambda: quick_check(engine, BOOKKEEPING))
            contacts = _median(lambda: quick_check(engine, ("contacts",)))
        finally:
            engine.dispose()
    print(f"{args.rows:,} contacts, file {size / 2**20:,.0f} MiB ({size / FULL_BELOW_BYTES:.2f} x the "
          f"{FULL_BELOW_BYTES // 2**20} MiB below which every run checks the whole file)")  # fmt: skip
    rate = size / 2**20 / full
    print(f"PRAGMA quick_check, whole file (a run's full check): {full:.2f} s ({rate:,.0f} MiB/s)")
    print(f"PRAGMA integrity_check, whole file (db check):       {integrity:.2f} s")
    print(f"quick_check of the sync's own tables (every run):     {quiet * 1000:.1f} ms")
    print(f"quick_check(contacts) alone, for comparison:          {contacts:.2f} s")


if __name__ == "__main__":
    main()
