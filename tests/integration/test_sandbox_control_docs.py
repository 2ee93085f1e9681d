"""docs/sandbox.md's control API: every route the sandbox serves besides the ClickFunnels API is documented
there, and every curl line of the document answers 2xx from a sandbox built as `cfsync sandbox serve`
builds it (served in a thread, the requests sent with urllib)."""

from __future__ import annotations

import re
import shlex
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from cfsync.cli import cli
from cfsync.cli.sandbox import serve
from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread
from cfsync.sandbox.app import CONTROL_ROUTES, make_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"
_ROUTE_HEADING = re.compile(r"^#### ([A-Z]+) (/\S*)$", re.MULTILINE)
_SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
_ASSIGNMENT = re.compile(r"^([A-Z_]+)=(.*)$")
_CATCH_ALL = ("*", "/{tail}")


@dataclass(frozen=True)
class Curl:
    line: str
    method: str
    url: str
    headers: dict[str, str]
    data: str | None


def _text() -> str:
    return DOC.read_text("utf-8")


def _shell_lines(text: str) -> list[str]:
    return [line.strip() for block in _SHELL_BLOCK.findall(text) for line in block.splitlines()]


def _variables(text: str) -> dict[str, str]:
    """`NAME=value` lines of the document's shell blocks, as the shell reads them."""
    found = {}
    for line in _shell_lines(text):
        m = _ASSIGNMENT.match(line)
        if m:
            found[m.group(1)] = shlex.split(m.group(2), comments=True)[0]
    return found


def _expanded(line: str, variables: dict[str, str]) -> str:
    """`$NAME` outside single quotes replaced, as the shell does (an unknown name fails the test)."""
    parts = re.split(r"('[^']*')", line)
    return "".join(
        part if part.startswith("'") else re.sub(r"\$(\w+)", lambda m: variables[m.group(1)], part)
        for part in parts
    )


def _curls(text: str, variables: dict[str, str]) -> list[Curl]:
    """Every curl line of the document, read as curl reads its options (`-d` without `-X` is a POST)."""
    curls = []
    for line in _shell_lines(text):
        if not line.startswith("curl "):
            continue
        args = shlex.split(_expanded(line, variables), comments=True)[1:]
        method, data, urls, headers = None, None, [], {}
        while args:
            arg = args.pop(0)
            if arg in ("-X", "--request"):
                method = args.pop(0)
            elif arg in ("-H", "--header"):
                name, _, value = args.pop(0).partition(":")
                headers[name.strip()] = value.strip()
            elif arg in ("-d", "--data"):
                data = args.pop(0)
            elif arg in ("-s", "--silent", "-i", "--include"):
                continue
            else:
                assert not arg.startswith("-"), f"an option the test does not read: {arg} in {line}"
                urls.append(arg)
        assert len(urls) == 1, line
        curls.append(Curl(line, method or ("POST" if data is not None else "GET"), urls[0], headers, data))
    return curls


def _documented(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _ROUTE_HEADING.finditer(text)]


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)))


def _serve_defaults() -> dict[str, object]:
    return {p.name: p.default for p in serve.params if p.name}


def _served_sandbox() -> Sandbox:
    """The sandbox `cfsync sandbox serve` starts without options."""
    d = _serve_defaults()
    return Sandbox(
        SandboxConfig(
            seed=d["seed"],
            accounts=d["accounts"],
            workspaces=d["workspaces"],
            rate_limit_burst=d["rate_limit_burst"],
            stall_seconds=d["stall_seconds"],
            webhook_delivery=d["webhook_delivery"],
        )
    )


def test_every_route_besides_the_api_is_documented_once():
    documented = _documented(_text())
    assert len(documented) == len(set(documented)), "a route documented twice"
    # What the aiohttp router has: one catch-all, which hands /_sandbox/ and /connections to the tables
    # CONTROL_ROUTES lists (and the rest to the API catalog). A route registered beside it must be
    # documented too.
    registered = {(r.method, r.resource.canonical) for r in make_app(Sandbox()).router.routes() if r.resource}
    assert _CATCH_ALL in registered
    expected = set(CONTROL_ROUTES) | (registered - {_CATCH_ALL})
    assert sorted(expected - set(documented)) == [], "served, not documented"
    assert sorted(set(documented) - expected) == [], "documented, not served"
    assert len(CONTROL_ROUTES) == 27  # 23 under /_sandbox/, 4 of the connection registry


def test_the_examples_are_for_cfsync_sandbox_serve_with_its_defaults():
    text, sb = _text(), _served_sandbox()
    variables = _variables(text)
    assert variables["SB"] == f"http://127.0.0.1:{_serve_defaults()['port']}"
    assert variables["AUTH"] == f"Authorization: Bearer {sb.control_token}"
    assert variables["MATON"] == f"Authorization: Bearer {sb.maton_key}"
    assert " and ".join(str(w) for w in sb.workspace_ids(0)) in text


def test_every_documented_route_has_a_curl_example_and_every_one_answers_2xx():
    text, sb = _text(), _served_sandbox()
    variables = _variables(text)
    routes = [(method, _pattern(path)) for method, path in _documented(text)]
    with serve_in_thread(sb) as url:
        curls = _curls(text, {**variables, "SB": url})
        shown = set()
        for curl in curls:  # in the document's order, on one sandbox: a later example may need an earlier
            path = urllib.request.urlparse(curl.url).path
            matching = [
                i for i, (method, p) in enumerate(routes) if method == curl.method and p.fullmatch(path)
            ]
            assert matching, f"no documented route for {curl.method} {path}"
            shown.update(matching)
            request = urllib.request.Request(
                curl.url,
                data=None if curl.data is None else curl.data.encode(),
                headers=curl.headers,
                method=curl.method,
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as reply:
                    status = reply.status
            except urllib.error.HTTPError as e:
                pytest.fail(f"{curl.line}\n-> {e.code} {e.read().decode(errors='replace')}")
            assert 200 <= status < 300, curl.line
        missing = [_documented(text)[i] for i in range(len(routes)) if i not in shown]
        assert not missing, f"routes without a curl example: {missing}"
    # The examples did what they say: faults set and cleared again, the corruption undone, the extra field
    # cleared, a contact made.
    assert (sb.faults.pending, sb.faults.rates, sb.faults.bursts, sb.faults.latency) == (0, {}, (), 0.0)
    assert sb.get("contacts", 5642002) is not None
    assert sb.get("contacts", 5642002)["email_address"] != 42
    assert sb.extra_fields() == []
    assert any(c["email_address"] == "ada@example.com" for c in sb.records("contacts", workspace_id=8831000))


def test_sandbox_serve_help_points_at_the_control_api_docs():
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--help"])
    assert result.exit_code == 0
    assert "docs/sandbox.md" in result.output
    assert "/_sandbox/" in result.output
