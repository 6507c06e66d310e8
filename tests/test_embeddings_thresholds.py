"""Old similarity thresholds mapped to the new model's scale by matching quantiles."""

from __future__ import annotations

import numpy as np
import pytest

from modelswap.embeddings.thresholds import default_thresholds, map_threshold, quantile_of


def test_without_ties_the_mapping_inverts_numpys_linear_quantile() -> None:
    old = [0.5, 0.6, 0.7, 0.8, 0.9]
    new = [0.1, 0.2, 0.3, 0.4, 0.5]
    assert quantile_of(old, 0.7) == 0.5
    assert quantile_of(old, 0.65) == pytest.approx(0.375)  # halfway between positions 1/4 and 2/4
    mapped = map_threshold(old, new, 0.65)
    assert mapped.quantile == pytest.approx(0.375) and mapped.new == pytest.approx(0.25)
    rng = np.random.default_rng(1)
    sample = rng.normal(size=50)
    for q in (0.1, 0.33, 0.9):
        assert quantile_of(sample, float(np.quantile(sample, q))) == pytest.approx(q)


def test_outside_the_old_range_maps_to_the_new_extremes() -> None:
    assert map_threshold([0.5, 0.6], [0.1, 0.3], 0.99).new == 0.3
    assert map_threshold([0.5, 0.6], [0.1, 0.3], 0.0).new == 0.1


def test_ties_sit_at_the_middle_of_their_positions() -> None:
    old = [0.2, 0.5, 0.5, 0.5, 0.9]  # 0.5 holds positions 1..3 of 0..4: its quantile is 2/4
    assert quantile_of(old, 0.5) == 0.5
    assert quantile_of(old, 0.35) == pytest.approx(0.25)  # halfway between 0.2 (q 0) and 0.5 (q 0.5)
    assert quantile_of([0.4, 0.4], 0.4) == 0.5 and quantile_of([0.4, 0.4], 0.3) == 0.0
    assert quantile_of([0.4], 0.4) == 0.5 and quantile_of([0.4], 0.5) == 1.0


def test_empty_samples_are_refused_and_defaults_are_old_quantiles() -> None:
    with pytest.raises(ValueError, match="no scores"):
        quantile_of([], 0.5)
    with pytest.raises(ValueError, match="no new scores"):
        map_threshold([0.1], [], 0.5)
    assert default_thresholds([0.0, 1.0]) == [0.1, 0.25, 0.5, 0.75, 0.9]
    assert default_thresholds([]) == []
