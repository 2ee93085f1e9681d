"""Moving a damaged SQLite file out of the way, with its -wal and -shm, never deleting or overwriting one."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

__all__ = ["move_aside"]

SIDECARS = ("-wal", "-shm")


def move_aside(path: Path, now: datetime) -> list[tuple[Path, Path]]:
    """Rename `path` to `<name>.damaged-<UTC time>` beside it, and its -wal and -shm to that name plus the
    same suffix, so that SQLite opening the moved file still finds its WAL. A name already taken gets
    `-2`, `-3`, ...: nothing is overwritten. The sidecars go first: a new database at the old name must
    never meet the old file's WAL. Returns (from, to) for each file moved, the database last."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    target = _free(path.with_name(f"{path.name}.damaged-{stamp}"))
    moved = []
    for suffix in SIDECARS:
        sidecar = Path(f"{path}{suffix}")
        if sidecar.exists():
            moved.append((sidecar, _rename(sidecar, Path(f"{target}{suffix}"))))
    moved.append((path, _rename(path, target)))
    return moved


def _free(candidate: Path) -> Path:
    """`candidate`, or it with -2, -3, ... : a name that neither it nor its sidecars hold yet."""
    name, n = candidate.name, 1
    while any(Path(f"{candidate}{s}").exists() for s in ("", *SIDECARS)):
        n += 1
        candidate = candidate.with_name(f"{name}-{n}")
    return candidate


def _rename(source: Path, target: Path) -> Path:
    # A hard link fails rather than replace an existing name; where links are refused, a plain rename to
    # the name _free found free (the run lock keeps other cfsync processes away meanwhile).
    try:
        os.link(source, target)
    except OSError as exc:
        if isinstance(exc, FileExistsError):
            raise
        os.rename(source, target)
        return target
    os.unlink(source)
    return target
