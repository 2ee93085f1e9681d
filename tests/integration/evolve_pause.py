"""`python -m tests.integration.evolve_pause MARKER [cfsync arguments...]`: cfsync's CLI with one change,
for the kill -9 test of issue 21 (test_schema_evolution.py).

`Store.evolve` is wrapped: once a real call returns having made changes (its columns added, filled and
recorded, each in a transaction of its own), the wrapper touches MARKER and sleeps. The page that brought
the field is not written yet, so a test that kills the process then leaves a database cut exactly between a
column's addition and the page's write.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from cfsync.cli import main
from cfsync.store.store import Store

PAUSE_SECONDS = 300  # far longer than the test waits: it kills the process first


def pause_after_changes(marker: Path) -> None:
    real = Store.evolve

    def evolve(self: Store, *args: Any, **kwargs: Any) -> Any:
        result = real(self, *args, **kwargs)
        if result[1]:  # the change labels this call made
            marker.touch()
            time.sleep(PAUSE_SECONDS)
        return result

    Store.evolve = evolve  # type: ignore[method-assign]


if __name__ == "__main__":
    pause_after_changes(Path(sys.argv[1]))
    sys.argv = ["cfsync", *sys.argv[2:]]
    main()
