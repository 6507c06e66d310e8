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

Reading a run page by page (a streamed comparison): ``request_keys`` pages through a run's
requests in their saved order by keyset (position, then trial id: each page starts after the last
key of the one before, so a page costs the same at the start of a million requests as at the
end), ``request_rows`` and ``scan_observations`` read one page's requests and observations and
hand back a row that cannot be read as such, so one corrupt row costs one trial, never the run.
These have plain implementations here in terms of the abstract methods; the SQL store answers
them with one query each.

Feedback: ``save_feedback`` inserts users' scores (idempotent per feedback id), ``feedback(route,
since=...)`` reads a route's, oldest first.

Prompts: ``save_prompt_version`` stores an immutable version (saving its hash again writes nothing and
returns False); ``set_prompt_label`` moves a label to a stored version (moving it back is the rollback);
``set_variant_status`` records where a model's variant stands (``modelswap.store.prompts``).

Rollout state: one row per route (``RolloutState``) written only by compare-and-set on its version
(``write_rollout``), each write together with its ``AuditEntry``, so the audit log has exactly one
entry per version and no write is lost to a concurrent one.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from modelswap.errors import StoreError
from modelswap.store.prompts import PromptLabel, PromptVersion, VariantStatus
from modelswap.types import AuditEntry, ChatRequest, Feedback, ObservationKey, RolloutState, StoredObservation


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


@dataclass(frozen=True, kw_only=True, slots=True)
class ObservationScan:
    """One page's observations, and the rows that could not be read (their key, and why)."""

    observations: list[StoredObservation]
    corrupt: list[tuple[ObservationKey, str]]


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
    def rollout_state(self, route: str) -> RolloutState | None:
        """The stored rollout state of ``route``, or None when none was ever written."""

    @abc.abstractmethod
    def rollout_states(self) -> list[RolloutState]:
        """Every route's stored rollout state, sorted by route."""

    @abc.abstractmethod
    def write_rollout(self, state: RolloutState, entry: AuditEntry, *, expected_version: int) -> bool:
        """Write ``state`` and its audit ``entry`` together if the stored version is still ``expected_version``.

        ``expected_version`` is 0 when no state was stored yet; ``state.version`` and ``entry.version``
        must be one more (``ValueError`` otherwise). Returns False, writing nothing, when another writer
        changed the state first (read it again and decide again). On PostgreSQL the same transaction
        notifies the channel ``modelswap_rollout`` with the route as payload.
        """

    @abc.abstractmethod
    def rollout_audit(self, route: str, *, limit: int) -> list[AuditEntry]:
        """The last ``limit`` audit entries of ``route``, newest first."""

    @abc.abstractmethod
    def save_feedback(self, feedback: Sequence[Feedback]) -> None:
        """Insert feedback in one transaction; a feedback whose id is already stored is kept as it is."""

    @abc.abstractmethod
    def feedback(self, route: str | None, *, since: float = 0.0) -> list[Feedback]:
        """The feedback on ``route`` (None: of no known route) posted at ``since`` or later, oldest first."""

    @abc.abstractmethod
    def save_prompt_version(self, version: PromptVersion) -> bool:
        """Store a version; False (and nothing written) when its (name, hash) is already stored."""

    @abc.abstractmethod
    def prompt_versions(self, name: str | None = None, *, hash_prefix: str = "") -> list[PromptVersion]:
        """Stored versions (of ``name``; whose hash starts with ``hash_prefix``), oldest first."""

    @abc.abstractmethod
    def set_prompt_label(self, label: PromptLabel) -> None:
        """Point ``label.label`` of ``label.name`` at ``label.hash``; a ``StoreError`` if no such version is stored."""

    @abc.abstractmethod
    def prompt_labels(self, name: str | None = None) -> list[PromptLabel]:
        """Labels (of ``name``), sorted by name and label."""

    @abc.abstractmethod
    def set_variant_status(self, status: VariantStatus) -> None:
        """Record the status of one model key's variant of a stored version (the newest write wins)."""

    @abc.abstractmethod
    def variant_statuses(self, name: str) -> list[VariantStatus]:
        """The variant statuses of ``name``'s versions, sorted by hash and model key."""

    @abc.abstractmethod
    def schema_version(self) -> int:
        """The applied migration version."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection; further calls are errors."""

    def request_count(self, run: str) -> int:
        """How many requests ``run`` has."""
        return len(self.requests(run))

    def request_keys(self, run: str, *, after: tuple[int, str] | None, limit: int) -> list[tuple[int, str]]:
        """The next ``limit`` (position, trial id) keys of ``run`` after ``after`` (None: from the first), in order."""
        keys = [(i, r.id) for i, r in enumerate(self.requests(run))]
        return [key for key in keys if after is None or key > after][:limit]

    def request_key_times(self, run: str, *, after: tuple[int, str] | None, limit: int
                          ) -> list[tuple[int, str, float]]:
        """``request_keys`` with when each request was saved (``created_at``; 0.0 where this store does not know)."""
        return [(position, trial_id, 0.0) for position, trial_id in self.request_keys(run, after=after, limit=limit)]

    def last_key_before(self, run: str, created_at: float) -> tuple[int, str] | None:
        """The key of the last request of ``run`` saved before ``created_at`` (None: none, or this store does not
        know when its requests were saved): reading after it reads what was saved since."""
        return None

    def request_rows(self, run: str, trial_ids: Sequence[str]) -> list[tuple[str, str]]:
        """(trial id, request JSON text) of these requests of ``run`` that exist, in no particular order."""
        wanted = set(trial_ids)
        return [(r.id, json.dumps(r.to_json())) for r in self.requests(run) if r.id in wanted]

    def scan_observations(self, run: str, trial_ids: Sequence[str], arms: Sequence[str]) -> ObservationScan:
        """The observations of ``arms`` for these trials of ``run``; rows that cannot be read come back apart."""
        wanted = set(arms)
        found = self.observations(run, trial_ids=trial_ids)
        return ObservationScan(observations=[s for s in found if s.key.arm in wanted], corrupt=[])

    def orphans(self, run: str, arms: Sequence[str], *, examples: int = 3) -> tuple[int, list[str]]:
        """How many trials of ``run`` have observations of ``arms`` but no request, and a few of their ids."""
        known = {r.id for r in self.requests(run)}
        wanted = set(arms)
        ids = sorted({s.key.trial_id for s in self.observations(run) if s.key.arm in wanted} - known)
        return len(ids), ids[:examples]

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
