"""The `cfsync` command: parse flags, load config, call cfsync.app, turn errors into one line + exit code.

Exit codes: 0 done, 1 finished with failed partitions (or another runtime failure), 2 usage or config,
3 authentication, 130 interrupted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__, app
from .config import Config, load_config
from .errors import CfsyncError, ConfigError
from .progress import LogReporter, RichReporter, logfmt, summary_line
from .resources.catalog import CATALOG, ordered
from .store import queries
from .store.db import redacted
from .store.migrate import current_revision, head_revision

__all__ = ["main"]

log = logging.getLogger("cfsync")


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"cfsync: error: {message}", err=True)
    sys.exit(code)


class _Group(click.Group):
    """Turns expected errors into one line on stderr and their exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CfsyncError as exc:
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)


def _config(ctx: click.Context) -> Config:
    obj = ctx.find_root().obj
    if "config" not in obj:
        obj["config"] = load_config(obj["config_path"], os.environ, explicit=obj["config_path"] is not None)
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
    target.write_text(_example_config(), "utf-8")
    click.echo(f"wrote {target}; set the API key's environment variable, then run `cfsync sync`")


def _example_config() -> str:
    here = Path(__file__).resolve().parent
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
    config = _config(ctx)
    store = app.open_store(config)
    revision = current_revision(store.engine)
    store.close()
    click.echo(f"database {redacted(config.database.url)} is at revision {revision}")


@cli.command()
@click.option("--full", is_flag=True, help="Start every partition over from the first record.")
@click.option(
    "--resource",
    "resources",
    multiple=True,
    metavar="NAME",
    help="Sync only this resource (repeatable; parents are synced too). See `cfsync resources`.",
)
@click.option(
    "--workspace",
    "workspaces",
    multiple=True,
    type=int,
    metavar="ID",
    help="Sync only this workspace id (repeatable).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Live progress display [default: on when stderr is a terminal].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON on stdout.")
@click.pass_context
def sync(
    ctx: click.Context,
    full: bool,
    resources: tuple[str, ...],
    workspaces: tuple[int, ...],
    progress: bool | None,
    as_json: bool,
) -> None:
    """Copy new records of every partition into the database (migrates first)."""
    config = _config(ctx)
    show_progress = sys.stderr.isatty() if progress is None else progress
    reporter = RichReporter() if show_progress else LogReporter()
    summary = asyncio.run(app.sync(config, resources, workspaces, full_refresh=full, reporter=reporter))
    if as_json:
        click.echo(
            json.dumps(
                {
                    "run_id": summary.run_id,
                    "status": summary.status,
                    "requests": summary.requests,
                    "retries": summary.retries,
                    "rate_limited": summary.rate_limited,
                    "partitions": summary.partitions,
                    "failures": [{"partition": p, "error": e} for p, e in summary.failures],
                    "rows": summary.rows_json(),
                },
                indent=2,
            )
        )
    elif show_progress:
        click.echo(summary_line(summary), err=True)
    if summary.failures:
        sys.exit(1)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--runs", default=5, show_default=True, help="How many recent runs to show.")
@click.pass_context
def status(ctx: click.Context, as_json: bool, runs: int) -> None:
    """Partitions, their cursors, and the last runs."""
    config = _config(ctx)
    store = app.open_store(config, migrate=False)
    try:
        store.check_migrated()
        parts = queries.partitions(store.engine)
        recent = queries.recent_runs(store.engine, runs)
        counts = queries.row_counts(store.engine)
        rejected = queries.reject_count(store.engine)
    finally:
        store.close()
    if as_json:
        click.echo(
            json.dumps(
                {"partitions": parts, "runs": recent, "rows": counts, "rejects": rejected},
                indent=2,
                default=str,
            )
        )
        return
    click.echo(f"database: {redacted(config.database.url)} (schema {head_revision()})")
    _print_partitions(parts, counts)
    click.echo(f"rejected records: {rejected}" + ("  (see table _rejects)" if rejected else ""))
    click.echo("\nrecent runs:")
    for run in recent:
        click.echo(
            "  "
            + logfmt(
                run=run["id"],
                started=run["started_at"],
                finished=run["finished_at"] or "-",
                status=run["status"],
                requests=run["requests"],
                retries=run["retries"],
                rate_limited=run["rate_limited"],
                failed=run["failed_partitions"],
            )
        )
    if not recent:
        click.echo("  none yet: run `cfsync sync`")


def _print_partitions(parts: list[dict[str, Any]], counts: dict[str, int]) -> None:
    by_resource: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for part in parts:
        by_resource.setdefault((part["account"], part["resource"]), []).append(part)
    click.echo(f"\n{'account/resource':<44} {'parts':>6} {'failed':>6} {'rows':>10}  last success")
    for (account, resource), group in by_resource.items():
        failed = [p for p in group if p["status"] == "failed"]
        last = max((p["last_success_at"] or "" for p in group), default="") or "-"
        click.echo(
            f"{account + '/' + resource:<44} {len(group):>6} {len(failed):>6} "
            f"{counts.get(resource, 0):>10}  {last}"
        )
        for part in failed[:5]:
            click.echo(
                f"    failed workspace={part['workspace_id']} parent={part['parent_id']} "
                f"cursor={part['cursor']}: {part['last_error']}"
            )
        if len(failed) > 5:
            click.echo(f"    ... and {len(failed) - 5} more (cfsync status --json)")
    if not parts:
        click.echo("  no partitions yet")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def resources(as_json: bool) -> None:
    """The resources cfsync syncs, their tables and parents."""
    rows = [
        {
            "name": r.name,
            "path": r.path,
            "parent": r.parent,
            "default": r.default,
            "children": [c.name for c in r.children],
            "filters": list(r.filters),
        }
        for r in ordered()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'resource':<30} {'parent':<12} {'default':<8} list endpoint")
    for r in ordered():
        click.echo(f"{r.name:<30} {r.parent or '-':<12} {'on' if r.default else 'off':<8} GET {r.path}")
        for child in r.children:
            click.echo(f"  {child.name}  (embedded {child.field}[])")
    click.echo(f"\n{len(CATALOG)} resources; a nested list costs one request per parent per page.")


@cli.group()
def sandbox() -> None:
    """The local ClickFunnels stand-in used by tests, benchmarks and the demo."""


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, help="Port (0: any free port).")
@click.option("--seed", default=1, show_default=True, help="Same seed, same data.")
@click.option("--accounts", default=1, show_default=True, help="Accounts (teams), one API token each.")
@click.option("--workspaces", default=2, show_default=True, help="Workspaces per team.")
@click.option("--contacts", type=int, help="Contacts per workspace.")
@click.option("--orders", type=int, help="Orders per workspace.")
@click.option(
    "--count",
    "counts",
    multiple=True,
    metavar="RESOURCE=N",
    help="Records per partition of any resource (repeatable), e.g. courses_enrollments=50.",
)
@click.option("--latency", default=0.0, show_default=True, help="Seconds added to every answer.")
@click.option("--rate-limit", type=float, help="Requests per second per client IP before 429s.")
def serve(
    host: str,
    port: int,
    seed: int,
    accounts: int,
    workspaces: int,
    contacts: int | None,
    orders: int | None,
    counts: tuple[str, ...],
    latency: float,
    rate_limit: float | None,
) -> None:
    """Serve a deterministic ClickFunnels v2 API until interrupted."""
    from .sandbox import Sandbox, SandboxConfig, serve_forever

    sizes: dict[str, int] = {}
    for item in counts:
        name, _, value = item.partition("=")
        if not value.isdigit():
            raise click.BadParameter(f"{item!r} is not RESOURCE=N", param_hint="--count")
        sizes[name] = int(value)
    sizes.update({k: v for k, v in (("contacts", contacts), ("orders", orders)) if v is not None})
    try:
        sb = Sandbox(
            SandboxConfig(
                seed=seed,
                accounts=accounts,
                workspaces=workspaces,
                counts=sizes,
                latency=latency,
                rate_limit=rate_limit,
            )
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None

    def ready(url: str) -> None:
        click.echo(f"sandbox listening on {url}  (Ctrl-C stops it)")
        for account in range(accounts):
            click.echo(
                f"  account {account}: direct base_url={url}  token={sb.api_token(account)}"
                f"  maton connection={sb.connection_ids[account]}"
            )
        click.echo(f"  maton: base_url={url}/clickfunnels  MATON_API_KEY={sb.maton_key}")
        click.echo(f"  workspaces: {', '.join(str(w) for a in range(accounts) for w in sb.workspace_ids(a))}")

    try:
        asyncio.run(serve_forever(sb, host, port, on_ready=ready))
    except OSError as exc:
        raise CfsyncError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


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
    from .demo import run_demo

    show = sys.stderr.isatty() if progress is None else progress
    failed = run_demo(db_path, click.echo, RichReporter() if show else None)
    if failed:
        sys.exit(1)


def main() -> None:
    cli(prog_name="cfsync")
