import pytest

from cfsync.client.paginate import Paginator
from cfsync.errors import PaginationError


def test_follows_cursors_until_header_missing():
    p = Paginator()
    assert p.advance(20, "20") == "20"
    assert p.advance(20, "40") == "40"
    assert p.advance(5, None) is None
    assert p.after == "40"


@pytest.mark.parametrize("header", [None, "", "   "])
def test_blank_or_missing_header_ends_the_walk(header):
    assert Paginator().advance(20, header) is None


def test_empty_page_ends_the_walk_even_with_a_header():
    assert Paginator("10").advance(0, "10") is None


def test_repeated_cursor_raises():
    p = Paginator()
    p.advance(20, "20")
    p.advance(20, "40")
    with pytest.raises(PaginationError, match="repeated the cursor after=20"):
        p.advance(20, "20")


def test_cursor_equal_to_the_start_raises():
    with pytest.raises(PaginationError):
        Paginator("99").advance(20, "99")


def test_header_whitespace_is_stripped():
    assert Paginator().advance(20, " 7 ") == "7"
