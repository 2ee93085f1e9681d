"""Signing secrets: the ones the config names by environment variable, and the secrets file `register` keeps.

The secrets file (`[webhooks].secrets_file`, JSON, mode 0600) holds each registered endpoint's one-time
`webhook_secret` with its workspace:

    {"endpoints": {"123": {"secret": "...", "workspace_id": 7, "url": "https://...", "account": "default",
                           "registered_at": "2026-01-01T00:00:00+00:00"}}}

It is written atomically (a temporary file renamed over it) under an exclusive lock, and refused when its
mode lets anyone but its owner read it. Secrets are `Secret`s in memory: no repr, log line or error shows one.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Secret, WebhooksConfig
from ..errors import ConfigError
from ..logfmt import logfmt

log = logging.getLogger("cfsync.webhooks")

__all__ = [
    "Keyring",
    "SigningKey",
    "StoredSecret",
    "check_writable",
    "describe",
    "load_secrets",
    "save_secret",
]


@dataclass(frozen=True)
class StoredSecret:
    endpoint_id: int
    workspace_id: int | None
    secret: Secret
    url: str | None = None
    account: str | None = None
    registered_at: str | None = None


@dataclass(frozen=True)
class SigningKey:
    """A secret that may have signed a delivery, and what it vouches for."""

    secret: Secret
    endpoint_id: int | None  # None: a workspace's secret, for any of its endpoints
    workspace_id: int | None  # None: unknown (an endpoint secret named in the config)
    origin: str  # for log lines: "env NAME" or "secrets file"


def load_secrets(path: Path) -> list[StoredSecret]:
    """The entries of the secrets file; [] when it does not exist. ConfigError when it cannot be trusted
    (readable by others) or read."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ConfigError(f"webhooks: cannot read the secrets file {path}: {exc.strerror}") from None
    if os.name == "posix" and info.st_mode & 0o077:
        raise ConfigError(
            f"webhooks: the secrets file {path} is readable by others (mode "
            f"{stat.S_IMODE(info.st_mode):04o}): run `chmod 600 {path}`"
        )
    try:
        data = json.loads(path.read_text("utf-8") or "{}")
    except (OSError, ValueError) as exc:
        raise ConfigError(f"webhooks: the secrets file {path} is not readable JSON: {exc}") from None
    endpoints = data.get("endpoints") if isinstance(data, dict) else None
    if not isinstance(endpoints, dict):
        raise ConfigError(f'webhooks: the secrets file {path} has no "endpoints" object')
    out = []
    for key, entry in endpoints.items():
        secret = entry.get("secret") if isinstance(entry, dict) else None
        workspace = entry.get("workspace_id") if isinstance(entry, dict) else None
        if not str(key).isdigit() or not isinstance(secret, str) or not secret:
            raise ConfigError(f"webhooks: the secrets file {path} has a bad entry for endpoint {key!r}")
        out.append(
            StoredSecret(
                endpoint_id=int(key),
                workspace_id=workspace if isinstance(workspace, int) else None,
                secret=Secret(secret),
                url=entry.get("url"),
                account=entry.get("account"),
                registered_at=entry.get("registered_at"),
            )
        )
    return out


def check_writable(path: Path) -> None:
    """Before an endpoint is created: its secret is shown once, so there must be somewhere to keep it."""
    load_secrets(path)  # an existing file must be readable and private
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ConfigError(f"webhooks: the directory of the secrets file {path} does not exist")
    if not os.access(directory, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ConfigError(f"webhooks: cannot write the secrets file {path}")


def save_secret(path: Path, entry: StoredSecret) -> None:
    """Add (or replace) one endpoint's entry: read, change and rename a fresh 0600 file over the old one,
    all under an exclusive lock so two `register`s cannot lose each other's entries."""
    with _locked(path):
        current = {e.endpoint_id: e for e in load_secrets(path)}
        current[entry.endpoint_id] = entry
        body = {
            "endpoints": {
                str(e.endpoint_id): {
                    "secret": e.secret.value,
                    "workspace_id": e.workspace_id,
                    "url": e.url,
                    "account": e.account,
                    "registered_at": e.registered_at,
                }
                for e in sorted(current.values(), key=lambda e: e.endpoint_id)
            }
        }
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(body, out, indent=2)
                out.write("\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _fsync_directory(path.parent)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock_path = path.with_name(f".{path.name}.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.name == "posix":
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory if str(directory) else ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Keyring:
    """Every signing key the receiver knows: the config's (from the environment, read once) and the secrets
    file's, read again when the file changes, so an endpoint registered while the receiver runs works at
    once."""

    def __init__(self, config: WebhooksConfig, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = config.secrets_file
        self.clock = clock
        self._fixed = [
            SigningKey(
                ref.secret,
                ref.id if ref.scope == "endpoint" else None,
                ref.id if ref.scope == "workspace" else None,
                f"env {ref.env}",
            )
            for ref in config.secrets
            if ref.secret is not None
        ]
        self._missing = [ref for ref in config.secrets if ref.secret is None]
        self._stamp: tuple[int, int, int] | None = None
        self._checked = float("-inf")
        self._stored: list[SigningKey] = []

    def check(self) -> None:
        """ConfigError naming the first variable the config names that is unset, and for a bad file."""
        if self._missing:
            ref = self._missing[0]
            raise ConfigError(
                f"config: environment variable {ref.env} (webhooks.{ref.scope}_secrets.{ref.id}) "
                "is not set or empty"
            )
        self.refresh(force=True, strict=True)

    def refresh(self, *, force: bool = False, strict: bool = False) -> bool:
        """Read the secrets file again if it changed (looked at once a second at most, unless `force`).
        True when the keys changed. A file gone bad while serving keeps the keys read before (logged once),
        unless `strict`."""
        now = self.clock()
        if not force and now - self._checked < 1.0:
            return False
        self._checked = now
        try:
            info = self.path.stat()
            stamp: tuple[int, int, int] | None = (info.st_mtime_ns, info.st_size, info.st_mode)
        except OSError:
            stamp = None
        if stamp == self._stamp:
            return False
        try:
            stored = load_secrets(self.path) if stamp is not None else []
        except ConfigError as exc:
            if strict:
                raise
            self._stamp = stamp
            log.error(logfmt(event="webhooks_secrets_file_refused", error=str(exc)))
            return False
        self._stamp = stamp
        self._stored = [SigningKey(s.secret, s.endpoint_id, s.workspace_id, "secrets file") for s in stored]
        return True

    def signing_keys(self) -> list[SigningKey]:
        self.refresh()
        # The workspace of an endpoint the config names: the file knows it when `register` made it.
        known = {k.endpoint_id: k.workspace_id for k in self._stored}
        fixed = [
            SigningKey(k.secret, k.endpoint_id, known.get(k.endpoint_id), k.origin)
            if k.endpoint_id is not None and k.workspace_id is None
            else k
            for k in self._fixed
        ]
        return fixed + self._stored

    def candidates(self, endpoint_id: int | None, workspace_id: int | None) -> list[SigningKey]:
        """The keys that may have signed a delivery to `/webhooks[/{endpoint_id}][?workspace_id=]`: an
        endpoint's own keys and every workspace key; without an endpoint, every key."""
        keys = self.signing_keys()
        if endpoint_id is not None:
            keys = [k for k in keys if k.endpoint_id in (endpoint_id, None)]
        if workspace_id is not None:
            keys = [k for k in keys if k.workspace_id in (workspace_id, None)]
        return keys


def describe(keys: list[SigningKey]) -> dict[str, Any]:
    """How many keys of each kind, for the start-up log line (never a secret)."""
    return {
        "endpoint_keys": sum(1 for k in keys if k.endpoint_id is not None),
        "workspace_keys": sum(1 for k in keys if k.endpoint_id is None),
    }
