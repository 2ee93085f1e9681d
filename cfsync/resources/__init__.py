"""The API as data: the catalog of synced lists and the record -> rows transform. Imports nothing else
from cfsync but its errors."""

from typing import TYPE_CHECKING

from ..lazy import lazy_attributes

if TYPE_CHECKING:
    from .catalog import CATALOG, ChildTable, Column, Resource, UnknownResourceError, ordered, resolve
    from .transform import RecordRows, Scope, to_rows

# Imported on first use: the command line reads .facts (the write operations) without building the catalog.
__getattr__ = lazy_attributes(
    __name__,
    {
        **dict.fromkeys(
            ("CATALOG", "ChildTable", "Column", "Resource", "UnknownResourceError", "ordered", "resolve"),
            ".catalog",
        ),
        **dict.fromkeys(("RecordRows", "Scope", "to_rows"), ".transform"),
    },
)

__all__ = [
    "CATALOG",
    "ChildTable",
    "Column",
    "RecordRows",
    "Resource",
    "Scope",
    "UnknownResourceError",
    "ordered",
    "resolve",
    "to_rows",
]
