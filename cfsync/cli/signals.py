"""Running a command under the signals schedulers send: SIGINT (Ctrl-C), SIGTERM (cron, systemd,
Kubernetes), SIGHUP (a closed terminal).

The first one cancels the command's coroutine with the signal's name: it stops sending requests, lets
the database transaction in hand commit or roll back, records why it stopped and raises Interrupted
(exit 128 + the signal's number: 130, 143, 129). A second one ends the process at once, with the same
code: every transaction is atomic, so whatever was written stays consistent, and a run left marked as
running is found abandoned by the next `sync` or `status`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from ..errors import Interrupted

__all__ = ["SIGNALS", "run"]

T = TypeVar("T")
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def run(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run(main), stopped cleanly by the first signal (Interrupted) and at once by a second."""
    import asyncio  # here, not at the top: `cfsync --help` never needs it

    return asyncio.run(_guarded(main))


async def _guarded(main: Coroutine[Any, Any, T]) -> T:
    import asyncio

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    received: list[signal.Signals] = []

    def handle(signum: signal.Signals) -> None:
        if received:
            _exit_now(received[0], signum)
        received.append(signum)
        if task is not None:
            task.cancel(signum.name)

    for signum in SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            loop.add_signal_handler(signum, handle, signum)
    try:
        return await main
    except asyncio.CancelledError:
        if received:
            raise Interrupted(received[0].name) from None
        raise
    finally:
        for signum in SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)


def _exit_now(first: signal.Signals, second: signal.Signals) -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\x1b[?25h\n")  # a live display hid the cursor: give it back
    sys.stderr.write(f"cfsync: error: interrupted by {first.name}, then {second.name}: stopped at once\n")
    sys.stderr.flush()
    os._exit(128 + first.value)
