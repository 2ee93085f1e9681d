"""cfsync's CLI with `Store.evolve` wrapped, for the tests of issue 21 that need a moment no timing can
promise (test_schema_evolution.py):

    python -m tests.integration.evolve_pause pause MARKER [cfsync arguments...]
    python -m tests.integration.evolve_pause meet DIR N FIELD [cfsync arguments...]

`pause`: once a real call returns having made changes (its columns added, filled and recorded, each in a
transaction of its own), touch MARKER and sleep: the page that brought the field is not written yet, so a
test that kills the process then cuts the database exactly between a column's addition and the page's write.

`meet`: the first call whose records carry FIELD waits, before evolving, until N processes are there (a
file each in DIR): N workers then evolve the same new field at the same moment.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from cfsync.cli import main
from cfsync.store.store import Store

PAUSE_SECONDS = 300  # far longer than the test waits: it kills the process first
MEET_SECONDS = 60


def pause_after_changes(marker: Path) -> None:
    real = Store.evolve

    def evolve(self: Store, *args: Any, **kwargs: Any) -> Any:
        result = real(self, *args, **kwargs)
        if result[1]:  # the change labels this call made
            marker.touch()
            time.sleep(PAUSE_SECONDS)
        return result

    Store.evolve = evolve  # type: ignore[method-assign]


def meet_before_evolving(directory: Path, count: int, field: str) -> None:
    real, met = Store.evolve, []

    def evolve(self: Store, resource: Any, records: Any, *args: Any, **kwargs: Any) -> Any:
        if not met and any(isinstance(r, dict) and field in r for r in records):
            met.append(True)
            (directory / str(os.getpid())).touch()
            deadline = time.monotonic() + MEET_SECONDS
            while len(list(directory.iterdir())) < count and time.monotonic() < deadline:
                time.sleep(0.005)
        return real(self, resource, records, *args, **kwargs)

    Store.evolve = evolve  # type: ignore[method-assign]


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    if mode == "pause":
        pause_after_changes(Path(rest[0]))
        rest = rest[1:]
    else:
        meet_before_evolving(Path(rest[0]), int(rest[1]), rest[2])
        rest = rest[3:]
    sys.argv = ["cfsync", *rest]
    main()
