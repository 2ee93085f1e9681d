"""Package attributes imported on first use (PEP 562), so that `import cfsync.cli` and `cfsync --help` do
not load SQLAlchemy, aiohttp and alembic for names a command may never touch. Imports nothing of cfsync."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: `where` maps each name to the submodule that defines it
    (relative, ".app"), or to "submodule:original_name" for a name exported under another one."""

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, original = where[name].partition(":")
        value = getattr(importlib.import_module(module, package), original or name)
        setattr(sys.modules[package], name, value)  # the next lookup is a plain attribute
        return value

    return __getattr__
