"""The PostgreSQL store: one database shared by several gateway replicas.

What it is: how to open a PostgreSQL connection for ``SQLStore`` with psycopg 3 (imported
only when a PostgreSQL store is opened: ``pip install modelswap[postgres]``) and
PostgreSQL's dialect. The URL is a libpq URL and may carry libpq options, for example
``postgresql://app@db:5432/modelswap?options=-csearch_path%3Dshadow`` to keep the tables
in their own schema. What it is not: queries; they all live in ``modelswap.store.sql``.

Migrations take a transaction-scoped advisory lock, so processes starting together migrate
one after the other. Every rollout write sends ``NOTIFY modelswap_rollout, '<route>'`` in its
transaction (delivered on commit only), so a gateway that LISTENs on ``modelswap_rollout`` reads
the route's new state at once instead of waiting for its next poll. A URL is never shown with
its password: errors print ``masked(url)``.

The store is unavailable (``StoreUnavailable``) when the connection is lost or cannot be
opened, or the server refuses for a while (shutting down, starting up, out of disk, a
read-only standby after a failover, a serialization failure or deadlock). Its connection is
then closed and, on the next call, a new one is opened with the same URL. Any other error (a
constraint, a bad value) is the call's fault.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from modelswap.errors import StoreError
from modelswap.store.sql import Connection, Dialect, SQLStore

MIGRATION_LOCK_KEY = 0x6D6F_6465_6C73_7770  # "modelswp": one advisory lock id for modelswap migrations
ROLLOUT_CHANNEL = "modelswap_rollout"  # NOTIFY channel of every rollout write; the payload is the route
CONNECT_TIMEOUT_S = 10

_PASSWORD_PARAM = re.compile(r"(^|&)password=[^&]*")


class PostgresStore(SQLStore):
    """A store in the PostgreSQL database at ``url`` (tables in the connection's search_path)."""

    def __init__(self, url: str) -> None:
        name = masked(url)
        connection, errors = connect(url, name=name)

        def reconnect() -> Connection:
            return connect(url, name=name)[0]

        dialect = Dialect(name=name, placeholder="%s", begin="BEGIN",
                          migration_lock=f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})", errors=errors,
                          unavailable=unavailable, connect=reconnect,
                          notify=f"SELECT pg_notify('{ROLLOUT_CHANNEL}', ?)")
        super().__init__(connection, dialect)


#: SQLSTATE classes and codes meaning "not now": connection exception, insufficient resources,
#: operator intervention (shutdown, starting up), system error; read-only transaction (a standby
#: after a failover), serialization failure, deadlock.
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57", "58")
UNAVAILABLE_SQLSTATES = frozenset({"25006", "40001", "40P01"})


def unavailable(exc: Exception) -> bool:
    """Whether a psycopg error means the database cannot be reached or written now."""
    import psycopg

    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str):  # the server answered: its code says (class 54, too large a row, is the row's fault)
        return sqlstate.startswith(UNAVAILABLE_SQLSTATE_CLASSES) or sqlstate in UNAVAILABLE_SQLSTATES
    return isinstance(exc, psycopg.OperationalError)  # no answer: the connection is lost, closed or refused


def connect(url: str, *, name: str) -> tuple[Connection, tuple[type[Exception], ...]]:
    """An autocommit connection (the store issues its own BEGIN/COMMIT) and the driver's error class."""
    try:
        import psycopg
    except ImportError as exc:
        raise StoreError(f"store {name}: PostgreSQL needs psycopg; install modelswap[postgres]") from exc
    options: dict[str, Any] = {} if "connect_timeout" in url else {"connect_timeout": CONNECT_TIMEOUT_S}
    try:
        connection = psycopg.connect(url, autocommit=True, **options)
    except psycopg.Error as exc:
        detail = " ".join(str(exc).split())
        raise StoreError(f"store {name}: cannot connect: {_scrub(detail, url)}") from exc
    return connection, (psycopg.Error,)


def masked(url: str) -> str:
    """``url`` with any password (in the user info or a ``password=`` parameter) replaced by ``***``."""
    parts = urlsplit(url)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    if ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    query = _PASSWORD_PARAM.sub(r"\1password=***", parts.query)
    return urlunsplit(parts._replace(netloc=f"{userinfo}{at}{hosts}", query=query))


def _scrub(text: str, url: str) -> str:
    """``text`` without the URL's password, should a driver message ever quote it."""
    for secret in _passwords(url):
        text = text.replace(secret, "***")
    return text


def _passwords(url: str) -> set[str]:
    parts = urlsplit(url)
    found = {parts.password} if parts.password else set()
    found |= {m.group(0).split("=", 1)[1] for m in _PASSWORD_PARAM.finditer(parts.query)}
    return {secret for raw in found if raw for secret in (raw, unquote(raw))}
