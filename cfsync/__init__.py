"""cfsync: copy ClickFunnels 2.0 accounts into SQL and keep them current."""

__version__ = "0.1.0"
__all__ = ["__version__"]
