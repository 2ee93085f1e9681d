"""Write commands: a group per resource, a command per write operation (cfsync.client.writes.OPERATIONS).

Each sends one write and prints the record the API answered as JSON on stdout (deletes print nothing); the
local database follows at once (cfsync.manage). Fields come from `-f KEY=VALUE` and/or `--input FILE`, and
are checked against the API facts before anything is sent.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import click

from ..client.writes import DELETE, REFETCH, WriteOperation, Written, operation
from ..config import Config
from .base import cli, config_of
from .inputs import (
    WORKSPACE_HELP,
    account_option,
    body_options,
    collect_fields,
    echo_json,
    record_id,
    workspace_option,
)

__all__ = ["contacts", "enrollments", "fulfillments", "images", "orders", "products", "write_command"]


@cli.group()
def contacts() -> None:
    """Create, change, upsert, delete and GDPR-erase contacts."""


@cli.group()
def products() -> None:
    """Create, change, archive and unarchive products."""


@cli.group()
def orders() -> None:
    """Change orders (their notes)."""


@cli.group()
def fulfillments() -> None:
    """Create and cancel fulfillments."""


@cli.group()
def enrollments() -> None:
    """Enroll contacts in courses and suspend or resume enrollments."""


@cli.group()
def images() -> None:
    """Add images to a workspace from a URL."""


def write_command(group: click.Group, verb: str, op_name: str, help_text: str, arg: str = "") -> None:
    """Add `cfsync <group> <verb> [ARG]` for one write operation; its options follow from the operation
    (a workspace in the path, a body, a destructive method)."""
    op = operation(op_name)
    id_param = next((p for p in op.params if p != "workspace_id"), None)
    params: list[click.Parameter] = []
    if arg and id_param:
        params.append(click.Argument(["record"], type=record_id, metavar=arg))
    if "workspace_id" in op.params:
        params.append(click.Option(["--workspace"], type=int, metavar="ID", help=WORKSPACE_HELP))
    if op.method == "DELETE":
        params.append(click.Option(["--yes"], is_flag=True, help="Do not ask: it cannot be undone."))
    if op.verb == "create" and op.resource == "webhooks_outgoing_endpoints":
        params.append(
            click.Option(
                ["--show-secret"],
                is_flag=True,
                help="Print the endpoint's webhook_secret (the API shows it in this answer only).",
            )
        )

    @click.pass_context
    def callback(ctx: click.Context, **kw: Any) -> None:
        ids = {"workspace_id": kw.get("workspace")}
        if id_param:
            ids[id_param] = kw.get("record")
        fields = {}
        if op.wrapper:
            fields = collect_fields(kw["field_args"], kw["input_file"], types=op.fields, wrapper=op.wrapper)
        _perform(ctx, op, ids, fields, kw["account"], yes=kw.get("yes", False), show=kw.get("show_secret"))

    command = click.Command(verb, callback=callback, params=params, help=help_text)
    if op.wrapper:
        body_options(command)
    account_option(command)
    group.add_command(command)


def _perform(
    ctx: click.Context,
    op: WriteOperation,
    ids: Mapping[str, int | str | None],
    fields: Mapping[str, Any],
    account: str | None,
    *,
    yes: bool = False,
    show: bool | None = False,
) -> None:
    from ..manage import prepare

    config = config_of(ctx)
    op, path_ids = prepare(config, op, {k: v for k, v in ids.items() if v is not None}, fields)
    if op.method == "DELETE" and not yes:
        what = f"{op.verb.replace('_', '-')} {op.resource.removesuffix('s')} {path_ids.get('id')}"
        if not sys.stdin.isatty():
            raise click.UsageError(f"{what} cannot be undone: add --yes (there is no terminal to ask)")
        click.confirm(f"{what}? It cannot be undone", abort=True, err=True)
    import asyncio

    written = asyncio.run(_write(config, op, path_ids, fields, account))
    if op.effect in (DELETE, REFETCH) or written.record is None:
        return
    from ..resources.transform import SECRET_FIELDS

    record = dict(written.record)
    for secret in sorted(SECRET_FIELDS & record.keys()):
        if not show:
            del record[secret]
            click.echo(
                f"cfsync: {secret} withheld; the API shows it only when creating (--show-secret prints it)",
                err=True,
            )
    if op.verb == "upsert":
        done = "created" if written.created else "updated"
        click.echo(f"cfsync: {done} contact {record.get('id')}", err=True)
    echo_json(record)


async def _write(
    config: Config,
    op: WriteOperation,
    ids: Mapping[str, int | str],
    fields: Mapping[str, Any],
    account: str | None,
) -> Written:
    from ..manage import WriteSession

    async with WriteSession(config, account=account) as session:
        return await session.write(op, ids, fields)


# (group, verb, operation, help, id argument)
_COMMANDS: tuple[tuple[click.Group, str, str, str, str], ...] = (
    (contacts, "create", "contacts.create", "Create a contact in a workspace.", ""),
    (contacts, "update", "contacts.update", "Change a contact's fields.", "ID"),
    (contacts, "delete", "contacts.delete", "Delete a contact (asks, or --yes).", "ID"),
    (
        contacts,
        "upsert",
        "contacts.upsert",
        "Create or update the contact with this email_address (empty values leave fields as they are); "
        "says on stderr which it did.",
        "",
    ),
    (
        contacts,
        "gdpr-destroy",
        "contacts.gdpr_destroy",
        "Erase a contact's personal data for good; the redacted record stays (asks, or --yes).",
        "ID",
    ),
    (products, "create", "products.create", "Create a product in a workspace (-f name=... needed).", ""),
    (products, "update", "products.update", "Change a product's fields.", "ID"),
    (products, "archive", "products.archive", "Archive a product (fails if it already is).", "ID"),
    (products, "unarchive", "products.unarchive", "Unarchive a product (fails if it is not).", "ID"),
    (orders, "update", "orders.update", "Change an order's notes.", "ID"),
    (fulfillments, "create", "fulfillments.create", "Create a fulfillment in a workspace.", ""),
    (fulfillments, "cancel", "fulfillments.cancel", "Cancel a fulfilled fulfillment.", "ID"),
    (enrollments, "create", "courses_enrollments.create", "Enroll a contact in a course.", "COURSE_ID"),
    (enrollments, "update", "courses_enrollments.update", "Suspend or resume an enrollment.", "ID"),
)
for _spec in _COMMANDS:
    write_command(*_spec)


@images.command("create")
@click.argument("url")
@workspace_option
@body_options
@account_option
@click.pass_context
def create_image(
    ctx: click.Context,
    url: str,
    workspace: int | None,
    field_args: tuple[str, ...],
    input_file: Any,
    account: str | None,
) -> None:
    """Add an image that ClickFunnels downloads from URL (-f name=..., -f alt_text=...)."""
    op = operation("images.create")
    fields = collect_fields(field_args, input_file, types=op.fields, wrapper=op.wrapper)
    _perform(ctx, op, {"workspace_id": workspace}, {**fields, "upload_source_url": url}, account)
