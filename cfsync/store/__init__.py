"""SQLAlchemy schema built from the catalog, dialect-aware upserts, sync state and run history."""

from .db import create_engine, redacted
from .migrate import current_revision, head_revision, migrations_dir, upgrade
from .schema import metadata
from .store import Store

__all__ = [
    "Store",
    "create_engine",
    "current_revision",
    "head_revision",
    "metadata",
    "migrations_dir",
    "redacted",
    "upgrade",
]
