"""The listening sockets of cfsync's servers: `cfsync run`'s /healthz, the webhook receiver, the sandbox and
`cfsync browse`. Each binds its address before it opens a database, migrates or syncs, so an address it
cannot have (taken, not this machine's, not resolvable, a port that needs privileges) fails at once, in one
line (ListenError, exit 2), with nothing left half-started.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import ConfigError

__all__ = ["ListenError", "bind", "bound", "close_all", "url_of"]

_CAUSES = {
    errno.EADDRINUSE: "the port is in use (another process listens there)",
    errno.EADDRNOTAVAIL: "the address is not one of this machine's",
    errno.EACCES: "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)",
}


class ListenError(ConfigError):
    """A server cannot listen where it was told to: the host and port, and why, in one line."""


def _where(host: str | None, port: int) -> str:
    host = host or "*"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def bind(host: str | None, port: int, backlog: int = 128) -> list[socket.socket]:
    """Listening, non-blocking sockets on every address `host` resolves to (every interface when None or
    ""); port 0 takes a free one. Hand them to aiohttp's SockSite or uvicorn's serve(sockets=...)."""
    where = _where(host, port)
    if not 0 <= port <= 65535:
        raise ListenError(f"cannot listen on {where}: a port is 0 to 65535")
    try:
        found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        why = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise ListenError(f"cannot listen on {where}: the host does not resolve ({why})") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(found):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            if os.name == "posix":  # as asyncio does: a restart need not wait out TIME_WAIT
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # "::" beside "0.0.0.0": each family on its own socket
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(backlog)
            sock.setblocking(False)
    except OSError as exc:
        close_all(sockets)
        cause = _CAUSES.get(exc.errno or 0) or exc.strerror or str(exc)
        raise ListenError(f"cannot listen on {where}: {cause}") from None
    return sockets


@contextmanager
def bound(host: str | None, port: int) -> Iterator[list[socket.socket]]:
    """bind(host, port), the sockets closed on leaving (closing twice, after a server did, is harmless)."""
    sockets = bind(host, port)
    try:
        yield sockets
    finally:
        close_all(sockets)


def close_all(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()


def url_of(sock: socket.socket) -> str:
    """The http://HOST:PORT of a listening socket, an IPv6 host in brackets."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
