"""Every line the CLI logs is valid logfmt with an RFC 3339 UTC `ts`, and -q, -v and -vv say as much as
`--help` promises: -q nothing on success, -v retries, 429s and partitions, -vv each request."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from cfsync.sandbox import Sandbox, SandboxConfig

from .cli_helpers import one_error_line

_PAIR = re.compile(r'([A-Za-z_][\w.]*)=("(?:[^"\\]|\\.)*"|[^\s"=\\]*)(?: |$)')
_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def sb():
    return Sandbox(SandboxConfig(seed=4, workspaces=1, counts={"contacts": 45, "products": 5}))


def parse(line: str) -> dict[str, str]:
    """One logfmt line as a dict; AssertionError naming where it stops being logfmt."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(line):
        found = _PAIR.match(line, pos)
        assert found, f"not logfmt from column {pos}: {line!r}"
        key, value = found.groups()
        assert key not in fields, f"{key} twice in {line!r}"
        if value.startswith('"'):
            value = re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r", "t": "\t"}.get(m[1], m[1]), value[1:-1])
        fields[key] = value
        pos = found.end()
    return fields


def log_lines(stderr: str) -> list[dict[str, str]]:
    """Every line on stderr, each parsed: all must be log lines (ts first, then level)."""
    parsed = []
    for line in stderr.splitlines():
        fields = parse(line)
        assert list(fields)[:2] == ["ts", "level"], line
        assert _TS.match(fields["ts"]), line
        assert datetime.fromisoformat(fields["ts"].replace("Z", "+00:00")).tzinfo is not None
        assert fields["level"] in ("debug", "info", "warning", "error"), line
        parsed.append(fields)
    return parsed


def events(lines: list[dict[str, str]]) -> set[str]:
    return {line.get("event", "") for line in lines}


def test_the_parser_refuses_what_is_not_logfmt():
    assert parse('a=1 b="x \\"y\\" z" c=') == {"a": "1", "b": 'x "y" z', "c": ""}
    for bad in ("ts=2026-11-30 07:14:15,459 level=INFO", 'a="open', "a=1  b=2", "just words"):
        with pytest.raises(AssertionError):
            parse(bad)


def test_minus_vv_logs_each_request_and_every_line_parses(cf, sb):
    sb.faults.fail_next("429", path="/contacts$")
    sb.faults.fail_next("502", path="/products$")
    result = cf("-vv", "sync")
    assert result.exit_code == 0, result.stderr
    lines = log_lines(result.stderr)
    seen = events(lines)
    assert {"request", "rate_limited", "retry", "partition_started", "run_finished"} <= seen
    requests = [line for line in lines if line.get("event") == "request"]
    assert len(requests) >= 5
    assert {r["status"] for r in requests} >= {"200", "429", "502"}
    assert all(r["path"].startswith("/") and "token" not in r["path"].lower() for r in requests)


def test_minus_v_adds_retries_429s_and_partitions_but_not_each_request(cf, sb):
    sb.faults.fail_next("429", path="/contacts$")
    result = cf("-v", "sync")
    assert result.exit_code == 0, result.stderr
    seen = events(log_lines(result.stderr))
    assert {"rate_limited", "partition_started", "partition_finished", "run_finished"} <= seen
    assert "request" not in seen


def test_by_default_a_sync_logs_its_summary_and_problems_only(cf, sb):
    sb.faults.fail_next("429", path="/contacts$")
    result = cf("sync")
    assert result.exit_code == 0, result.stderr
    lines = log_lines(result.stderr)
    assert [line["event"] for line in lines] == ["run_finished"]
    assert lines[0]["status"] == "succeeded"


def test_minus_q_prints_nothing_on_success_and_one_line_on_failure(cf, sb, ws):
    result = cf("-q", "sync")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert cf("-q", "db", "upgrade").output == ""
    missing = cf("-q", "sync", "--workspace", str(ws + 1000))
    assert missing.exit_code == 2
    assert "not found" in one_error_line(missing)


def test_quiet_and_verbose_together_is_a_usage_error(cf):
    result = cf("-q", "-v", "sync")
    assert result.exit_code == 2
    assert "-q and -v" in result.stderr


def test_push_logs_progress_lines_and_its_summary_as_logfmt(cf, sb, tmp_path):
    source = tmp_path / "leads.csv"
    source.write_text("email_address,first_name\n" + "".join(f"p{i}@x.io,P{i}\n" for i in range(30)))
    sb.faults.fail_next("429", path="/upsert$", times=3)
    sb.faults.fail_next("stall", path="/upsert$", stall_seconds=2.5, skip=10)
    result = cf("-v", "push", "contacts", str(source), "--no-progress", "--progress-every", "1")
    assert result.exit_code == 0, result.stderr
    lines = log_lines(result.stderr)
    progress = [line for line in lines if line["event"] == "push_progress"]
    assert progress, "a line a second while a request stalls"
    assert progress[-1]["rows"].endswith("/30")
    assert {"requests", "rate_limited", "pace", "created"} <= progress[-1].keys()
    [summary] = [line for line in lines if line["event"] == "push_finished"]
    assert (summary["rows"], summary["created"]) == ("30", "30")
    assert "rate_limited" in events(lines)
    again = cf("-q", "push", "contacts", str(source), "--no-progress")
    assert (again.exit_code, again.output) == (0, "")


def test_the_webhook_receiver_logs_logfmt_too(tmp_path):
    """`cfsync -v webhooks serve` as a process: a delivery taken, one refused, stopped by SIGTERM."""
    import json
    import os
    import signal
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from tests.integration.webhook_helpers import SECRET, contact_event, encode, signed

    (tmp_path / "cfsync.toml").write_text(
        '[database]\nurl = "sqlite:///hooks.db"\n[webhooks]\nport = 0\n'
        '[webhooks.workspace_secrets]\n"7" = "HOOK_SECRET"\n'
    )
    env = {**os.environ, "HOOK_SECRET": SECRET}
    command = [sys.executable, "-m", "cfsync", "-v", "webhooks", "serve"]
    with subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().split()[3]
            body = encode(contact_event(1))
            with urllib.request.urlopen(
                urllib.request.Request(url, data=body, headers=signed(body)), timeout=10
            ) as ok:
                assert json.loads(ok.read())["status"] == "accepted"
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=10)
            assert refused.value.code == 401
            refused.value.close()  # it holds the connection: left to the collector, it warns in a later test
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
    *logged, last = err.strip().splitlines()
    assert last == "cfsync: error: interrupted by SIGTERM"
    seen = events(log_lines("\n".join(logged)))
    assert {"webhooks_listening", "webhook_received", "webhook_rejected", "webhooks_stopped"} <= seen
