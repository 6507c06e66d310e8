"""Aliases: the name readers query, pointing at one index; cutover and rollback as one atomic switch.

What it is: the alias tables' queries (migration 9 in ``modelswap.store.schema``: ``embedding_aliases``,
``embedding_alias_audit``, ``embedding_retention``), ``cutover`` / ``rollback`` (each one
compare-and-set transaction on the alias's version, with its audit row and the retention of the
index it leaves), ``collect_garbage`` (indexes past retention that no alias serves are dropped) and
``AliasReader``, which resolves an alias for readers through a small cache and searches the index
it points at. What it is not: an index (``modelswap.embeddings.index``) nor the decision to cut
over (the churn gate, ``modelswap.embeddings.churn``).

A switch is one write, like a rollout's: it reads the alias's row, then updates it only where its
version is still the one read (or inserts it where there was none), in one transaction with the
audit row and the retention row of the index left behind. Two writers that read the same version
cannot both win; the loser is told (``AliasConflict``) and nothing of it was written. ``rollback``
is a switch back to the previous index, which must still be retained (not yet collected).

Readers (``AliasReader``) re-read the alias at most every ``poll_s`` seconds (0.25 s by default,
as the gateway reads rollout states: docs/embeddings.md has the measurement) and keep every index
they have opened, so a switch costs a reader one cache refresh and, the first time, one open; a
query in flight when the alias moves finishes on the index it started on. A store that cannot be
read leaves the last known target in force.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modelswap.embeddings.fingerprint import Fingerprint
from modelswap.embeddings.index import Hits, VectorIndex, VectorIndexError, Vectors, drop_index, open_index
from modelswap.errors import ModelswapError, StoreError
from modelswap.store.base import Store
from modelswap.store.sql import SQLStore

POLL_S = 0.25
ALIAS_COLUMNS = "alias, index_name, previous_index, version, switched_at, retain_until, actor"
_SELECT = f"SELECT {ALIAS_COLUMNS} FROM embedding_aliases"
_INSERT = (f"INSERT INTO embedding_aliases ({ALIAS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
           "ON CONFLICT (alias) DO NOTHING")
_UPDATE = ("UPDATE embedding_aliases SET index_name = ?, previous_index = ?, version = ?, switched_at = ?, "
           "retain_until = ?, actor = ? WHERE alias = ? AND version = ?")
_AUDIT = ("INSERT INTO embedding_alias_audit (alias, version, at, actor, action, from_index, to_index, "
          "retain_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
_RETAIN = ("INSERT INTO embedding_retention (index_name, alias, retired_at, retain_until) VALUES (?, ?, ?, ?) "
           "ON CONFLICT (index_name) DO UPDATE SET alias = excluded.alias, retired_at = excluded.retired_at, "
           "retain_until = excluded.retain_until")
_UNRETAIN = "DELETE FROM embedding_retention WHERE index_name = ?"
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class AliasError(ModelswapError):
    """An alias that cannot be switched (unknown alias, nothing to roll back to, an index gone)."""


class AliasConflict(AliasError):
    """Another writer switched the alias between this writer's read and its write; nothing was written."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Alias:
    """One alias as stored: the index it serves, the one before (and until when that one is kept)."""

    alias: str
    index_name: str
    previous_index: str | None
    version: int
    switched_at: float
    retain_until: float | None
    actor: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AliasSwitch:
    """One audited switch of an alias."""

    alias: str
    version: int
    at: float
    actor: str
    action: str
    from_index: str | None
    to_index: str
    retain_until: float | None


def parse_duration(text: str, *, field: str = "--retain") -> float:
    """Seconds from ``30s``, ``15m``, ``12h``, ``7d`` or ``2w``."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"{field}={text!r}: expected a number and one of s, m, h, d, w (for example 7d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _sql_store(store: Store) -> SQLStore:
    if not isinstance(store, SQLStore):
        raise TypeError(f"aliases need a SQL store (SQLite or PostgreSQL), not {type(store).__name__}")
    return store


def get_alias(store: Store, alias: str) -> Alias | None:
    rows = _sql_store(store)._fetch("read embedding alias", f"{_SELECT} WHERE alias = ?", (alias,))
    return _alias(rows[0]) if rows else None


def list_aliases(store: Store) -> list[Alias]:
    return [_alias(row) for row in _sql_store(store)._fetch("read embedding aliases", f"{_SELECT} ORDER BY alias", ())]


def history(store: Store, alias: str, *, limit: int = 20) -> list[AliasSwitch]:
    rows = _sql_store(store)._fetch(
        "read embedding alias audit", "SELECT alias, version, at, actor, action, from_index, to_index, retain_until "
        "FROM embedding_alias_audit WHERE alias = ? ORDER BY version DESC LIMIT ?", (alias, limit))
    return [AliasSwitch(alias=a, version=int(v), at=float(at), actor=actor, action=action, from_index=f, to_index=t,
                        retain_until=None if r is None else float(r)) for a, v, at, actor, action, f, t, r in rows]


def retained(store: Store) -> dict[str, float]:
    """Every index kept after an alias left it, with the time until which it is kept."""
    rows = _sql_store(store)._fetch("read embedding retention", "SELECT index_name, retain_until FROM "
                                    "embedding_retention ORDER BY index_name", ())
    return {str(name): float(until) for name, until in rows}


def cutover(store: Store, alias: str, index_name: str, *, retain_s: float, actor: str,
            location: str | None = None, now: float | None = None) -> Alias:
    """Point ``alias`` at ``index_name``; the index it served is kept ``retain_s`` seconds for a rollback.

    With ``location`` the index must exist there (it is opened once, to be sure).
    """
    if location is not None:
        open_index(location, index_name).close()
    current = get_alias(store, alias)
    if current is not None and current.index_name == index_name:
        raise AliasError(f"alias {alias!r} already serves {index_name!r}")
    return _switch(store, alias, current, index_name, retain_s=retain_s, actor=actor, action="cutover",
                   now=time.time() if now is None else now)


def rollback(store: Store, alias: str, *, actor: str, retain_s: float | None = None, now: float | None = None) -> Alias:
    """Point ``alias`` back at its previous index (kept since the cutover); the index left is retained in turn.

    ``retain_s``: how long the index rolled back from is kept (by default as long as the cutover kept the other).
    """
    now = time.time() if now is None else now
    current = get_alias(store, alias)
    if current is None:
        raise AliasError(f"alias {alias!r}: no such alias")
    if current.previous_index is None:
        raise AliasError(f"alias {alias!r}: nothing to roll back to (it has served only {current.index_name!r})")
    kept = retained(store).get(current.previous_index)
    if kept is None:
        raise AliasError(f"alias {alias!r}: the previous index {current.previous_index!r} is no longer retained "
                         "(collected)")
    if retain_s is None:
        retain_s = max(0.0, (current.retain_until or now) - current.switched_at)
    return _switch(store, alias, current, current.previous_index, retain_s=retain_s, actor=actor, action="rollback",
                   now=now)


def _switch(store: Store, alias: str, current: Alias | None, target: str, *, retain_s: float, actor: str,
            action: str, now: float) -> Alias:
    if retain_s < 0:
        raise ValueError(f"retain={retain_s}: must be 0 or more seconds")
    sql = _sql_store(store)
    previous = None if current is None else current.index_name
    retain_until = None if previous is None else now + retain_s
    version = 1 if current is None else current.version + 1
    new = Alias(alias=alias, index_name=target, previous_index=previous, version=version, switched_at=now,
                retain_until=retain_until, actor=actor)
    with sql._transaction(f"switch embedding alias {alias}") as cursor:
        if current is None:
            cursor.execute(sql._sql(_INSERT), (alias, target, None, version, now, None, actor))
        else:
            cursor.execute(sql._sql(_UPDATE), (target, previous, version, now, retain_until, actor, alias,
                                               current.version))
        if cursor.rowcount != 1:
            raise AliasConflict(f"alias {alias!r}: switched by another writer meanwhile (expected version "
                                f"{0 if current is None else current.version}); read it again")
        cursor.execute(sql._sql(_AUDIT), (alias, version, now, actor, action, previous, target, retain_until))
        cursor.execute(sql._sql(_UNRETAIN), (target,))
        if previous is not None:
            cursor.execute(sql._sql(_RETAIN), (previous, alias, now, retain_until))
    return new


def collect_garbage(store: Store, location: str, *, now: float | None = None,
                    drop: Callable[[str, str], bool] = drop_index) -> list[str]:
    """Drop every retained index past its retention that no alias serves; the names dropped.

    An alias whose previous index is dropped can no longer roll back to it (its ``previous_index``
    stays, for the record; ``rollback`` refuses it).
    """
    now = time.time() if now is None else now
    serving = {alias.index_name for alias in list_aliases(store)}
    dropped = []
    sql = _sql_store(store)
    for name, until in retained(store).items():
        if until > now or name in serving:
            continue
        drop(location, name)
        with sql._transaction(f"forget retained index {name}") as cursor:
            cursor.execute(sql._sql(_UNRETAIN), (name,))
        dropped.append(name)
    return dropped


def _alias(row: Sequence[Any]) -> Alias:
    alias, index_name, previous, version, switched_at, retain_until, actor = row
    return Alias(alias=alias, index_name=index_name, previous_index=previous, version=int(version),
                 switched_at=float(switched_at), retain_until=None if retain_until is None else float(retain_until),
                 actor=actor)


class AliasReader:
    """Searches through an alias: the index it points at, re-read at most every ``poll_s`` seconds.

    ``embed``: by fingerprint key, a function from texts to query vectors of that fingerprint (an
    alias cut over to another model's index needs that model for its queries); ``search_texts``
    embeds with the one the current index needs. ``open``: how an index is opened by name
    (``open_index`` at ``location`` by default).
    """

    def __init__(self, store: Store, alias: str, location: str, *, poll_s: float = POLL_S,
                 embed: Mapping[str, Callable[[Sequence[str]], Vectors]] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.alias = alias
        self.location = location
        self.poll_s = poll_s
        self.embed = dict(embed or {})
        self._clock = clock
        self._lock = threading.Lock()
        self._indexes: dict[str, VectorIndex] = {}
        self._target: str | None = None
        self._read_at = float("-inf")
        self.refreshes = 0

    def current(self) -> VectorIndex:
        """The index the alias points at, as of the last read (at most ``poll_s`` old)."""
        with self._lock:
            if self._target is None or self._clock() - self._read_at >= self.poll_s:
                self._refresh()
            assert self._target is not None
            index = self._indexes.get(self._target)
            if index is None:
                index = self._indexes[self._target] = open_index(self.location, self._target)
            return index

    def _refresh(self) -> None:
        asked_at = self._clock()  # before the read: a switch committed after it is seen within poll_s of it
        try:
            alias = get_alias(self.store, self.alias)
        except StoreError:
            if self._target is None:
                raise
            return  # the last known target stays in force until the store answers again
        if alias is None:
            raise VectorIndexError(f"alias {self.alias!r}: no such alias")
        self._target = alias.index_name
        self._read_at = asked_at
        self.refreshes += 1

    def search(self, queries: Vectors, k: int, *, fingerprint: Fingerprint) -> Hits:
        return self.current().search(queries, k, fingerprint=fingerprint)

    def search_texts(self, texts: Sequence[str], k: int) -> tuple[str, Hits]:
        """The index searched and its hits for ``texts``, embedded for that index's fingerprint."""
        index = self.current()
        embed = self.embed.get(index.fingerprint.key())
        if embed is None:
            raise VectorIndexError(f"alias {self.alias!r} serves index {index.name!r} "
                                   f"({index.fingerprint.describe()}), and no embedder of that fingerprint was given")
        return index.name, index.search(embed(texts), k, fingerprint=index.fingerprint)

    def close(self) -> None:
        with self._lock:
            for index in self._indexes.values():
                index.close()
            self._indexes.clear()
