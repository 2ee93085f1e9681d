"""Getting started: `cfsync init` (a config to start from), `cfsync db upgrade`, `cfsync demo`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import CfsyncError, ConfigError
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
@click.option(
    "--mode",
    type=click.Choice(["maton", "direct"]),
    default="maton",
    show_default=True,
    help="Through the Maton gateway (MATON_API_KEY), or straight to your ClickFunnels host with an API "
    "token (CLICKFUNNELS_API_TOKEN, and a base_url to fill in).",
)
def init(force: bool, target: Path, mode: str) -> None:
    """Write a commented config file to start from."""
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists (use --force to overwrite)")
    text = _example_config()
    if mode == "direct":
        text = direct_config(text)
    try:
        target.write_text(text, "utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror or exc}") from None
    if mode == "direct":
        click.echo(
            f"wrote {target}; put your subdomain in its base_url, export CLICKFUNNELS_API_TOKEN, "
            "then run `cfsync sync`"
        )
    else:
        click.echo(f"wrote {target}; export MATON_API_KEY, then run `cfsync sync`")


# The example's [api] lines that differ in direct mode, and what they become.
_DIRECT = {
    'mode = "maton"': 'mode = "direct"',
    'base_url = "https://api.maton.ai/clickfunnels"': 'base_url = "https://{subdomain}.myclickfunnels.com"',
    'api_key_env = "MATON_API_KEY"': 'api_key_env = "CLICKFUNNELS_API_TOKEN"',
}


def direct_config(example: str) -> str:
    """The example config with the direct-mode defaults (base_url keeps a placeholder the config refuses
    until it is filled in)."""
    for maton, direct in _DIRECT.items():
        if f"\n{maton}\n" not in example:
            raise CfsyncError(f"config.example.toml has no line {maton!r} to turn into direct mode")
        example = example.replace(f"\n{maton}\n", f"\n{direct}\n", 1)
    return example


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
    from .. import app
    from ..store.db import redacted
    from ..store.migrate import current_revision

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
    from ..progress import RichReporter

    show = sys.stderr.isatty() if progress is None else progress
    failed = run_demo(db_path, click.echo, RichReporter() if show else None, run=signals.run)
    if failed:
        sys.exit(1)
