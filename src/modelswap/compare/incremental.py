"""An incremental comparison of a stored run that is still growing: each update compares only what arrived.

What it is: ``IncrementalComparison``, a ``ComparisonState`` and the key of the last request it
read (the cursor). ``update`` reads the run from the cursor on, up to the requests that may still
be answered (saved less than ``settle_s`` ago and lacking a baseline or candidate observation:
see ``StoreSource``), compares that, and returns the report over every trial read so far: the
same report, to the last digit, as one comparison of those trials (``tests/test_compare_incremental.py``).
A checkpoint (``save`` / ``load``) carries the state from one ``modelswap compare --run`` to the
next; ``modelswap watch`` keeps one in memory and updates it on a timer. What it is not: the
comparison's rules (``modelswap.compare.stream``) or rendering.

What a checkpoint assumes: a run only grows by new requests. Its key names everything the
comparison depends on (store, run, arms, whether semantic similarity ran, the listing size, the
modelswap version and the checkpoint format); another key starts afresh. It also holds the run's
first request (position, id and save time), so a store re-created under the same name and run
starts afresh too. Observations added later to requests already read (``record --repeat`` run
again on the same run) are not seen: compare with ``--fresh`` after that.

A checkpoint is a Python pickle: it is for the machine that wrote it, like a cache. Never load
one from elsewhere (unpickling can run code).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from modelswap import __version__
from modelswap.compare.checks import comparator_versions
from modelswap.compare.comparison import Comparison
from modelswap.compare.gate import Policy
from modelswap.compare.source import StoreSource
from modelswap.compare.state import LISTED, ComparisonState
from modelswap.compare.stream import ComparatorFactory, Tick, Warn, compare_stream
from modelswap.store import Store

CHECKPOINT_FORMAT = 3  # 2: the summary columns hold each trial's turn; 3: the noise columns hold the reverse comparison
SETTLE_S = 60.0
"""How long after a request is saved its shadows may still answer (the route's ``shadow.timeout_s`` is 30 s by
default, and the recorder writes within a second): younger requests missing a side are left for the next update."""


def checkpoint_key(**depends_on: Any) -> str:
    """A stable hash of what a comparison depends on (plus the modelswap version and the checkpoint format)."""
    document = {**depends_on, "modelswap": __version__, "format": CHECKPOINT_FORMAT,
                "comparators": comparator_versions()}
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(kw_only=True, slots=True)
class Checkpoint:
    """What ``save`` writes: the key, the run's first request, the cursor and the state."""

    key: str
    first: tuple[int, str, float] | None
    cursor: tuple[int, str] | None
    state: ComparisonState
    saved_at: float


class IncrementalComparison:
    """One run's comparison, updated with what arrived since the last update (see the module docstring)."""

    def __init__(self, store: Store, *, url: str, run: str, baseline: str, candidate: str, replica: str | None,
                 policy: Policy, comparators: ComparatorFactory, key: str, name: str | None = None,
                 settle_s: float = SETTLE_S, listed: int = LISTED, workers: int | None = 1) -> None:
        self.store, self.url, self.run, self.name = store, url, run, name or url
        self.baseline, self.candidate, self.replica = baseline, candidate, replica
        self.policy, self.comparators, self.key = policy, comparators, key
        self.settle_s, self.workers = settle_s, workers
        self.state = ComparisonState(listed=listed)
        self.cursor: tuple[int, str] | None = None
        self.first: tuple[int, str, float] | None = None
        self.pending = 0
        """Requests left for the next update at the last one (not settled yet)."""
        self.report: Comparison | None = None
        self._source: StoreSource | None = None  # the last update's: its arms decide what a young request waits for

    @property
    def compared(self) -> int:
        """Trials compared so far, over every update."""
        return self.state.trials

    def update(self, *, now: float | None = None, tick: Tick | None = None, warn: Warn | None = None
               ) -> Comparison | None:
        """Compare what arrived since the last update; the report over everything read so far (None while no trial
        has been compared). Raises ``RunNotReady`` while the run has no requests or no observation of an arm."""
        now = time.time() if now is None else now
        if self.report is not None and self._source is not None and not self._grows(now):
            return self.report
        source = StoreSource(self.store, url=self.url, run=self.run, baseline=self.baseline,
                             candidate=self.candidate, replica=self.replica, name=self.name, after=self.cursor,
                             done=self.state.items, settled_before=now - self.settle_s)
        self._source = source
        before = self.state.items
        if self.first is None:
            keys = self.store.request_key_times(self.run, after=None, limit=1)
            self.first = keys[0] if keys else None
        report = compare_stream(source, baseline=self.baseline, candidate=self.candidate, replica=source.replica,
                                policy=self.policy, comparators=self.comparators, workers=self.workers, tick=tick,
                                warn=warn, listed=self.state.listed, state=self.state)
        self.cursor, self.pending = source.cursor, source.pending
        if self.state.trials == 0:
            return None
        if self.state.items > before or self.report is None:
            self.report = report
        return self.report

    def _grows(self, now: float) -> bool:
        """Whether the run has a settled request after the cursor; else the last report stands as it is, and
        nothing the size of the run is read (no counts, no orphans: an idle ``watch`` refresh costs two queries)."""
        assert self._source is not None
        keys = self.store.request_key_times(self.run, after=self.cursor, limit=1)
        if not keys:
            self.pending = 0
            return False
        if self._source.settled(keys, settled_before=now - self.settle_s):
            return True
        self.pending = max(self.store.request_count(self.run) - self.state.items, 0)
        return False

    def save(self, path: Path) -> None:
        """Write the checkpoint atomically (a temporary file renamed over ``path``)."""
        checkpoint = Checkpoint(key=self.key, first=self.first, cursor=self.cursor, state=self.state,
                                saved_at=time.time())
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(checkpoint, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def resume(self, path: Path) -> str | None:
        """Continue from the checkpoint at ``path`` when it belongs to this comparison; else start afresh and say
        why (None when resumed)."""
        try:
            with path.open("rb") as handle:
                checkpoint = pickle.load(handle)
        except FileNotFoundError:
            return "no checkpoint yet"
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError) as exc:
            return f"the checkpoint {path} cannot be read ({type(exc).__name__}); comparing the whole run"
        if not isinstance(checkpoint, Checkpoint) or checkpoint.key != self.key:
            return "the checkpoint was written for other settings or another modelswap version"
        keys = self.store.request_key_times(self.run, after=None, limit=1)
        if checkpoint.first is not None and (not keys or keys[0] != checkpoint.first):
            return f"run {self.run!r} is not the run the checkpoint read (its first request differs)"
        if checkpoint.state.items > self.store.request_count(self.run):
            return f"run {self.run!r} has fewer requests than the checkpoint read"
        self.state, self.cursor, self.first = checkpoint.state, checkpoint.cursor, checkpoint.first
        return None


def checkpoint_path(directory: Path, *, run: str, key: str) -> Path:
    """Where the checkpoint of a comparison with ``key`` lives in ``directory``."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run)[:60]
    return directory / f"compare-{safe}-{key[:16]}.checkpoint"
