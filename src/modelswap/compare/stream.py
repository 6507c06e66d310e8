"""A streamed comparison: trials read, compared and reduced batch by batch, in worker processes when it pays.

What it is: ``compare_stream`` over a ``TrialSource`` (a stored run, a pairs file, or a list:
``ListSource``), and the contract a source keeps. A source yields ``Batch`` values, small and
picklable (a page of trial ids, a range of lines); a batch is *loaded* (read and parsed) where it
is compared, so worker processes read in parallel too. Each compared batch becomes a ``Digest``
(no text) that the ``ComparisonState`` appends in trial order, whatever order the workers finish
in; the report is the state's ``finish``. Results do not depend on the batch size or the number
of workers: the test suite holds the JSON report byte-identical to ``compare_trials``'s.

What it is not: the comparison's rules (comparators, noise floor, triage, summary) nor reading a
particular source (``modelswap.compare.source`` reads the store, ``modelswap.compare.pairs`` a file).

Workers: processes from the ``forkserver`` start method (no thread of this process is copied),
each building its comparators once from ``comparators`` (a picklable callable); at most two
batches per worker are in flight, so memory stays that of a few batches. Workers are used when
asked (``workers``), the source can be read from another process (``TrialSource.shared``) and
the run is large enough to repay starting them (``MIN_TRIALS_FOR_WORKERS``).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from modelswap.compare.checks.base import Comparator
from modelswap.compare.comparison import Comparison
from modelswap.compare.digest import Digest, Problem, digest
from modelswap.compare.engine import run_comparators
from modelswap.compare.gate import Policy
from modelswap.compare.model import Trial
from modelswap.compare.state import LISTED, ComparisonState
from modelswap.store import Store, open_store

BATCH_SIZE = 500
MIN_TRIALS_FOR_WORKERS = 4000
"""Below this many trials a run is compared in this process: starting workers costs about a second."""

ComparatorFactory = Callable[[], Sequence[Comparator]]
Tick = Callable[[int], None]
Warn = Callable[[Problem], None]


class Context:
    """What a batch may need to load itself in a process: stores opened by URL, once per process. Stores handed
    in (``borrowed``: already open in this process) stay open when the context closes."""

    def __init__(self, borrowed: dict[str, Store] | None = None) -> None:
        self._borrowed = dict(borrowed or {})
        self._opened: dict[str, Store] = {}

    def store(self, url: str) -> Store:
        if url in self._borrowed:
            return self._borrowed[url]
        if url not in self._opened:
            self._opened[url] = open_store(url)
        return self._opened[url]

    def close(self) -> None:
        for store in self._opened.values():
            store.close()
        self._opened.clear()


@dataclass(frozen=True, kw_only=True, slots=True)
class Loaded:
    """One batch read: its trials, where each can be found again (``TrialSource.fetch``), and what was wrong."""

    trials: list[Trial]
    locators: list[int]
    problems: list[Problem] = field(default_factory=list)
    items: int = 0
    """Source items consumed (trials and skipped ones): what the progress bar counts."""


class Batch(Protocol):
    """One batch of a source: picklable, loaded where it is compared."""

    def load(self, context: Context) -> Loaded: ...


class TrialSource(Protocol):
    """Where a streamed comparison reads trials."""

    @property
    def total(self) -> int | None:
        """Source items to read (trials, or lines), when known: the progress bar's total."""

    @property
    def shared(self) -> bool:
        """Whether a batch can be loaded in another process."""

    @property
    def notices(self) -> list[Problem]:
        """Problems of the source as a whole, known before the first batch (observations without a request...)."""

    def batches(self, size: int) -> Iterator[Batch]:
        """The batches of at most ``size`` items, in trial order."""

    def review(self, batch: Any, digest: Digest) -> Batch | None:
        """After ``batch`` is compared, in trial order: None to keep its digest, or a batch to compare in its place
        (a pairs file refuses a repeated id, which no worker can see)."""

    def fetch(self, locators: Sequence[int], ids: Sequence[str]) -> list[Trial]:
        """These trials again, in this order (for the report's listing of a large run)."""

    def context(self) -> Context:
        """The context batches load in, in this process."""

    def info(self, problems: dict[str, int]) -> dict[str, Any]:
        """What the report says of the source, given how many problems of each kind the run met."""


@dataclass(frozen=True, kw_only=True, slots=True)
class _ListBatch:
    trials: tuple[Trial, ...]
    start: int

    def load(self, context: Context) -> Loaded:
        return Loaded(trials=list(self.trials), locators=list(range(self.start, self.start + len(self.trials))),
                      items=len(self.trials))


class ListSource:
    """Trials already in memory (tests, the bench, a caller that has them)."""

    def __init__(self, trials: Sequence[Trial], *, info: dict[str, Any] | None = None) -> None:
        self._trials = trials
        self._info = info or {}

    @property
    def trials(self) -> Sequence[Trial]:
        return self._trials

    @property
    def total(self) -> int:
        return len(self._trials)

    @property
    def shared(self) -> bool:
        return True

    @property
    def notices(self) -> list[Problem]:
        return []

    def batches(self, size: int) -> Iterator[Batch]:
        for start in range(0, len(self._trials), size):
            yield _ListBatch(trials=tuple(self._trials[start:start + size]), start=start)

    def review(self, batch: Any, digest: Digest) -> Batch | None:
        return None

    def fetch(self, locators: Sequence[int], ids: Sequence[str]) -> list[Trial]:
        return [self._trials[i] for i in locators]

    def context(self) -> Context:
        return Context()

    def info(self, problems: dict[str, int]) -> dict[str, Any]:
        return dict(self._info)


def compare_stream(source: TrialSource, *, baseline: str, candidate: str, replica: str | None, policy: Policy,
                   comparators: ComparatorFactory, batch_size: int = BATCH_SIZE, workers: int | None = 1,
                   tick: Tick | None = None, warn: Warn | None = None, seed: int = 0, listed: int = LISTED,
                   state: ComparisonState | None = None) -> Comparison:
    """Compare every trial of ``source`` batch by batch; the same report as ``compare_trials`` on the same trials.

    ``workers``: processes to compare in (None: one per core, when the run is large enough); ``tick(n)`` reports
    source items done; ``warn`` hears every problem met (a bad line, a corrupt row); ``state`` continues an
    earlier comparison with the source's trials appended (default: a new one)."""
    state = state if state is not None else ComparisonState(listed=listed)
    state.notice_counts = {}  # counted over the whole source each time: the latest reading replaces the last
    for notice in source.notices:
        state.notice_counts[notice.kind] = state.notice_counts.get(notice.kind, 0) + notice.count
        if warn is not None:
            warn(notice)
    context = source.context()
    try:
        for batch_digest in _digests(source, comparators, batch_size=batch_size, workers=_workers(source, workers),
                                     context=context, listed=state.listed, before=state.items):
            state.add(batch_digest)
            for problem in batch_digest.problems:
                if warn is not None:
                    warn(problem)
            if tick is not None:
                tick(batch_digest.items)
        return state.finish(baseline=baseline, candidate=candidate, replica=replica, policy=policy, seed=seed,
                            source=source.info(dict(state.problem_counts + Counter(state.notice_counts))),
                            fetch=source.fetch,
                            comparators=comparators())
    finally:
        context.close()


def _workers(source: TrialSource, asked: int | None) -> int:
    if not source.shared:
        return 1
    if asked is not None:
        return max(1, asked)
    total = source.total
    return min(os.cpu_count() or 1, 2) if total is not None and total >= MIN_TRIALS_FOR_WORKERS else 1


def _digests(source: TrialSource, comparators: ComparatorFactory, *, batch_size: int, workers: int,
             context: Context, listed: int, before: int) -> Iterator[Digest]:
    """One digest per batch, in order. A batch's compared trials are kept while the run may still be listed whole
    (the count of source items so far bounds the count of trials)."""
    built: list[Sequence[Comparator]] = []

    def reviewed(batch: Batch, result: Digest, keep: bool) -> Digest:
        again = source.review(batch, result)
        if again is None:
            return result
        if not built:
            built.append(comparators())
        return compare_batch(again, built[0], context=context, keep=keep)

    if workers <= 1:
        built.append(comparators())
        for batch in source.batches(batch_size):
            keep = before < listed
            yield reviewed(batch, compare_batch(batch, built[0], context=context, keep=keep), keep)
            before += batch_size
        return
    start = multiprocessing.get_context("forkserver")
    start.set_forkserver_preload([__name__])  # workers fork from a server that imported the comparators once
    pool = ProcessPoolExecutor(workers, mp_context=start, initializer=_start_worker, initargs=(comparators,))
    try:
        pending: deque[tuple[Batch, bool, Future[Digest]]] = deque()
        for batch in source.batches(batch_size):
            keep = before < listed
            pending.append((batch, keep, pool.submit(_work, batch, keep)))
            before += batch_size
            if len(pending) >= 2 * workers:
                done, kept, future = pending.popleft()
                yield reviewed(done, future.result(), kept)
        while pending:
            done, kept, future = pending.popleft()
            yield reviewed(done, future.result(), kept)
    finally:
        pool.shutdown(cancel_futures=True)


def compare_batch(batch: Batch, comparators: Sequence[Comparator], *, context: Context, keep: bool) -> Digest:
    """Load one batch, compare its trials and digest them."""
    loaded = batch.load(context)
    compared = run_comparators(loaded.trials, comparators)
    result = digest(compared, locators=loaded.locators, keep=keep, problems=loaded.problems)
    result.items = loaded.items
    return result


class _Worker:
    """This worker process's comparators and context (one of each per process)."""

    comparators: Sequence[Comparator] = ()
    context: Context | None = None


def _start_worker(comparators: ComparatorFactory) -> None:
    _Worker.comparators = comparators()
    _Worker.context = Context()


def _work(batch: Batch, keep: bool) -> Digest:
    if _Worker.context is None:
        raise RuntimeError("a worker process is started by _start_worker")
    return compare_batch(batch, _Worker.comparators, context=_Worker.context, keep=keep)
