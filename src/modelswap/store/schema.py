"""The store's tables and their versioned, append-only migrations.

What it is: the one schema both SQL dialects share, as plain SQL that SQLite and
PostgreSQL both accept (no AUTOINCREMENT, no SERIAL, no dialect types), and the list of
migrations that builds it. A migration is never edited once released: a change to the
schema is a new entry at the end of ``MIGRATIONS`` with the next version number.
What it is not: the code that runs migrations (``modelswap.store.sql.SQLStore.migrate``
does, in one transaction, under the dialect's migration lock) nor any query.

Applied versions are recorded in ``modelswap_schema`` (version, applied_at). A store
whose recorded version is newer than ``LATEST_VERSION`` was written by a newer modelswap
and is refused (``check_version``) rather than misread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from modelswap.errors import StoreError


@dataclass(frozen=True, kw_only=True, slots=True)
class Migration:
    """One schema step: applied once, in order, inside a transaction."""

    version: int
    description: str
    statements: tuple[str, ...]


SCHEMA_TABLE = """
CREATE TABLE IF NOT EXISTS modelswap_schema (
    version INTEGER PRIMARY KEY,
    applied_at DOUBLE PRECISION NOT NULL
)"""

_REQUESTS = """
CREATE TABLE requests (
    run TEXT NOT NULL,
    trial_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    category TEXT NOT NULL,
    request_json TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run, trial_id)
)"""

_OBSERVATIONS = """
CREATE TABLE observations (
    run TEXT NOT NULL,
    trial_id TEXT NOT NULL,
    arm TEXT NOT NULL,
    sample INTEGER NOT NULL,
    role TEXT NOT NULL,
    model TEXT NOT NULL,
    output TEXT NULL,
    finish_reason TEXT NULL,
    prompt_tokens INTEGER NULL,
    completion_tokens INTEGER NULL,
    latency_ms DOUBLE PRECISION NOT NULL,
    ttft_ms DOUBLE PRECISION NULL,
    cost_usd DOUBLE PRECISION NULL,
    error_kind TEXT NULL,
    error_message TEXT NULL,
    error_status INTEGER NULL,
    params_json TEXT NOT NULL,
    started_at DOUBLE PRECISION NOT NULL,
    recorded_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run, trial_id, arm, sample)
)"""

_OBSERVATIONS_BY_ARM = "CREATE INDEX observations_run_arm ON observations (run, arm)"

# The next position of a run is MAX(position) of its requests: without this index both databases
# read every request of the run to find it (15 ms per save at 60,000 gateway requests).
_REQUESTS_BY_POSITION = "CREATE INDEX requests_run_position ON requests (run, position)"

# The judge's answers, one row per order of a trial, keyed by a hash of everything the judge saw
# (modelswap.compare.judge.cache_key): a second comparison of the same inputs makes no judge call.
_JUDGE_VERDICTS = """
CREATE TABLE judge_verdicts (
    cache_key TEXT PRIMARY KEY,
    arm TEXT NOT NULL,
    model TEXT NOT NULL,
    winner TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw_output TEXT NOT NULL,
    cost_usd DOUBLE PRECISION NULL,
    created_at DOUBLE PRECISION NOT NULL
)"""

# Embedding vectors across runs (modelswap.store.vectors), keyed by the embedder's model id (model, weights,
# runtime) and the SHA-256 of the exact text it read: a text compared again, in this run or another, is not
# embedded again. The vector is little-endian float32 bytes; BYTEA is PostgreSQL's byte string, and SQLite
# keeps a bytes value as it is whatever the declared type.
_EMBEDDING_VECTORS = """
CREATE TABLE embedding_vectors (
    model TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    dimensions INTEGER NOT NULL,
    vector BYTEA NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (model, text_sha256)
)"""

# A route's canary rollout (modelswap.store.rollouts): its one state row, written by compare-and-set on
# version, and its audit log, one row per write keyed by (route, the version that write made).
_ROLLOUT_STATE = """
CREATE TABLE rollout_state (
    route TEXT PRIMARY KEY,
    candidate TEXT NOT NULL,
    percent_bp INTEGER NOT NULL,
    stage INTEGER NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    updated_by TEXT NOT NULL,
    stage_started_at DOUBLE PRECISION NULL
)"""

_ROLLOUT_AUDIT = """
CREATE TABLE rollout_audit (
    route TEXT NOT NULL,
    version INTEGER NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    candidate TEXT NOT NULL,
    from_percent_bp INTEGER NOT NULL,
    to_percent_bp INTEGER NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL,
    figures_json TEXT NOT NULL,
    PRIMARY KEY (route, version)
)"""

# Users' scores of answers (POST /v1/feedback), keyed by the feedback's own id so a retried write keeps one
# row; route, arm and trial id are NULL where the gateway did not know the request id. Read by route and time.
_FEEDBACK = """
CREATE TABLE feedback (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL,
    route TEXT NULL,
    arm TEXT NULL,
    trial_id TEXT NULL,
    score DOUBLE PRECISION NOT NULL,
    comment TEXT NULL,
    at DOUBLE PRECISION NOT NULL
)"""

_FEEDBACK_BY_ROUTE = "CREATE INDEX feedback_route_at ON feedback (route, at)"

# Prompts (modelswap.store.prompts): immutable versions keyed by (name, content hash), movable labels pointing at
# one version each, and the status of each model's variant of a version.
_PROMPT_VERSIONS = """
CREATE TABLE prompt_versions (
    name TEXT NOT NULL,
    hash TEXT NOT NULL,
    content_json TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (name, hash)
)"""

_PROMPT_LABELS = """
CREATE TABLE prompt_labels (
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    hash TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (name, label)
)"""

_PROMPT_VARIANT_STATUS = """
CREATE TABLE prompt_variant_status (
    name TEXT NOT NULL,
    hash TEXT NOT NULL,
    model_key TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (name, hash, model_key)
)"""

# The registry prompt each arm of a gateway trial was asked with (modelswap.gateway.prompting), one row per
# observation that had one, keyed as the observation: a side table, so observations without a prompt cost nothing.
_OBSERVATION_PROMPTS = """
CREATE TABLE observation_prompts (
    run TEXT NOT NULL,
    trial_id TEXT NOT NULL,
    arm TEXT NOT NULL,
    sample INTEGER NOT NULL,
    prompt_name TEXT NOT NULL,
    prompt_hash TEXT NOT NULL,
    prompt_variant TEXT NOT NULL,
    PRIMARY KEY (run, trial_id, arm, sample)
)"""

# Embedding index aliases (modelswap.embeddings.alias): the index each alias serves (switched by a compare-and-set on
# version), every switch audited, and the indexes an alias left, kept until retain_until for a rollback.
_EMBEDDING_ALIASES = """
CREATE TABLE embedding_aliases (
    alias TEXT PRIMARY KEY,
    index_name TEXT NOT NULL,
    previous_index TEXT NULL,
    version INTEGER NOT NULL,
    switched_at DOUBLE PRECISION NOT NULL,
    retain_until DOUBLE PRECISION NULL,
    actor TEXT NOT NULL
)"""

_EMBEDDING_ALIAS_AUDIT = """
CREATE TABLE embedding_alias_audit (
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    from_index TEXT NULL,
    to_index TEXT NOT NULL,
    retain_until DOUBLE PRECISION NULL,
    PRIMARY KEY (alias, version)
)"""

_EMBEDDING_RETENTION = """
CREATE TABLE embedding_retention (
    index_name TEXT PRIMARY KEY,
    alias TEXT NOT NULL,
    retired_at DOUBLE PRECISION NOT NULL,
    retain_until DOUBLE PRECISION NOT NULL
)"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(version=1, description="requests and observations",
              statements=(_REQUESTS, _OBSERVATIONS, _OBSERVATIONS_BY_ARM)),
    Migration(version=2, description="index requests by position within a run",
              statements=(_REQUESTS_BY_POSITION,)),
    Migration(version=3, description="the judge's verdict cache",
              statements=(_JUDGE_VERDICTS,)),
    Migration(version=4, description="the embedding vector cache",
              statements=(_EMBEDDING_VECTORS,)),
    Migration(version=5, description="rollout state and its audit log",
              statements=(_ROLLOUT_STATE, _ROLLOUT_AUDIT)),
    Migration(version=6, description="user feedback on answers",
              statements=(_FEEDBACK, _FEEDBACK_BY_ROUTE)),
    Migration(version=7, description="prompt versions, labels and variant statuses",
              statements=(_PROMPT_VERSIONS, _PROMPT_LABELS, _PROMPT_VARIANT_STATUS)),
    Migration(version=8, description="the prompt, version and variant each observation was asked with",
              statements=(_OBSERVATION_PROMPTS,)),
    Migration(version=9, description="embedding index aliases, their switches and retained indexes",
              statements=(_EMBEDDING_ALIASES, _EMBEDDING_ALIAS_AUDIT, _EMBEDDING_RETENTION)),
)

LATEST_VERSION = MIGRATIONS[-1].version


def pending(current: int, migrations: Sequence[Migration] = MIGRATIONS) -> list[Migration]:
    """The migrations still to apply to a store at version ``current``, in order."""
    return sorted((m for m in migrations if m.version > current), key=lambda m: m.version)


def check_version(current: int, *, store: str, latest: int = LATEST_VERSION) -> None:
    """Refuse a store written by a newer modelswap: its tables may mean something else."""
    if current > latest:
        raise StoreError(f"store {store}: schema version {current} is newer than this modelswap knows "
                         f"({latest}); upgrade modelswap")
