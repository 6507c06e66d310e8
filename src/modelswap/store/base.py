"""The store interface: where requests and observations live between steps.

What it is: the abstract ``Store`` every backend (SQLite, PostgreSQL) implements, with
the exact semantics the rest of modelswap relies on. What it is not: SQL. The dialects
live in ``modelswap.store.sqlite`` and ``modelswap.store.postgres``; the shared schema and
migrations in ``modelswap.store.schema``.

Semantics:
- ``save_requests`` is idempotent per (run, trial_id): saving the same request twice keeps one.
- ``save_observations`` upserts per (run, trial_id, arm, sample): the newest write wins,
  so re-running an errored request replaces its error.
- ``save_judge_verdicts`` upserts per key: the newest verdict of the same inputs wins.
- Writes are committed before the call returns: an interrupted run leaves every
  completed batch in the store and nothing half-written.
- A call that fails because the store cannot be reached or written right now (connection
  lost, database restarting, file unwritable, disk full, lock held too long) raises
  ``StoreUnavailable``: the same call may succeed later, and a store that holds a connection
  replaces a broken one on its next call. Any other ``StoreError`` is about the call itself.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from modelswap.errors import StoreError
from modelswap.types import ChatRequest, StoredObservation


class StoreUnavailable(StoreError):
    """The store cannot be reached or written right now; the same call may succeed later."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ArmCount:
    """How many observations (and errors) one arm has at one sample index in a run."""

    run: str
    arm: str
    sample: int
    observations: int
    errors: int


@dataclass(frozen=True, kw_only=True, slots=True)
class CachedVerdict:
    """A judge's parsed answer for one order of one trial, keyed by the hash of everything it saw.

    ``winner`` is in the order's own terms (``A``, ``B`` or ``tie``); ``raw_output`` is what the
    judge arm answered; ``cost_usd`` what that call cost, when the arm is priced.
    """

    key: str
    arm: str
    model: str
    winner: str
    reason: str
    raw_output: str
    cost_usd: float | None = None


class Store(abc.ABC):
    """Requests and observations, keyed by run, trial, arm and sample; and the judge's verdict cache."""

    @abc.abstractmethod
    def save_requests(self, run: str, requests: Sequence[ChatRequest]) -> None:
        """Remember the requests of a run (trial id = request id); existing ones are kept."""

    @abc.abstractmethod
    def save_observations(self, observations: Sequence[StoredObservation]) -> None:
        """Upsert observations in one transaction."""

    @abc.abstractmethod
    def recorded_keys(self, run: str, arm: str, *, include_errors: bool = True) -> set[tuple[str, int]]:
        """(trial_id, sample) pairs already stored for ``arm`` in ``run``; used to resume."""

    @abc.abstractmethod
    def requests(self, run: str) -> list[ChatRequest]:
        """The requests of a run, in the order they were first saved."""

    @abc.abstractmethod
    def observations(self, run: str, *, arm: str | None = None, trial_ids: Iterable[str] | None = None
                     ) -> list[StoredObservation]:
        """Observations of a run, optionally of one arm or some trials, ordered by trial then arm then sample."""

    @abc.abstractmethod
    def runs(self) -> list[str]:
        """Every run name, sorted."""

    @abc.abstractmethod
    def counts(self, run: str | None = None) -> list[ArmCount]:
        """Observation and error counts per (run, arm, sample)."""

    @abc.abstractmethod
    def judge_verdicts(self, keys: Iterable[str]) -> dict[str, CachedVerdict]:
        """The cached judge verdicts among ``keys``, by key (keys never judged are absent)."""

    @abc.abstractmethod
    def save_judge_verdicts(self, verdicts: Sequence[CachedVerdict]) -> None:
        """Upsert judge verdicts in one transaction."""

    @abc.abstractmethod
    def schema_version(self) -> int:
        """The applied migration version."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection; further calls are errors."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
