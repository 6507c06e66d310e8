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
(``health()``, for ``/readyz``), as ``modelswap.gateway.rollouts`` does. A stored version whose content
no longer parses (written by a newer modelswap) is left out and logged. What it is not: choosing the version
of a request or rendering it (``modelswap.gateway.prompting``), nor the store's SQL.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from modelswap.errors import ConfigError, StoreError
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


class PromptCache:
    """The last known labels and versions of the prompts ``names``, read from ``store`` every ``interval_s``."""

    def __init__(self, store: Store, *, names: Collection[str], interval_s: float, stale_after_s: float,
                 full_every: int = DEFAULT_FULL_EVERY, clock: Callable[[], float] = time.time) -> None:
        if interval_s <= 0 or stale_after_s <= interval_s or full_every < 1:
            raise ValueError("interval_s must be above 0, stale_after_s above interval_s, full_every at least 1")
        self.store = store
        self.names = frozenset(names)
        self.interval_s = interval_s
        self.stale_after_s = stale_after_s
        self.full_every = full_every
        self.clock = clock
        self.snapshot: PromptSnapshot | None = None  # replaced whole, never mutated: a read needs no lock
        self.read_at: float | None = None
        self.failing_since: float | None = None
        self.error: str | None = None  # the class of the last read's error (its message may hold a URL)
        self.failures = 0
        self.reads = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_at = clock()

    def start(self) -> None:
        """Read once now (so the first request finds its prompt), then keep reading on a daemon thread."""
        self.refresh()
        self._thread = threading.Thread(target=self._run, name="modelswap-prompt-labels", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop reading (waits up to ``timeout_s`` for a read in progress)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

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
        self.reads += 1
        self.read_at = began
        if self.failing_since is not None:
            logger.warning("prompt labels read again after %.1f s", began - self.failing_since)
        self.failing_since = self.error = None
        return True

    @property
    def stale(self) -> bool:
        """Whether the labels served may be out of date: the last read failed, or none succeeded lately."""
        if self.failing_since is not None:
            return True
        last = self.read_at if self.read_at is not None else self._started_at
        return self.clock() - last > self.stale_after_s

    def health(self) -> dict[str, Any] | None:
        """``/readyz``'s ``prompts`` entry while the labels are stale, else None."""
        if not self.stale:
            return None
        last = self.read_at if self.read_at is not None else self._started_at
        return {"state": "stale", "age_s": round(self.clock() - last, 1), "error": self.error,
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

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.refresh()

    def _failed(self, exc: StoreError, began: float) -> None:
        self.failures += 1
        self.error = type(exc).__name__
        if self.failing_since is None:
            self.failing_since = began
            logger.warning("prompt labels cannot be read (%s); serving the last known ones", self.error)


def _parse(version: PromptVersion) -> Prompt | None:
    try:
        return prompt_from_content(version.content, path=f"store:{version.name}@{version.hash[:12]}")
    except ConfigError as exc:
        logger.warning("prompt %s version %s is left out: %s", version.name, version.hash[:12], exc)
        return None
