"""together_or_alone (one transaction, else each item alone) and Tally (counters added up)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from cfsync.dbthread import DbThread, together_or_alone
from cfsync.tally import Tally


class Bad(Exception):
    pass


class Gone(Exception):
    pass


def writer(calls: list[list[int]], bad: int | None = None, gone_at: int | None = None):
    def write(items):
        calls.append(list(items))
        if gone_at is not None and len(calls) == gone_at:
            raise Gone("database gone")
        if bad in items:
            raise Bad(f"item {bad}")
        return [i * 10 for i in items]

    return write


def test_a_batch_that_commits_is_written_once():
    calls: list[list[int]] = []
    out = list(together_or_alone([1, 2, 3], writer(calls)))
    assert out == [([1, 2, 3], [10, 20, 30])]
    assert calls == [[1, 2, 3]]


def test_a_batch_with_one_bad_item_is_written_item_by_item_and_only_that_item_fails():
    calls: list[list[int]] = []
    out = list(together_or_alone([1, 2, 3], writer(calls, bad=2)))
    assert [(items, r) for items, r in out if not isinstance(r, Exception)] == [([1], [10]), ([3], [30])]
    [(items, error)] = [(items, r) for items, r in out if isinstance(r, Exception)]
    assert items == [2]
    assert str(error) == "item 2"
    assert calls == [[1, 2, 3], [1], [2], [3]]


def test_a_lone_bad_item_gets_its_error_without_a_second_try():
    calls: list[list[int]] = []
    [(items, error)] = list(together_or_alone([2], writer(calls, bad=2)))
    assert items == [2]
    assert isinstance(error, Bad)
    assert calls == [[2]]


@pytest.mark.parametrize("gone_at", [1, 3])
def test_a_fatal_error_stops_at_once_batch_or_alone(gone_at):
    calls: list[list[int]] = []
    with pytest.raises(Gone):
        list(together_or_alone([1, 2, 3], writer(calls, bad=1, gone_at=gone_at), fatal=(Gone,)))
    assert len(calls) == gone_at, "no item tried after the database failed"


@dataclass
class Counts(Tally):
    ok: int = 0
    bad: int = 0
    notes: list[str] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)


def test_tallies_add_numbers_lists_and_dicts_and_count_only_numbers():
    total = Counts(1, 2, ["a"], {"x": 1})
    total.add(Counts(3, 0, ["b"], {"x": 2, "y": 5}))
    assert total == Counts(4, 2, ["a", "b"], {"x": 3, "y": 5})
    assert total.counts() == {"ok": 4, "bad": 2}


async def test_the_db_thread_runs_calls_in_order_on_one_thread():
    import threading

    thread = DbThread("test-db")
    names = [await thread.call(lambda: threading.current_thread().name) for _ in range(3)]
    assert len(set(names)) == 1
    assert names[0].startswith("test-db")
    assert names[0] != threading.current_thread().name
    thread.close()
