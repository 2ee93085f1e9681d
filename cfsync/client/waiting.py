"""Waiting for a host that cannot be reached yet: never in silence.

While nothing has succeeded on a budget's host in this run and its requests fail to connect (refused, a
name that does not resolve for now, no connection within the connect timeout), a line says so at once,
naming the host and port, the error and how long cfsync keeps trying, then again every `every` seconds
while it keeps failing. A name the DNS says does not exist is not waited for: it is almost always a typo
in the URL, so the first request fails at once with UnknownHostError.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable

import aiohttp

from ..errors import UnknownHostError
from ..logfmt import logfmt

__all__ = ["CONNECT_TIMEOUT", "Waiting", "connect_failure", "unknown_host"]

wait_log = logging.getLogger("cfsync.wait")

CONNECT_TIMEOUT = 10.0  # seconds a connection may take to open (at most timeout_seconds)

# getaddrinfo's "this name does not exist" (NXDOMAIN, no address): a lasting answer, unlike EAI_AGAIN.
_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def connect_failure(exc: BaseException) -> bool:
    """The request never reached the host: refused, unresolvable, or no connection in time."""
    return isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)


def unknown_host(exc: BaseException, where: str, setting: str) -> UnknownHostError | None:
    """UnknownHostError when `exc` says the DNS has no such name, else None."""
    if not isinstance(exc, aiohttp.ClientConnectorDNSError) or exc.os_error.errno not in _NO_SUCH_NAME:
        return None
    reason = exc.os_error.strerror or str(exc.os_error)
    return UnknownHostError(
        f"cannot connect to {where}: the host {exc.host} does not exist ({reason}): check {setting}",
        cause=f"the host {exc.host} does not exist",
    )


def _seconds(value: float) -> str:
    whole = round(value)
    return f"{whole}s" if whole < 60 else f"{whole // 60}m{whole % 60:02d}s"


class Waiting:
    """The notices of one budget: the first failure to connect is said at once, then one line every
    `every` seconds (whichever request fails or waits), and the host answering after that."""

    def __init__(self, every: float = 15.0) -> None:
        self.every = every
        self.since: float | None = None  # the first notice
        self._next = 0.0
        self._until = 0.0  # when the last request still trying gives up, at the latest

    def failed(self, now: float, where: str, error: str, until: float) -> None:
        """A request failed to connect and will be tried again until `until` at the latest."""
        self._until = max(self._until, until) if self.since is not None else until
        if self.since is None:
            self.since = now
        elif now < self._next:
            return
        self._say(now, where, error)

    async def sleep(
        self,
        delay: float,
        now: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        where: str,
        error: str,
    ) -> None:
        """`sleep(delay)`, saying every `every` seconds meanwhile that the host is still unreachable."""
        left = delay
        while left > 0:
            step = min(left, max(self._next - now(), 0.05))
            await sleep(step)
            left -= step
            if left > 0 and now() >= self._next:
                self._say(now(), where, error)

    def reached(self, now: float, where: str) -> None:
        """A request got an answer: say so when the wait was said."""
        if self.since is not None:
            wait_log.info(logfmt(event="api_reached", host=where, waited=_seconds(now - self.since)))
            self.since = None

    def _say(self, now: float, where: str, error: str) -> None:
        self._next = now + self.every
        host, _, port = where.rpartition(":")
        fields = {"event": "api_unreachable", "host": host, "port": port, "error": error}
        fields["waited"] = _seconds(now - (self.since or now))
        fields["gives_up_within"] = _seconds(max(0.0, self._until - now))
        wait_log.info(logfmt(**fields), extra={"stoppable": True})
