"""Getting started: `cfsync init` (a config to start from), `cfsync db upgrade|check|rebuild`, `demo`."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import click

from ..errors import CfsyncError, ConfigError, DatabaseCorruptError
from . import signals
from .base import cli, config_of, fail, is_quiet
from .inputs import progress_options, progress_reporter, wait_option

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
    """The database: its schema, its soundness, rebuilding a damaged SQLite file."""


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


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Print what the check found as JSON on stdout.")
@click.pass_context
def check(ctx: click.Context, as_json: bool) -> None:
    """Check the database now: SQLite's integrity_check of the whole file, or on PostgreSQL the schema
    revision and the tables, columns and views it should hold. Exit 0 when sound, 5 when not."""
    from .. import app
    from ..store.db import redacted
    from ..store.integrity import damaged

    config = config_of(ctx)
    found = app.check_database(config)
    where = redacted(config.database.url)
    if as_json:
        click.echo(json.dumps({"database": where, **found.to_dict()}, indent=2))
    if not found.sound:
        raise DatabaseCorruptError(damaged(where, found))
    if not as_json and not is_quiet(ctx):
        click.echo(f"database {where} is sound ({found.scope}, {found.seconds:.2f} s)")


@db.command()
@click.option("--force", is_flag=True, help="Rebuild a file the check finds sound too.")
@progress_options
@wait_option
@click.pass_context
def rebuild(
    ctx: click.Context, force: bool, progress: bool | None, progress_every: float, wait: float
) -> None:
    """SQLite: move a damaged database file aside (kept, with its -wal and -shm, under a name with the UTC
    time), create a fresh one and sync every configured account into it."""
    from .. import app
    from ..progress import summary_line
    from ..store.db import redacted

    config = config_of(ctx)
    show_progress = sys.stderr.isatty() and not is_quiet(ctx) if progress is None else progress
    reporter = progress_reporter(show_progress, progress_every)

    def moved(files: list[tuple[Path, Path]]) -> None:
        if not is_quiet(ctx):
            (database, kept), sidecars = files[-1], files[:-1]
            also = "".join(f", {source.name} to {target.name}" for source, target in sidecars)
            click.echo(f"moved {database} aside to {kept}{also}")

    summary = signals.run(app.rebuild(config, force=force, reporter=reporter, wait=wait, on_moved=moved))
    if summary.status == "failed" and summary.error:
        fail(f"sync failed: {summary.error}; the old file stays aside, `cfsync sync` goes on", 1)
    if summary.failures:
        sys.exit(1)
    if not is_quiet(ctx):
        click.echo(f"rebuilt {redacted(config.database.url)}: {summary_line(summary)}")


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
    reporter = RichReporter() if show else None
    failed = run_demo(db_path, click.echo, reporter, run=signals.run, program=_program())
    if failed:
        sys.exit(1)


def _program() -> str:
    """How the user runs cfsync, for a command to print: `cfsync` when that is what PATH finds, else the
    script's path (relative under the working directory: `.venv/bin/cfsync` after `make demo`)."""
    script = (
        Path(sys.argv[0]) if Path(sys.argv[0]).name == "cfsync" else Path(sys.executable).with_name("cfsync")
    )
    if not script.exists():
        return "cfsync"
    found = shutil.which("cfsync")
    if found and Path(found).resolve() == script.resolve():
        return "cfsync"
    try:
        return str(script.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(script.resolve())
