"""The `cfsync` command: parse flags, load config, call cfsync.app, turn errors into one line + exit code.

Exit codes: 0 done, 1 finished with failed partitions (or another runtime failure), 2 usage or config,
3 authentication, 4 another sync holds the (SQLite) database, 130 interrupted. Each module adds its
commands to the root group.
"""

from . import api, browse, catalog, connections, push, run, sandbox, setup, status, sync, webhooks, writes
from .base import cli

__all__ = ["cli", "main"]

_COMMANDS = (api, browse, catalog, connections, push, run, sandbox, setup, status, sync, webhooks, writes)


def main() -> None:
    cli(prog_name="cfsync")
