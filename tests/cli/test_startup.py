"""`cfsync --help`, `--version`, every command's `--help` and a usage error load none of SQLAlchemy,
aiohttp, alembic, rich or Datasette: a command imports what it needs when it runs (docs/development.md).
Not timed (bench/startup.py measures it): what is asserted is which modules a fresh process loaded."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = (
    "sqlalchemy",
    "aiohttp",
    "alembic",
    "rich",
    "datasette",
    "uvicorn",
    "prometheus_client",
    "asyncio",
    "cfsync.resources.catalog",  # built from the API facts: a command that lists resources pays for it
)

# In a fresh interpreter: each command line, run as `cfsync` would, and the heavy modules loaded after it.
_PROBE = textwrap.dedent(
    """
    import contextlib, io, json, sys
    import click
    from cfsync.cli import cli

    def paths(command, prefix):
        yield prefix
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                yield from paths(sub, [*prefix, name])

    heavy = HEAVY
    lines = [["--version"], ["--help"], ["no-such-command"], ["sync", "--no-such-flag"]]
    lines += [[*path, "--help"] for path in paths(cli, []) if path]
    seen = {}
    for line in lines:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            try:
                cli.main(line, prog_name="cfsync")
            except SystemExit as done:
                code = done.code
        seen[" ".join(line)] = [code, sorted(m for m in heavy if m in sys.modules)]
    print(json.dumps(seen))
    """
)


def test_help_version_and_usage_errors_load_no_heavy_module():
    probe = _PROBE.replace("HEAVY", repr(HEAVY))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["--version"] == [0, []]
    assert seen["--help"] == [0, []]
    assert seen["no-such-command"] == [2, []]
    assert seen["sync --no-such-flag"] == [2, []]
    assert len(seen) > 30, "every command's --help was tried"
    loaded = {line: modules for line, (code, modules) in seen.items() if modules or code != 0}
    assert loaded == {"no-such-command": [], "sync --no-such-flag": []}


def test_importing_the_package_loads_nothing_heavy_until_a_name_is_used():
    probe = (
        f"import sys, cfsync; before = sorted(m for m in {HEAVY!r} if m in sys.modules); cfsync.Service; "
        "print(before, 'sqlalchemy' in sys.modules and 'aiohttp' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True"]
