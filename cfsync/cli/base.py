"""The root `cfsync` group and what every command shares: config loading, logging, error handling."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from .. import __version__
from ..config import Config, load_config
from ..errors import CfsyncError
from ..logfmt import LogfmtFormatter

__all__ = ["cli", "config_of", "fail", "is_quiet", "setup_logging"]

log = logging.getLogger("cfsync")


# The flag that sets what a library error's `option` names.
FLAGS = {
    "account": "--account NAME",
    "workspace": "--workspace ID",
    "fields": "-f KEY=VALUE or --input FILE",
    "results": "--results FILE",
    "wait": "--wait SECONDS",
    "url": "--url",
    "events": "--events TYPE",
}


def fail(message: str, code: int, option: str | None = None) -> NoReturn:
    # One line, whatever the message carries (a driver's hint on a second line, say).
    one_line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    if option in FLAGS:
        one_line += f" ({FLAGS[option]})"
    click.echo(f"cfsync: error: {one_line}", err=True)
    sys.exit(code)


def usage_line(exc: click.UsageError, parent: click.Context | None = None) -> str:
    """A click usage error as one line: the command, what is wrong, where its help is. (click's own form
    is three lines, its usage first, which a log or a cron mail splits from the error.) `parent`: the
    group that was invoking a subcommand, for the errors click raises without a context."""
    context = exc.ctx or parent
    names = [c.info_name or "" for c in _chain(context)][1:] if context is not None else []
    if exc.ctx is None and parent is not None:
        names.append(parent.invoked_subcommand or "")
    path = " ".join(["cfsync", *[name for name in names if name]])
    message = " ".join(exc.format_message().split()).replace(". Did you mean", "; did you mean")
    if message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    where = f"{path.removeprefix('cfsync ')}: " if path != "cfsync" else ""
    return f"{where}{message.rstrip('.')} (see `{path} --help`)"


def _chain(ctx: click.Context) -> list[click.Context]:
    chain = [ctx]
    while chain[0].parent is not None:
        chain.insert(0, chain[0].parent)
    return chain


class _Group(click.Group):
    """Turns expected errors into one line on stderr and their exit code, never a traceback: click's usage
    errors (exit 2) from every command below, as well as cfsync's own."""

    group_class = type  # its groups are _Groups too, so each knows which subcommand it was parsing

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise  # a bare group shows its help, as click does
        except click.UsageError as exc:
            fail(usage_line(exc), exc.exit_code)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            fail(usage_line(exc, ctx), exc.exit_code)
        except CfsyncError as exc:
            fail(str(exc), exc.exit_code, exc.option)
        except KeyboardInterrupt:
            fail("interrupted", 130)


def config_of(ctx: click.Context) -> Config:
    obj = ctx.find_root().obj
    if "config" not in obj:
        obj["config"] = load_config(obj["config_path"], os.environ)
    config: Config = obj["config"]
    return config


# What `-v` adds: retries and 429s, pace changes, each partition, the receiver's deliveries; `-vv`
# turns on every cfsync logger at debug, each request included.
_VERBOSE = ("cfsync.retry", "cfsync.rate", "cfsync.sync", "cfsync.push", "cfsync.webhooks")


def _stop_hint(record: logging.LogRecord) -> bool:
    """On a terminal, a line that says cfsync is waiting (`extra={"stoppable": True}`) says how to stop."""
    if getattr(record, "stoppable", False):
        record.msg = f'{record.getMessage()} hint="Ctrl-C to stop"'
        record.args = ()
    return True


def setup_logging(verbose: int, quiet: bool = False) -> None:
    """Log lines on stderr, in logfmt. `quiet`: warnings and errors only (cron mails nothing on
    success); `verbose` 1 or 2: more detail, as `_VERBOSE` says."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    if sys.stderr.isatty():
        handler.addFilter(_stop_hint)
    root = logging.getLogger("cfsync")
    root.handlers[:] = [handler]
    root.propagate = False
    root.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose > 1 else logging.INFO)
    for name in _VERBOSE:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose == 1 and not quiet else logging.NOTSET)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cfsync")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file [default: $CFSYNC_CONFIG, else ./cfsync.toml].",
)
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="More log lines: -v adds retries, 429s, pace changes and each partition; -vv each request.",
)
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors: nothing on success (for cron).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int, quiet: bool) -> None:
    """Copy ClickFunnels 2.0 accounts into SQLite or PostgreSQL and keep them current."""
    if quiet and verbose:
        raise click.UsageError("-q and -v say opposite things: give one")
    ctx.obj = {"config_path": config_path, "quiet": quiet}
    setup_logging(verbose, quiet)


def is_quiet(ctx: click.Context) -> bool:
    """`cfsync -q`: print nothing on success."""
    return bool((ctx.find_root().obj or {}).get("quiet"))
