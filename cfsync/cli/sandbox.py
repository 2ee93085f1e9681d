"""`cfsync sandbox serve`: the local ClickFunnels stand-in on a socket."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..sandbox import SandboxConfig
from . import signals
from .base import cli

__all__ = ["SANDBOX_TOKEN_ENV", "sandbox", "sandbox_config"]

SANDBOX_TOKEN_ENV = "CFSYNC_SANDBOX_TOKEN"
_MARK = "# Written by `cfsync sandbox serve --write-config`"


@cli.group()
def sandbox() -> None:
    """The local ClickFunnels stand-in used by tests, benchmarks and the demo."""


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free port)."
)
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
@click.option(
    "--latency",
    "latency_spec",
    default="0",
    show_default=True,
    metavar="S|MIN-MAX",
    help="Seconds added to every answer: fixed (0.25) or uniform between two (0.1-0.5, seeded).",
)
@click.option("--rate-limit", type=float, help="Requests per second per client IP before 429s.")
@click.option(
    "--rate-limit-burst",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Requests a client IP may send at once before the rate limit bites.",
)
@click.option(
    "--faults",
    "faults_spec",
    metavar="KIND=RATE,...",
    help="Random faults: the share of API requests each kind answers, e.g. 502=0.01,reset=0.005,stall=0.001 "
    "(kinds: 429, 500, 502, 503, reset, stall).",
)
@click.option(
    "--stall-seconds",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="How long a random stall holds its request (longer than the client's timeout).",
)
@click.option("--fault-seed", type=int, help="Seed of the random faults and latencies [default: --seed].")
@click.option(
    "--bursts",
    "bursts_spec",
    metavar="KIND:SECONDS/EVERY[+OFFSET],...",
    help="Every request answered KIND (429, 500, 502, 503) for SECONDS every EVERY seconds, the first "
    "OFFSET seconds after start [default: EVERY], e.g. 429:3/30 or 502:60/600+10.",
)
@click.option(
    "--webhooks",
    "webhook_delivery",
    type=click.Choice(["loopback", "any", "off"]),
    default="loopback",
    show_default=True,
    help="Post signed webhooks to endpoints created through the API: loopback URLs only, any URL, or none.",
)
@click.option(
    "--extra-field",
    "extra_fields",
    multiple=True,
    metavar="RESOURCE.FIELD=KIND[>KIND]",
    help="Serve a field the API facts do not have on a list's records (repeatable), e.g. "
    "contacts.loyalty_points=integer, or =integer>text to change kind halfway (kinds: integer, number, "
    "boolean, timestamp, money, text, object, array).",
)
@click.option(
    "--write-config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a cfsync config for the sandbox's first account here, once listening (its token goes in "
    f"${SANDBOX_TOKEN_ENV}, printed then). Overwrites only a file it wrote before.",
)
def serve(
    host: str,
    port: int,
    seed: int,
    accounts: int,
    workspaces: int,
    contacts: int | None,
    orders: int | None,
    counts: tuple[str, ...],
    latency_spec: str,
    rate_limit: float | None,
    rate_limit_burst: int,
    faults_spec: str | None,
    stall_seconds: float,
    fault_seed: int | None,
    bursts_spec: str | None,
    webhook_delivery: str,
    extra_fields: tuple[str, ...],
    config_file: Path | None,
) -> None:
    """Serve a deterministic ClickFunnels v2 API until interrupted.

    Its control API (/_sandbox/..., with the control token it prints: records, faults, latency, the request
    log...) is documented route by route, with curl examples, in docs/sandbox.md."""
    if config_file is not None and config_file.exists() and not _ours(config_file):
        raise ConfigError(f"{config_file} exists and was not written by the sandbox: give another file")
    from ..sandbox import (
        Sandbox,
        SandboxConfig,
        parse_bursts,
        parse_extra_field,
        parse_fault_rates,
        parse_latency,
        serve_forever,
    )

    try:
        latency = parse_latency(latency_spec)
    except ValueError as exc:
        raise ConfigError(f"--latency: {exc}") from None
    try:
        rates = parse_fault_rates(faults_spec) if faults_spec is not None else {}
    except ValueError as exc:
        raise ConfigError(f"--faults: {exc}") from None
    try:
        bursts = parse_bursts(bursts_spec) if bursts_spec is not None else ()
    except ValueError as exc:
        raise ConfigError(f"--bursts: {exc}") from None

    try:
        extras = [parse_extra_field(spec) for spec in extra_fields]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--extra-field") from None

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
                rate_limit_burst=rate_limit_burst,
                fault_rates=rates,
                fault_seed=fault_seed,
                stall_seconds=stall_seconds,
                bursts=bursts,
                webhook_delivery=webhook_delivery,
            )
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    for resource, field, kind, change in extras:
        try:
            sb.add_extra_field(resource, field, kind, change=change)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--extra-field") from None

    def ready(url: str) -> None:
        click.echo(f"sandbox listening on {url}  (Ctrl-C stops it)")
        for account in range(accounts):
            click.echo(
                f"  account {account}: direct base_url={url}  token={sb.api_token(account)}"
                f"  maton connection={sb.connection_ids[account]}"
            )
        click.echo(f"  maton: base_url={url}/clickfunnels  MATON_API_KEY={sb.maton_key}")
        click.echo(f"  control: {url}/_sandbox/  token={sb.control_token}")
        click.echo(f"  workspaces: {', '.join(str(w) for a in range(accounts) for w in sb.workspace_ids(a))}")
        misbehaviour = _misbehaviour(sb.config)
        if misbehaviour:
            click.echo(f"  misbehaving: {misbehaviour}")
        for extra in sb.extra_fields():
            change = extra["change"]
            then = f", {change['kind']} from id {change['from_id']}" if change else ""
            click.echo(f"  extra field: {extra['resource']}.{extra['field']} {extra['kind']}{then}")
        if config_file is not None:
            try:
                config_file.write_text(sandbox_config(url), "utf-8")
            except OSError as exc:
                raise ConfigError(f"cannot write {config_file}: {exc.strerror or exc}") from None
            click.echo(f"wrote {config_file}; in another shell:")
            click.echo(f"  export {SANDBOX_TOKEN_ENV}={sb.api_token(0)}")
            click.echo(f"  cfsync --config {config_file} sync")

    signals.run(serve_forever(sb, host, port, on_ready=ready))


def sandbox_config(url: str) -> str:
    """A config for the sandbox at `url`: direct mode, its first account, a SQLite file beside it."""
    return (
        f"{_MARK}: the sandbox at {url}, its first account.\n"
        f"# The token is not kept here: export {SANDBOX_TOKEN_ENV} as the sandbox printed it.\n"
        "[api]\n"
        'mode = "direct"\n'
        f'base_url = "{url}"\n'
        f'api_key_env = "{SANDBOX_TOKEN_ENV}"\n'
        "requests_per_second = 50\n"
        "\n[database]\n"
        'url = "sqlite:///sandbox.db"\n'
    )


def _ours(path: Path) -> bool:
    try:
        return path.read_text("utf-8").startswith(_MARK)
    except (OSError, UnicodeDecodeError):
        return False


def _misbehaviour(config: SandboxConfig) -> str:
    """One line on the latency, rate limit and random faults in force ("" when none)."""
    parts = []
    if config.latency:
        low_high = config.latency if isinstance(config.latency, tuple) else None
        parts.append(
            f"latency {low_high[0]:g}-{low_high[1]:g} s" if low_high else f"latency {config.latency:g} s"
        )
    if config.rate_limit is not None:
        parts.append(f"rate limit {config.rate_limit:g}/s (burst {config.rate_limit_burst})")
    if config.fault_rates:
        rates = ",".join(f"{k}={v:g}" for k, v in config.fault_rates.items())
        seed = config.seed if config.fault_seed is None else config.fault_seed
        parts.append(f"faults {rates} (seed {seed}, stall {config.stall_seconds:g} s)")
    if config.bursts:
        parts.append(f"bursts {','.join(str(b) for b in config.bursts)}")
    return "; ".join(parts)
