"""Paired figures where the request is the unit: one value per request, and the paired bootstrap.

What it is: the numpy half of ``modelswap.compare.stats`` (import these names from there).
``per_request_means`` and ``paired_means`` collapse repeated samples of one request to one
value per request, because repeats of a request are not independent trials: a test that counts
them as such grows more confident with every repeat while the evidence stays the same.
``paired_bootstrap`` gives a percentile interval for any statistic of the two sides by
resampling request indices (both sides of a request move together), with the statistics the
summary needs: ``mean_difference``, ``mean_ratio`` (``cost_per_task_ratio``) and
``quantile_ratio`` (``p95_latency_ratio``). ``paired_bootstraps`` runs many at once with the
results of one call each, drawing each resample's indices once for every figure over as many
requests and gathering each pair of arrays once for all its statistics; over more than
``MAX_RESAMPLED`` requests each resample draws that many (m-out-of-n, the interval narrowed to n:
see ``paired_bootstraps``), so a million requests cost what 20,000 do.

What it is not: a test. Tests and intervals with a closed form are in ``stats``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Statistic = Callable[[FloatArray, FloatArray], FloatArray | float]
"""A statistic of (baseline, candidate) that reduces the last axis: ``(..., n)`` arrays in, ``(...)`` out."""

MAX_RESAMPLED = 20_000
"""``paired_bootstraps`` resamples at most this many requests (see ``paired_bootstraps``)."""
BATCH_ELEMENTS = 1 << 22
"""The bootstrap draws ``BATCH_ELEMENTS // n`` resamples at a time (at most ~32 MB per side)."""


class RequestMeans(NamedTuple):
    """One mean per request, requests in order of first appearance."""

    ids: tuple[str, ...]
    means: FloatArray


class PairedMeans(NamedTuple):
    """Each side's mean per request, and how many samples each request had."""

    ids: tuple[str, ...]
    baseline: FloatArray
    candidate: FloatArray
    samples: npt.NDArray[np.int64]


class Bootstrap(NamedTuple):
    """The statistic on the data, and its percentile interval over the resamples."""

    estimate: float
    ci: tuple[float, float]


def _as_values(values: Sequence[float] | FloatArray, name: str) -> FloatArray:
    """``values`` as a 1-D float array; ValueError when empty, not 1-D, or not finite."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a flat sequence of numbers, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name}: no values (an empty sample has no statistic)")
    if not np.isfinite(array).all():
        raise ValueError(f"{name}: values must be finite (found NaN or infinity)")
    return array


def _group(ids: Sequence[str], n: int) -> tuple[tuple[str, ...], npt.NDArray[np.intp]]:
    if len(ids) != n:
        raise ValueError(f"ids: {len(ids)} ids for {n} values; expected one id per value")
    index: dict[str, int] = {}
    inverse = np.fromiter((index.setdefault(i, len(index)) for i in ids), dtype=np.intp, count=n)
    return tuple(index), inverse


def _means(inverse: npt.NDArray[np.intp], values: FloatArray, counts: npt.NDArray[np.int64]) -> FloatArray:
    sums = np.asarray(np.bincount(inverse, weights=values, minlength=len(counts)), dtype=np.float64)
    return sums / counts


def per_request_means(ids: Sequence[str], values: Sequence[float] | FloatArray) -> RequestMeans:
    """Collapse repeated samples to one value per request: the mean of its samples.

    ``ids[i]`` names the request of ``values[i]``. Requests come back in order of first appearance.
    """
    array = _as_values(values, "values")
    unique, inverse = _group(ids, len(array))
    counts = np.bincount(inverse).astype(np.int64)
    return RequestMeans(unique, _means(inverse, array, counts))


def paired_means(ids: Sequence[str], baseline: Sequence[float] | FloatArray,
                 candidate: Sequence[float] | FloatArray) -> PairedMeans:
    """Collapse paired samples (``baseline[i]`` and ``candidate[i]`` answered request ``ids[i]``) per request."""
    base, cand = _as_values(baseline, "baseline"), _as_values(candidate, "candidate")
    if len(base) != len(cand):
        raise ValueError(f"baseline and candidate: {len(base)} and {len(cand)} values; a pair needs both sides")
    unique, inverse = _group(ids, len(base))
    counts = np.bincount(inverse).astype(np.int64)
    return PairedMeans(unique, _means(inverse, base, counts), _means(inverse, cand, counts), counts)


def paired_bootstrap(baseline: Sequence[float] | FloatArray, candidate: Sequence[float] | FloatArray,
                     statistic: Statistic, *, n_resamples: int = 2000, seed: int = 0,
                     confidence: float = 0.95) -> Bootstrap:
    """A percentile bootstrap interval for ``statistic(baseline, candidate)``, resampling requests.

    Each resample draws n request indices with replacement and takes both sides of every drawn
    request, so the pairing (and any correlation between the sides) is kept. The draw is
    ``numpy.random.default_rng(seed).integers(0, n, (rows, n))`` batch after batch, which is what
    ``scipy.stats.bootstrap(..., paired=True, method="percentile", batch=rows)`` draws with the
    same generator: the same seed gives the same interval. A statistic that is not finite on
    some resample (a zero denominator) is kept as is: infinities sort last, NaN makes the bound NaN.
    """
    base, cand = _as_values(baseline, "baseline"), _as_values(candidate, "candidate")
    n = len(base)
    if len(cand) != n:
        raise ValueError(f"baseline and candidate: {n} and {len(cand)} values; a pair needs both sides")
    if n_resamples < 1:
        raise ValueError(f"n_resamples={n_resamples}: must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence}: must be between 0 and 1")
    rng = np.random.default_rng(seed)
    rows = max(1, BATCH_ELEMENTS // n)
    parts = []
    for start in range(0, n_resamples, rows):
        index = rng.integers(0, n, size=(min(rows, n_resamples - start), n))
        parts.append(np.asarray(statistic(base[index], cand[index]), dtype=np.float64))
    alpha = (1 - confidence) / 2
    with np.errstate(invalid="ignore"):  # between two infinite resamples the bound is NaN
        low, high = np.quantile(np.concatenate(parts), [alpha, 1 - alpha])
    return Bootstrap(float(np.asarray(statistic(base, cand))), (float(low), float(high)))


def paired_bootstraps(jobs: Sequence[tuple[Sequence[float] | FloatArray, Sequence[float] | FloatArray, Statistic]],
                      *, n_resamples: int = 2000, seed: int = 0, confidence: float = 0.95,
                      threads: int = 1, max_resampled: int = MAX_RESAMPLED) -> list[Bootstrap]:
    """``paired_bootstrap(baseline, candidate, statistic, ...)`` of every job, equal to one call each (the same
    draws: a generator seeded ``seed`` draws the same indices for every figure over n requests). Jobs on equal
    arrays are resampled together, each pair of arrays gathered once for all its statistics, and statistics from
    ``quantile_ratio`` computed together, in place on the resampled values. ``threads`` resample distinct pairs
    of arrays at once (numpy releases the GIL while it gathers, partitions and sums): the results do not change.

    Over more than ``max_resampled`` requests (n), each resample draws m = ``max_resampled`` of them (the
    m-out-of-n bootstrap) and the interval is the spread of those resamples around the estimate on all n,
    narrowed by sqrt(m / n): ``estimate + (percentile - estimate) * sqrt(m / n)``. For the statistics here (means,
    their differences and ratios, quantiles of a continuous latency) the spread shrinks as one over the square
    root of the sample size, so this is the n-request interval at a cost that stops growing with n (drawing
    every request 2,000 times over a million requests took longer than comparing them)."""
    if n_resamples < 1:
        raise ValueError(f"n_resamples={n_resamples}: must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence}: must be between 0 and 1")
    arrays = [_paired(baseline, candidate) for baseline, candidate, _ in jobs]
    pairs: list[tuple[FloatArray, FloatArray, list[int]]] = []
    for job, (base, cand) in enumerate(arrays):
        same = next((p for p in pairs if len(p[0]) == len(base) and np.array_equal(p[0], base)
                     and np.array_equal(p[1], cand)), None)
        if same is None:
            pairs.append((base, cand, [job]))
        else:
            same[2].append(job)

    def resample(pair: tuple[FloatArray, FloatArray, list[int]]) -> dict[int, list[FloatArray]]:
        base, cand, members = pair
        return _resample_pair(base, cand, [(job, jobs[job][2]) for job in members], n_resamples=n_resamples,
                              seed=seed, size=min(len(base), max_resampled))

    parts: dict[int, list[FloatArray]] = {}
    if threads > 1 and len(pairs) > 1:
        with ThreadPoolExecutor(min(threads, len(pairs))) as pool:
            for found in pool.map(resample, pairs):
                parts.update(found)
    else:
        for pair in pairs:
            parts.update(resample(pair))
    alpha = (1 - confidence) / 2
    out = []
    for job, (base, cand) in enumerate(arrays):
        with np.errstate(invalid="ignore"):  # between two infinite resamples the bound is NaN
            low, high = np.quantile(np.concatenate(parts[job]), [alpha, 1 - alpha])
        estimate = float(np.asarray(jobs[job][2](base, cand)))
        if len(base) > max_resampled:
            shrink = math.sqrt(max_resampled / len(base))
            with np.errstate(invalid="ignore"):
                low, high = estimate + (low - estimate) * shrink, estimate + (high - estimate) * shrink
        out.append(Bootstrap(estimate, (float(low), float(high))))
    return out


def _resample_pair(base: FloatArray, cand: FloatArray, statistics: list[tuple[int, Statistic]], *,
                   n_resamples: int, seed: int, size: int) -> dict[int, list[FloatArray]]:
    """Every statistic of one pair over ``paired_bootstrap``'s resamples (its draws, batch by batch), each of
    ``size`` requests drawn from all of them."""
    n = len(base)
    rng = np.random.default_rng(seed)
    rows = max(1, BATCH_ELEMENTS // size)
    parts: dict[int, list[FloatArray]] = {job: [] for job, _ in statistics}
    buffers: tuple[FloatArray, FloatArray] | None = None
    for start in range(0, n_resamples, rows):
        index = rng.integers(0, n, size=(min(rows, n_resamples - start), size))
        if buffers is None or buffers[0].shape != index.shape:  # reused: no page faults per batch
            buffers = (np.empty(index.shape), np.empty(index.shape))
        _resampled(np.take(base, index, out=buffers[0]), np.take(cand, index, out=buffers[1]), statistics, parts)
    return parts


def _paired(baseline: Sequence[float] | FloatArray, candidate: Sequence[float] | FloatArray
            ) -> tuple[FloatArray, FloatArray]:
    base, cand = _as_values(baseline, "baseline"), _as_values(candidate, "candidate")
    if len(cand) != len(base):
        raise ValueError(f"baseline and candidate: {len(base)} and {len(cand)} values; a pair needs both sides")
    return base, cand


def _resampled(base: FloatArray, cand: FloatArray, statistics: list[tuple[int, Statistic]],
               parts: dict[int, list[FloatArray]]) -> None:
    """Every statistic of one resampled pair; quantiles last, all at once, partitioning the values in place."""
    quantiles = [(job, statistic) for job, statistic in statistics if hasattr(statistic, "quantile")]
    for job, statistic in statistics:
        if (job, statistic) not in quantiles:
            parts[job].append(np.asarray(statistic(base, cand), dtype=np.float64))
    if quantiles:
        qs = [statistic.quantile for _, statistic in quantiles]
        on_cand = np.quantile(cand, qs, axis=-1, overwrite_input=True)
        on_base = np.quantile(base, qs, axis=-1, overwrite_input=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            for i, (job, _) in enumerate(quantiles):
                parts[job].append(np.asarray(on_cand[i] / on_base[i], dtype=np.float64))


def mean_difference(baseline: FloatArray, candidate: FloatArray) -> FloatArray:
    """mean(candidate) - mean(baseline) along the last axis."""
    return np.asarray(candidate.mean(axis=-1) - baseline.mean(axis=-1), dtype=np.float64)


def mean_ratio(baseline: FloatArray, candidate: FloatArray) -> FloatArray:
    """mean(candidate) / mean(baseline) along the last axis (inf or NaN when the baseline mean is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(candidate.mean(axis=-1) / baseline.mean(axis=-1), dtype=np.float64)


def cost_per_task_ratio(baseline: FloatArray, candidate: FloatArray) -> FloatArray:
    """Mean candidate cost per task over mean baseline cost per task: 0.5 is half the price."""
    return mean_ratio(baseline, candidate)


def quantile_ratio(q: float) -> Statistic:
    """The statistic quantile(candidate, q) / quantile(baseline, q) (numpy's linear quantile)."""
    if not 0 <= q <= 1:
        raise ValueError(f"q={q}: a quantile is between 0 and 1")

    def ratio(baseline: FloatArray, candidate: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(np.quantile(candidate, q, axis=-1) / np.quantile(baseline, q, axis=-1),
                              dtype=np.float64)

    ratio.__name__ = ratio.__qualname__ = f"quantile_ratio({q:g})"
    ratio.quantile = q  # type: ignore[attr-defined]  # paired_bootstraps computes quantiles together
    return ratio


def p95_latency_ratio(baseline: FloatArray, candidate: FloatArray) -> FloatArray:
    """Candidate p95 latency over baseline p95 latency: 1.2 is a 20% slower tail."""
    return np.asarray(quantile_ratio(0.95)(baseline, candidate), dtype=np.float64)
