"""The API as data: the catalog of synced lists and the record -> rows transform. Imports nothing else
from cfsync but its errors."""

from .catalog import CATALOG, ChildTable, Column, Resource, UnknownResourceError, ordered, resolve
from .transform import RecordRows, Scope, to_rows

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
