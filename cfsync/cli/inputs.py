"""What the write and api commands share: `-f KEY=VALUE` / `--input FILE` bodies, `--account`, JSON output."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from ..client.fields import from_text
from ..config import parse_duration

if TYPE_CHECKING:
    from ..display import RichReporter
    from ..progress import LogReporter

__all__ = [
    "WORKSPACE_HELP",
    "Duration",
    "account_option",
    "body_options",
    "collect_fields",
    "echo_json",
    "progress_options",
    "progress_reporter",
    "record_id",
    "workspace_option",
]

F = TypeVar("F", bound=Callable[..., Any])

account_option = click.option("--account", metavar="NAME", help="Config account to use [default: the first].")
WORKSPACE_HELP = "Workspace id [default: the config's [sync].workspaces entry, when there is exactly one]."
workspace_option = click.option("--workspace", type=int, metavar="ID", help=WORKSPACE_HELP)
wait_option = click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="SQLite: how long to wait for another process holding the database before exiting with code 4.",
)


def progress_options(func: F) -> F:
    """`--progress/--no-progress` (a live display, on a terminal by default) and `--progress-every` (the
    log line's period without it), as `sync` and `push` take them."""
    func = click.option(
        "--progress-every",
        type=click.FloatRange(min=1),
        default=60,
        show_default=True,
        metavar="SECONDS",
        help="Without the live display: a progress line this often (what is done, what it waits for).",
    )(func)
    return click.option(
        "--progress/--no-progress",
        default=None,
        help="Live progress display [default: on when stderr is a terminal and not -q].",
    )(func)


def progress_reporter(show: bool, every: float) -> LogReporter | RichReporter:
    """What `progress_options` asked for: the live display when `show`, else a log line every `every`
    seconds; each imported only when chosen, so start-up stays light."""
    if show:
        from ..display import RichReporter

        return RichReporter()
    from ..progress import LogReporter

    return LogReporter(every=every)


def body_options(func: F) -> F:
    func = click.option(
        "--input",
        "input_file",
        type=click.File("r", encoding="utf-8"),
        metavar="FILE",
        help="A JSON object of fields ('-' reads stdin); -f values override it.",
    )(func)
    return click.option(
        "-f",
        "--field",
        "field_args",
        multiple=True,
        metavar="KEY=VALUE",
        help="A field (repeatable). VALUE is JSON when it parses (numbers, true/false, null, arrays, "
        "objects), else text; a text field keeps its text as typed.",
    )(func)


def collect_fields(
    field_args: tuple[str, ...],
    input_file: IO[str] | None,
    *,
    types: Mapping[str, Any] | None = None,
    wrapper: str | None = None,
) -> dict[str, Any]:
    """The fields of `--input` (unwrapped if it holds `{wrapper: {...}}`), then each `-f`, typed by the
    facts' `types` where a field has one."""
    fields: dict[str, Any] = {}
    if input_file is not None:
        try:
            data = json.load(input_file)
        except ValueError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--input") from None
        if not isinstance(data, dict):
            raise click.BadParameter("must hold a JSON object", param_hint="--input")
        if wrapper is not None and set(data) == {wrapper} and isinstance(data[wrapper], dict):
            data = data[wrapper]
        fields.update(data)
    for arg in field_args:
        key, sep, text = arg.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{arg!r} is not KEY=VALUE", param_hint="-f")
        fields[key] = from_text((types or {}).get(key), text)
    return fields


def record_id(text: str) -> int | str:
    """A record's numeric id, or its public id (member routes take either)."""
    text = text.strip()
    if not text or not all(c.isalnum() or c in "-_" for c in text):
        raise click.BadParameter(f"{text!r} is not a record id")
    return int(text) if text.isdigit() else text


def echo_json(data: Any) -> None:
    """Pretty JSON on stdout, for people and for `jq` alike."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


class Duration(click.ParamType):
    """A duration flag: "30d", "12h", "5m", "90s", "2w"; `least` (words, with `minimum`) when a flag
    takes no shorter one, e.g. an interval of 0 s, which would mean "back to back" or "never"."""

    name = "DURATION"

    def __init__(self, minimum: timedelta = timedelta(0), least: str = "") -> None:
        self.minimum = minimum
        self.least = least

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            found: timedelta | None = value
        else:
            found = parse_duration(str(value))
        if found is None:
            self.fail(f'{value!r} is not a duration like "30d", "12h", "5m" or "2w"', param, ctx)
        if found < self.minimum:
            self.fail(f"{value!r} is too short: give {self.least}", param, ctx)
        return found
