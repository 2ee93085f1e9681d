"""`push contacts`: bulk upsert by email from a CSV or JSON-lines file, with a results file.

A reader feeds a bounded queue that N workers drain through the account's rate limit and in-flight cap, so
memory stays flat however long the file. Every row gets one line in the results file (its line number,
email, outcome and the contact id or the API's message), flushed as it is written, so a push stopped at
any point leaves a file that says what was done; the contacts the API answered are upserted into the
local database in batches from one writer thread. Rerunning a file is safe (an upsert), and with the same
results file it skips the rows that file already shows created or updated, appending the others.

    summary = asyncio.run(push_contacts(config, Path("leads.csv"), workspace_id=1))
    summary.counts.failed, summary.results
"""

from __future__ import annotations

import asyncio
import csv
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TextIO

from .client.fields import FieldError
from .client.writes import operation
from .config import Config
from .dbthread import DbThread
from .engine.apply import scope_of
from .errors import ApiError, AuthError, ConfigError, ForbiddenError, NotFoundError, RecordError
from .logfmt import logfmt
from .manage import WriteSession, ids_for
from .push_input import Row, format_of, read_rows
from .resources.catalog import CATALOG
from .resources.transform import RecordRows, storable, to_rows
from .tally import Tally

__all__ = ["RESULT_COLUMNS", "PushCounts", "PushSummary", "push_contacts", "results_path"]

log = logging.getLogger("cfsync.push")

RESULT_COLUMNS = ("row", "email", "outcome", "id", "message")
_BATCH = 500  # contacts per database transaction
# The whole push stops on these: each later row would get the same answer (the key, the plan, or the
# workspace in the path is wrong; an upsert's path names no record that could be missing).
_STOP = (AuthError, ForbiddenError, NotFoundError)


@dataclass
class PushCounts(Tally):
    rows: int = 0
    created: int = 0
    updated: int = 0
    invalid: int = 0
    failed: int = 0
    done_before: int = 0  # rows an earlier push of the same file upserted (in the results file): skipped
    requests: int = 0  # HTTP attempts so far, retries included
    rate_limited: int = 0  # 429 answers so far


@dataclass(frozen=True)
class PushSummary:
    counts: PushCounts
    seconds: float
    results: str  # where the results file is
    requests: int  # HTTP attempts, retries included

    @property
    def ok(self) -> bool:
        """Every row was created or updated."""
        return self.counts.invalid == 0 and self.counts.failed == 0

    @property
    def rows_per_second(self) -> float:
        return self.counts.rows / self.seconds if self.seconds > 0 else 0.0


def results_path(source: str) -> Path:
    """Where results go by default: beside the input (`leads.csv.results.csv`), or `stdin.results.csv`."""
    return Path("stdin.results.csv" if source == "-" else f"{source}.results.csv")


@dataclass
class _Run:
    session: WriteSession
    ids: dict[str, int | str]
    results: Any  # a csv writer
    out: IO[str] | TextIO
    on_row: Callable[[PushCounts], None] | None
    done: dict[int, str] = field(default_factory=dict)  # line -> email, of rows upserted before
    counts: PushCounts = field(default_factory=PushCounts)
    stop: ApiError | None = None

    def report(self, row: Row, outcome: str, record_id: Any = "", message: str = "") -> None:
        # Flushed row by row: however the push ends (a signal, a kill), the file says what was done.
        self.results.writerow([row.line, row.email, outcome, record_id, message])
        self.out.flush()
        self.counts.rows += 1
        setattr(self.counts, outcome, getattr(self.counts, outcome) + 1)
        stats = self.session.client.stats
        self.counts.requests, self.counts.rate_limited = stats.requests, stats.rate_limited
        if self.on_row is not None:
            self.on_row(self.counts)


async def push_contacts(
    config: Config,
    source: str | Path | TextIO | Iterable[str],
    *,
    results: Path | TextIO | None = None,
    fmt: str | None = None,
    workspace_id: int | None = None,
    account: str | None = None,
    workers: int | None = None,
    on_row: Callable[[PushCounts], None] | None = None,
) -> PushSummary:
    """Upsert every row of `source` into the workspace's contacts, by email, through the rate limit.

    Args:
        config: from load_config.
        source: a path (str or Path), an open text stream, or lines: CSV with a header row, or JSON lines.
        results: where each row's outcome goes (a path or a stream); default `<source>.results.csv`. An
            existing results file is appended to, and the rows it shows created or updated are skipped.
        fmt: "csv" or "jsonl"; default from the file name, else from the content.
        workspace_id: default the config's only [sync].workspaces entry.
        account: the config account to use (default its first).
        workers: requests kept going at once; default the account's max_in_flight.
        on_row: called with the counts after every row (a progress display).

    Returns:
        PushSummary: counts (created, updated, invalid, failed, done_before), seconds, the results file.

    Raises:
        FieldError: a CSV header the contact body does not fit, or input that is not UTF-8 CSV/JSON lines.
        ApiError: when every row would fail the same way (AuthError 401, ForbiddenError 403, NotFoundError
            404 for the workspace); the results so far are written.
    """
    if isinstance(source, str):
        source = Path(source)
    op = operation("contacts.upsert")
    ids = ids_for(config, op, {"workspace_id": workspace_id} if workspace_id is not None else {})
    session = WriteSession(config, account=account)  # checks the account and its key
    name = str(source) if isinstance(source, Path) else "-"
    started = time.monotonic()
    with ExitStack() as files:
        lines: Iterable[str] = (
            files.enter_context(_open(source, "r", encoding="utf-8-sig"))
            if isinstance(source, Path)
            else source
        )
        rows = _readable(read_rows(lines, op.fields, format_of(name, fmt)))
        first = next(rows, None)  # a bad header fails here, before any request or results file
        target = results if results is not None else results_path(name)
        done = _done_before(target) if isinstance(target, Path) else {}
        mode = "a" if isinstance(target, Path) and target.exists() and target.stat().st_size else "w"
        out: Any = files.enter_context(_open(target, mode)) if isinstance(target, Path) else target
        writer = csv.writer(out)
        if mode == "w":
            writer.writerow(RESULT_COLUMNS)
        async with session:
            run = _Run(session, ids, writer, out, on_row, done)
            count = workers or session.account.max_in_flight
            await _pump(run, _chain(first, rows), max(1, count))
            requests = session.client.stats.requests
        out.flush()
    summary = PushSummary(
        run.counts,
        time.monotonic() - started,
        str(target) if isinstance(target, Path) else getattr(target, "name", "<stream>"),
        requests,
    )
    if run.stop is not None:
        log.warning(logfmt(event="push_stopped", rows=run.counts.rows, results=summary.results))
        raise run.stop
    return summary


def _open(path: Path, mode: str, encoding: str = "utf-8") -> IO[str]:
    try:
        return path.open(mode, encoding=encoding, newline="")
    except OSError as exc:
        raise ConfigError(f"cannot {'read' if mode == 'r' else 'write'} {path}: {exc.strerror}") from None


def _done_before(path: Path) -> dict[int, str]:
    """Rows an earlier push wrote to this results file as created or updated (a row's last line is its
    outcome): line -> email. Empty when there is no such file."""
    if not path.exists() or not path.stat().st_size:
        return {}
    done: dict[int, str] = {}
    with _open(path, "r") as f:
        reader = csv.reader(f)
        if tuple(next(reader, ())) != RESULT_COLUMNS:
            raise ConfigError(
                f"{path} is not a cfsync results file (its header is not {','.join(RESULT_COLUMNS)}): give "
                "another results file, or move it away",
                option="results",
            )
        for cells in reader:
            if len(cells) < 3 or not cells[0].isdigit():
                continue  # a line cut short by a kill
            line, email, outcome = int(cells[0]), cells[1], cells[2]
            if outcome in ("created", "updated"):
                done[line] = email
            else:
                done.pop(line, None)
    return done


def _readable(rows: Iterator[Row]) -> Iterator[Row]:
    """The rows, with a file that is not CSV-shaped or not UTF-8 as a one-line error."""
    count = 0
    try:
        for row in rows:
            count += 1
            yield row
    except (csv.Error, UnicodeDecodeError) as exc:
        raise FieldError(f"cannot read the input after {count} rows: {exc}") from None


def _chain(first: Row | None, rest: Iterable[Row]) -> Iterable[Row]:
    if first is not None:
        yield first
    yield from rest


async def _pump(run: _Run, rows: Iterable[Row], workers: int) -> None:
    """The reader, the workers and the database writer, until the input is done or a stop error."""
    queue: asyncio.Queue[Row | None] = asyncio.Queue(maxsize=workers * 4)
    stored: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=_BATCH * 2)
    op = operation("contacts.upsert")
    thread = DbThread("cfsync-push-db")
    running = workers

    # The end-of-input markers go out only when the input ends: a failure or a signal cancels every
    # task instead, and a marker awaited then (a full queue nobody drains) would never arrive.
    async def read() -> None:
        for row in rows:
            if run.stop is not None:
                break
            if run.done.get(row.line) == row.email and row.email:
                run.counts.done_before += 1
                continue
            if row.error is not None:
                run.report(row, "invalid", message=row.error)
            else:
                await queue.put(row)
        for _ in range(workers):
            await queue.put(None)

    async def work() -> None:
        nonlocal running
        while (row := await queue.get()) is not None:
            if run.stop is not None:
                continue  # drain without sending, so the reader never blocks
            try:
                written = await run.session.writer.run(op, run.ids, row.fields)
            except _STOP as exc:
                run.stop = run.stop or exc
                continue
            except ApiError as exc:  # 422, 400, 409, retries spent: this row only
                message = f"HTTP {exc.status}: {exc.message}" if exc.status else exc.message
                run.report(row, "failed", message=message)
                continue
            record = written.record or {}
            run.report(row, "created" if written.created else "updated", record.get("id", ""))
            if record:
                await stored.put(record)
        running -= 1
        if running == 0:
            await stored.put(None)

    async def store() -> None:
        done = False
        while not done:
            batch = []
            item = await stored.get()
            while item is not None:
                batch.append(item)
                if len(batch) >= _BATCH or stored.empty():
                    break
                item = stored.get_nowait()
            done = item is None
            if batch:
                await thread.call(_store_batch, run.session, batch)

    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(store())
            group.create_task(read())
            for _ in range(workers):
                group.create_task(work())
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None  # one error, as every other command gives
    finally:
        thread.close()


def _store_batch(session: WriteSession, records: list[dict[str, Any]]) -> None:
    """Upsert a batch of answered contacts in one transaction (a contact twice: its later answer)."""
    now = datetime.now(UTC)
    rows: dict[int, RecordRows] = {}
    # New fields in the answers evolve the table first, as a sync's would.
    resource, _ = session.store.evolve(CATALOG["contacts"], [storable(r) for r in records])
    for record in records:
        try:
            scope = scope_of(session.store, session.account.name, resource, record)
            built = to_rows(resource, storable(record), scope, now)
        except RecordError as exc:
            log.warning(
                logfmt(
                    event="contact_not_stored",
                    error=str(exc),
                    detail="the API has it; the next sync stores it",
                )
            )
            continue
        rows[built.row["id"]] = built
    session.store.upsert(resource, list(rows.values()), session.account.name)
