"""Tests for lowrank.tensor.ChebTucker.

Polynomials of degree <= `degree` are reproduced to rounding (the Chebyshev interpolant
on Chebyshev–Gauss–Lobatto points is exact for them; tolerance 1e3 eps max|f|); the
Tucker truncation of the coefficient tensor meets `tol`; `chebval` of the rebuilt
coefficient tensor equals the model, as API.md states.
"""

import numpy as np
import pytest
from numpy.polynomial import chebyshev

import lowrank
from lowrank.tensor import ChebTucker, tucker_to_tensor

EPS = np.finfo(np.float64).eps


def _poly(X):
    x, y, z = X[:, 0], X[:, 1], X[:, 2]
    return 1 + x * y**2 - 3 * z**3 * x + 0.5 * y**4


def _rand_in(domain, n, seed):
    lo, hi = np.array(domain).T
    return lo + (hi - lo) * np.random.default_rng(seed).random((n, len(domain)))


def test_polynomials_are_reproduced_and_chebval_agrees():
    domain = [(-1.0, 2.0), (0.0, 1.0), (-3.0, 3.0)]
    model = ChebTucker.fit(_poly, domain, [2, 4, 3], tol=1e-13)
    X = _rand_in(domain, 200, 0)
    ref = _poly(X)
    assert np.abs(model(X) - ref).max() <= 1e3 * EPS * np.abs(ref).max()
    A = tucker_to_tensor(model.core, model.factors)
    t = [(2 * X[:, k] - lo - hi) / (hi - lo) for k, (lo, hi) in enumerate(domain)]
    vals = chebyshev.chebval3d(t[0], t[1], t[2], A)
    np.testing.assert_allclose(vals, model(X), rtol=0, atol=1e2 * EPS * np.abs(ref).max())
    for U, p, r in zip(model.factors, (2, 4, 3), model.ranks):
        assert U.shape == (p + 1, r)
        np.testing.assert_allclose(U.T @ U, np.eye(r), atol=1e-13)


def test_tol_bounds_the_coefficient_tensor_error_and_ranks_are_exact():
    f = lambda X: np.exp(-X[:, 0] * X[:, 1]) * np.cos(X[:, 2]) + 1 / (1 + X[:, 0] ** 2)  # noqa: E731
    domain = [(-1.0, 2.0), (0.0, 1.0), (-3.0, 3.0)]
    full = ChebTucker.fit(f, domain, [12, 10, 14], ranks=(13, 11, 15))
    A = tucker_to_tensor(full.core, full.factors)
    for tol in (1e-2, 1e-6, 1e-10):
        m = ChebTucker.fit(f, domain, [12, 10, 14], tol=tol)
        err = np.linalg.norm(tucker_to_tensor(m.core, m.factors) - A) / np.linalg.norm(A)
        assert err <= tol
    m = ChebTucker.fit(f, domain, [12, 10, 14], ranks=2)
    assert m.ranks == (2, 2, 2)


def test_on_grid_matches_pointwise_evaluation():
    domain = [(0.0, 1.0), (-2.0, 2.0)]
    model = ChebTucker.fit(lambda X: np.sin(3 * X[:, 0]) * X[:, 1] ** 2, domain, 16)
    a, b = np.linspace(0, 1, 5), np.linspace(-2, 2, 7)
    grid = model.on_grid(a, b)
    A, B = np.meshgrid(a, b, indexing="ij")
    np.testing.assert_allclose(grid, model(np.column_stack([A.ravel(), B.ravel()])).reshape(5, 7), atol=1e-13)
    np.testing.assert_allclose(grid, np.sin(3 * A) * B**2, atol=1e-6)


def test_one_variable_degree_zero_and_constants():
    m = ChebTucker.fit(lambda X: np.sin(X[:, 0]), [(0.0, np.pi)], 14)
    np.testing.assert_allclose(m(np.array([[1.0], [2.0]])), np.sin([1.0, 2.0]), atol=1e-10)
    c = ChebTucker.fit(lambda X: np.full(X.shape[0], 2.5), [(0, 1), (0, 1)], 0)
    np.testing.assert_allclose(c(np.array([[0.3, 0.9]])), [2.5])
    z = ChebTucker.fit(lambda X: np.zeros(X.shape[0]), [(0, 1), (0, 1)], 3)
    assert np.all(z(np.array([[0.5, 0.5]])) == 0)


def test_bad_arguments():
    ok = [(0.0, 1.0), (0.0, 1.0)]
    f = lambda X: X[:, 0]  # noqa: E731
    for bad_f in (lambda X: X[:2, 0], lambda X: np.full(X.shape[0], np.nan), lambda X: None,
                  lambda X: np.array(["a"] * X.shape[0]), lambda X: 1 / 0, 42):
        with pytest.raises(ValueError, match="`f`"):
            ChebTucker.fit(bad_f, ok, 3)
    for domain in ([(1.0, 0.0), (0.0, 1.0)], [(0.0, np.inf)], [(0.0,)], [], 5):
        with pytest.raises((ValueError, TypeError), match="domain"):
            ChebTucker.fit(f, domain, 3)
    for degree in (-1, [3], 2.5, True):
        with pytest.raises((ValueError, TypeError), match="degree"):
            ChebTucker.fit(f, ok, degree)
    for tol in (0.0, 1.0):
        with pytest.raises(ValueError, match="tol"):
            ChebTucker.fit(f, ok, 3, tol=tol)
    with pytest.raises(ValueError, match="ranks"):
        ChebTucker.fit(f, ok, 3, ranks=(5, 1))
    m = ChebTucker.fit(f, ok, 3)
    with pytest.raises(ValueError, match="X"):
        m(np.ones((2, 3)))
    with pytest.raises(ValueError, match="axis"):
        m.on_grid(np.ones(3))
    assert lowrank.ChebTucker is ChebTucker
