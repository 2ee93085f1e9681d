"""Rows of a push file (CSV with a header, or JSON lines), each checked as an upsert body before sending.

A row that cannot be sent whole (no email or an odd one, a field the contact body does not take, a value of
the wrong type, bad JSON) comes out with its `error` set, so the push reports it and never sends half of it.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .client.fields import FieldError, check_fields, from_text

__all__ = ["FORMATS", "Row", "format_of", "read_rows"]

FORMATS = ("csv", "jsonl")
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# Deliberately loose: the API is the judge of an address; this only catches what cannot be one.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL = "email_address"


@dataclass(frozen=True)
class Row:
    line: int  # where the row starts in the input (the CSV header is line 1)
    email: str  # as given, for the results file ("" when missing)
    fields: dict[str, Any]  # the checked body; empty when `error` is set
    error: str | None = None


def format_of(name: str, fmt: str | None = None) -> str | None:
    """The format asked for, else the one the file name's suffix says, else None (sniff the content)."""
    if fmt is not None:
        return fmt
    for suffix, found in _SUFFIXES.items():
        if name.lower().endswith(suffix):
            return found
    return None


def read_rows(lines: Iterable[str], allowed: Mapping[str, Any], fmt: str | None = None) -> Iterator[Row]:
    """Each record of the input as a Row, lazily (a million rows cost one row of memory).

    `allowed` is the upsert body's fields from the API facts. Without `fmt`, a first line starting with
    `{` means JSON lines, anything else CSV. A CSV header naming a column the body does not take is a
    FieldError (exit 2) before any row is read: every row would carry it.
    """
    it = iter(lines)
    if fmt is None:
        first = next(it, "")
        fmt = "jsonl" if first.lstrip("\ufeff \t").startswith("{") else "csv"
        it = itertools.chain([first], it)
    if fmt == "csv":
        return _csv_rows(it, allowed)
    if fmt == "jsonl":
        return _jsonl_rows(it, allowed)
    raise FieldError(f"unknown format {fmt!r} (use {' or '.join(FORMATS)})")


def _csv_rows(lines: Iterator[str], allowed: Mapping[str, Any]) -> Iterator[Row]:
    reader = csv.reader(lines)
    header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
    if not header:
        return
    unknown = [h for h in header if h not in allowed]
    doubled = sorted({h for h in header if header.count(h) > 1})
    if unknown or doubled or EMAIL not in header:
        problems = []
        if unknown:
            problems.append(f"columns the contact body does not take: {', '.join(map(repr, unknown))}")
        if doubled:
            problems.append(f"columns named twice: {', '.join(doubled)}")
        if EMAIL not in header:
            problems.append(f"no {EMAIL} column")
        raise FieldError(f"CSV header: {'; '.join(problems)} (columns: {', '.join(allowed)})")
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1
        if not cells or all(not c.strip() for c in cells):
            continue
        by_name = dict(zip(header, cells, strict=False))
        email = by_name.get(EMAIL, "").strip()
        if len(cells) != len(header):
            yield Row(start, email, {}, f"has {len(cells)} cells, the header has {len(header)}")
            continue
        # An empty cell is "not given": the upsert ignores empty values anyway.
        values = {k: from_text(allowed[k], v.strip()) for k, v in by_name.items() if v.strip()}
        yield _checked(start, email, values, allowed)


def _jsonl_rows(lines: Iterator[str], allowed: Mapping[str, Any]) -> Iterator[Row]:
    for number, text in enumerate(lines, 1):
        text = text.strip().lstrip("\ufeff")
        if not text:
            continue
        try:
            values = json.loads(text)
        except ValueError as exc:
            yield Row(number, "", {}, f"not JSON: {exc}")
            continue
        if not isinstance(values, dict):
            yield Row(number, "", {}, f"not a JSON object but {type(values).__name__}")
            continue
        email = values.get(EMAIL)
        values = {k: v for k, v in values.items() if v is not None}
        yield _checked(number, email if isinstance(email, str) else "", values, allowed)


def _checked(line: int, email: str, values: dict[str, Any], allowed: Mapping[str, Any]) -> Row:
    try:
        body = check_fields(allowed, values, what="contacts upsert")
    except FieldError as exc:
        return Row(line, email, {}, str(exc))
    given = body.get(EMAIL)
    if not isinstance(given, str) or not given.strip():
        return Row(line, email, {}, f"no {EMAIL}")
    if not _EMAIL.match(given.strip()):
        return Row(line, email, {}, f"{EMAIL} {given!r} does not look like an email address")
    body[EMAIL] = given.strip()
    return Row(line, email, body)
