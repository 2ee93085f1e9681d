"""dlt's `rest_api` source syncing the sandbox's contacts into SQLite, merged on id (case 5's rival).

Run as its own process, like cfsync: `python -m bench.dlt_pipeline URL TOKEN WORKSPACE_ID SQLITE_FILE
PIPELINES_DIR`. One resource per workspace contacts list, as the API pages it: bearer auth, a bare JSON
array per page, and dlt's `header_cursor` paginator reading the `Pagination-Next` header into the `after`
query parameter (it stops when the header is missing). `write_disposition` merge (delete-insert) on
primary key `id`, into the `sqlalchemy` destination with a `sqlite:///` URL and dataset `main`, so the
tables land in the file itself. Pipeline state lives in PIPELINES_DIR, so a rerun after a kill finds what
the killed run left there, as it would in production.
"""

from __future__ import annotations

import os
import sys

__all__ = ["main"]


def main(argv: list[str]) -> None:
    url, token, workspace, db_file, pipelines_dir = argv
    # No telemetry (there is no network here anyway) and no questions asked.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    import dlt
    from dlt.sources.rest_api import rest_api_source

    source = rest_api_source(
        {
            "client": {
                "base_url": f"{url}/api/v2/",
                "auth": {"type": "bearer", "token": token},
                "headers": {"User-Agent": "cfsync-bench-dlt"},
                "paginator": {
                    "type": "header_cursor",
                    "cursor_key": "Pagination-Next",
                    "cursor_param": "after",
                },
            },
            "resource_defaults": {
                "primary_key": "id",
                "write_disposition": {"disposition": "merge", "strategy": "delete-insert"},
            },
            "resources": [
                {
                    "name": "contacts",
                    "endpoint": {"path": f"workspaces/{workspace}/contacts", "data_selector": "$"},
                }
            ],
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name="cfsync_bench",
        pipelines_dir=pipelines_dir,
        destination=dlt.destinations.sqlalchemy(credentials=f"sqlite:///{db_file}"),
        dataset_name="main",
        progress="log" if os.environ.get("BENCH_DLT_PROGRESS") else None,
    )
    info = pipeline.run(source)
    print(info, file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
