"""`cfsync push contacts`: a mixed file, its results file, reruns, stdin, usage errors, both databases."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from cfsync.config import parse_config
from cfsync.errors import AuthError
from cfsync.push import push_contacts
from cfsync.sandbox import Sandbox, SandboxConfig, SandboxServer
from cfsync.store import Store
from cfsync.store.schema import metadata

from .cli_helpers import Cli, one_error_line, write_config


@pytest.fixture
def sb():
    return Sandbox(SandboxConfig(seed=9, workspaces=1, counts={"contacts": 30}))


def mixed_csv(sb: Sandbox, ws: int) -> str:
    existing = sb.records("contacts", workspace_id=ws)[0]["email_address"]
    tag = sb.records("contacts_tags", workspace_id=ws)[0]["id"]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["email_address", "first_name", "tag_ids", "custom_attributes"])
    w.writerows(
        [
            ["new.one@example.com", "New", "", ""],  # 2 created
            [existing.upper(), "Existing", "", '{"plan": "gold"}'],  # 3 updated (email matches any case)
            ["", "No email", "", ""],  # 4 invalid
            ["not-an-email", "Bad", "", ""],  # 5 invalid
            ["bad.json@example.com", "X", "[1,", ""],  # 6 invalid
            ["wrong.type@example.com", "X", "", "[1]"],  # 7 invalid: custom_attributes is an object
            ["missing.tag@example.com", "X", "[999999999]", ""],  # 8 failed: 422 from the API
            ["short@example.com", "X"],  # 9 invalid
            ["new.two@example.com", "Two", f"[{tag}]", ""],  # 10 created
        ]
    )
    return out.getvalue()


def results(path: Path) -> dict[int, dict[str, str]]:
    with path.open(newline="") as f:
        return {int(r["row"]): r for r in csv.DictReader(f)}


def test_mixed_file_results_and_a_safe_rerun(cf, sb, ws, tmp_path):
    (tmp_path / "leads.csv").write_text(mixed_csv(sb, ws))
    before = len(sb.records("contacts", workspace_id=ws))

    first = cf("push", "contacts", "leads.csv")
    assert first.exit_code == 1
    assert "rows=9 created=2 updated=1 invalid=5 failed=1" in first.stderr
    got = results(tmp_path / "leads.csv.results.csv")
    assert {row: r["outcome"] for row, r in got.items()} == {
        2: "created",
        3: "updated",
        4: "invalid",
        5: "invalid",
        6: "invalid",
        7: "invalid",
        8: "failed",
        9: "invalid",
        10: "created",
    }
    assert got[8]["message"] == "HTTP 422: Tag must exist"
    assert got[4]["message"] == "no email_address"
    assert "does not look like an email address" in got[5]["message"]
    assert "tag_ids must be a JSON array of integers" in got[6]["message"]
    assert "custom_attributes must be a JSON object" in got[7]["message"]
    assert "has 2 cells, the header has 4" in got[9]["message"]
    created_id = int(got[2]["id"])
    assert sb.get("contacts", created_id)["first_name"] == "New"
    assert cf.row("contacts", created_id)["email_address"] == "new.one@example.com"
    existing_id = int(got[3]["id"])
    assert (
        cf.row("contacts", existing_id)["custom_attributes"]
        == sb.get("contacts", existing_id)["custom_attributes"]
    )
    assert sb.get("contacts", existing_id)["custom_attributes"]["plan"] == "gold"
    tagged = sb.get("contacts", int(got[10]["id"]))
    assert [t["id"] for t in tagged["tags"]] == [sb.records("contacts_tags", workspace_id=ws)[0]["id"]]
    # Invalid rows were never sent, not even half.
    sent = [r for r in sb.requests if r.api_path.endswith("/contacts/upsert")]
    assert len(sent) == 4
    assert len(sb.records("contacts", workspace_id=ws)) == before + 2
    stored = cf.count("contacts")

    again = cf("push", "contacts", "leads.csv", "--results", "second.csv")
    assert again.exit_code == 1
    assert "rows=9 created=0 updated=3 invalid=5 failed=1" in again.stderr
    second = results(tmp_path / "second.csv")
    assert second[2]["outcome"] == "updated"
    assert second[2]["id"] == got[2]["id"]
    assert len(sb.records("contacts", workspace_id=ws)) == before + 2  # no duplicates
    assert cf.count("contacts") == stored


def test_jsonl_from_stdin(cf, sb, ws, tmp_path):
    lines = [
        json.dumps({"email_address": "j1@example.com", "first_name": "J", "tag_ids": None}),
        "",
        json.dumps({"email_address": "j2@example.com", "custom_attributes": {"a": 1}}),
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"email_address": "j3@example.com", "unknown": 1}),
    ]
    result = cf("push", "contacts", "-", input="\n".join(lines) + "\n")
    assert result.exit_code == 1
    assert "rows=5 created=2 updated=0 invalid=3 failed=0" in result.stderr
    got = results(tmp_path / "stdin.results.csv")
    assert {row: r["outcome"] for row, r in got.items()} == {
        1: "created",
        3: "created",
        4: "invalid",
        5: "invalid",
        6: "invalid",
    }
    assert "not JSON" in got[4]["message"]
    assert "contacts upsert takes no field 'unknown'" in got[6]["message"]
    assert cf.row("contacts", int(got[3]["id"]))["custom_attributes"] == {"a": 1}


def test_all_good_exits_0_with_progress(cf, sb, ws, tmp_path):
    (tmp_path / "ok.jsonl").write_text(
        "".join(json.dumps({"email_address": f"ok{n}@example.com"}) + "\n" for n in range(45))
    )
    result = cf("push", "contacts", "ok.jsonl", "--progress", "--workers", "3", "--results", "out/r.csv")
    assert result.exit_code == 2  # the results directory does not exist: a usage error, nothing sent
    (tmp_path / "out").mkdir()
    result = cf("push", "contacts", "ok.jsonl", "--progress", "--workers", "3", "--results", "out/r.csv")
    assert result.exit_code == 0, result.stderr
    assert "rows=45 created=45 updated=0 invalid=0 failed=0" in result.stderr
    assert len(results(tmp_path / "out" / "r.csv")) == 45
    assert cf.count("contacts") == 45


def test_usage_errors_send_nothing(cf, sb, ws, tmp_path):
    (tmp_path / "typo.csv").write_text("email_address,frist_name\na@example.com,Ann\n")
    typo = cf("push", "contacts", "typo.csv")
    assert typo.exit_code == 2
    assert "columns the contact body does not take: 'frist_name'" in one_error_line(typo)
    assert not (tmp_path / "typo.csv.results.csv").exists()
    (tmp_path / "noemail.csv").write_text("first_name\nAnn\n")
    assert "no email_address column" in one_error_line(cf("push", "contacts", "noemail.csv"))
    assert cf("push", "contacts", "missing.csv").exit_code == 2
    assert cf("push", "contacts", "typo.csv", "--format", "xml").exit_code == 2
    assert not any(r.api_path.endswith("/upsert") for r in sb.requests)


def test_no_workspace_and_bad_token(sb, url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path / "cfsync.toml", url)
    (tmp_path / "a.csv").write_text("email_address\na@example.com\nb@example.com\n")
    cf = Cli(sb, tmp_path, sb.api_token(0), [])
    no_ws = cf("push", "contacts", "a.csv")
    assert no_ws.exit_code == 2
    assert "needs a workspace id" in one_error_line(no_ws)
    ws = sb.workspace_ids(0)[0]
    denied = cf("push", "contacts", "a.csv", "--workspace", str(ws), token="wrong-token-456")
    assert denied.exit_code == 3
    assert "HTTP 401: API key missing or invalid" in denied.stderr
    assert "wrong-token-456" not in denied.output
    missing_ws = cf("push", "contacts", "a.csv", "--workspace", "999999999")
    assert missing_ws.exit_code == 1
    assert "HTTP 404" in missing_ws.stderr
    # Stopped at once: one request per worker at most, not one per row.
    assert len([r for r in sb.requests if "999999999" in r.api_path]) <= 8


async def test_push_from_python_on_both_databases(sb, db_url, tmp_path):
    ws = sb.workspace_ids(0)[0]
    async with SandboxServer(sb, host="127.0.0.1", port=0) as server:
        config = parse_config(
            {
                "api": {
                    "mode": "direct",
                    "base_url": server.url,
                    "api_key_env": "T",
                    "requests_per_second": 1000,
                },
                "database": {"url": db_url},
                "sync": {"workspaces": [ws]},
            },
            {"T": sb.api_token(0)},
        )
        source = tmp_path / "many.csv"
        # 150 rows, each email twice: concurrent answers for one contact land in one batch.
        rows = [f"dup{n % 75}@example.com,Name{n}" for n in range(150)]
        source.write_text("email_address,first_name\n" + "\n".join(rows) + "\n")
        summary = await push_contacts(config, source, workers=6)
        assert summary.ok
        assert (summary.counts.rows, summary.counts.created + summary.counts.updated) == (150, 150)
        assert summary.counts.created == 75
        again = await push_contacts(config, source, results=tmp_path / "again.csv")
        assert (again.counts.created, again.counts.updated) == (0, 150)

        bad = parse_config(
            {
                "api": {"mode": "direct", "base_url": server.url, "api_key_env": "T"},
                "database": {"url": db_url},
            },
            {"T": "nope"},
        )
        with pytest.raises(AuthError):
            await push_contacts(config=bad, source=source, workspace_id=ws, results=tmp_path / "bad.csv")

    engine = Store.open(db_url).engine
    try:
        contacts = metadata.tables["contacts"]
        with engine.connect() as conn:
            emails = [
                r.email_address
                for r in conn.execute(sa.select(contacts).where(contacts.c.workspace_id == ws))
            ]
    finally:
        engine.dispose()
    assert sorted(emails) == sorted(f"dup{n}@example.com" for n in range(75))
