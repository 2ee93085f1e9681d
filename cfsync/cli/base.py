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

__all__ = ["cli", "config_of", "fail"]

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


class _Group(click.Group):
    """Turns expected errors into one line on stderr and their exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
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


def _setup_logging(verbose: int) -> None:
    level = logging.DEBUG if verbose > 1 else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("ts=%(asctime)s level=%(levelname)s %(message)s"))
    root = logging.getLogger("cfsync")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cfsync")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file [default: $CFSYNC_CONFIG, else ./cfsync.toml].",
)
@click.option("-v", "--verbose", count=True, help="More log lines (-vv: every partition).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int) -> None:
    """Copy ClickFunnels 2.0 accounts into SQLite or PostgreSQL and keep them current."""
    ctx.obj = {"config_path": config_path}
    _setup_logging(verbose + 1)
