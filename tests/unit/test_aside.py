"""Moving a damaged SQLite file aside: its -wal and -shm follow under one name, nothing is overwritten."""

from __future__ import annotations

from datetime import UTC, datetime

from cfsync.store.aside import move_aside

NOW = datetime(2026, 12, 2, 7, 5, 9, tzinfo=UTC)


def test_the_file_and_its_sidecars_move_under_one_stamped_name_never_over_another(tmp_path):
    db = tmp_path / "cfsync.db"
    for suffix, body in (("", b"main"), ("-wal", b"wal"), ("-shm", b"shm")):
        (tmp_path / f"cfsync.db{suffix}").write_bytes(body)
    first = move_aside(db, NOW)
    kept = tmp_path / "cfsync.db.damaged-20261202T070509Z"
    assert first == [
        (tmp_path / "cfsync.db-wal", tmp_path / f"{kept.name}-wal"),
        (tmp_path / "cfsync.db-shm", tmp_path / f"{kept.name}-shm"),
        (db, kept),
    ]
    assert [p.read_bytes() for _, p in first] == [b"wal", b"shm", b"main"]
    assert not db.exists()

    db.write_bytes(b"second")  # damaged again within the same second, no sidecars this time
    second = move_aside(db, NOW)
    assert second == [(db, tmp_path / f"{kept.name}-2")]
    assert kept.read_bytes() == b"main"
    assert (tmp_path / f"{kept.name}-2").read_bytes() == b"second"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cfsync.db.damaged-20261202T070509Z",
        "cfsync.db.damaged-20261202T070509Z-2",
        "cfsync.db.damaged-20261202T070509Z-shm",
        "cfsync.db.damaged-20261202T070509Z-wal",
    ]
