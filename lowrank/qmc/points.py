r"""Low-discrepancy point sets in the orders that the fast transforms diagonalise.

- :func:`lattice`: rank-1 lattice points x_i = frac(φ(i) z + Δ) with φ the van der
  Corput radical inverse in base 2, so that for n = 2^m the first n points are
  frac(bitrev_m(i) z / n + Δ) (radical-inverse order) and every prefix of length 2^m
  is the 2^m-point lattice. The generating vector is the Korobov vector
  z_j = a^j mod 2^32 with a = 76_605 (odd, so every component is odd and each
  one-dimensional projection is the full set {0, 1/n, ...}).
- :func:`digital_net`: base-2 digital net (Sobol', Joe–Kuo direction numbers through
  :class:`scipy.stats.qmc.Sobol`) in Gray-code order, which is GF(2)-linear in the
  index. ``randomize=True`` applies a uniform random digital shift (XOR of the 52 bits
  after the point).
"""

import numpy as np

from .._random import as_generator
from .._validate import check_int, check_power_of_two

__all__ = ["lattice", "digital_net"]

_KOROBOV_A = 76_605
_BITS = 52  # binary digits kept after the point (float64 holds 52 exactly in [0, 1))


def _check_nd(n, d):
    n = check_int(n, "n", low=1)
    check_power_of_two(n, "n")
    return n, check_int(d, "d", low=1)


def generating_vector(d):
    """The lattice's generating vector (d,) as int64: z_j = a^j mod 2^32, z_0 = 1."""
    z = np.empty(d, dtype=np.int64)
    value = 1
    for j in range(d):
        z[j] = value
        value = (value * _KOROBOV_A) % (1 << 32)
    return z


def radical_inverse(n):
    """φ(i) for i < n (n a power of two): bitrev_m(i) / n, exact in float64."""
    m = n.bit_length() - 1
    i = np.arange(n, dtype=np.int64)
    rev = np.zeros(n, dtype=np.int64)
    for b in range(m):
        rev |= ((i >> b) & 1) << (m - 1 - b)
    return rev, m


def lattice(n, d, *, randomize=True, rng=None):
    """Rank-1 lattice points (n, d) in [0, 1), radical-inverse order (see the module).

    Parameters
    ----------
    n : int
        Number of points, a power of two.
    d : int
        Dimension, >= 1.
    randomize : bool, optional
        Add a uniform random shift modulo 1 (``False``: ``x[0] == 0``).
    rng : {None, int, numpy.random.Generator}, optional
        Seed or generator for the shift (SPEC 7).

    Returns
    -------
    ndarray (n, d), float64
    """
    gen = as_generator(rng)
    n, d = _check_nd(n, d)
    rev, m = radical_inverse(n)
    z = generating_vector(d)
    # frac(rev * z / n) exactly: (rev * z) mod n over n, in integers (no rounding)
    x = ((rev[:, None] * (z[None, :] % n)) % n).astype(np.float64) / n
    if randomize:
        x = (x + gen.random(d)[None, :]) % 1.0
    return x


def digital_net(n, d, *, randomize=True, rng=None):
    """Base-2 digital net (Sobol') points (n, d) in [0, 1), Gray-code order.

    Parameters and returns as for :func:`lattice`; ``randomize`` applies a uniform
    random digital shift (``False``: ``x[0] == 0``).
    """
    gen = as_generator(rng)
    n, d = _check_nd(n, d)
    from scipy.stats import qmc

    if d > qmc.Sobol.MAXDIM:
        raise ValueError(f"`d` must be at most {qmc.Sobol.MAXDIM} (Sobol' direction numbers); got {d}.")
    x = qmc.Sobol(d, scramble=False).random_base2(n.bit_length() - 1)
    if randomize:
        bits = to_bits(x) ^ gen.integers(0, 1 << _BITS, size=d, dtype=np.int64)[None, :]
        x = from_bits(bits)
    return x


def to_bits(x):
    """The first 52 binary digits of x in [0, 1) as int64 (exact for float64)."""
    return np.floor(np.asarray(x, dtype=np.float64) * float(1 << _BITS)).astype(np.int64)


def from_bits(b):
    return b.astype(np.float64) / float(1 << _BITS)
