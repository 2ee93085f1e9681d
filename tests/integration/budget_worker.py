"""A worker process for the shared-budget tests and bench: `python -m tests.integration.budget_worker
BASE_URL DB_URL SECONDS CEILING [alone]`, the key in $BUDGET_WORKER_KEY.

It sends `GET /teams` from four loops for SECONDS through ApiClient, with the budget shared through the
PostgreSQL database at DB_URL (already migrated), or its own (`alone`: each process learns the limit alone,
as before the budget was shared), and prints one JSON line: what it sent, what got through, its pace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from typing import Any

from cfsync.client import ApiClient
from cfsync.client.budget import Budget, Budgets
from cfsync.config import parse_config
from cfsync.errors import RetriableApiError
from cfsync.store.budgets import PostgresBoard
from cfsync.store.db import create_engine


def budget_for(base_url: str, key: str, ceiling: float, board: PostgresBoard | None) -> Budget:
    settings = {"mode": "direct", "base_url": base_url, "api_key_env": "K", "requests_per_second": ceiling}
    account = parse_config({"api": settings}, {"K": key}).api
    return Budgets(board).for_account(account)


async def hammer(base_url: str, key: str, budgets: list[Budget], seconds: float) -> list[dict[str, Any]]:
    """Each budget's client sends `GET /teams` from four loops for `seconds` (calls still retrying then
    are cancelled): what each sent, what got through, its pace."""
    settings = {"mode": "direct", "base_url": base_url, "api_key_env": "K"}
    account = parse_config({"api": settings}, {"K": key}).api
    clients = [ApiClient(account, budget=b) for b in budgets]
    ok = [0] * len(clients)

    async def one_loop(i: int) -> None:
        while True:
            with contextlib.suppress(RetriableApiError):
                await clients[i].request("GET", "/teams")
                ok[i] += 1

    for client in clients:
        await client.__aenter__()
    try:
        loops = [asyncio.ensure_future(one_loop(i)) for i in range(len(clients)) for _ in range(4)]
        await asyncio.sleep(seconds)
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
    finally:
        for client in clients:
            await client.close()
    return [
        {
            "requests": c.stats.requests,
            "rate_limited": c.stats.rate_limited,
            "ok": n,
            "pace": c.budget.rate.rate,
            "cuts": c.budget.rate.cuts,
            "learner": bool(c.budget.shared and c.budget.shared.learner),
        }
        for c, n in zip(clients, ok, strict=True)
    ]


async def work(base_url: str, db_url: str, seconds: float, ceiling: float, alone: bool) -> dict[str, Any]:
    key = os.environ["BUDGET_WORKER_KEY"]
    engine = create_engine(db_url)
    board = None if alone else PostgresBoard(engine)
    budget = budget_for(base_url, key, ceiling, board)
    print(json.dumps({"started": True}), flush=True)
    try:
        return (await hammer(base_url, key, [budget], seconds))[0]
    finally:
        if board is not None:
            board.close()
        engine.dispose()


def main() -> None:
    base_url, db_url, seconds, ceiling = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    alone = sys.argv[5:] == ["alone"]
    print(json.dumps(asyncio.run(work(base_url, db_url, seconds, ceiling, alone))), flush=True)


if __name__ == "__main__":
    main()
