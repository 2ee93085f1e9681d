"""logfmt: the one-line `key=value` form of every log line cfsync writes."""

from __future__ import annotations

from typing import Any

__all__ = ["logfmt"]


def logfmt(**fields: Any) -> str:
    """`key=value` pairs, quoting values with spaces: one line that grep and log shippers both read."""
    parts = []
    for key, value in fields.items():
        text = str(value)
        if not text or any(c in text for c in ' "='):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)
