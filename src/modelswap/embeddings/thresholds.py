"""Old similarity thresholds mapped to the new model's scale by matching quantiles.

Cosine scores of two models live on different scales (one model's 0.8 is another's 0.55), so a
threshold tuned on the old model ("answer only above 0.75") means nothing to the new one. The
mapping keeps the threshold's *quantile*: the share of probe scores below it stays the same.

Definition. ``old`` and ``new`` are score samples (e.g. every top-k score of every probe query,
each model on its own index). The old threshold t is placed on old's empirical distribution at
q = the position numpy's linear quantile would need to return t: the sorted distinct old values
sit at their mean (0-based) position / (n - 1) (a value held by several scores sits at the
middle of them), and q is interpolated linearly between those points, 0 below the smallest and
1 above the largest. The new threshold is ``numpy.quantile(new, q)`` (linear). Without ties
this is the exact inverse: ``numpy.quantile(old, q) == t``.

What it is not: a calibration of relevance (a quantile says "as selective as before", not "as
precise as before"; with labels the report's quality figures say that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, kw_only=True)
class MappedThreshold:
    old: float
    quantile: float
    new: float


def quantile_of(scores: Sequence[float] | np.ndarray, value: float) -> float:
    """Where ``value`` sits on the scores' distribution, as a quantile in [0, 1] (see the module docstring)."""
    values = np.sort(np.asarray(scores, dtype=np.float64))
    n = len(values)
    if n == 0:
        raise ValueError("no scores to place a threshold on")
    if n == 1:
        return 0.0 if value < values[0] else (1.0 if value > values[0] else 0.5)
    distinct, first, counts = np.unique(values, return_index=True, return_counts=True)
    positions = (first + (counts - 1) / 2) / (n - 1)
    if len(distinct) == 1:
        return 0.0 if value < distinct[0] else (1.0 if value > distinct[0] else float(positions[0]))
    return float(np.interp(value, distinct, positions, left=0.0, right=1.0))


def map_threshold(old_scores: Sequence[float] | np.ndarray, new_scores: Sequence[float] | np.ndarray,
                  threshold: float) -> MappedThreshold:
    """The new model's threshold as selective on its scores as ``threshold`` was on the old model's."""
    new = np.asarray(new_scores, dtype=np.float64)
    if len(new) == 0:
        raise ValueError("no new scores to map a threshold onto")
    q = quantile_of(old_scores, threshold)
    return MappedThreshold(old=threshold, quantile=q, new=float(np.quantile(new, q)))


def default_thresholds(old_scores: Sequence[float] | np.ndarray,
                       quantiles: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 0.9)) -> list[float]:
    """Old thresholds to show when the user names none: the old scores' quantiles, rounded to 3 decimals."""
    old = np.asarray(old_scores, dtype=np.float64)
    if len(old) == 0:
        return []
    return [round(float(value), 3) for value in np.quantile(old, list(quantiles))]
