"""Getting started: `cfsync init` (a config to start from), `cfsync db upgrade`, `cfsync demo`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import app
from ..errors import CfsyncError, ConfigError
from ..progress import RichReporter
from ..store.db import redacted
from ..store.migrate import current_revision
from . import signals
from .base import cli, config_of, is_quiet

__all__ = ["db", "demo", "init"]


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option(
    "--path",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("cfsync.toml"),
    show_default=True,
    help="Where to write the config.",
)
def init(force: bool, target: Path) -> None:
    """Write a commented config file to start from."""
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists (use --force to overwrite)")
    try:
        target.write_text(_example_config(), "utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror or exc}") from None
    click.echo(f"wrote {target}; set the API key's environment variable, then run `cfsync sync`")


def _example_config() -> str:
    here = Path(__file__).resolve().parent.parent  # the cfsync package
    for candidate in (here / "config.example.toml", here.parent / "config.example.toml"):
        if candidate.is_file():
            return candidate.read_text("utf-8")
    raise CfsyncError("config.example.toml is missing from this installation")


@cli.group()
def db() -> None:
    """Database schema commands."""


@db.command()
@click.pass_context
def upgrade(ctx: click.Context) -> None:
    """Create or migrate the database schema to the latest version."""
    config = config_of(ctx)
    store = app.open_store(config)
    revision = current_revision(store.engine)
    store.close()
    if not is_quiet(ctx):
        click.echo(f"database {redacted(config.database.url)} is at revision {revision}")


@cli.command()
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("cfsync-demo.db"),
    show_default=True,
    help="SQLite file to (re)create.",
)
@click.option("--progress/--no-progress", default=None, help="Live progress [default: on a terminal].")
def demo(db_path: Path, progress: bool | None) -> None:
    """Start the sandbox, sync it into a fresh SQLite file, and show what landed."""
    from ..demo import run_demo

    show = sys.stderr.isatty() if progress is None else progress
    failed = run_demo(db_path, click.echo, RichReporter() if show else None, run=signals.run)
    if failed:
        sys.exit(1)
