"""A throwaway PostgreSQL server for the tests, started from the initdb/pg_ctl binaries.

initdb and postgres refuse to run as root (and CI runs as root), so under root the server runs as the
unprivileged `postgres` user that Debian's package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

__all__ = ["Server", "find_bin_dir", "throwaway", "throwaway_server"]


def find_bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """A throwaway server: its URL, and stop/start for tests of a database that goes away."""

    def __init__(self, bin_dir: Path, root: Path, port: int, run_as: dict[str, int]) -> None:
        self.bin_dir, self.root, self.port, self.run_as = bin_dir, root, port, run_as
        self.data, self.log = root / "data", root / "server.log"
        self.url = f"postgresql+psycopg://cfsync@127.0.0.1:{port}/postgres"

    def _run(self, *args: str, check: bool = True) -> None:
        subprocess.run(args, check=check, capture_output=True, cwd=self.root, **self.run_as)  # type: ignore[call-overload]

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)


@contextmanager
def throwaway(bin_dir: Path) -> Iterator[Server]:
    """Start a server on a free loopback port (its own data directory); stopped and removed afterwards."""
    user = None
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root needs a `postgres` user to start PostgreSQL") from None
    root = Path(tempfile.mkdtemp(prefix="cfsync-pg-"))
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    run_as = {"user": user.pw_uid, "group": user.pw_gid} if user else {}
    server = Server(bin_dir, root, _free_port(), run_as)
    try:
        server._run(
            str(bin_dir / "initdb"),
            "-D",
            str(server.data),
            "-U",
            "cfsync",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        server.start()
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {detail[-1] if detail else exc}") from None
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def throwaway_server(bin_dir: Path) -> Iterator[str]:
    """Start a server on a free loopback port; yield a SQLAlchemy URL to its `postgres` database."""
    with throwaway(bin_dir) as server:
        yield server.url


@contextmanager
def fresh_database(server_url: str, template: str | None = None) -> Iterator[str]:
    """A new database on the server at `server_url` (its URL), dropped afterwards: empty, or a copy of the
    database named `template`."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
