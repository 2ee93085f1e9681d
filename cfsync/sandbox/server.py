"""Running the sandbox on a socket: in the current loop, in a thread of its own, or forever (the CLI)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from aiohttp import web

from cfsync.listen import bind, close_all, url_of
from cfsync.sandbox.app import make_app
from cfsync.sandbox.sandbox import Sandbox

__all__ = ["SandboxServer", "serve_forever", "serve_in_thread"]


class SandboxServer:
    """`async with SandboxServer(sb) as server: server.url` -> "http://127.0.0.1:PORT"."""

    def __init__(
        self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0, *, shutdown_timeout: float = 1.0
    ) -> None:
        self.sandbox = sandbox
        self.host = host
        self.port = port
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the sandbox server is not started")
        return self._url

    async def start(self) -> str:
        sockets = bind(self.host, self.port)  # first: a taken address fails before anything starts
        # handler_cancellation: a client that gives up (a timeout on a stalled request) ends its handler,
        # so nothing lingers at shutdown.
        runner = web.AppRunner(
            make_app(self.sandbox),
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=self._shutdown_timeout,
        )
        try:
            await runner.setup()
            for sock in sockets:
                await web.SockSite(runner, sock).start()
        except BaseException:
            await runner.cleanup()
            close_all(sockets)
            raise
        self._runner = runner
        self.sandbox.deliveries.start()
        self.port = sockets[0].getsockname()[1]
        self._url = url_of(sockets[0])
        return self._url

    async def close(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await self.sandbox.deliveries.stop()
            await runner.cleanup()

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


async def serve_forever(
    sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8080, on_ready: Callable[[str], None] | None = None
) -> None:
    """Serve until cancelled; `on_ready(url)` once the socket listens (`cfsync sandbox serve`)."""
    async with SandboxServer(sandbox, host, port) as server:
        if on_ready is not None:
            on_ready(server.url)
        await asyncio.Event().wait()


@contextmanager
def serve_in_thread(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run the server on its own event loop in a thread; yields its url. For synchronous tests and
    subprocesses (a CLI run against the sandbox)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    urls: list[str] = []
    stops: list[asyncio.Event] = []
    errors: list[BaseException] = []

    async def main() -> None:
        stops.append(asyncio.Event())
        try:
            async with SandboxServer(sandbox, host, port) as server:
                urls.append(server.url)
                ready.set()
                await stops[0].wait()
        except BaseException as e:  # surfaced in the caller's thread
            errors.append(e)
            ready.set()

    def run() -> None:
        try:
            loop.run_until_complete(main())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="cfsync-sandbox", daemon=True)
    thread.start()
    ready.wait(30)
    try:
        if errors:
            raise RuntimeError("the sandbox server did not start") from errors[0]
        if not urls:
            raise RuntimeError("the sandbox server did not start in 30 s")
        yield urls[0]
    finally:
        if stops:
            loop.call_soon_threadsafe(stops[0].set)
        thread.join(30)
