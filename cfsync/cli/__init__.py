"""The `cfsync` command: parse flags, load config, call cfsync.app, turn errors into one line + exit code.

Exit codes: 0 done, 1 finished with failed partitions (or another runtime failure), 2 usage or config,
3 authentication, 130 interrupted. Each module adds its commands to the root group.
"""

from . import sandbox, sync
from .base import cli

__all__ = ["cli", "main"]

_COMMANDS = (sandbox, sync)


def main() -> None:
    cli(prog_name="cfsync")
