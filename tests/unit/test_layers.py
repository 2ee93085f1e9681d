"""The layers of STYLE.md, read from the imports: config -> client -> resources -> engine -> store, each
importing only what lies below it, and small parts (a parser, a counter) importing nothing that drags in
the rest."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "cfsync"
LEAVES = {"errors", "logfmt", "tally", "dbthread", "lazy"}
# What each part may import from the rest of cfsync, besides itself and the leaves.
ALLOWED = {
    "config": set(),
    "resources": set(),
    "client": {"config", "resources"},
    "engine": {"client", "resources"},
    "store": {"engine", "resources"},
    "webhooks/delivery": {"resources", "store"},
    "webhooks/secrets": {"config"},
    "webhooks/sink": {"store"},
}


def imports_in(source: str, parts: tuple[str, ...]) -> set[str]:
    """The cfsync parts (`client`, `manage`, ...) that the module at `parts` (under cfsync/) imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level:
            target = [*parts[: len(parts) - node.level], *(node.module.split(".") if node.module else [])]
            names = [target] if node.module else [[*target, alias.name] for alias in node.names]
            found |= {t[0] for t in names if t}
    return found


def imports_of(path: Path) -> set[str]:
    return imports_in(path.read_text(), path.relative_to(ROOT).with_suffix("").parts)


def modules(part: str) -> list[Path]:
    where = ROOT / part
    return sorted(where.rglob("*.py")) if where.is_dir() else [where.with_suffix(".py")]


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_layer_imports_only_what_lies_below_it(part):
    own = part.split("/")[0]
    for path in modules(part):
        extra = imports_of(path) - ALLOWED[part] - LEAVES - {own, "__version__"}
        assert not extra, f"{path.relative_to(ROOT)} imports {sorted(extra)}"


@pytest.mark.parametrize("leaf", sorted(LEAVES))
def test_the_leaves_import_nothing_of_cfsync(leaf):
    assert imports_of(ROOT / f"{leaf}.py") == set()


def test_the_import_reader_sees_a_layer_break():
    source = "from ..manage import write\nfrom .. import app\nfrom .secrets import Key\nimport json\n"
    assert imports_in(source, ("webhooks", "delivery")) == {"manage", "app", "webhooks"}
