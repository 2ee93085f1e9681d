"""`cfsync sandbox serve --extra-field RESOURCE.FIELD=KIND[>KIND]`: parsed, in force, or a usage error."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from cfsync.cli import cli
from cfsync.sandbox import parse_extra_field

from .cli_helpers import one_error_line


def test_the_spec_parses():
    assert parse_extra_field("contacts.loyalty_points=integer") == (
        "contacts",
        "loyalty_points",
        "integer",
        None,
    )
    assert parse_extra_field("contacts.loyalty_points=integer>text") == (
        "contacts",
        "loyalty_points",
        "integer",
        "text",
    )
    assert parse_extra_field("orders.badges=array") == ("orders", "badges", "array", None)


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("contacts.loyalty_points", "is not RESOURCE.FIELD=KIND"),
        ("loyalty_points=integer", "is not RESOURCE.FIELD=KIND"),
        ("contacts.x=float", "unknown kind 'float'"),
        ("contacts.x=integer>words", "unknown kind 'words'"),
        ("contactz.x=integer", "unknown resource 'contactz'"),
        ("contacts.email_address=text", "already have a field 'email_address'"),
    ],
)
def test_a_malformed_flag_is_a_usage_error(spec: str, says: str):
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--port", "0", "--extra-field", spec])
    assert result.exit_code == 2, result.output
    line = one_error_line(result)
    assert line.startswith("cfsync: error: sandbox serve: invalid value for --extra-field: ")
    assert says in line
    assert line.endswith("(see `cfsync sandbox serve --help`)")


def test_the_served_sandbox_has_the_switches():
    exe = Path(sys.executable).with_name("cfsync")
    args = ["--extra-field", "contacts.loyalty_points=integer>text", "--extra-field", "contacts.badges=array"]
    with subprocess.Popen(
        [str(exe), "sandbox", "serve", "--port", "0", "--contacts", "10", *args],
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            lines = [proc.stdout.readline() for _ in range(7)]
            url = lines[0].split()[3]
            token = next(line for line in lines if "control:" in line).split("token=")[1].strip()
            extra = [line.strip() for line in lines if "extra field:" in line]
            assert extra[0].startswith("extra field: contacts.loyalty_points integer, text from id ")
            assert extra[1] == "extra field: contacts.badges array"
            request = urllib.request.Request(
                f"{url}/_sandbox/extra_fields", headers={"Authorization": f"Bearer {token}"}
            )
            with urllib.request.urlopen(request, timeout=10) as reply:
                switches = json.loads(reply.read())
            assert [(s["field"], s["kind"]) for s in switches] == [
                ("loyalty_points", "integer"),
                ("badges", "array"),
            ]
            assert switches[0]["change"]["kind"] == "text"
            assert isinstance(switches[0]["change"]["from_id"], int)
        finally:
            proc.terminate()
