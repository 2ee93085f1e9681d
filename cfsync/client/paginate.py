"""The cursor paginator: a pure state machine from one page's facts to the next `after` or "done"."""

from __future__ import annotations

from ..errors import PaginationError

__all__ = ["Paginator"]


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
