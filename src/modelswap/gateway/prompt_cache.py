"""The registry prompts a gateway applies: their labels and versions, kept in memory, refreshed in the background.

What it is: ``PromptCache``, the last known ``PromptSnapshot`` (each prompt's labels → version hash, and its
parsed versions) of the prompts the routes name, which the request path reads and never waits on, and a
daemon thread that reads the labels again every ``interval_s`` (the rollout states' poll period, 0.25 s by
default): one SELECT of ``prompt_labels``. A label moved anywhere (``modelswap prompts label`` from any
machine) is obeyed by every process within ``interval_s`` plus one query: moving ``production`` back is the
prompt rollback. Versions never change once stored, so a version is read and parsed once, when a label
first points at it, and all versions of the prompts every ``full_every`` reads (so ``NAME@<hash prefix>``
finds a version pushed since, unlabelled, within ``full_every * interval_s``).

When the store cannot be read, the last known snapshot keeps being served and the outage is said
(``health()``, for ``/readyz``), as every ``modelswap.gateway.poller.StorePoller`` does. A stored version whose content
no longer parses (written by a newer modelswap) is left out and logged. What it is not: choosing the version
of a request or rendering it (``modelswap.gateway.prompting``), nor the store's SQL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from modelswap.errors import ConfigError, StoreError
from modelswap.gateway.poller import StorePoller
from modelswap.prompts.registry import Prompt, prompt_from_content
from modelswap.store.base import Store
from modelswap.store.prompts import PromptVersion

logger = logging.getLogger(__name__)

DEFAULT_FULL_EVERY = 40


@dataclass(frozen=True, kw_only=True, slots=True)
class PromptSnapshot:
    """What one read found: ``labels[name][label]`` is a version hash, ``versions[name][hash]`` the parsed prompt."""

    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    versions: Mapping[str, Mapping[str, Prompt]] = field(default_factory=dict)


class PromptCache(StorePoller):
    """The last known labels and versions of the prompts ``names``, read from ``store`` every ``interval_s``."""

    what = "prompt labels"
    thread_name = "modelswap-prompt-labels"

    def __init__(self, store: Store, *, names: Collection[str], interval_s: float, stale_after_s: float,
                 full_every: int = DEFAULT_FULL_EVERY, clock: Callable[[], float] = time.time) -> None:
        super().__init__(store, interval_s=interval_s, stale_after_s=stale_after_s, clock=clock)
        if full_every < 1:
            raise ValueError("full_every must be at least 1")
        self.names = frozenset(names)
        self.full_every = full_every
        self.snapshot: PromptSnapshot | None = None  # replaced whole, never mutated: a read needs no lock

    def refresh(self) -> bool:
        """Read the labels (and any version not held yet) once; False, the last snapshot kept, when the store fails."""
        began = self.clock()
        before = self.snapshot or PromptSnapshot()
        try:
            labels = self._labels()
            full = self.reads % self.full_every == 0
            versions = self._versions(before.versions, labels, full=full)
        except StoreError as exc:
            self._failed(exc, began)
            return False
        self.snapshot = PromptSnapshot(labels=labels, versions=versions)
        self._succeeded(began)
        return True

    def health(self) -> dict[str, Any] | None:
        """``/readyz``'s ``prompts`` entry while the labels are stale, else None."""
        if not self.stale:
            return None
        return {"state": "stale", "age_s": round(self.age_s, 1), "error": self.error,
                "read": self.snapshot is not None}

    def _labels(self) -> dict[str, dict[str, str]]:
        labels: dict[str, dict[str, str]] = {name: {} for name in self.names}
        for label in self.store.prompt_labels():
            if label.name in self.names:
                labels[label.name][label.label] = label.hash
        return labels

    def _versions(self, held: Mapping[str, Mapping[str, Prompt]], labels: Mapping[str, Mapping[str, str]], *,
                  full: bool) -> dict[str, dict[str, Prompt]]:
        """Every version held, plus the ones a label points at that are not (all of them when ``full``)."""
        versions = {name: dict(held.get(name, {})) for name in self.names}
        for name in sorted(self.names):
            missing = sorted(set(labels[name].values()) - set(versions[name]))
            found: list[PromptVersion] = []
            if full:
                found = self.store.prompt_versions(name)
            else:
                for digest in missing:
                    found += self.store.prompt_versions(name, hash_prefix=digest)
            for version in found:
                if version.hash not in versions[name]:
                    parsed = _parse(version)
                    if parsed is not None:
                        versions[name][version.hash] = parsed
        return versions


def _parse(version: PromptVersion) -> Prompt | None:
    try:
        return prompt_from_content(version.content, path=f"store:{version.name}@{version.hash[:12]}")
    except ConfigError as exc:
        logger.warning("prompt %s version %s is left out: %s", version.name, version.hash[:12], exc)
        return None
