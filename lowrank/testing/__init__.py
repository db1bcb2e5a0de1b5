"""Testing helpers for lowrank and for code built on it.

Three parts:

- :mod:`lowrank.testing.matrices` — deterministic constructors of matrices with a
  known spectrum (``random_orthonormal``, ``spectrum``, ``matrix_with_spectrum``,
  ``optimal_error``, ``psd_matrix``, ``power_of_two_signal``); NumPy/SciPy only.
- :mod:`lowrank.testing.asserts` — assertions with dtype-derived tolerances
  (``assert_orthonormal``, ``assert_allclose_dtype``, ``assert_lowrank_error``, ...).
- :mod:`lowrank.testing.strategies` — hypothesis strategies (``matrices_with_spectrum``,
  ``low_rank_matrices``, ``psd_matrices``, ``power_of_two_signals``, ...).

The strategies are imported lazily, on first access, so ``import lowrank.testing``
works without hypothesis installed (they are not in ``__all__``, so a star
import does not load them either). The generic matrix strategy
``strategies.matrices`` is exported here as ``finite_matrices``, because
``lowrank.testing.matrices`` names the module of constructors.

Examples
--------
>>> import numpy as np
>>> from lowrank.testing import assert_orthonormal, random_orthonormal
>>> assert_orthonormal(random_orthonormal(10, 4, rng=0, dtype=np.float32))
"""

import importlib

from .asserts import (
    assert_allclose_dtype,
    assert_descending,
    assert_dtype,
    assert_lowrank_error,
    assert_nonnegative,
    assert_orthonormal,
    relative_error,
    tolerance,
)
from .matrices import (
    SPECTRUM_KINDS,
    SpectralCase,
    matrix_with_spectrum,
    optimal_error,
    power_of_two_signal,
    psd_matrix,
    random_orthonormal,
    spectrum,
)

_LAZY = (
    "PSDCase",
    "dtypes",
    "spectra",
    "matrices_with_spectrum",
    "low_rank_matrices",
    "psd_matrices",
    "power_of_two_signals",
    "finite_matrices",
)

__all__ = [
    # matrices
    "SPECTRUM_KINDS",
    "SpectralCase",
    "random_orthonormal",
    "spectrum",
    "matrix_with_spectrum",
    "optimal_error",
    "psd_matrix",
    "power_of_two_signal",
    # asserts
    "tolerance",
    "assert_orthonormal",
    "assert_descending",
    "assert_nonnegative",
    "assert_allclose_dtype",
    "assert_dtype",
    "assert_lowrank_error",
    "relative_error",
]
# The strategies (names in ``_LAZY``) are left out of ``__all__`` so that a star
# import, e.g. by ``lowrank/__init__.py``, never imports hypothesis; access them
# as attributes (``lowrank.testing.low_rank_matrices``) or from ``lowrank.testing.strategies``.


def __getattr__(name):
    if name == "strategies" or name in _LAZY:
        module = importlib.import_module(".strategies", __name__)
        return module if name == "strategies" else getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | {"strategies"})
