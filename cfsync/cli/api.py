"""`cfsync api`: any endpoint, like `gh api`, with the config's auth, rate limit and retries.

It prints what the API answered and touches no database.
"""

from __future__ import annotations

import json
from typing import IO, Any
from urllib.parse import parse_qsl

import click

from ..config import Config
from . import signals
from .base import cli, config_of
from .inputs import account_option, body_options, collect_fields, echo_json

__all__ = ["api"]

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Resending these cannot do a thing twice; a POST or PATCH is resent only when the API cannot have acted.
_REPEATABLE = frozenset({"GET", "PUT", "DELETE"})


@cli.command("api")
@click.argument("words", nargs=-1, required=True, metavar="[METHOD] PATH")
@body_options
@click.option("--paginate", is_flag=True, help="Follow Pagination-Next and print every page as one array.")
@account_option
@click.pass_context
def api(
    ctx: click.Context,
    words: tuple[str, ...],
    field_args: tuple[str, ...],
    input_file: IO[str] | None,
    paginate: bool,
    account: str | None,
) -> None:
    """Call any API endpoint; PATH is relative to /api/v2 (`workspaces/1/contacts`).

    METHOD is GET, or POST when fields are given without --paginate (as `gh api` does): to filter, name
    GET (`api GET workspaces/1/contacts -f 'filter[email_address]=a@b.c'`) or put the filter in PATH
    (`api 'workspaces/1/contacts?filter[email_address]=a@b.c'`); without GET those fields would be the
    body of a POST, which creates a record. Other than for GET, fields and --input are the JSON body (wrap
    them as the API wants: `-f 'contact={"first_name": "Ann"}'`).
    """
    if len(words) > 2:
        raise click.UsageError("expected [METHOD] PATH")
    wants_body = (field_args or input_file) and not paginate
    method = words[0].upper() if len(words) == 2 else ("POST" if wants_body else "GET")
    if method not in _METHODS:
        raise click.BadParameter(f"{words[0]!r} is not one of {', '.join(_METHODS)}", param_hint="METHOD")
    path, params = _split(words[-1])
    body: Any = None
    if method == "GET":
        if input_file is not None:
            raise click.UsageError("--input sends a body: give a METHOD that takes one (POST, PUT...)")
        for arg in field_args:
            key, sep, value = arg.partition("=")
            if not sep or not key:
                raise click.BadParameter(f"{arg!r} is not KEY=VALUE", param_hint="-f")
            params[key] = value  # a query string is text: no JSON reading
    elif paginate:
        raise click.UsageError("--paginate follows GET lists only")
    elif input_file is not None and not field_args:
        body = _load(input_file)  # any JSON: some endpoints take an array
    elif field_args or input_file is not None:
        body = collect_fields(field_args, input_file)
    data = signals.run(_call(config_of(ctx), account, method, path, params, body, paginate))
    if data is not None:
        echo_json(data)


def _split(raw: str) -> tuple[str, dict[str, str]]:
    """`/api/v2/workspaces/1/contacts?sort_order=desc` -> `/workspaces/1/contacts`, {sort_order: desc}."""
    if "://" in raw:
        raise click.BadParameter("give a path relative to /api/v2, not a URL", param_hint="PATH")
    path, _, query = raw.strip().partition("?")
    path = "/" + path.lstrip("/")
    path = path.removeprefix("/api/v2") or "/"
    return "/" + path.lstrip("/"), dict(parse_qsl(query, keep_blank_values=True))


def _load(input_file: IO[str]) -> Any:
    try:
        return json.load(input_file)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--input") from None


async def _call(
    config: Config,
    account: str | None,
    method: str,
    path: str,
    params: dict[str, str],
    body: Any,
    paginate: bool,
) -> Any:
    from ..client.http import ApiClient
    from ..client.writes import list_all
    from ..manage import pick_account

    chosen = pick_account(config, account)
    async with ApiClient(chosen) as client:
        if paginate:
            return await list_all(client, path, params)
        response = await client.call(
            method, path, params=params or None, body=body, repeatable=method in _REPEATABLE
        )
        return response.data
