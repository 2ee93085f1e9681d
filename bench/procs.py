"""The processes a benchmark runs: the sandbox (`cfsync sandbox serve`), cfsync syncs, any other command.

Each runs in a process of its own, so that its wall time and peak RSS are its own and the sandbox does not
share an event loop (or, as far as two cores allow, a core) with what it serves. Peak RSS comes from
`os.wait4` on the child: the kernel's own high-water mark for that process, exact to the end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["CFSYNC", "Finished", "Sandbox", "cfsync_at", "run_cfsync", "start", "write_config"]

# `cfsync ...` with the interpreter running the benchmark: the venv's, on a fresh clone too.
CFSYNC = [sys.executable, "-c", "from cfsync.cli import main; main()"]
TOKEN_ENV = "CFSYNC_BENCH_TOKEN"
T = TypeVar("T")


@dataclass
class Finished:
    """A child that ran to its end (or was killed): exit code, wall and CPU seconds, peak RSS in KiB,
    output."""

    returncode: int
    wall: float
    max_rss_kib: int
    stdout: str
    stderr: str
    cpu: float = 0.0

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    started: float
    out: Any  # the temporary files stdout and stderr go to (a pipe could fill up and stall the child)
    err: Any

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)

    def wait(self) -> Finished:
        _, status, usage = os.wait4(self.proc.pid, 0)
        wall = time.perf_counter() - self.started
        self.proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen never waits on it again
        self.out.seek(0)
        self.err.seek(0)
        stdout, stderr = self.out.read().decode(), self.err.read().decode()
        self.out.close()
        self.err.close()
        cpu = usage.ru_utime + usage.ru_stime
        return Finished(self.proc.returncode, wall, int(usage.ru_maxrss), stdout, stderr, cpu)


def start(args: Sequence[str], env: dict[str, str] | None = None) -> Running:
    # Closed by Running.wait(), which every caller reaches.
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115
    started = time.perf_counter()
    proc = subprocess.Popen(list(args), stdout=out, stderr=err, env={**os.environ, **(env or {})})
    return Running(proc, started, out, err)


def write_config(
    path: Path, url: str, db_url: str, *, requests_per_second: float, max_in_flight: int = 8, sync: str = ""
) -> Path:
    """A config for the sandbox at `url`; `sync`: the lines of a [sync] table, if any."""
    path.write_text(
        "[api]\n"
        'mode = "direct"\n'
        f'base_url = "{url}"\n'
        f'api_key_env = "{TOKEN_ENV}"\n'
        f"requests_per_second = {requests_per_second}\n"
        f"max_in_flight = {max_in_flight}\n"
        "[database]\n"
        f'url = "{db_url}"\n' + (f"[sync]\n{sync}" if sync else ""),
        "utf-8",
    )
    return path


def cfsync_sync(config: Path, token: str, resources: Sequence[str] = ("contacts",)) -> Running:
    """Start `cfsync sync` (only `resources` and their parents) with the JSON summary on stdout."""
    args = [*CFSYNC, "--config", str(config), "sync", "--json", "--no-progress"]
    for name in resources:
        args += ["--resource", name]
    return start(args, {TOKEN_ENV: token})


def run_cfsync(config: Path, token: str, resources: Sequence[str] = ("contacts",)) -> Finished:
    done = cfsync_sync(config, token, resources).wait()
    if done.returncode != 0:
        raise RuntimeError(f"cfsync sync exited {done.returncode}: {_last_lines(done.stderr)}")
    return done


@contextmanager
def cfsync_at(commit: str, where: Path) -> Iterator[list[str]]:
    """The command line of cfsync as it was at `commit` (a git worktree at `where`, removed afterwards)."""
    root = Path(__file__).resolve().parent.parent
    subprocess.run(["git", "worktree", "add", "--detach", str(where), commit], cwd=root, check=True,
                   capture_output=True)  # fmt: skip
    try:
        yield [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(where)!r}); "
               "from cfsync.cli import main; main()"]  # fmt: skip
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=root, check=False,
                       capture_output=True)  # fmt: skip


def _last_lines(text: str, n: int = 3) -> str:
    return " / ".join(line.strip() for line in text.strip().splitlines()[-n:])


@dataclass
class Sandbox:
    """`cfsync sandbox serve --port 0 ...` in its own process; its URL and tokens from the ready lines."""

    args: list[str]
    proc: subprocess.Popen[str] | None = None
    err: Any = None
    url: str = ""
    token: str = ""
    control_token: str = ""
    workspaces: list[int] = field(default_factory=list)
    deaths: list[int] = field(default_factory=list)  # exit codes of sandbox processes that died mid-case

    def retrying(self, run: Callable[[], T], tries: int = 3) -> T:
        """`run()`; when it fails because the sandbox process died under it (killed from outside: the
        machine is shared), start a new one (same seed, same data, a new port) and run it again."""
        for attempt in range(tries):
            try:
                return run()
            except Exception:
                assert self.proc is not None
                if self.proc.poll() is None or attempt == tries - 1:
                    raise
                self.deaths.append(self.proc.returncode)
                self.__exit__()
                self.url = self.token = self.control_token = ""
                self.__enter__()
        raise AssertionError("unreachable")

    def death_note(self) -> str | None:
        if not self.deaths:
            return None
        return (
            f"the sandbox process died under a run {len(self.deaths)} time(s) (exit codes {self.deaths}: "
            "killed from outside); those runs were repeated against a new sandbox with the same data"
        )

    def __enter__(self) -> Sandbox:
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [*CFSYNC, "sandbox", "serve", "--port", "0", *self.args],
            stdout=subprocess.PIPE,
            stderr=self.err,
            text=True,
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            words = line.split()
            if line.startswith("sandbox listening on "):
                self.url = words[3]
            elif "token=" in line and not self.token and "direct" in line:
                self.token = line.split("token=")[1].split()[0]
            elif line.strip().startswith("control:"):
                self.control_token = line.split("token=")[1].split()[0]
            elif line.strip().startswith("workspaces:"):
                self.workspaces = [int(w.strip(",")) for w in words[1:]]
                break
        if not (self.url and self.token and self.control_token):
            self.proc.wait(10)
            self.err.seek(0)
            message = self.err.read().decode().strip()[-2000:]
            self.__exit__()
            raise RuntimeError(f"the sandbox did not start: {message}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        if self.err is not None:
            self.err.close()

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.control_token}", "User-Agent": "cfsync-bench"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            f"{self.url}/_sandbox{path}", data=data, method=method, headers=headers
        )
        with urllib.request.urlopen(request, timeout=60) as reply:
            body = reply.read()
        return json.loads(body) if body else None

    def set_bursts(self, bursts: list[dict[str, Any]]) -> None:
        """Start these bursts now (the control API's POST /bursts)."""
        self._control("POST", "/bursts", {"bursts": bursts})

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """The request log from entry `since` on (the sandbox keeps the last million)."""
        log: list[dict[str, Any]] = self._control("GET", f"/requests?since={since}")
        return log

    def wait_for(self, done: Callable[[list[dict[str, Any]]], bool], since: int, timeout: float) -> None:
        """Poll the request log until `done(log since `since`)` or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done(self.requests(since)):
                return
            time.sleep(0.1)
        raise TimeoutError(f"the request log did not reach the expected state in {timeout:g} s")
