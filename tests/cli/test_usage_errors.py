"""Usage errors are one line with exit 2, whatever click found wrong; durations that cannot be 0 say so."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from cfsync.cli import cli

from .cli_helpers import one_error_line


def run(*args: str):
    return CliRunner().invoke(cli, list(args), env={"MATON_API_KEY": ""}, catch_exceptions=False)


@pytest.mark.parametrize(
    ("args", "command", "says"),
    [
        (["--bogus"], "cfsync", "no such option '--bogus'"),
        (["sync", "--ful"], "cfsync sync", "no such option '--ful'; did you mean '--full'?"),
        (["bogus"], "cfsync", "no such command 'bogus'"),
        (["webhooks", "nope"], "cfsync webhooks", "no such command 'nope'"),
        (["push", "contacts"], "cfsync push contacts", "missing argument 'FILE'"),
        (["push", "contacts", "x.csv", "--format", "xml"], "cfsync push contacts", "'xml' is not one of"),
        (["status", "--runs", "many"], "cfsync status", "invalid value for '--runs': 'many'"),
        (["status", "--runs"], "cfsync status", "option '--runs' requires an argument"),
        (["sync", "extra"], "cfsync sync", "got unexpected extra argument (extra)"),
        (["-q", "-v", "status"], "cfsync", "-q and -v say opposite things"),  # raised by the command
        (["api", "FETCH", "/teams"], "cfsync api", "'FETCH' is not one of GET"),
        (["run", "--interval", "soon"], "cfsync run", "'soon' is not a duration"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_usage_errors_are_one_line_naming_the_command_and_its_help(workdir, args, command, says):
    result = run(*args)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert says in line
    where = command.removeprefix("cfsync").strip()
    assert line.startswith(f"cfsync: error: {where}: " if where else "cfsync: error: ")
    assert line.endswith(f"(see `{command} --help`)")
    assert "Usage:" not in result.output
    assert "Try '" not in result.output
    assert result.stdout == ""


def test_help_is_unchanged():
    result = run("push", "contacts", "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ")
    assert "Options:" in result.stdout


def test_the_installed_command_too():
    """`python -m cfsync` (what the `cfsync` script runs) prints the same one line."""
    done = subprocess.run(
        [sys.executable, "-m", "cfsync", "sync", "--no-such-flag"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "cfsync: error: sync: no such option '--no-such-flag' (see `cfsync sync --help`)"
    ]


@pytest.mark.parametrize("interval", ["0s", "0m", "0.5s"])
def test_run_refuses_an_interval_under_a_second(workdir, interval):
    """`--interval 0s` once became the config's 5 minutes without a word."""
    result = run("run", "--interval", interval)
    assert result.exit_code == 2
    assert f"'{interval}' is too short: give a second or more" in one_error_line(result)


def test_run_interval_in_the_config_is_checked_too(workdir):
    (workdir / "cfsync.toml").write_text('[run]\ninterval = "0s"\n')
    result = run("run")
    assert result.exit_code == 2
    assert "run.interval must be a duration of a second or more" in one_error_line(result)


@pytest.mark.parametrize(
    ("key", "empty_means"),
    [("full_refresh_every", "never"), ("revisit_every", "every parent, every run")],
)
def test_sync_durations_of_zero_are_refused_with_what_empty_means(workdir, key, empty_means):
    (workdir / "cfsync.toml").write_text(f'[sync]\n{key} = "0d"\n')
    result = run("sync", "--no-progress")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert f"sync.{key} must be a duration above 0" in line
    assert f'("" = {empty_means})' in line
