"""The single place where a user's ``rng`` argument becomes a Generator (SPEC 7).

Every randomized routine takes a keyword-only ``rng=None`` and passes it through
:func:`as_generator` before any heavy work. Nothing in lowrank touches NumPy's
global random state.
"""

import numbers

import numpy as np

__all__ = ["as_generator", "spawn_seeds"]


def as_generator(rng, *, name="rng"):
    """Return a :class:`numpy.random.Generator` for ``rng``.

    Parameters
    ----------
    rng : {None, int, numpy.random.Generator}
        ``None`` draws fresh OS entropy, a non-negative ``int`` seeds PCG64 so that the
        same seed gives bitwise-identical draws in any process, and a Generator is used
        as it is (its state advances).
    name : str, optional
        Argument name used in error messages.

    Raises
    ------
    TypeError
        For anything else (a float, a string, a bool, a legacy ``RandomState``).
    ValueError
        For a negative integer seed.

    Examples
    --------
    >>> from lowrank._random import as_generator
    >>> bool(as_generator(0).integers(10) == as_generator(0).integers(10))
    True
    """
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, numbers.Integral):
        raise TypeError(
            f"`{name}` must be None, a non-negative int seed or a numpy.random.Generator; "
            f"got {rng!r} of type {type(rng).__name__}."
        )
    if rng < 0:
        raise ValueError(f"`{name}` must be a non-negative int seed; got {rng}.")
    return np.random.default_rng(int(rng))


def spawn_seeds(gen, count):
    """Draw ``count`` independent 64-bit seeds from ``gen`` (one per parallel block)."""
    return gen.integers(0, 2**63 - 1, size=count, dtype=np.int64)
