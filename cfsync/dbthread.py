"""One thread for a component's database calls.

SQLite takes one writer at a time and a SQLAlchemy connection belongs to one thread, so each part of cfsync
that writes (a sync, a push, a webhook receiver, the PostgreSQL claims) sends its calls to its own single
thread, in order, and awaits them from the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["DbThread", "together_or_alone"]

T = TypeVar("T")
R = TypeVar("R")


class DbThread:
    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on the thread, awaited."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """`fn(*args)` on the thread, for a caller outside the event loop."""
        return self._pool.submit(fn, *args)

    def close(self, wait: bool = True) -> None:
        """No more calls; with `wait`, after the ones already handed in."""
        self._pool.shutdown(wait=wait)


def together_or_alone(
    items: Sequence[T],
    write: Callable[[Sequence[T]], R],
    *,
    fatal: tuple[type[BaseException], ...] = (),
) -> Iterator[tuple[Sequence[T], R | Exception]]:
    """`write(items)` in one transaction; if that fails, `write([item])` for each, so the one bad item gets
    the error and the others are written. Yields (items written, what `write` returned or raised). An
    error in `fatal` (the database itself failing) propagates at once: each item alone would fail too."""
    try:
        whole: R | Exception = write(items)
        failed = False
    except fatal:
        raise
    except Exception as exc:
        whole, failed = exc, True
    if not failed or len(items) <= 1:
        yield items, whole
        return
    for item in items:
        one: R | Exception
        try:
            one = write([item])
        except fatal:
            raise
        except Exception as exc:
            one = exc
        yield [item], one
