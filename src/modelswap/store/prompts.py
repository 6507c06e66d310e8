"""The prompt tables' SQL and rows: immutable prompt versions, movable labels, per-model variant statuses.

What it is: the values the store keeps about prompts (``PromptVersion``, ``PromptLabel``,
``VariantStatus``), the queries ``SQLStore``'s prompt methods run on ``prompt_versions``,
``prompt_labels`` and ``prompt_variant_status`` (migration 7 in ``modelswap.store.schema``), and the
checks a write must pass. What it is not: the prompt file format or its hash function
(``modelswap.prompts.registry``), nor the transactions (``SQLStore``).

A version is keyed by (name, hash) and never changes: saving the same hash again writes nothing, and
a version whose hash is not the SHA-256 of its canonical content is refused, so a hash always names
exactly one content. A label is a pointer (name, label) → hash, moved by overwriting it; it may only
point at a stored version. A variant status is keyed by (name, hash, model key).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal, get_args

import orjson

from modelswap.errors import StoreError

VariantStatusName = Literal["draft", "shadow-passed", "canary", "production"]
VARIANT_STATUSES: tuple[str, ...] = get_args(VariantStatusName)


@dataclass(frozen=True, kw_only=True, slots=True)
class PromptVersion:
    """One immutable version of a prompt: its content (the prompt file as canonical JSON data) and hash."""

    name: str
    hash: str
    content: dict[str, Any]
    created_at: float
    created_by: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PromptLabel:
    """A movable pointer from a prompt's label (``production``, ``staging``, any) to one of its versions."""

    name: str
    label: str
    hash: str
    updated_at: float
    updated_by: str


@dataclass(frozen=True, kw_only=True, slots=True)
class VariantStatus:
    """Where one model's variant of one prompt version stands: draft → shadow-passed → canary → production."""

    name: str
    hash: str
    model_key: str
    status: VariantStatusName
    updated_at: float
    updated_by: str


VERSION_COLUMNS = ("name", "hash", "content_json", "created_at", "created_by")
LABEL_COLUMNS = ("name", "label", "hash", "updated_at", "updated_by")
STATUS_COLUMNS = ("name", "hash", "model_key", "status", "updated_at", "updated_by")

INSERT_VERSION = (f"INSERT INTO prompt_versions ({', '.join(VERSION_COLUMNS)}) "
                  f"VALUES ({', '.join('?' for _ in VERSION_COLUMNS)}) ON CONFLICT (name, hash) DO NOTHING")
SELECT_VERSIONS = f"SELECT {', '.join(VERSION_COLUMNS)} FROM prompt_versions WHERE 1 = 1"
VERSION_EXISTS = "SELECT 1 FROM prompt_versions WHERE name = ? AND hash = ?"
UPSERT_LABEL = (f"INSERT INTO prompt_labels ({', '.join(LABEL_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in LABEL_COLUMNS)}) ON CONFLICT (name, label) DO UPDATE SET "
                "hash = excluded.hash, updated_at = excluded.updated_at, updated_by = excluded.updated_by")
SELECT_LABELS = f"SELECT {', '.join(LABEL_COLUMNS)} FROM prompt_labels WHERE 1 = 1"
UPSERT_STATUS = (f"INSERT INTO prompt_variant_status ({', '.join(STATUS_COLUMNS)}) "
                 f"VALUES ({', '.join('?' for _ in STATUS_COLUMNS)}) ON CONFLICT (name, hash, model_key) DO UPDATE "
                 "SET status = excluded.status, updated_at = excluded.updated_at, updated_by = excluded.updated_by")
SELECT_STATUSES = f"SELECT {', '.join(STATUS_COLUMNS)} FROM prompt_variant_status WHERE name = ?"


def canonical_json(content: dict[str, Any]) -> str:
    """Sorted keys, no whitespace: the text whose SHA-256 is a version's hash."""
    return orjson.dumps(content, option=orjson.OPT_SORT_KEYS).decode()


def check_version(version: PromptVersion) -> str:
    """The content's canonical JSON, or a ``StoreError`` when the hash is not its SHA-256."""
    text = canonical_json(version.content)
    actual = hashlib.sha256(text.encode()).hexdigest()
    if version.hash != actual:
        raise StoreError(f"prompt {version.name!r}: hash {version.hash} is not the content's ({actual})")
    return text


def version_row(version: PromptVersion) -> tuple[Any, ...]:
    return (version.name, version.hash, check_version(version), version.created_at, version.created_by)


def version_from_row(row: Any) -> PromptVersion:
    name, hash_, content_json, created_at, created_by = row
    return PromptVersion(name=name, hash=hash_, content=json.loads(content_json), created_at=float(created_at),
                         created_by=created_by)


def label_row(label: PromptLabel) -> tuple[Any, ...]:
    if not label.label:
        raise StoreError(f"prompt {label.name!r}: a label must be a non-empty string")
    return (label.name, label.label, label.hash, label.updated_at, label.updated_by)


def label_from_row(row: Any) -> PromptLabel:
    name, label, hash_, updated_at, updated_by = row
    return PromptLabel(name=name, label=label, hash=hash_, updated_at=float(updated_at), updated_by=updated_by)


def status_row(status: VariantStatus) -> tuple[Any, ...]:
    if status.status not in VARIANT_STATUSES:
        raise StoreError(f"prompt {status.name!r}: unknown variant status {status.status!r}; "
                         f"expected one of {', '.join(VARIANT_STATUSES)}")
    return (status.name, status.hash, status.model_key, status.status, status.updated_at, status.updated_by)


def status_from_row(row: Any) -> VariantStatus:
    name, hash_, model_key, status, updated_at, updated_by = row
    return VariantStatus(name=name, hash=hash_, model_key=model_key, status=status, updated_at=float(updated_at),
                         updated_by=updated_by)
