"""`cfsync browse`: the synced database in Datasette (SQLite), or where to point a tool (PostgreSQL)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import ConfigError
from . import signals
from .base import cli, config_of

__all__ = ["browse"]

_POSTGRES_TOOLS = "psql or pgcli, DBeaver, pgAdmin, Metabase or Superset"


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="0: any free one."
)
@click.option("--open/--no-open", "open_", default=None, help="Open a browser [default: on a terminal].")
@click.pass_context
def browse(ctx: click.Context, host: str, port: int, open_: bool | None) -> None:
    """Browse the synced SQLite database in Datasette, read-only: a dashboard of charts over the models
    (revenue, MRR, products, UTM, funnels, forms, courses), every table and column described, the models as
    canned queries (needs `pip install 'cfsync[browse]'`)."""
    from .. import app
    from ..browse import DASHBOARD_PATH, serve
    from ..store.db import redacted

    config = config_of(ctx)
    url = config.database.url
    if not url.startswith("sqlite"):
        raise ConfigError(
            f"cfsync browse opens SQLite databases; point {_POSTGRES_TOOLS} at {redacted(url)} instead "
            "(the models are views there too; docs/schema.md describes every table and model)"
        )
    with app.existing_store(config) as store:  # a missing file is one line, not an empty Datasette
        path = store.engine.url.database
    if not path:
        raise ConfigError(f"cfsync browse needs a database file, not {redacted(url)}")
    show = sys.stdout.isatty() if open_ is None else open_

    def ready(address: str) -> None:
        dashboard = address + DASHBOARD_PATH
        click.echo(f"browse: {dashboard}  (Ctrl-C stops it)")
        if show:
            import webbrowser

            webbrowser.open(dashboard)

    signals.run(serve(Path(path), host, port, on_ready=ready))
