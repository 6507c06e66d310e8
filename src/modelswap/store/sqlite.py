"""The SQLite store: one file, the embedded default.

What it is: how to open a SQLite database for ``SQLStore`` (WAL journal, synchronous=NORMAL,
a busy timeout, usable from a worker thread) and SQLite's dialect. ``":memory:"`` gives a
private in-memory store. What it is not: queries; they all live in ``modelswap.store.sql``.

Write transactions begin with ``BEGIN IMMEDIATE``: the write lock is taken up front, so two
processes writing (or migrating) the same file wait for each other up to the busy timeout
instead of failing on a lock upgrade. Switching a new file to WAL is retried while another
connection holds it, since SQLite answers "busy" there without waiting.

The store is unavailable (``StoreUnavailable``, and the file is opened again on the next
call) when SQLite says the file cannot be written now: read-only (permissions, a read-only
mount, the file moved away), an I/O error, a full disk, a file it cannot open, or a lock
still held after the busy timeout. A constraint or type error is the call's fault instead.
An in-memory store is never reopened (its contents live in its one connection).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from modelswap.errors import StoreError
from modelswap.store.sql import Dialect, SQLStore

MEMORY = ":memory:"


class SQLiteStore(SQLStore):
    """A store in the SQLite file at ``path`` (created if missing; its directory must exist)."""

    def __init__(self, path: str, *, busy_timeout_s: float = 10.0) -> None:
        def reconnect() -> sqlite3.Connection:
            return connect(path, busy_timeout_s=busy_timeout_s)

        dialect = Dialect(name=path, placeholder="?", begin="BEGIN IMMEDIATE", migration_lock=None,
                          errors=(sqlite3.Error,), unavailable=unavailable,
                          connect=None if path == MEMORY else reconnect)
        super().__init__(reconnect(), dialect)


#: Primary result codes meaning "the file cannot be written now" rather than "this write is wrong".
UNAVAILABLE_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_READONLY,
                               sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN,
                               sqlite3.SQLITE_PERM, sqlite3.SQLITE_PROTOCOL})


def unavailable(exc: Exception) -> bool:
    """Whether a SQLite error means the database cannot be written now (see the module docstring)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in UNAVAILABLE_CODES


def connect(path: str, *, busy_timeout_s: float) -> sqlite3.Connection:
    """An autocommit connection (the store issues its own BEGIN/COMMIT) tuned for a write-behind store."""
    if path != MEMORY and not Path(path).parent.is_dir():
        raise StoreError(f"store {path}: directory {str(Path(path).parent)!r} does not exist")
    try:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_s)
    except sqlite3.Error as exc:
        raise StoreError(f"store {path}: cannot open: {exc}") from exc
    try:
        connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        _enable_wal(connection, busy_timeout_s=busy_timeout_s)
        connection.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error as exc:
        connection.close()
        raise StoreError(f"store {path}: cannot open: {exc}") from exc
    return connection


def _enable_wal(connection: sqlite3.Connection, *, busy_timeout_s: float) -> None:
    """Switch to WAL, retrying while busy: SQLite reports busy at once here instead of waiting."""
    deadline = time.monotonic() + busy_timeout_s
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                raise
        time.sleep(0.01)
