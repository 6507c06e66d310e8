"""The SQL store both dialects share: every query, every row conversion, written once.

What it is: ``SQLStore``, the ``Store`` over a DB-API connection, parameterised by a
``Dialect`` (how a placeholder is spelled, how a write transaction begins, how migrations
are serialised, which driver errors to translate). Queries are written with ``?`` and
rewritten to the dialect's placeholder; results are ordered in Python where text order
matters, so both databases sort by code point whatever their collation.
What it is not: connecting. ``modelswap.store.sqlite`` and ``modelswap.store.postgres``
open the connection and pass it in with their dialect.

One connection per store, guarded by a lock: calls may come from a worker thread
(``asyncio.to_thread``) while others run on the event loop's thread. Every write runs in
one explicit transaction, committed before the call returns. Driver errors become
``StoreError`` naming the store and the operation; those the dialect calls unavailable
(connection lost, file unwritable...) become ``StoreUnavailable``, and the connection is then
replaced: the next call opens a new one through the dialect's ``connect`` (and checks the
schema again, in case the database behind the URL or path is a new one). Whatever failed is
not retried here; the caller decides (``modelswap.store.writer`` retries with backoff).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Protocol

from modelswap.errors import StoreError
from modelswap.store import prompts, rollouts, schema
from modelswap.store.base import ArmCount, CachedVerdict, ObservationScan, Store, StoreUnavailable
from modelswap.types import (
    AuditEntry,
    ChatRequest,
    ErrorInfo,
    Feedback,
    Observation,
    ObservationKey,
    PromptUse,
    RolloutState,
    StoredObservation,
    Turn,
    Usage,
)


class Cursor(Protocol):
    """The part of a DB-API cursor the store uses."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, params: Iterable[Sequence[Any]], /) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    @property
    def rowcount(self) -> int: ...

    def close(self) -> Any: ...


class Connection(Protocol):
    """The part of a DB-API connection the store uses; it must be in autocommit mode."""

    def cursor(self) -> Cursor: ...

    def close(self) -> Any: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class Dialect:
    """What differs between SQL databases, as data.

    ``name`` is how errors name the store (a path, a URL without its password);
    ``begin`` opens a write transaction; ``migration_lock``, when set, runs first in the
    migration transaction so concurrent processes migrate one at a time. ``unavailable`` says
    which driver errors mean "not now" rather than "not this"; ``connect`` opens a new
    connection to replace a broken one (``None``: the store cannot reconnect, as an in-memory
    database, whose contents live in its one connection). ``notify``, when set, runs in every rollout
    write's transaction with the route as its one parameter (PostgreSQL: ``pg_notify``).
    """

    name: str
    placeholder: str
    begin: str
    migration_lock: str | None
    errors: tuple[type[Exception], ...]
    unavailable: Callable[[Exception], bool] = lambda _: False
    connect: Callable[[], Connection] | None = None
    notify: str | None = None


_INSERT_REQUEST = """
INSERT INTO requests (run, trial_id, position, category, request_json, created_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (run, trial_id) DO NOTHING"""

_NEXT_POSITION = "SELECT COALESCE(MAX(position), -1) + 1 FROM requests WHERE run = ?"

_OBSERVATION_COLUMNS = (
    "run", "trial_id", "arm", "sample", "role", "model", "output", "finish_reason", "prompt_tokens",
    "completion_tokens", "latency_ms", "ttft_ms", "cost_usd", "error_kind", "error_message", "error_status",
    "params_json", "started_at", "recorded_at",
)
_KEY_COLUMNS = ("run", "trial_id", "arm", "sample")

_UPSERT_OBSERVATION = (
    f"INSERT INTO observations ({', '.join(_OBSERVATION_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _OBSERVATION_COLUMNS)}) "
    f"ON CONFLICT ({', '.join(_KEY_COLUMNS)}) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _OBSERVATION_COLUMNS if c not in _KEY_COLUMNS)
)

_PROMPT_COLUMNS = ("prompt_name", "prompt_hash", "prompt_variant")
_UPSERT_OBSERVATION_PROMPT = (
    f"INSERT INTO observation_prompts ({', '.join((*_KEY_COLUMNS, *_PROMPT_COLUMNS))}) "
    f"VALUES ({', '.join('?' for _ in (*_KEY_COLUMNS, *_PROMPT_COLUMNS))}) "
    f"ON CONFLICT ({', '.join(_KEY_COLUMNS)}) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _PROMPT_COLUMNS)
)

# USING merges the key columns, so the "AND arm = ?" and "trial_id IN (...)" the readers append stay unambiguous
_SELECT_OBSERVATIONS = (f"SELECT {', '.join((*_OBSERVATION_COLUMNS, *_PROMPT_COLUMNS))} FROM observations "
                        f"LEFT JOIN observation_prompts USING ({', '.join(_KEY_COLUMNS)}) WHERE run = ?")

_COUNTS = "SELECT run, arm, sample, COUNT(*), COUNT(error_kind) FROM observations"

_VERDICT_COLUMNS = ("cache_key", "arm", "model", "winner", "reason", "raw_output", "cost_usd", "created_at")

_UPSERT_VERDICT = (
    f"INSERT INTO judge_verdicts ({', '.join(_VERDICT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _VERDICT_COLUMNS)}) "
    "ON CONFLICT (cache_key) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _VERDICT_COLUMNS if c != "cache_key")
)

_SELECT_VERDICTS = f"SELECT {', '.join(_VERDICT_COLUMNS[:-1])} FROM judge_verdicts WHERE 1 = 1"

_FEEDBACK_COLUMNS = ("id", "request_id", "route", "arm", "trial_id", "score", "comment", "at")
_INSERT_FEEDBACK = (f"INSERT INTO feedback ({', '.join(_FEEDBACK_COLUMNS)}) "
                    f"VALUES ({', '.join('?' for _ in _FEEDBACK_COLUMNS)}) ON CONFLICT (id) DO NOTHING")
_SELECT_FEEDBACK = f"SELECT {', '.join(_FEEDBACK_COLUMNS)} FROM feedback"

_IN_CHUNK = 500  # bound on ? placeholders per IN (...) list: SQLite allows a few thousand at most

_FIRST_KEYS = "SELECT {columns} FROM requests WHERE run = ? ORDER BY position, trial_id LIMIT ?"
# "position >= ?" is what lets both planners start the page at its place in the (run, position) index: with the
# condition only inside the OR, each page read every request before it (257 ms a page in the middle of a million)
# From the end of the run backwards by position (saved order): a stage that began recently is found at once.
_LAST_KEY_BEFORE = ("SELECT position, trial_id FROM requests WHERE run = ? AND created_at < ? "
                    "ORDER BY position DESC, trial_id DESC LIMIT 1")
_NEXT_KEYS = ("SELECT {columns} FROM requests WHERE run = ? "
              "AND position >= ? AND (position > ? OR trial_id > ?) ORDER BY position, trial_id LIMIT ?")
_ORPHANS = ("SELECT DISTINCT o.trial_id FROM observations o WHERE o.run = ? AND o.arm IN ({arms}) AND NOT EXISTS "
            "(SELECT 1 FROM requests r WHERE r.run = o.run AND r.trial_id = o.trial_id)")


class SQLStore(Store):
    """A ``Store`` over one DB-API connection; see the module docstring."""

    def __init__(self, connection: Connection, dialect: Dialect) -> None:
        self._connection: Connection | None = connection
        self._dialect = dialect
        self._lock = threading.RLock()  # re-entered by ``migrate`` after a reconnect
        self._broken = False
        self.reconnects = 0
        try:
            self.migrate()
        except BaseException:
            self.close()
            raise

    @property
    def name(self) -> str:
        """The store as errors name it: a path, or a URL without its password."""
        return self._dialect.name

    def migrate(self, migrations: Sequence[schema.Migration] = schema.MIGRATIONS) -> list[int]:
        """Apply pending migrations in one transaction; returns the versions applied (none: a no-op)."""
        latest = max(m.version for m in migrations)
        with self._transaction("migrate") as cursor:
            if self._dialect.migration_lock is not None:
                cursor.execute(self._dialect.migration_lock)
            cursor.execute(schema.SCHEMA_TABLE)
            current = _current_version(cursor)
            schema.check_version(current, store=self.name, latest=latest)
            todo = schema.pending(current, migrations)
            for migration in todo:
                for statement in migration.statements:
                    cursor.execute(statement)
                cursor.execute(self._sql("INSERT INTO modelswap_schema (version, applied_at) VALUES (?, ?)"),
                               (migration.version, time.time()))
        return [m.version for m in todo]

    def save_requests(self, run: str, requests: Sequence[ChatRequest]) -> None:
        now = time.time()
        with self._transaction("save requests") as cursor:
            cursor.execute(self._sql(_NEXT_POSITION), (run,))
            start = int(cursor.fetchall()[0][0])
            rows = [request_row(run, start + i, request, now) for i, request in enumerate(requests)]
            if rows:
                cursor.executemany(self._sql(_INSERT_REQUEST), rows)

    def save_observations(self, observations: Sequence[StoredObservation]) -> None:
        if not observations:
            return
        now = time.time()
        rows = [observation_row(stored, now) for stored in observations]
        prompted = [(*row[:len(_KEY_COLUMNS)], *row[len(_OBSERVATION_COLUMNS):]) for row in rows
                    if row[len(_OBSERVATION_COLUMNS)] is not None]
        with self._transaction("save observations") as cursor:
            cursor.executemany(self._sql(_UPSERT_OBSERVATION), [row[:len(_OBSERVATION_COLUMNS)] for row in rows])
            if prompted:
                cursor.executemany(self._sql(_UPSERT_OBSERVATION_PROMPT), prompted)

    def recorded_keys(self, run: str, arm: str, *, include_errors: bool = True) -> set[tuple[str, int]]:
        query = "SELECT trial_id, sample FROM observations WHERE run = ? AND arm = ?"
        if not include_errors:
            query += " AND error_kind IS NULL"
        return {(trial_id, int(sample)) for trial_id, sample in self._fetch("read recorded keys", query, (run, arm))}

    def requests(self, run: str) -> list[ChatRequest]:
        query = "SELECT request_json FROM requests WHERE run = ? ORDER BY position, trial_id"
        return [request_from_json(text) for (text,) in self._fetch("read requests", query, (run,))]

    def observations(self, run: str, *, arm: str | None = None, trial_ids: Iterable[str] | None = None
                     ) -> list[StoredObservation]:
        query, params = _SELECT_OBSERVATIONS, [run]
        if arm is not None:
            query, params = query + " AND arm = ?", [*params, arm]
        if trial_ids is None:
            rows = self._fetch("read observations", query, params)
        else:
            rows = self._fetch_in("read observations", query, params, "trial_id", sorted(set(trial_ids)))
        stored = [observation_from_row(row) for row in rows]
        return sorted(stored, key=lambda s: (s.key.trial_id, s.key.arm, s.key.sample))

    def request_count(self, run: str) -> int:
        return int(self._fetch("count requests", "SELECT COUNT(*) FROM requests WHERE run = ?", (run,))[0][0])

    def request_keys(self, run: str, *, after: tuple[int, str] | None, limit: int) -> list[tuple[int, str]]:
        rows = self._keys(run, after, limit, "position, trial_id")
        return [(int(position), trial_id) for position, trial_id in rows]

    def request_key_times(self, run: str, *, after: tuple[int, str] | None, limit: int
                          ) -> list[tuple[int, str, float]]:
        rows = self._keys(run, after, limit, "position, trial_id, created_at")
        return [(int(position), trial_id, float(created)) for position, trial_id, created in rows]

    def _keys(self, run: str, after: tuple[int, str] | None, limit: int, columns: str) -> list[Any]:
        if after is None:
            return self._fetch("read request keys", _FIRST_KEYS.format(columns=columns), (run, limit))
        return self._fetch("read request keys", _NEXT_KEYS.format(columns=columns),
                           (run, after[0], after[0], after[1], limit))

    def last_key_before(self, run: str, created_at: float) -> tuple[int, str] | None:
        rows = self._fetch("read request keys", _LAST_KEY_BEFORE, (run, created_at))
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def request_rows(self, run: str, trial_ids: Sequence[str]) -> list[tuple[str, str]]:
        query = "SELECT trial_id, request_json FROM requests WHERE run = ?"
        return [(t, text) for t, text in self._fetch_in("read requests", query, [run], "trial_id", sorted(trial_ids))]

    def scan_observations(self, run: str, trial_ids: Sequence[str], arms: Sequence[str]) -> ObservationScan:
        arm_list = sorted(set(arms))
        query = f"{_SELECT_OBSERVATIONS} AND arm IN ({', '.join('?' for _ in arm_list)})"
        rows = self._fetch_in("read observations", query, [run, *arm_list], "trial_id", sorted(set(trial_ids)))
        found, corrupt = [], []
        for row in rows:
            try:
                found.append(observation_from_row(row))
            except (ValueError, TypeError, KeyError) as exc:  # a value the row's column cannot hold: this row only
                key = ObservationKey(run=str(row[0]), trial_id=str(row[1]), arm=str(row[2]), sample=_int(row[3]))
                corrupt.append((key, f"{type(exc).__name__}: {exc}"))
        return ObservationScan(observations=found, corrupt=corrupt)

    def orphans(self, run: str, arms: Sequence[str], *, examples: int = 3) -> tuple[int, list[str]]:
        arm_list = sorted(set(arms))
        query = _ORPHANS.format(arms=", ".join("?" for _ in arm_list))
        params = (run, *arm_list)
        (count,), = self._fetch("count orphan observations", f"SELECT COUNT(*) FROM ({query}) orphan", params)
        ids = self._fetch("read orphan observations", f"{query} ORDER BY o.trial_id LIMIT ?", (*params, examples))
        return int(count), [trial_id for (trial_id,) in ids]

    def runs(self) -> list[str]:
        query = "SELECT run FROM requests UNION SELECT run FROM observations"
        return sorted(run for (run,) in self._fetch("read runs", query, ()))

    def counts(self, run: str | None = None) -> list[ArmCount]:
        query, params = (_COUNTS, ()) if run is None else (_COUNTS + " WHERE run = ?", (run,))
        rows = self._fetch("read counts", query + " GROUP BY run, arm, sample", params)
        counts = [ArmCount(run=r, arm=a, sample=int(s), observations=int(n), errors=int(e)) for r, a, s, n, e in rows]
        return sorted(counts, key=lambda c: (c.run, c.arm, c.sample))

    def judge_verdicts(self, keys: Iterable[str]) -> dict[str, CachedVerdict]:
        rows = self._fetch_in("read judge verdicts", _SELECT_VERDICTS, [], "cache_key", sorted(set(keys)))
        verdicts = (CachedVerdict(key=key, arm=arm, model=model, winner=winner, reason=reason, raw_output=raw,
                                  cost_usd=_float(cost)) for key, arm, model, winner, reason, raw, cost in rows)
        return {verdict.key: verdict for verdict in verdicts}

    def save_judge_verdicts(self, verdicts: Sequence[CachedVerdict]) -> None:
        if not verdicts:
            return
        now = time.time()
        rows = [(v.key, v.arm, v.model, v.winner, _text(v.reason), _text(v.raw_output), v.cost_usd, now)
                for v in verdicts]
        with self._transaction("save judge verdicts") as cursor:
            cursor.executemany(self._sql(_UPSERT_VERDICT), rows)

    def rollout_state(self, route: str) -> RolloutState | None:
        rows = self._fetch("read rollout state", rollouts.SELECT_STATE, (route,))
        return rollouts.state_from_row(rows[0]) if rows else None

    def rollout_states(self) -> list[RolloutState]:
        rows = self._fetch("read rollout states", rollouts.SELECT_STATES, ())
        return sorted((rollouts.state_from_row(row) for row in rows), key=lambda state: state.route)

    def write_rollout(self, state: RolloutState, entry: AuditEntry, *, expected_version: int) -> bool:
        rollouts.check_write(state, entry, expected_version)
        with self._transaction("write rollout") as cursor:
            if expected_version == 0:
                cursor.execute(self._sql(rollouts.INSERT_STATE), rollouts.state_row(state))
            else:
                cursor.execute(self._sql(rollouts.UPDATE_STATE), rollouts.update_params(state, expected_version))
            if cursor.rowcount != 1:
                return False  # another writer moved the version first; nothing was written
            cursor.execute(self._sql(rollouts.INSERT_AUDIT), rollouts.audit_row(entry))
            if self._dialect.notify is not None:
                cursor.execute(self._sql(self._dialect.notify), (state.route,))
        return True

    def rollout_audit(self, route: str, *, limit: int) -> list[AuditEntry]:
        rows = self._fetch("read rollout audit", rollouts.SELECT_AUDIT, (route, limit))
        return [rollouts.audit_from_row(row) for row in rows]

    def save_feedback(self, feedback: Sequence[Feedback]) -> None:
        if not feedback:
            return
        rows = [(f.id, _text(f.request_id), f.route, f.arm, f.trial_id, f.score, _text(f.comment), f.at)
                for f in feedback]
        with self._transaction("save feedback") as cursor:
            cursor.executemany(self._sql(_INSERT_FEEDBACK), rows)

    def feedback(self, route: str | None, *, since: float = 0.0) -> list[Feedback]:
        where = "route IS NULL" if route is None else "route = ?"
        params = (since,) if route is None else (route, since)
        rows = self._fetch("read feedback", f"{_SELECT_FEEDBACK} WHERE {where} AND at >= ?", params)
        found = [Feedback(id=i, request_id=r, route=rt, arm=a, trial_id=t, score=float(score), comment=c, at=float(at))
                 for i, r, rt, a, t, score, c, at in rows]
        return sorted(found, key=lambda f: (f.at, f.id))

    def save_prompt_version(self, version: prompts.PromptVersion) -> bool:
        row = prompts.version_row(version)
        with self._transaction("save prompt version") as cursor:
            cursor.execute(self._sql(prompts.INSERT_VERSION), row)
            return bool(cursor.rowcount == 1)

    def prompt_versions(self, name: str | None = None, *, hash_prefix: str = "") -> list[prompts.PromptVersion]:
        where, params = ("", ()) if name is None else (" AND name = ?", (name,))
        rows = self._fetch("read prompt versions", prompts.SELECT_VERSIONS + where, params)
        found = [prompts.version_from_row(row) for row in rows if str(row[1]).startswith(hash_prefix)]
        return sorted(found, key=lambda v: (v.name, v.created_at, v.hash))

    def set_prompt_label(self, label: prompts.PromptLabel) -> None:
        self._upsert_on_version("set prompt label", label.name, label.hash, prompts.UPSERT_LABEL,
                                prompts.label_row(label))

    def prompt_labels(self, name: str | None = None) -> list[prompts.PromptLabel]:
        where, params = ("", ()) if name is None else (" AND name = ?", (name,))
        rows = self._fetch("read prompt labels", prompts.SELECT_LABELS + where, params)
        return sorted((prompts.label_from_row(row) for row in rows), key=lambda label: (label.name, label.label))

    def set_variant_status(self, status: prompts.VariantStatus) -> None:
        self._upsert_on_version("set prompt variant status", status.name, status.hash, prompts.UPSERT_STATUS,
                                prompts.status_row(status))

    def _upsert_on_version(self, operation: str, name: str, version: str, upsert: str, row: Sequence[Any]) -> None:
        """Write ``row`` (a label or a status of one prompt version) in the transaction that checks the version is
        stored."""
        with self._transaction(operation) as cursor:
            cursor.execute(self._sql(prompts.VERSION_EXISTS), (name, version))
            if not cursor.fetchall():
                raise StoreError(f"prompt {name!r} has no stored version {version}; push it first")
            cursor.execute(self._sql(upsert), row)

    def variant_statuses(self, name: str) -> list[prompts.VariantStatus]:
        rows = self._fetch("read prompt variant statuses", prompts.SELECT_STATUSES, (name,))
        return sorted((prompts.status_from_row(row) for row in rows), key=lambda s: (s.hash, s.model_key))

    def schema_version(self) -> int:
        with self._cursor("read schema version") as cursor:
            return _current_version(cursor)

    def close(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
            broken = self._broken
        if connection is not None:
            try:
                connection.close()
            except self._dialect.errors as exc:
                if not broken:
                    raise self._error("close", exc) from exc

    def _sql(self, query: str) -> str:
        return query if self._dialect.placeholder == "?" else query.replace("?", self._dialect.placeholder)

    def _fetch(self, operation: str, query: str, params: Sequence[Any]) -> list[Any]:
        with self._cursor(operation) as cursor:
            cursor.execute(self._sql(query), params)
            return cursor.fetchall()

    def _fetch_in(self, operation: str, query: str, params: Sequence[Any], column: str, values: Sequence[Any]
                  ) -> list[Any]:
        """``query AND column IN (values)``, in chunks so no statement holds too many placeholders."""
        rows: list[Any] = []
        for start in range(0, len(values), _IN_CHUNK):
            chunk = values[start:start + _IN_CHUNK]
            in_list = ", ".join("?" for _ in chunk)
            rows += self._fetch(operation, f"{query} AND {column} IN ({in_list})", [*params, *chunk])
        return rows

    @contextmanager
    def _cursor(self, operation: str) -> Iterator[Cursor]:
        """A cursor on a live connection, holding the lock; driver errors become ``StoreError``."""
        with self._lock:
            connection = self._live(operation)
            try:
                cursor = connection.cursor()
                try:
                    yield cursor
                finally:
                    cursor.close()
            except self._dialect.errors as exc:
                raise self._failed(operation, exc) from exc

    def _live(self, operation: str) -> Connection:
        """The connection, replaced first if the last call found it broken (holding the lock)."""
        if self._connection is None:
            raise StoreError(f"store {self.name}: {operation}: the store is closed")
        if self._broken and self._dialect.connect is not None:
            with suppress(*self._dialect.errors):  # it is broken: closing it is a courtesy
                self._connection.close()
            try:
                self._connection = self._dialect.connect()
            except StoreError as exc:
                raise StoreUnavailable(f"{exc}") from exc
            self._broken = False
            self.reconnects += 1
            self.migrate()  # a new database behind the same URL or path gets its tables
        return self._connection

    def _failed(self, operation: str, exc: Exception) -> StoreError:
        """The ``StoreError`` for a driver error; an unavailable store's connection is marked for replacing."""
        if not self._dialect.unavailable(exc):
            return self._error(operation, exc)
        self._broken = True
        detail = " ".join(str(exc).split()) or type(exc).__name__
        return StoreUnavailable(f"store {self.name}: {operation}: {detail}")

    @contextmanager
    def _transaction(self, operation: str) -> Iterator[Cursor]:
        """A cursor inside one transaction: committed when the block ends, rolled back if it raises."""
        with self._cursor(operation) as cursor:
            cursor.execute(self._dialect.begin)
            try:
                yield cursor
                cursor.execute("COMMIT")
            except BaseException:
                self._rollback(cursor)
                raise

    def _rollback(self, cursor: Cursor) -> None:
        with suppress(*self._dialect.errors):  # the connection is broken; the original error says why
            cursor.execute("ROLLBACK")

    def _error(self, operation: str, exc: Exception) -> StoreError:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        return StoreError(f"store {self.name}: {operation}: {detail}")


def _current_version(cursor: Cursor) -> int:
    cursor.execute("SELECT MAX(version) FROM modelswap_schema")
    version = cursor.fetchall()[0][0]
    return 0 if version is None else int(version)


def request_row(run: str, position: int, request: ChatRequest, created_at: float) -> tuple[Any, ...]:
    """The ``requests`` row of one request."""
    return (run, request.id, position, request.category, _dumps(request.to_json()), created_at)


def request_from_json(text: str) -> ChatRequest:
    """A request back from its ``request_json`` column."""
    return request_from_data(json.loads(text))


def request_from_data(data: dict[str, Any]) -> ChatRequest:
    """A request back from its ``ChatRequest.to_json`` form."""
    turn = data.get("turn")
    return ChatRequest(id=data["id"], messages=tuple(data["messages"]), params=data["params"],
                       category=data["category"], expect=data["expect"], assignment=data.get("assignment"),
                       turn=None if turn is None else Turn.from_json(turn))


def observation_row(stored: StoredObservation, recorded_at: float) -> tuple[Any, ...]:
    """The row of one stored observation: ``_OBSERVATION_COLUMNS`` (the ``observations`` table), then
    ``_PROMPT_COLUMNS`` (``observation_prompts``; None when no prompt was rendered for the arm)."""
    key, obs = stored.key, stored.observation
    usage, error, prompt = obs.usage, obs.error, obs.prompt
    return (key.run, key.trial_id, key.arm, key.sample, stored.role, obs.model, _text(obs.output), obs.finish_reason,
            usage.prompt_tokens if usage else None, usage.completion_tokens if usage else None,
            obs.latency_ms, obs.ttft_ms, obs.cost_usd,
            error.kind if error else None, _text(error.message) if error else None, error.status if error else None,
            _dumps(obs.params), obs.started_at, recorded_at,
            *((prompt.name, prompt.hash, prompt.variant) if prompt else (None, None, None)))


def _text(value: str | None) -> str | None:
    """Text as both databases can hold it: PostgreSQL TEXT refuses NUL, so NUL becomes U+FFFD everywhere."""
    return value.replace("\x00", "\ufffd") if value is not None and "\x00" in value else value


def observation_from_row(row: Sequence[Any]) -> StoredObservation:
    """A stored observation back from its row (``observation_row``'s order; a row of ``_OBSERVATION_COLUMNS`` only,
    as a spill file written before migration 8 holds, has no prompt)."""
    (run, trial_id, arm, sample, role, model, output, finish_reason, prompt_tokens, completion_tokens,
     latency_ms, ttft_ms, cost_usd, error_kind, error_message, error_status, params_json, started_at,
     _) = row[:len(_OBSERVATION_COLUMNS)]
    prompt_name, prompt_hash, prompt_variant = row[len(_OBSERVATION_COLUMNS):] or (None, None, None)
    usage = None
    if prompt_tokens is not None and completion_tokens is not None:
        usage = Usage(prompt_tokens=int(prompt_tokens), completion_tokens=int(completion_tokens))
    error = None
    if error_kind is not None:
        error = ErrorInfo(kind=error_kind, message=error_message or "",
                          status=None if error_status is None else int(error_status))
    observation = Observation(arm=arm, model=model, output=output, finish_reason=finish_reason, usage=usage,
                              latency_ms=float(latency_ms), ttft_ms=_float(ttft_ms), cost_usd=_float(cost_usd),
                              error=error, started_at=float(started_at), params=json.loads(params_json),
                              prompt=None if prompt_name is None else PromptUse(name=str(prompt_name),
                                                                                 hash=str(prompt_hash),
                                                                                 variant=str(prompt_variant)))
    return StoredObservation(key=ObservationKey(run=run, trial_id=trial_id, arm=arm, sample=int(sample)),
                             role=role, observation=observation)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
