"""The command line: flags, config errors and exit codes, against the sandbox on a real socket."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cfsync.cli import cli
from cfsync.sandbox import Sandbox, SandboxConfig
from cfsync.store.migrate import head_revision

COMMANDS = [
    [],
    ["init"],
    ["db"],
    ["db", "upgrade"],
    ["sync"],
    ["status"],
    ["resources"],
    ["sandbox"],
    ["sandbox", "serve"],
    ["demo"],
]


@pytest.fixture
def sb():
    return Sandbox(SandboxConfig(seed=5, workspaces=1, counts={"contacts": 30}))


def write_config(path: Path, url: str, db: str = "sqlite:///synced.db", extra: str = "") -> Path:
    path.write_text(
        f'[api]\nmode = "direct"\nbase_url = "{url}"\napi_key_env = "CF_TOKEN"\nrequests_per_second = 500\n'
        f'max_retries = 1\n{extra}[database]\nurl = "{db}"\n'
    )
    return path


def run(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cfsync: error: ")
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a) or "cfsync")
def test_help_everywhere(args):
    result = run(*args, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output


def test_init_writes_the_example_once(workdir):
    assert run("init").exit_code == 0
    text = (workdir / "cfsync.toml").read_text()
    assert 'mode = "maton"' in text
    again = run("init")
    assert again.exit_code == 2
    assert "already exists" in one_error_line(again)
    assert run("init", "--force").exit_code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[api]\nmod = 1\n", "unknown key api.mod"),
        ('[api]\nrequests_per_second = "x"\n', "api.requests_per_second must be a number"),
        ("[api\n", "not valid TOML"),
        ('[api]\nmode = "direct"\n', "api.base_url is missing"),
        ('[sync]\nresources = ["contact"]\n', "unknown resource 'contact'"),
        ("", "environment variable MATON_API_KEY (api_key_env of account 'default') is not set"),
    ],
)
def test_config_errors_are_one_line_exit_2(workdir, content, message):
    (workdir / "cfsync.toml").write_text(content)
    result = run("sync", "--no-progress")
    assert result.exit_code == 2
    assert message in one_error_line(result)


def test_missing_explicit_config(workdir):
    result = run("--config", "nope.toml", "status")
    assert result.exit_code == 2
    assert "nope.toml not found" in one_error_line(result)


def test_sync_status_and_exit_codes(workdir, url, sb):
    write_config(workdir / "cfsync.toml", url)
    env = {"CF_TOKEN": sb.api_token(0)}

    result = run("sync", "--no-progress", "--json", env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "succeeded"
    assert summary["rows"]["contacts"]["inserted"] == len(
        sb.records("contacts", workspace_id=sb.workspace_ids(0)[0])
    )
    assert "event=run_finished" in result.stderr  # the log line a cron mail would show

    status = run("status", "--json", env=env)
    assert status.exit_code == 0
    data = json.loads(status.stdout)
    assert data["runs"][0]["status"] == "succeeded"
    assert data["rows"]["contacts"] == summary["rows"]["contacts"]["inserted"]
    assert {p["resource"] for p in data["partitions"]} >= {
        "teams",
        "workspaces",
        "contacts",
        "courses_enrollments",
    }
    assert all(p["status"] == "ok" and p["cursor"] for p in data["partitions"] if p["rows"])
    human = run("status", env=env)
    assert human.exit_code == 0
    lines = human.stdout.splitlines()
    assert max(map(len, lines)) <= 100
    header = next(line for line in lines if line.startswith("resource "))
    contacts = next(line for line in lines if line.startswith("default/contacts "))
    # "just now" under 5 s; a loaded machine can take longer between the sync's start and this status
    assert re.match(r"(just now|\d+ s ago)", contacts[header.index("last success") :]), "columns line up"
    runs_header = lines.index("recent runs:") + 1
    assert lines[runs_header].split() == [
        "run",
        "status",
        "started",
        "took",
        "requests",
        "429s",
        "inserted",
        "updated",
        "deleted",
        "failed",
    ]
    assert lines[runs_header + 1].split()[:2] == ["1", "succeeded"]
    each = run("status", "--partitions", env=env)
    assert each.exit_code == 0
    contacts_line = next(line for line in each.stdout.splitlines() if "partition=default/contacts " in line)
    assert "status=ok" in contacts_line
    assert "cursor=" in contacts_line
    assert "watermark=20" in contacts_line

    sb.faults.forbid("/images$")
    partial = run("sync", "--no-progress", env=env)
    assert partial.exit_code == 1
    assert "partition_failed" in partial.stderr
    assert "HTTP 403" in partial.stderr


def test_bad_key_exits_3(workdir, url):
    write_config(workdir / "cfsync.toml", url)
    result = run("sync", "--no-progress", env={"CF_TOKEN": "wrong-token-value"})
    assert result.exit_code == 3
    assert one_error_line(result).startswith("cfsync: error: HTTP 401: API key missing or invalid")
    assert "wrong-token-value" not in result.output


def test_unreachable_api_is_one_line(workdir):
    write_config(workdir / "cfsync.toml", "http://127.0.0.1:9", extra="timeout_seconds = 2\n")
    result = run("sync", "--no-progress", "--resource", "teams", env={"CF_TOKEN": "t"})
    assert result.exit_code == 1
    assert "gave up after 2 attempts" in result.stderr
    assert "Traceback" not in result.output


def test_resources_lists_the_catalog_and_its_cost(workdir, url, sb):
    result = run("resources", "--json")
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert len(rows) == 64  # the catalog's 63 lists, then funnel statistics
    assert list(rows)[:3] == ["teams", "users", "workspaces"]
    assert list(rows)[-1] == "funnel_stats_daily"
    assert rows["funnel_stats_daily"]["first_run_requests_per_parent"] == 30
    assert rows["funnel_stats_daily"]["quiet_run_requests_per_parent"] == 3
    assert rows["contacts_applied_tags"]["default"] is False
    assert rows["contacts_applied_tags"]["walked_for"] == "changed, new and named parents"
    assert rows["contacts_applied_tags"]["revisit_seconds"] is None  # the expensive fan-outs: never
    assert rows["courses_enrollments"]["walked_for"] == "changed, new and named parents"
    assert rows["courses_enrollments"]["revisit_seconds"] == 86400
    assert rows["contacts"]["walked_for"] is None
    assert rows["contacts"]["by_updated_at"] is True
    assert rows["courses_enrollments"]["known_parents"] is None  # no database yet
    text = run("resources").stdout
    assert "└ contacts__tags" in text
    assert re.search(r"^contacts_applied_tags +contacts +off ", text, re.MULTILINE)
    assert rows["domains"]["read_whole"] is True
    assert rows["domains"]["by_updated_at"] is False
    assert rows["emails_topics"]["params"] == {"include_archived": "true"}
    assert rows["pages"]["expandable"] == ["footer_code", "head_code", "markup"]
    assert "  + expand: footer_code, head_code, markup" in text
    assert re.search(r"^funnel_stats_daily +funnels +on +1 request per funnel and day: 30 per", text, re.M)

    write_config(workdir / "cfsync.toml", url, extra='[sync]\nrevisit_every = "6h"\n')
    assert run("sync", "--no-progress", env={"CF_TOKEN": sb.api_token(0)}).exit_code == 0
    rows = {r["name"]: r for r in json.loads(run("resources", "--json").stdout)}
    courses = len(sb.records("courses", workspace_id=sb.workspace_ids(0)[0]))
    assert rows["courses_enrollments"]["known_parents"] == courses
    assert rows["courses_enrollments"]["revisit_seconds"] == 6 * 3600
    enrollments = next(
        line for line in run("resources").stdout.splitlines() if "courses_enrollments " in line
    )
    assert enrollments.endswith(f"(changed, new and named parents; the others every 6h, {courses} known)")
    write_config(workdir / "cfsync.toml", url, extra='[sync]\nrevisit_every = ""\n')
    rows = {r["name"]: r for r in json.loads(run("resources", "--json").stdout)}
    assert rows["courses_enrollments"]["walked_for"] == "every parent"
    write_config(workdir / "cfsync.toml", url, extra="[sync]\nstats_days = 0\n")
    assert re.search(r"^funnel_stats_daily +funnels +off +none", run("resources").stdout, re.M)


def test_exclude_leaves_a_resource_and_its_children_out(workdir, url, sb):
    write_config(workdir / "cfsync.toml", url, extra="")
    with (workdir / "cfsync.toml").open("a") as f:
        f.write('[sync]\nexclude = ["courses", "images"]\n')
    result = run("sync", "--no-progress", "--json", env={"CF_TOKEN": sb.api_token(0)})
    assert result.exit_code == 0
    synced = set(json.loads(result.stdout)["rows"])
    assert not synced & {"courses", "courses_enrollments", "courses_lessons", "images"}
    assert "contacts" in synced


def test_schema_prints_the_docs_page():
    result = run("schema")
    assert result.exit_code == 0
    assert result.stdout == (Path(__file__).resolve().parents[2] / "docs" / "schema.md").read_text()


def test_db_upgrade_and_database_url_override(workdir, monkeypatch):
    monkeypatch.setenv("CFSYNC_DATABASE_URL", f"sqlite:///{workdir}/other.db")
    result = run("db", "upgrade")
    assert result.exit_code == 0
    assert f"is at revision {head_revision()}" in result.stdout
    assert (workdir / "other.db").exists()


def test_commands_that_only_read_never_create_a_database(workdir):
    for args in (["status"], ["webhooks", "prune"]):
        result = run(*args)
        assert result.exit_code == 1
        assert "no database at sqlite:///cfsync.db yet" in one_error_line(result)
    assert not (workdir / "cfsync.db").exists()
    assert run("resources").exit_code == 0
    assert not (workdir / "cfsync.db").exists()


def test_status_before_any_upgrade(workdir):
    sa.create_engine(f"sqlite:///{workdir}/cfsync.db").connect().close()  # a file, but no schema
    result = run("status")
    assert result.exit_code == 1
    assert "run `cfsync db upgrade`" in one_error_line(result)


def test_unusable_databases_are_one_line(workdir, url, monkeypatch):
    """A SQLite file in a missing directory, a PostgreSQL server that refuses (whose driver message
    spans two lines, with the password in the URL): one line each naming the database, exit 5 (the
    database failed), no password."""
    write_config(workdir / "cfsync.toml", url)
    env = {"CF_TOKEN": "t"}
    monkeypatch.setenv("CFSYNC_DATABASE_URL", f"sqlite:///{workdir}/missing/dir/x.db")
    for args in (["sync"], ["db", "upgrade"]):
        result = run(*args, env=env)
        assert result.exit_code == 5
        assert "missing/dir/x.db" in one_error_line(result)
    monkeypatch.setenv("CFSYNC_DATABASE_URL", "postgresql://u:hunter2pw@127.0.0.1:1/db")
    for args in (["sync"], ["status"], ["webhooks", "prune"]):
        result = run(*args, env=env)
        assert result.exit_code == 5
        line = one_error_line(result)
        assert "database postgresql://u:***@127.0.0.1:1/db is unavailable" in line
        assert "Connection refused" in line
        assert "hunter2pw" not in result.output


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("notaurl", "database.url is not a database URL (sqlite:///FILE or postgresql://USER@HOST/DB)"),
        ("mysql://u:pw@h/db", "database.url mysql://u:***@h/db: mysql is not supported"),
        ("sqlite://", "is an in-memory SQLite database, gone when cfsync exits"),
        ("postgresql://u:pw@h:notaport/db", "database.url is not a database URL"),
    ],
)
def test_database_urls_that_make_no_sense_are_config_errors(workdir, url, message, monkeypatch):
    monkeypatch.setenv("CFSYNC_DATABASE_URL", url)
    for args in (["sync"], ["status"], ["db", "upgrade"]):
        result = run(*args, env={"MATON_API_KEY": "t"})
        assert result.exit_code == 2, result.output
        line = one_error_line(result)
        assert message in line
        assert ":pw@" not in result.output


def test_config_files_with_a_bom_work_and_utf16_is_one_line(workdir):
    (workdir / "bom.toml").write_bytes(b"\xef\xbb\xbf" + b'[database]\nurl = "sqlite:///bom.db"\n')
    assert run("--config", "bom.toml", "db", "upgrade").exit_code == 0
    (workdir / "utf16.toml").write_bytes('[database]\nurl = "sqlite:///u.db"\n'.encode("utf-16"))
    result = run("--config", "utf16.toml", "status")
    assert result.exit_code == 2
    assert one_error_line(result) == "cfsync: error: config: utf16.toml is UTF-16 text: save it as UTF-8"
    (workdir / "latin1.toml").write_bytes("# café\n".encode("latin-1"))
    result = run("--config", "latin1.toml", "status")
    assert result.exit_code == 2
    assert "is not UTF-8 text" in one_error_line(result)


def test_init_into_a_missing_directory_is_one_line(workdir):
    result = run("init", "--path", str(workdir / "nope" / "cfsync.toml"))
    assert result.exit_code == 2
    assert one_error_line(result).endswith("nope/cfsync.toml: No such file or directory")


def test_sync_as_a_real_process(workdir, url, sb):
    """The installed entry point, as cron runs it: no terminal, logs on stderr, exit code."""
    write_config(workdir / "cfsync.toml", url, extra="[sync]\nstats_days = 3\n")  # a short backfill
    env = {**os.environ, "CF_TOKEN": sb.api_token(0)}
    exe = Path(sys.executable).with_name("cfsync")
    done = subprocess.run(
        [str(exe), "sync"], cwd=workdir, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "status=succeeded" in done.stderr
    again = subprocess.run(
        [str(exe), "sync", "--json"], cwd=workdir, env=env, capture_output=True, text=True, timeout=60
    )
    rerun = json.loads(again.stdout)
    # One page per list walked; the nested lists under parents nothing changed are not walked.
    first = int(re.search(r"\bpartitions=(\d+)", done.stderr)[1])  # type: ignore[index]
    # Each live funnel's statistics: a partition of 3 requests (today, yesterday, the day before).
    funnels = [f for w in sb.workspace_ids(0) for f in sb.records("funnels", workspace_id=w)]
    live = sum(1 for f in funnels if not f.get("archived"))
    assert rerun["stats_requests"] == 3 * live > 0
    assert rerun["requests"] - rerun["stats_requests"] == rerun["partitions"] - live < first
    lists = {name: r for name, r in rerun["rows"].items() if "stats" not in name}  # days are fetched again
    assert sum(r["inserted"] + r["updated"] + r["deleted"] for r in lists.values()) == 0
    assert rerun["rows"]["funnel_stats_daily"]["updated"] == 3 * live


def test_sandbox_serve_answers_until_stopped(tmp_path):
    import urllib.request

    exe = Path(sys.executable).with_name("cfsync")
    with subprocess.Popen(
        [str(exe), "sandbox", "serve", "--port", "0", "--contacts", "25", "--count", "courses=2"],
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            first = proc.stdout.readline()
            assert first.startswith("sandbox listening on http://127.0.0.1:")
            url = first.split()[3]
            token = proc.stdout.readline().split("token=")[1].split()[0]
            request = urllib.request.Request(
                f"{url}/api/v2/teams", headers={"Authorization": f"Bearer {token}", "User-Agent": "test"}
            )
            with urllib.request.urlopen(request, timeout=10) as reply:
                assert json.loads(reply.read())[0]["id"] > 0
        finally:
            proc.terminate()
    bad = run("sandbox", "serve", "--count", "contacts=many")
    assert bad.exit_code == 2


def test_demo_syncs_the_sandbox_and_shows_what_landed(workdir):
    result = run("demo", "--db", "demo.db", "--no-progress")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("sandbox: a ClickFunnels stand-in at http://127.0.0.1:")
    first = next(line for line in lines if line.startswith("first sync:"))
    second = next(line for line in lines if line.startswith("second sync:"))
    assert "status=succeeded" in first
    assert "status=succeeded" in second
    assert " inserted=6 " in second  # 3 contacts and their 3 contact.created events
    counts = dict(line.split() for line in lines if line.startswith("  ") and len(line.split()) == 2)
    assert int(counts["contacts"]) > 2000
    assert int(counts["orders__line_items"]) > 0
    assert "FROM contact_lifetime_value" in result.stdout
    assert (workdir / "demo.db").exists()
    # It ends with funnel conversion over the last days with statistics and revenue per UTM source.
    funnels = next(i for i, line in enumerate(lines) if line.startswith("funnel conversion, "))
    header = next(line for line in lines[funnels:] if line.startswith("  "))
    assert header.split()[:5] == ["funnel", "views", "unique", "opt-ins", "sales"]
    utm = next(i for i, line in enumerate(lines) if line.startswith("net revenue per UTM source"))
    sources = {line[2:].split("  ")[0].strip() for line in lines[utm + 2 :]}
    assert {"facebook", "google", "(no UTM)"} <= sources
    # It ends with the command that browses what it synced, as a shell in the same directory runs it.
    assert lines[-2].startswith("browse it in Datasette")
    command = lines[-1].strip()
    assert command.startswith("CFSYNC_DATABASE_URL=sqlite:///demo.db ")
    assert command.endswith(" browse")
    _browse_prints_its_url(command, workdir)


def _browse_prints_its_url(command: str, cwd: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CFSYNC_")}
    # The shell reads the command; a session of its own, so the signal reaches cfsync under the shell.
    with subprocess.Popen(
        ["/bin/sh", "-c", f"{command} --port 0 --no-open"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        assert proc.stdout is not None
        try:
            line = proc.stdout.readline()
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
    assert line.startswith("browse: http://127.0.0.1:"), (line, err)


def test_init_direct_writes_the_direct_defaults_and_the_placeholder_is_refused_until_filled(workdir):
    result = run("init", "--mode", "direct")
    assert result.exit_code == 0
    assert "CLICKFUNNELS_API_TOKEN" in result.output
    text = (workdir / "cfsync.toml").read_text()
    assert '\nmode = "direct"\n' in text
    assert '\napi_key_env = "CLICKFUNNELS_API_TOKEN"\n' in text
    env = {"CLICKFUNNELS_API_TOKEN": "t"}
    unfilled = run("status", env=env)
    assert unfilled.exit_code == 2
    assert "still holds a placeholder" in one_error_line(unfilled)
    (workdir / "cfsync.toml").write_text(text.replace("{subdomain}", "acme"))
    filled = run("db", "upgrade", env=env)
    assert filled.exit_code == 0, filled.output


@pytest.mark.parametrize("suffix", ["/api/v2", "/api/v2/"])
def test_a_base_url_ending_in_api_v2_is_refused_with_the_fix(workdir, suffix):
    write_config(workdir / "cfsync.toml", f"https://acme.myclickfunnels.com{suffix}")
    result = run("status", env={"CF_TOKEN": "t"})
    assert result.exit_code == 2
    assert one_error_line(result).endswith(
        "ends in /api/v2, which cfsync adds to every path: use 'https://acme.myclickfunnels.com'"
    )


def test_sandbox_serve_writes_a_config_that_syncs(workdir):
    exe = Path(sys.executable).with_name("cfsync")
    (workdir / "mine.toml").write_text("[api]\n")
    refused = run("sandbox", "serve", "--write-config", "mine.toml")
    assert refused.exit_code == 2
    assert "was not written by the sandbox" in one_error_line(refused)
    command = [str(exe), "sandbox", "serve", "--port", "0", "--contacts", "12", "--write-config", "sb.toml"]
    with subprocess.Popen(command, cwd=workdir, stdout=subprocess.PIPE, text=True) as proc:
        try:
            lines = [proc.stdout.readline() for _ in range(8)]
            assert lines[5].startswith("wrote sb.toml"), lines
            name, _, token = lines[6].strip().removeprefix("export ").partition("=")
            env = {**os.environ, name: token}
            done = subprocess.run(
                [str(exe), "--config", "sb.toml", "sync", "--json"],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["totals"]["inserted"] > 24
            assert token not in (workdir / "sb.toml").read_text()
        finally:
            proc.terminate()
    # Started again, it rewrites its own file.
    with subprocess.Popen(command, cwd=workdir, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert [proc.stdout.readline() for _ in range(6)][5].startswith("wrote sb.toml")
        finally:
            proc.terminate()
