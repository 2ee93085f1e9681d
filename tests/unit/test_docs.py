"""The docs stay true: schema.md is current, links resolve, every command and flag they show exists, every
config key is documented (and nothing else is), every library export is described, README stays short."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

import cfsync
from cfsync.cli import cli
from cfsync.config import _SPEC
from cfsync.errors import CfsyncError
from cfsync.resources.catalog import CATALOG
from cfsync.store.docs import schema_markdown

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]
DOC = ROOT / "docs" / "schema.md"
GLOBAL = {"-q", "--quiet", "-v", "-vv", "--verbose", "--version", "-h", "--help"}


def test_docs_schema_is_current():
    assert DOC.read_text() == schema_markdown(), "docs/schema.md is stale: run `make docs`"


def test_every_table_and_column_is_documented():
    text = schema_markdown()
    for resource in CATALOG.values():
        assert f"\n## {resource.name}\n" in text
        for child in resource.children:
            assert f"\n### {child.name}\n" in text
    assert "| `total_amount` | decimal | total_amount (string\\|null) |" in text
    assert "| `id` (key) | integer | id (integer) |" in text


def test_the_readme_is_a_front_door():
    text = (ROOT / "README.md").read_text()
    assert len(text.encode()) < 12_000, "move detail into docs/"
    for page in DOCS:
        assert f"](docs/{page.name})" in text, f"README links every docs page: {page.name}"


def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_resolve(page):
    for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]+))?\)", page.read_text()):
        if target.startswith(("http://", "https://")):
            continue
        path = (page.parent / target) if target else page
        assert path.exists(), f"{page.name} links {target}, which is not there"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", path.read_text(), re.MULTILINE)
            assert anchor in {_slug(h) for h in headings}, f"{page.name}: no heading #{anchor} in {target}"


def _code(text: str) -> list[str]:
    """Inline code spans and the lines of code blocks."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, re.DOTALL)
    rest = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return re.findall(r"`([^`\n]+)`", rest) + [line for block in blocks for line in block.splitlines()]


def mentions(text: str) -> list[list[str]]:
    """Every `cfsync ...` command line shown, as its words (up to a comment, a pipe or a redirect)."""
    found = []
    for code in _code(text):
        for match in re.finditer(r"(?:^|[\s/])cfsync ([^#`]*)", code.replace("\\|", "¦")):
            words = []
            for word in match.group(1).split():
                if word[0] in "|>&;<" or word.startswith(("'", '"', "$")):
                    break
                words.append(word)
            found.append(words)
    return found


def _options(command: click.Command) -> set[str]:
    names = set()
    for param in command.params:
        names |= set(param.opts) | set(param.secondary_opts)
    return names


def check(words: list[str]) -> None:
    """The command exists, and so does every flag given to it."""
    command: click.Command = cli
    words = list(words)
    while words and (words[0] in GLOBAL or words[0] == "--config"):
        words = words[2:] if words[0] == "--config" else words[1:]
    while isinstance(command, click.Group) and words:
        names = words[0].strip("[]").split("¦")
        if not all(name in command.commands for name in names):
            break
        words.pop(0)
        if len(names) > 1:
            return  # alternatives: each exists; their flags are not told apart
        command = command.commands[names[0]]
    known = _options(command) | GLOBAL
    for word in words:
        for flag in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", word.split("=")[0]):
            if flag not in ("-", "--"):
                assert flag in known, f"`cfsync ... {command.name}` has no {flag}"


def test_the_mention_reader_sees_commands_flags_and_mistakes():
    text = (
        "`cfsync -q sync --full [--wait S]` and\n```sh\n.venv/bin/cfsync --config x.toml status --json\n```"
    )
    assert mentions(text) == [
        ["-q", "sync", "--full", "[--wait", "S]"],
        ["--config", "x.toml", "status", "--json"],
    ]
    for words in mentions(text):
        check(words)
    with pytest.raises(AssertionError, match="has no --fast"):
        check(["sync", "--fast"])


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_and_flag_shown_exists(page):
    shown = mentions(page.read_text())
    for words in shown:
        check(words)


def test_every_config_key_is_documented_and_only_those():
    text = (ROOT / "docs" / "configuration.md").read_text()
    [block] = re.findall(r"```toml\n(.*?)```", text, re.DOTALL)[:1]
    documented: set[tuple[str, str]] = set()
    section = ""
    for line in block.splitlines():
        if head := re.match(r"^\[+([\w.]+)\]+", line):
            section = head.group(1)
        elif key := re.match(r"^(\w+)\s*=", line):
            documented.add((section, key.group(1)))
    expected = {
        (section, key) for section, keys in _SPEC.items() for key in keys if not key.endswith("_secrets")
    }
    expected |= {(f"webhooks.{key}", "") for key in ("endpoint_secrets", "workspace_secrets")}
    tables = {(head, "") for head in re.findall(r"^\[([\w.]+)\]", block, re.MULTILINE)}
    assert expected - documented - tables == set(), "keys the config takes but docs/configuration.md omits"
    assert {k for k in documented if k[0] in _SPEC} <= expected, (
        "docs/configuration.md shows keys that do not exist"
    )
    example = (ROOT / "config.example.toml").read_text()
    for _, key in expected:
        if key:
            assert re.search(rf"^#?\s*{key} = ", example, re.MULTILINE), f"config.example.toml lacks {key}"


def test_every_library_export_is_described():
    text = (ROOT / "docs" / "python.md").read_text()
    missing = [name for name in cfsync.__all__ if not re.search(rf"\b{re.escape(name)}\b", text)]
    assert missing == []


def test_the_exit_codes_documented_are_the_ones_used():
    text = (ROOT / "docs" / "operations.md").read_text()
    table = set(re.findall(r"^\| ([\d, ]+) \|", text, re.MULTILINE))
    codes = {int(c) for row in table for c in row.split(",")}
    used = {0, 2, 129, 130, 143}  # success, click's usage errors, signals
    stack = [CfsyncError]
    while stack:
        kind = stack.pop()
        used.add(kind.exit_code)
        stack += kind.__subclasses__()
    assert codes == used


def test_shlex_reads_every_shell_block():
    # A shell example that does not even parse would mislead whoever pastes it.
    for page in PAGES:
        for block in re.findall(r"```sh\n(.*?)```", page.read_text(), re.DOTALL):
            for line in block.splitlines():
                shlex.split(line, comments=True)
