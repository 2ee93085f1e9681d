"""logfmt: the one-line `key=value` form of every log line cfsync writes, and the formatter that stamps
each with `ts=` (RFC 3339, UTC, milliseconds) and `level=`."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

__all__ = ["LogfmtFormatter", "duration", "logfmt"]

_BARE = re.compile(r"^[^\s\"=\\]+$")
_PAIR = re.compile(r'^[A-Za-z_][\w.]*=(?:"(?:[^"\\]|\\.)*"|[^\s"=\\]*)(?:\s|$)')


def logfmt(**fields: Any) -> str:
    """`key=value` pairs, quoting values that need it (spaces, quotes, `=`, control characters, empty):
    one line that grep and log shippers both read."""
    return " ".join(f"{key}={_value(value)}" for key, value in fields.items())


def _value(value: Any) -> str:
    text = str(value)
    if _BARE.match(text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + escaped.replace("\t", "\\t") + '"'


class LogfmtFormatter(logging.Formatter):
    """`ts=2026-11-30T07:14:15.459Z level=info` and the message: kept as it is when it is already
    logfmt, else as `msg="..."`; a traceback, when there is one, becomes an escaped `traceback=` field."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC)
        ts = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
        message = record.getMessage()
        if not _PAIR.match(message):
            message = logfmt(msg=message)
        line = f"ts={ts} level={record.levelname.lower()} {message}"
        if record.exc_info:
            line += " " + logfmt(traceback=self.formatException(record.exc_info))
        return line


def duration(seconds: float) -> str:
    """42s, 6m40s, 2h05m, 6h, 7d: short enough for a log field, exact enough for a wait."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    if whole % 86400 == 0:
        return f"{whole // 86400}d"
    if whole % 3600 == 0:
        return f"{whole // 3600}h"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
