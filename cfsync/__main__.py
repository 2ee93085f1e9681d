"""`python -m cfsync` is the `cfsync` command."""

from cfsync.cli import main

main()
