"""Walking a list's id segments at the same time (see segments.py for why and how they are cut)."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from dataclasses import replace
from typing import Any

from ..client.paginate import pages
from .context import PassContext, item_id
from .segments import Segment, split_busiest

__all__ = ["walk_segments"]


async def walk_segments(
    run: PassContext, segments: list[Segment], sweeping: bool, density: float | None
) -> None:
    """Walk every unfinished segment concurrently; when one ends, split the busiest (needs the density of
    ids, known only for a plan made in this run). Then the partition's cursor moves past the end."""
    hi = max(s.end if s.end is not None else s.cursor for s in segments)
    if density:
        run.pages_left[run.part.key] = lambda: sum(
            s.remaining_pages(hi, density) for s in segments if not s.done
        )
    tasks = {asyncio.ensure_future(_walk(run, s, sweeping)): s for s in segments if not s.done}
    try:
        while tasks:
            finished, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                tasks.pop(task)
                task.result()  # a failed segment fails the partition (the others stop; all resume later)
            fresh = split_busiest(segments, hi, density) if density else None
            if fresh is not None:
                busy = next(s for s in segments if s.end == fresh.start and not s.done)
                await run.db(run.store.split_segment, run.part.key, busy.start, fresh)
                segments.append(fresh)
                tasks[asyncio.ensure_future(_walk(run, fresh, sweeping))] = fresh
    finally:
        run.pages_left.pop(run.part.key, None)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    last = next(s for s in segments if s.end is None)
    await run.db(run.store.finish_segments, run.part.key, str(last.cursor), run.run_id, run.clock())


async def _walk(run: PassContext, segment: Segment, sweeping: bool) -> None:
    """One segment: pages after its cursor until an id passes its end (or the list ends). Each page is
    written with the segment's new cursor; items beyond the end are left to the next segment."""
    async with aclosing(pages(run.source, run.part.path, after=str(segment.cursor))) as walk:
        async for page, following in walk:
            kept, passed = _within(list(page.items), segment.end)
            ids = [i for i in map(item_id, kept) if i is not None]
            done = following is None or passed
            start = segment.cursor
            segment.cursor = max(ids) if ids else segment.cursor
            segment.done = done
            sweep_range = (start, segment.end if done else segment.cursor) if sweeping else None
            run.see(kept)
            # Written before the next request: a crash costs each segment at most this page.
            run.count(await run.write(kept, None, sweep_range, replace(segment)))
            if done:
                return


def _within(items: list[Any], end: int | None) -> tuple[list[Any], bool]:
    """The items up to `end`, and whether the page reached it."""
    if end is None:
        return items, False
    kept = [item for item in items if (i := item_id(item)) is None or i <= end]
    last = max((i for i in map(item_id, kept) if i is not None), default=None)
    return kept, len(kept) < len(items) or (last is not None and last >= end)
