"""How fast migration 0008 fills its new columns from `_raw`: rows per second on SQLite and PostgreSQL.

    .venv/bin/python -m bench.backfill                        # 1,000,000 contacts, SQLite
    .venv/bin/python -m bench.backfill --rows 200000 --databases sqlite,postgresql

A database at revision 0007 gets `--rows` contacts as the previous release stored them (their _raw with
the 2026 fields: visits, is_active, email_suppression_reason), then `upgrade()` runs to the head: the
schema transaction, then the fill, a chunk of 2,000 rows per transaction. Printed: the seconds of each
part and the fill's rows per second. Standalone: `make bench` does not run it.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import sqlalchemy as sa

from bench.common import fresh_postgres, postgres_server
from cfsync.sandbox import Sandbox, SandboxConfig
from cfsync.store import backfill
from cfsync.store.db import create_engine
from cfsync.store.migrate import upgrade

BATCH = 20_000


def _load(engine: sa.Engine, rows: int) -> None:
    """`rows` contacts at revision 0007, made from a sandbox contact (ids and the 2026 fields varied)."""
    sb = Sandbox(SandboxConfig(seed=3, workspaces=1, counts={"contacts": 5}))
    template = sb.records("contacts", workspace_id=sb.workspace_ids()[0])[0]
    insert = sa.text(
        "INSERT INTO contacts (id, workspace_id, email_address, _raw, _synced_at) "
        "VALUES (:id, 1, :email, :raw, :at)"
    )
    with engine.begin() as conn:
        for start in range(1, rows + 1, BATCH):
            batch = []
            for i in range(start, min(start + BATCH, rows + 1)):
                record = {**template, "id": i, "email_address": f"c{i}@example.com", "is_active": i % 3 > 0,
                          "email_suppression_reason": "bounced" if i % 7 == 0 else None}  # fmt: skip
                batch.append({"id": i, "email": record["email_address"], "raw": json.dumps(record),
                              "at": "2026-11-01 00:00:00.000000"})  # fmt: skip
            conn.execute(insert, batch)


def _measure(url: str, rows: int) -> dict[str, float]:
    engine = create_engine(url)
    try:
        upgrade(engine, "0007")
        _load(engine, rows)
        began = time.perf_counter()
        upgrade(engine, "0008", views=False)  # the schema, and the fill after it (upgrade() runs both)
        total = time.perf_counter() - began
        with engine.connect() as conn:
            assert not backfill.pending(conn)
            filled = conn.scalar(sa.text("SELECT COUNT(*) FROM contacts WHERE is_active IS NOT NULL"))
        assert filled == rows
        return {"seconds": total, "rows_per_second": rows / total}
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite")
    args = parser.parse_args()
    with ExitStack() as stack:
        for kind in args.databases.split(","):
            if kind == "sqlite":
                url = f"sqlite:///{Path(stack.enter_context(tempfile.TemporaryDirectory()))}/fill.db"
            else:
                server, why = stack.enter_context(postgres_server())
                if server is None:
                    print(f"postgresql: not measured ({why})")
                    continue
                url = stack.enter_context(fresh_postgres(server))
            figures = _measure(url, args.rows)
            print(f"{kind}: {args.rows:,} rows filled in {figures['seconds']:.1f} s "
                  f"({figures['rows_per_second']:,.0f} rows/s, schema change included)")  # fmt: skip


if __name__ == "__main__":
    main()
