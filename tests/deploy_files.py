"""The deployment files (deploy/, the Dockerfile) as the tests read them, and laid into a temporary root.

The files name the paths of a real install: cfsync in the venv /opt/cfsync, its config and keys in
/etc/cfsync, its data in /var/lib/cfsync, its log in /var/log/cfsync. `installed` moves those under a test's
directory and points /opt/cfsync's cfsync at the one of the venv running the tests, so a test runs the very
text that ships.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DOCKERFILE = ROOT / "Dockerfile"
FILES = [*sorted(p for p in DEPLOY.rglob("*") if p.is_file()), DOCKERFILE, ROOT / ".dockerignore"]
CFSYNC = Path(sys.executable).parent / "cfsync"
UNITS = sorted((DEPLOY / "systemd").glob("*.service")) + sorted((DEPLOY / "systemd").glob("*.timer"))
INSTALL_PATHS = ("/etc/cfsync", "/var/lib/cfsync", "/var/log/cfsync", "/usr/local/bin/cfsync-cron")


def installed(text: str, root: Path | None = None) -> str:
    """The text with /opt/cfsync's cfsync replaced by the tests' one, and the other paths under root."""
    text = text.replace("/opt/cfsync/bin/cfsync", str(CFSYNC))
    for path in INSTALL_PATHS if root is not None else ():
        text = text.replace(path, f"{root}{path}")
    return text


def unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file: section -> key -> its values (a key may be given more than once)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith(("#", ";")):
            continue
        if head := re.fullmatch(r"\[(\w+)\]", line):
            current = sections.setdefault(head.group(1), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def cron_command() -> str:
    """The command of the one job in deploy/cron/cfsync.crontab (after its five time fields)."""
    [job] = [
        line
        for line in (DEPLOY / "cron" / "cfsync.crontab").read_text().splitlines()
        if line.strip() and not line.startswith("#") and not re.match(r"^\w+=", line)
    ]
    return job.split(None, 5)[5]


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, (INSTRUCTION, rest of the line), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def exec_form(rest: str) -> list[str]:
    """A JSON-array instruction (CMD ["run"]); a shell form would run under /bin/sh -c, which cfsync's
    signal handling would not see."""
    words = json.loads(rest)
    assert isinstance(words, list), rest
    return [str(w) for w in words]
