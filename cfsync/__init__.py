"""cfsync: copy ClickFunnels 2.0 accounts into SQL and keep them current.

Everything a program needs is here, in one namespace (the modules behind it are cfsync's own business and
may move):

    import asyncio, cfsync

    config = cfsync.load_config("cfsync.toml")          # and os.environ for keys and overrides
    summary = asyncio.run(cfsync.sync(config))          # migrate, then sync what changed
    summary.status, summary.to_dict()["totals"]

    done = asyncio.run(cfsync.write(config, "contacts.update", {"first_name": "Ann"}, record_id=123))
    pushed = asyncio.run(cfsync.push_contacts(config, "leads.csv", workspace_id=1))

    service = cfsync.Service(config, cfsync.ServiceSettings(interval=300))
    asyncio.run(service.run())                          # what `cfsync run` does, until cancelled

Every failure cfsync expects is a CfsyncError subclass (see the error classes below); `exit_code` is what
the command line exits with. docs/python.md has the whole surface with examples.
"""

__version__ = "0.1.0"  # first: the HTTP client's User-Agent reads it when it loads

from typing import TYPE_CHECKING

from .config import Config, load_config
from .errors import (
    ApiError,
    ApiProtocolError,
    ApiUnavailableError,
    AuthError,
    BadRequestError,
    CfsyncError,
    ConfigError,
    ConflictError,
    DatabaseCorruptError,
    DatabaseError,
    DatabaseFullError,
    DatabaseReadOnlyError,
    DatabaseUnavailableError,
    FatalApiError,
    FieldError,
    ForbiddenError,
    Interrupted,
    LockedError,
    NotFoundError,
    PaginationError,
    RecordError,
    RetriableApiError,
    StoreError,
    UnknownHostError,
    ValidationError,
)
from .lazy import lazy_attributes

if TYPE_CHECKING:
    from .app import sync
    from .client.writes import OPERATIONS, WriteOperation, Written
    from .engine.ports import RunSummary
    from .manage import WriteSession, write
    from .push import PushCounts, PushSummary, push_contacts
    from .sandbox import Sandbox, SandboxConfig, SandboxServer
    from .service import Service, ServiceSettings
    from .webhooks import Receiver, Registered
    from .webhooks.register import register as register_webhook

# The rest is imported on first use, so that `import cfsync.cli` stays light (docs/development.md).
__getattr__ = lazy_attributes(
    __name__,
    {
        "sync": ".app",
        **dict.fromkeys(("OPERATIONS", "WriteOperation", "Written"), ".client.writes"),
        "RunSummary": ".engine.ports",
        **dict.fromkeys(("WriteSession", "write"), ".manage"),
        **dict.fromkeys(("PushCounts", "PushSummary", "push_contacts"), ".push"),
        **dict.fromkeys(("Sandbox", "SandboxConfig", "SandboxServer"), ".sandbox"),
        **dict.fromkeys(("Service", "ServiceSettings"), ".service"),
        **dict.fromkeys(("Receiver", "Registered"), ".webhooks"),
        "register_webhook": ".webhooks:register",
    },
)

__all__ = [
    "OPERATIONS",
    "ApiError",
    "ApiProtocolError",
    "ApiUnavailableError",
    "AuthError",
    "BadRequestError",
    "CfsyncError",
    "Config",
    "ConfigError",
    "ConflictError",
    "DatabaseCorruptError",
    "DatabaseError",
    "DatabaseFullError",
    "DatabaseReadOnlyError",
    "DatabaseUnavailableError",
    "FatalApiError",
    "FieldError",
    "ForbiddenError",
    "Interrupted",
    "LockedError",
    "NotFoundError",
    "PaginationError",
    "PushCounts",
    "PushSummary",
    "Receiver",
    "RecordError",
    "Registered",
    "RetriableApiError",
    "RunSummary",
    "Sandbox",
    "SandboxConfig",
    "SandboxServer",
    "Service",
    "ServiceSettings",
    "StoreError",
    "UnknownHostError",
    "ValidationError",
    "WriteOperation",
    "WriteSession",
    "Written",
    "__version__",
    "load_config",
    "push_contacts",
    "register_webhook",
    "sync",
    "write",
]
