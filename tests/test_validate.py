"""Tests for the shared argument helpers in lowrank._validate."""

import numpy as np
import pytest

from lowrank._validate import per_axis


def test_per_axis_repeats_ints_and_checks_lengths():
    assert per_axis(3, "ranks", 2) == [3, 3]
    assert per_axis(np.int64(2), "ranks", 3) == [2, 2, 2]
    assert per_axis((1, 2), "ranks", 2) == [1, 2]
    assert per_axis(np.array([4, 5]), "ranks", 2) == [4, 5]
    with pytest.raises(ValueError, match="ranks.*one value per mode \\(3\\)"):
        per_axis([1, 2], "ranks", 3)
    for bad in (True, "12", 1.5, None):
        with pytest.raises(TypeError, match="ranks"):
            per_axis(bad, "ranks", 2)
