"""The segment splitter, with plain values."""

from __future__ import annotations

from cfsync.engine.segments import MIN_PAGES, Segment, estimate_pages, plan, split_busiest


def test_density_and_pages_from_the_first_page():
    ids = list(range(1000, 1040, 2))  # 20 records over 39 ids
    density, pages = estimate_pages(ids, lo=1038, hi=1038 + 39 * 100)
    assert density == 20 / 39
    assert round(pages) == 100


def test_estimate_needs_a_spread():
    assert estimate_pages([5], 5, 100) == (0.0, 0.0)
    assert estimate_pages([1, 2], 10, 5) == (0.0, 0.0)


def test_plan_cuts_equal_spans_with_an_open_end():
    segments = plan(lo=100, hi=10_100, density=1.0, max_segments=4)  # 500 pages
    assert [(s.start, s.end, s.cursor) for s in segments] == [
        (100, 2600, 100),
        (2600, 5100, 2600),
        (5100, 7600, 5100),
        (7600, None, 7600),
    ]


def test_plan_keeps_short_lists_on_one_cursor():
    few = 20 * (2 * MIN_PAGES - 1)
    assert len(plan(0, few, density=1.0, max_segments=8)) == 1
    assert len(plan(0, 20 * 2 * MIN_PAGES, density=1.0, max_segments=8)) == 2
    assert len(plan(0, 10**6, density=1.0, max_segments=1)) == 1


def test_plan_counts_pages_by_density():
    # A million ids but one record in a hundred: 500 pages, so 8 segments of 62.
    assert len(plan(0, 10**6, density=0.01, max_segments=8)) == 8
    # One in ten thousand: 5 pages, not worth a second cursor.
    assert len(plan(0, 10**6, density=0.0001, max_segments=8)) == 1
    # One in a thousand: 50 pages, 8 segments of MIN_PAGES.
    assert len(plan(0, 10**6, density=0.001, max_segments=8)) == 50 // MIN_PAGES


def test_split_halves_the_busiest_remaining_work():
    segments = [Segment(0, 1000, 1000, done=True), Segment(1000, 3000, 1200), Segment(3000, None, 3100)]
    fresh = split_busiest(segments, hi=4000, density=1.0)
    assert fresh == Segment(2100, 3000, 2100)
    assert segments[1].end == 2100  # walks up to the middle; the fresh one takes the rest


def test_split_of_the_open_segment_stays_open():
    segments = [Segment(0, 1000, 1000, done=True), Segment(1000, None, 1000)]
    fresh = split_busiest(segments, hi=5000, density=1.0)
    assert fresh == Segment(3000, None, 3000)
    assert segments[1].end == 3000


def test_no_split_when_little_is_left():
    segments = [Segment(0, 100, 100, done=True), Segment(100, None, 100 + 20 * MIN_PAGES)]
    assert split_busiest(segments, hi=100 + 20 * (3 * MIN_PAGES - 1), density=1.0) is None
    assert split_busiest([Segment(0, 10, 10, done=True)], hi=10, density=1.0) is None
