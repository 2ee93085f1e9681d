"""Every server (`run`, `webhooks serve`, `sandbox serve`, `browse`) that cannot have its address fails in
one line naming it, exit 2, before it touches anything: a port in use, a host that does not resolve, an
address that is not this machine's, a privileged port as an ordinary user. Real processes, started all at
once so the whole matrix costs about one start-up."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cfsync.store.store import Store

from .cli_helpers import TOKEN_ENV, write_config

SERVERS = {
    "run": ["run"],
    "webhooks": ["webhooks", "serve"],
    "sandbox": ["sandbox", "serve"],
    "browse": ["browse", "--no-open"],
}
UNRESOLVABLE = "nohost.invalid"  # .invalid never resolves (RFC 6761)
NOT_LOCAL = "192.0.2.1"  # TEST-NET-1 (RFC 5737): documentation only, on no machine's interface
EXE = Path(sys.executable).with_name("cfsync")


@dataclass
class Case:
    host: str
    port: int
    workdir: Path
    proc: subprocess.Popen[str]
    stderr: str = ""


# Root binds port 80 through CAP_NET_BIND_SERVICE: as root, the privileged-port cases run without it.
SETPRIV = shutil.which("setpriv")
WITHOUT_BIND_CAPABILITY = ["--bounding-set", "-net_bind_service", "--inh-caps", "-net_bind_service"]


def _privileged_port_reason() -> str | None:
    """Why `permission denied` cannot be seen here, or None when a port below 1024 can be refused to us."""
    start = Path("/proc/sys/net/ipv4/ip_unprivileged_port_start")
    if start.exists() and int(start.read_text()) <= 80:
        return "this kernel lets any user bind port 80 (net.ipv4.ip_unprivileged_port_start)"
    if os.geteuid() == 0 and SETPRIV is None:
        return "running as root without setpriv (util-linux) to drop CAP_NET_BIND_SERVICE"
    return None


def _start(name: str, host: str, port: int, root: Path, template: Path, privileged: bool = False) -> Case:
    workdir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
    write_config(workdir / "cfsync.toml", "http://127.0.0.1:9", db="sqlite:///local.db")
    if name == "browse":  # browse opens an existing database only
        shutil.copy(template, workdir / "local.db")
    env = {**os.environ, TOKEN_ENV: "not-a-real-token"}
    command = [str(EXE), *SERVERS[name], "--host", host, "--port", str(port)]
    if privileged and os.geteuid() == 0:
        command = [str(SETPRIV), *WITHOUT_BIND_CAPABILITY, *command]
    proc = subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return Case(host, port, workdir, proc)


@pytest.fixture(scope="module")
def cases() -> Iterator[dict[tuple[str, str], Case | str]]:
    """Every server in every failing way, all started at once and waited for: {(server, way): Case}, or
    the reason a way cannot be seen on this machine."""
    root = Path(tempfile.mkdtemp(prefix="cfsync-listen-"))
    template = root / "migrated.db"
    store = Store.open(f"sqlite:///{template}")
    store.migrate()
    store.close()
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    in_use = taken.getsockname()[1]
    privileged_reason = _privileged_port_reason()
    found: dict[tuple[str, str], Case | str] = {}
    try:
        for name in SERVERS:
            found[name, "in use"] = _start(name, "127.0.0.1", in_use, root, template)
            found[name, "unresolvable"] = _start(name, UNRESOLVABLE, 8799, root, template)
            found[name, "not local"] = _start(name, NOT_LOCAL, 8799, root, template)
            found[name, "privileged"] = privileged_reason or _start(
                name, "127.0.0.1", 80, root, template, True
            )
        for case in found.values():
            if isinstance(case, Case):
                try:
                    _, case.stderr = case.proc.communicate(timeout=90)
                except subprocess.TimeoutExpired:  # it listened after all: stop it, the test says so
                    case.proc.kill()
                    _, case.stderr = case.proc.communicate()
        yield found
    finally:
        taken.close()
        for case in found.values():
            if isinstance(case, Case) and case.proc.poll() is None:
                case.proc.kill()
                case.proc.wait()
        shutil.rmtree(root, ignore_errors=True)


CAUSES: dict[str, Callable[[str], bool]] = {
    "in use": lambda line: "the port is in use" in line,
    "unresolvable": lambda line: "does not resolve" in line,
    "not local": lambda line: "not one of this machine's" in line,
    "privileged": lambda line: "permission denied" in line,
}


@pytest.mark.parametrize("way", list(CAUSES))
@pytest.mark.parametrize("server", list(SERVERS))
def test_a_server_that_cannot_listen_says_where_and_why_in_one_line(cases: Any, server: str, way: str):
    case = cases[server, way]
    if isinstance(case, str):
        pytest.skip(case)
    lines = case.stderr.strip().splitlines()
    assert case.proc.returncode == 2, case.stderr
    assert len(lines) == 1, case.stderr
    assert "Traceback" not in case.stderr
    line = lines[0]
    assert line.startswith(f"cfsync: error: cannot listen on {case.host}:{case.port}: "), line
    assert CAUSES[way](line), line
    # Bound first: nothing was created, locked or migrated before the address failed.
    expected = {"cfsync.toml", "local.db"} if server == "browse" else {"cfsync.toml"}
    assert {p.name for p in case.workdir.iterdir()} == expected
