"""What the sandbox's funnel statistics cost at a bench size: the first request of a workspace (which builds
its order index by arithmetic), then a one-day and a 30-day window of a funnel with its steps.

    .venv/bin/python -m bench.sandbox_stats                  # 300,000 orders in one workspace
    .venv/bin/python -m bench.sandbox_stats --orders 100000

Standalone: `make bench` does not run it.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from cfsync.sandbox import Sandbox, SandboxConfig

NOW = datetime(2024, 10, 15, 13, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300_000)
    args = parser.parse_args()
    sb = Sandbox(SandboxConfig(seed=7, workspaces=1, counts={"orders": args.orders}), clock=lambda: NOW)
    ws = sb.workspace_ids()[0]
    funnel = next(f["id"] for f in sb.records("funnels", workspace_id=ws) if sb.stats.steps(f["id"]))
    windows = {
        "first request (one day, builds the index)": ("2024-10-01", "2024-10-02"),
        "one day": ("2024-10-02", "2024-10-03"),
        "30 days": ("2024-09-15", "2024-10-15"),
    }
    for label, (start, end) in windows.items():
        query = {"timerange_start": f"{start}T00:00:00Z", "timerange_end": f"{end}T00:00:00Z"}
        began = time.perf_counter()
        with sb.state.lock:
            answer = sb.stats.funnel(funnel, query, True)
        took = time.perf_counter() - began
        print(f"{label}: {took:.3f} s, {answer['summary']['upfront_sales_count']} orders on its pages")


if __name__ == "__main__":
    main()
