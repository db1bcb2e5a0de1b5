r"""Shift-invariant kernels for lattices and digitally-shift-invariant kernels for nets.

Both are products over the d coordinates of 1 + w_j K_{α_j}(·), times `scale`
(QMCPy's ``KernelShiftInvar`` / ``KernelDigShiftInvar`` with ``lengthscales = w``).

- Shift-invariant: K_a(t) = (−1)^{a+1} (2π)^{2a} / (2a)! · B_{2a}(t) at
  t = (x_j − z_j) mod 1, B_m the Bernoulli polynomial (exact rational coefficients),
  i.e. Σ_{h≠0} e^{2πiht} / |h|^{2a}; a in 1..5.
- Digitally shift-invariant: the closed forms K_1..K_4 of API.md at t = x_j ⊕ z_j
  (XOR of the 52 binary digits after the point), with β = −floor(log2 t) and the
  limits 1, 3/2, 25/18, 407/294 at t = 0.
"""

import math
from fractions import Fraction

import numpy as np

from .._validate import as_float_array, check_float, check_int, per_axis
from .points import from_bits, to_bits

__all__ = ["ShiftInvariantKernel", "DigitalShiftInvariantKernel"]

# Bernoulli polynomials B_{2a}(t), coefficients of t^0..t^{2a} (exact)
_BERNOULLI = {
    2: [Fraction(1, 6), Fraction(-1), Fraction(1)],
    4: [Fraction(-1, 30), 0, Fraction(1), Fraction(-2), Fraction(1)],
    6: [Fraction(1, 42), 0, Fraction(-1, 2), 0, Fraction(5, 2), Fraction(-3), Fraction(1)],
    8: [Fraction(-1, 30), 0, Fraction(2, 3), 0, Fraction(-7, 3), 0, Fraction(14, 3), Fraction(-4), Fraction(1)],
    10: [Fraction(5, 66), 0, Fraction(-3, 2), 0, Fraction(5), 0, Fraction(-7), 0, Fraction(15, 2), Fraction(-5),
         Fraction(1)],
}


def _si_coefficients(a):
    """Polynomial coefficients (t^0..) of K_a(t) = (−1)^{a+1} (2π)^{2a}/(2a)! B_{2a}(t)."""
    factor = (-1) ** (a + 1) * (2 * math.pi) ** (2 * a) / math.factorial(2 * a)
    return np.array([float(c) * factor for c in _BERNOULLI[2 * a]])


def _check_kernel_args(d, alpha, weights, scale, max_alpha):
    d = check_int(d, "d", low=1)
    alpha = [check_int(a, "alpha", low=1, high=max_alpha) for a in per_axis(alpha, "alpha", d, "dimension")]
    if weights is None:
        w = np.full(d, 2.0 ** (1.0 / d) - 1.0)
    else:
        w = as_float_array(weights, "weights", ndim=1)
        if w.shape[0] != d:
            raise ValueError(f"`weights` must have one value per dimension ({d}); got {w.shape[0]}.")
        if np.any(w < 0):
            raise ValueError("`weights` must be >= 0.")
        w = w.astype(np.float64)
    scale = check_float(scale, "scale", low=0, low_open=True)
    return d, np.array(alpha), w, scale


def _pair(kernel, x, z):
    x = as_float_array(x, "x", min_ndim=1).astype(np.float64, copy=False)
    z = as_float_array(z, "z", min_ndim=1).astype(np.float64, copy=False)
    for name, p in (("x", x), ("z", z)):
        if p.shape[-1] != kernel.d:
            raise ValueError(f"`{name}` must have last axis d = {kernel.d}; got shape {p.shape}.")
    return np.broadcast_arrays(x, z)


class ShiftInvariantKernel:
    """K(x, z) = scale · Π_j (1 + weights[j] K_{alpha_j}((x_j − z_j) mod 1)); alpha in 1..5.

    Calling ``kernel(x, z)`` evaluates pairwise with broadcasting over leading axes
    (``x[:, None]``, ``z[None, :]`` gives the Gram matrix).
    """

    def __init__(self, d, *, alpha=2, weights=None, scale=1.0):
        self.d, self.alpha, self.weights, self.scale = _check_kernel_args(d, alpha, weights, scale, 5)
        self._coeffs = [_si_coefficients(int(a)) for a in self.alpha]

    def univariate(self, t, j):
        """K_{alpha_j}(t) for t in [0, 1)."""
        return np.polynomial.polynomial.polyval(t, self._coeffs[j])

    def __call__(self, x, z):
        x, z = _pair(self, x, z)
        t = np.mod(x - z, 1.0)
        out = np.full(t.shape[:-1], self.scale)
        for j in range(self.d):
            out = out * (1.0 + self.weights[j] * self.univariate(t[..., j], j))
        return out


class DigitalShiftInvariantKernel:
    """K(x, z) = scale · Π_j (1 + weights[j] K_{alpha_j}(x_j ⊕ z_j)); alpha in 1..4."""

    def __init__(self, d, *, alpha=2, weights=None, scale=1.0):
        self.d, self.alpha, self.weights, self.scale = _check_kernel_args(d, alpha, weights, scale, 4)

    @staticmethod
    def univariate_bits(b, a):
        """K_a(t) for t given by its 52 binary digits b (int64)."""
        t = from_bits(b)
        zero = b == 0
        safe = np.where(zero, 1, b)
        beta = 52.0 - np.floor(np.log2(safe.astype(np.float64)))  # t = b 2^-52: -floor(log2 t)
        beta = np.where(zero, 0.0, beta)
        p1 = np.where(zero, 0.0, 2.0 ** (-beta))
        if a == 1:
            out = 1.0 - 3.0 * p1
            limit = 1.0
        elif a == 2:
            out = -beta * t + 2.5 * (1.0 - p1) - 1.0
            limit = 1.5
        elif a == 3:
            out = beta * t**2 - 5.0 * (1.0 - p1) * t + 43.0 / 18.0 * (1.0 - p1**2) - 1.0
            limit = 25.0 / 18.0
        else:
            s = np.zeros(t.shape)
            for k in range(52):  # S(t) = sum_a (-1)^{t_{a+1}} 2^{-3a}
                digit = (b >> (51 - k)) & 1
                s += np.where(digit == 1, -1.0, 1.0) * 2.0 ** (-3 * k)
            out = (-2.0 / 3.0 * beta * t**3 + 5.0 * (1.0 - p1) * t**2 - 43.0 / 9.0 * (1.0 - p1**2) * t
                   + 701.0 / 294.0 * (1.0 - p1**3) + beta * (s / 48.0 - 1.0 / 42.0) - 1.0)
            limit = 407.0 / 294.0
        return np.where(zero, limit, out)

    def __call__(self, x, z):
        x, z = _pair(self, x, z)
        b = to_bits(x) ^ to_bits(z)
        out = np.full(b.shape[:-1], self.scale)
        for j in range(self.d):
            out = out * (1.0 + self.weights[j] * self.univariate_bits(b[..., j], int(self.alpha[j])))
        return out
