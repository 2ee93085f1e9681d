"""The cursor paginator: a pure state machine from one page's facts to the next `after` or "done"; and the
one loop that walks a list with it."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Protocol

from ..errors import PaginationError

__all__ = ["ListPage", "Lister", "Paginator", "pages"]


class ListPage(Protocol):
    """One page of a list: its items and the `Pagination-Next` header."""

    @property
    def items(self) -> Sequence[Any]: ...

    @property
    def pagination_next(self) -> str | None: ...


class Lister(Protocol):
    """What walking a list needs: one page of it, in a given order, after a cursor (ApiClient has it)."""

    async def list_page(
        self, path: str, *, after: str | None = None, params: Mapping[str, str] | None = None
    ) -> ListPage: ...


class Paginator:
    """Follows `Pagination-Next` cursors.

    Done when the header is missing or blank, or the page is empty. A cursor handed out twice (or equal to
    where the walk started) would loop forever, so it raises PaginationError.
    """

    def __init__(self, after: str | None = None) -> None:
        self.after = after
        self._seen: set[str] = {after} if after else set()

    def advance(self, page_size: int, pagination_next: str | None) -> str | None:
        """The cursor for the next request, or None when the walk is over."""
        cursor = (pagination_next or "").strip()
        if page_size == 0 or not cursor:
            return None
        if cursor in self._seen:
            raise PaginationError(f"the API repeated the cursor after={cursor}; stopping to avoid a loop")
        self._seen.add(cursor)
        self.after = cursor
        return cursor


async def pages(
    lister: Lister, path: str, *, after: str | None = None, params: Mapping[str, str] | None = None
) -> AsyncGenerator[tuple[ListPage, str | None], None]:
    """Each page of a list from `after` on, with the cursor that follows it (None on the last page). A
    repeated cursor raises PaginationError. Stop early by leaving the loop."""
    paginator = Paginator(after)
    while True:
        page = await lister.list_page(path, after=after, params=params)
        following = paginator.advance(len(page.items), page.pagination_next)
        yield page, following
        if following is None:
            return
        after = following
