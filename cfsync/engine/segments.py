"""Splitting one big list into id segments that are walked at the same time.

Cursor pages are sequential: one list of a million contacts walked by one cursor is bound by latency, not by
the rate limit. So after the first page, a list that will take many pages is cut by id value into segments
`(start, end]`, each walked by its own cursor from `after=start` until it passes `end`; the last segment is
open-ended, so records created meanwhile are found. When a segment finishes early, the segment with the
most work left is split in two. Every segment's cursor is saved with its page, so a crash resumes them all.

Pure functions over plain values; the walking is in walk.py.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MIN_PAGES", "Segment", "estimate_pages", "plan", "split_busiest"]

PAGE = 20
MIN_PAGES = 6  # a segment shorter than this is not worth its own cursor


@dataclass
class Segment:
    start: int  # exclusive: the first request is after=start
    end: int | None  # inclusive; None: open-ended (the last segment)
    cursor: int  # the `after` of the next request
    done: bool = False

    def remaining_pages(self, hi: int, density: float) -> float:
        """Pages left by the id span still to walk (the open segment counts up to the known max id)."""
        upper = self.end if self.end is not None else hi
        return max(0, upper - self.cursor) * density / PAGE


def estimate_pages(first_ids: list[int], lo: int, hi: int) -> tuple[float, float]:
    """(records per id, pages left in (lo, hi]) from the first page's ids (their spread gives the density)."""
    if len(first_ids) < 2 or hi <= lo:
        return 0.0, 0.0
    span = max(first_ids) - min(first_ids) + 1
    density = min(1.0, len(first_ids) / span)
    return density, (hi - lo) * density / PAGE


def plan(lo: int, hi: int, density: float, max_segments: int) -> list[Segment]:
    """Cut (lo, hi] into up to `max_segments` segments of equal id span, at least MIN_PAGES each; the last
    is open-ended. One segment means: keep a single cursor."""
    pages = (hi - lo) * density / PAGE
    count = int(max(1, min(max_segments, pages // MIN_PAGES)))
    if count < 2:
        return [Segment(lo, None, lo)]
    width = (hi - lo) / count
    starts = [lo + round(width * i) for i in range(count)]
    ends: list[int | None] = [*starts[1:], None]
    return [Segment(start, end, start) for start, end in zip(starts, ends, strict=True)]


def split_busiest(segments: list[Segment], hi: int, density: float) -> Segment | None:
    """Halve the unfinished segment with the most pages left, if it has at least two segments' worth.

    The busy segment keeps walking up to the midpoint; the returned new segment takes the rest. For the
    open-ended segment the midpoint is taken below the known max id, and the new segment stays open.
    """
    running = [s for s in segments if not s.done]
    if not running:
        return None
    busiest = max(running, key=lambda s: s.remaining_pages(hi, density))
    if busiest.remaining_pages(hi, density) < 2 * MIN_PAGES:
        return None
    upper = busiest.end if busiest.end is not None else hi
    middle = busiest.cursor + (upper - busiest.cursor) // 2
    if middle <= busiest.cursor:
        return None
    fresh = Segment(middle, busiest.end, middle)
    busiest.end = middle
    return fresh
