"""Deliveries per second `cfsync webhooks serve` sustains into SQLite and into PostgreSQL.

    .venv/bin/python -m bench.webhooks                       # 5,000 deliveries, 8 senders, median of 3
    .venv/bin/python -m bench.webhooks --deliveries 20000 --senders 16 --databases sqlite

The receiver is its own process (`cfsync --config X webhooks serve --port 0`, its URL read from the line it
prints), on a fresh database each run. The senders are one asyncio process here, with `--senders`
connections posting signed `contact.updated` deliveries (a tenth of them new contacts, the rest newer
versions of earlier ones, each with an embedded tag) as fast as the answers come back. Two figures per run:
answered/s (every delivery answered 2xx, i.e. committed) and applied/s (until the receiver's /healthz shows
every event applied or found stale). PostgreSQL: --postgres-url, else $CFSYNC_TEST_POSTGRES_URL, else a
throwaway server from initdb (tests/postgres.py); without one its rows are left out. Standalone: `make
bench` does not run it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import aiohttp

from bench.common import fresh_postgres, postgres_server

CFSYNC = str(Path(sys.executable).with_name("cfsync"))
SECRET, SECRET_ENV, WS = "bench-webhook-secret", "CFSYNC_BENCH_WEBHOOK_SECRET", 7


def deliveries(count: int, timestamp: str) -> list[tuple[bytes, dict[str, str]]]:
    """Signed bodies, made before the clock starts: the senders only send."""
    contacts = max(1, count // 10)
    out = []
    for i in range(count):
        contact, version = 1_000 + i % contacts, i // contacts
        body = json.dumps(
            {
                "event_id": str(uuid.uuid4()),
                "event_type": "contact.updated",
                "subject_id": contact,
                "subject_type": "Contact",
                "data": {
                    "id": contact,
                    "workspace_id": WS,
                    "email_address": f"c{contact}@example.com",
                    "first_name": f"v{version}",
                    "updated_at": f"2025-01-01T{version // 60:02d}:{version % 60:02d}:00.000Z",
                    "tags": [{"id": 1, "name": "vip", "color": "red"}],
                },
                "created_at": "2025-01-01T00:00:00.000Z",
                "api_version": 2,
                "workspace_id": WS,
            },
            separators=(",", ":"),
        ).encode()
        signature = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-Webhook-ClickFunnels-Signature": signature,
            "X-Webhook-ClickFunnels-Timestamp": timestamp,
        }
        out.append((body, headers))
    return out


@contextmanager
def receiver(db_url: str, work: Path) -> Iterator[str]:
    config = work / "cfsync.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n[webhooks]\nport = 0\n'
        f'[webhooks.workspace_secrets]\n"{WS}" = "{SECRET_ENV}"\n'
    )
    with (work / "serve.log").open("a") as log:
        proc = subprocess.Popen(
            [CFSYNC, "--config", str(config), "webhooks", "serve"],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={**os.environ, SECRET_ENV: SECRET},
        )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"the receiver did not start: {(work / 'serve.log').read_text()[-2000:]}")
        yield line.split("listening on ", 1)[1].split()[0]
    finally:
        proc.terminate()
        proc.wait(60)
        if proc.stdout is not None:
            proc.stdout.close()


async def run_once(url: str, count: int, senders: int) -> tuple[float, float]:
    batch = deliveries(count, str(int(time.time())))
    queue = list(reversed(batch))
    connector = aiohttp.TCPConnector(limit=senders)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def sender() -> None:
            while queue:
                body, headers = queue.pop()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"HTTP {response.status}: {await response.text()}")

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(senders)))
        answered = time.perf_counter() - started
        health = url.rsplit("/webhooks", 1)[0] + "/healthz"
        while True:
            async with session.get(health) as response:
                counters = await response.json()
            if sum(counters[k] for k in ("applied", "stale", "ignored", "failed")) >= count:
                break
            await asyncio.sleep(0.02)
        applied = time.perf_counter() - started
    return count / answered, count / applied


@contextmanager
def database(kind: str, work: Path, run: int, pg_admin: str | None) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{work}/bench-{run}.db"
        return
    assert pg_admin is not None
    with fresh_postgres(pg_admin) as url:
        yield url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=5000, help="deliveries per run [5000]")
    parser.add_argument("--senders", type=int, default=8, help="concurrent connections [8]")
    parser.add_argument("--runs", type=int, default=3, help="runs per database; the median is shown [3]")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument("--postgres-url", help="an existing server (its `postgres` database URL)")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    rows: list[tuple[str, str, str, str]] = []
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cfsync-bench-webhooks-")))
        pg_url = args.postgres_url or os.environ.get("CFSYNC_TEST_POSTGRES_URL")
        pg, why = stack.enter_context(postgres_server(pg_url)) if "postgresql" in kinds else (None, "")
        for kind in kinds:
            if kind == "postgresql" and pg is None:
                rows.append((kind, "-", "-", why))
                continue
            results = []
            for run in range(args.runs):
                with database(kind, work, run, pg) as db_url, receiver(db_url, work) as url:
                    results.append(asyncio.run(run_once(url, args.deliveries, args.senders)))
                answered_s, applied_s = results[-1]
                print(f"  {kind} run {run + 1}: {answered_s:,.0f} answered/s, {applied_s:,.0f} applied/s")
            answered = statistics.median(r[0] for r in results)
            applied = statistics.median(r[1] for r in results)
            spread = f"answered {min(r[0] for r in results):,.0f}-{max(r[0] for r in results):,.0f}"
            rows.append((kind, f"{answered:,.0f}", f"{applied:,.0f}", spread))
    print()
    print(
        f"{args.deliveries:,} deliveries, {args.senders} senders, median of {args.runs} "
        f"({platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()})"
    )
    print()
    print("| database | answered/s | applied/s | note |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
