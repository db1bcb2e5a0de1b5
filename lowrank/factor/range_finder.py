"""Randomized range finder (Halko, Martinsson & Tropp 2011) and its building blocks."""

import numpy as np
import scipy.linalg

from .._linalg import gram, mm, project_out
from .._operators import as_operator
from .._random import as_generator
from .._validate import check_int

__all__ = ["range_finder"]


def orth(Y):
    """Orthonormal basis of the columns of Y.

    Tall blocks go through shifted Cholesky QR (three passes, all BLAS-3; Fukaya,
    Kannan, Nakatsukasa, Yamamoto & Yanagisawa, SISC 42(1), 2020), which is stable for
    cond(Y) up to O(1/eps) and several times faster than Householder QR on the thin
    blocks of a range finder (LAPACK's QR of a 4000 x 60 block runs slower with threads
    than without). When Y is (numerically) rank-deficient the passes do not converge to
    orthonormality, and Householder QR — which completes a basis for any Y — is used.
    """
    m, width = Y.shape
    if width == 0:
        return Y
    if m >= 4 * width:
        QR = _cholesky_qr(Y)
        if QR is not None:
            return QR[0]
    Q, _ = scipy.linalg.qr(Y, mode="economic", check_finite=False)
    return Q


def _cholesky_qr(Y):
    """Shifted CholeskyQR3 of a tall Y: (Q, R) with Y = QR, or None when Y is too
    ill-conditioned for it.

    R is the product of the passes' triangular factors (O(width³), no product with Y);
    the residual ||Y - QR|| is O(eps ||Y||) like that of Householder QR (Fukaya et al.).

    The third pass only runs when the second one starts from a basis that is still far
    from orthonormal (max |Q^H Q - I| > 0.1, i.e. cond(Y) beyond about eps^(-1/2)):
    from a nearly orthonormal Q one Cholesky QR pass already reaches O(eps)
    orthogonality, so a well-conditioned block costs two passes.
    """
    m, width = Y.shape
    scale = float(np.max(np.abs(Y)))
    if not (np.isfinite(scale) and scale > 0.0):
        return None
    eps = np.finfo(Y.dtype).eps
    trsm = scipy.linalg.get_blas_funcs("trsm", (Y,))
    Q = Y * Y.dtype.type(1.0 / scale)  # a scaled copy: the Gram matrix cannot overflow
    R_total = None
    for p in range(3):
        G = gram(Q)
        if p == 0:
            shift = 11 * (m * width + width * (width + 1)) * eps * float(np.trace(G).real)
            G[np.diag_indices(width)] += G.dtype.type(shift)
        else:
            departure = float(np.max(np.abs(G - np.eye(width, dtype=G.dtype))))
            if p == 2 and departure > 0.1:
                return None  # not converging: Y is numerically rank-deficient
        try:
            R = scipy.linalg.cholesky(G, lower=False, check_finite=False)
        except np.linalg.LinAlgError:
            return None
        # Q <- Q R^{-1}, as (R^{-T} Q^T)^T so that BLAS sees Q's memory as it is
        Q = trsm(1.0, R, Q.T, side=0, lower=0, trans_a=1).T
        R_total = R if R_total is None else mm(R, R_total)
        if p == 1 and departure <= 0.1:
            break
    if not np.all(np.isfinite(Q)):
        return None
    return np.ascontiguousarray(Q), R_total * R_total.dtype.type(scale)


def reorth(Y, Q_old):
    """Orthonormal columns spanning the part of Y orthogonal to the orthonormal Q_old.

    Block Gram–Schmidt with a QR after each projection ("twice is enough", with a third
    pass when a block lay numerically inside span(Q_old)). Directions that are entirely
    inside span(Q_old) — the block has nothing new — are replaced by an orthonormal
    completion, so the result is always orthonormal and orthogonal to Q_old.
    """
    if Q_old is None or Q_old.shape[1] == 0:
        return orth(Y)
    eps = np.finfo(Y.dtype).eps
    limit = 10 * eps * np.sqrt(Q_old.shape[0])
    for _ in range(3):
        Y = orth(project_out(Y, Q_old))
        if np.max(np.abs(mm(Q_old, Y, "H")), initial=0.0) <= limit:
            return Y
    return complete_basis(Q_old, Y.shape[1], Y.dtype)[:, Q_old.shape[1]:]


def complete_basis(Q, size, dtype):
    """Q (m, k) orthonormal, extended by orthonormal columns to (m, size).

    The new directions come from a fixed-seed Gaussian (deterministic, and independent
    of the caller's generator, whose stream is left untouched), projected twice.
    """
    m, k = Q.shape
    if size <= k:
        return Q
    fill = np.random.default_rng(m * 1_000_003 + size).standard_normal((m, size - k)).astype(dtype)
    for _ in range(2):
        if k:
            fill = project_out(fill, Q)
        fill = orth(fill)
    return np.hstack([Q, fill])


def gaussian_test_matrix(gen, n, width, dtype):
    """An (n, width) N(0, 1) test matrix, drawn in float64 and rounded to ``dtype``
    (so that every dtype and input type sees the same draw for the same seed)."""
    return gen.standard_normal((n, width)).astype(dtype, copy=False)


def subspace_iteration(op, Q, n_iter):
    """``n_iter`` passes of Q <- orth(A orth(A^H Q)): the power method on A A^H with
    re-orthonormalisation between passes (HMT 2011, Alg. 4.4)."""
    for _ in range(n_iter):
        Z = orth(op.rmatmat(Q))
        Q = orth(op.matmat(Z))
    return Q


def range_finder(A, size, *, n_iter=2, rng=None):
    r"""Orthonormal basis approximately spanning the dominant column space of ``A``.

    Draws a Gaussian test matrix :math:`\Omega \in R^{n \times size}` and returns
    :math:`Q = \mathrm{orth}((AA^H)^q A\Omega)`, orthonormalising after every product.

    Parameters
    ----------
    A : array_like, sparse matrix or LinearOperator, shape (m, n)
        Real or complex; integers become float64, float32 stays float32.
    size : int
        Number of basis vectors, ``1 <= size <= m``. Columns beyond the rank of `A`
        complete an orthonormal basis.
    n_iter : int, optional
        Number of power (subspace) iterations q >= 0.
    rng : {None, int, numpy.random.Generator}, optional
        Seed or generator (SPEC 7).

    Returns
    -------
    Q : ndarray, shape (m, size)
        Orthonormal columns, in the dtype of `A`.

    Raises
    ------
    ValueError
        If `size` or `n_iter` is out of range, or `A` is empty or not finite.
    TypeError
        For a non-numeric `A` or a bad `rng`.

    Notes
    -----
    :math:`2q + 1` products with blocks of width `size` plus :math:`O(m\,size^2)` for
    the QR factorisations. The expected error :math:`\|A - QQ^HA\|` approaches the
    optimal :math:`\sigma_{size+1}` as :math:`(\sigma_{j}/\sigma_{k})^{2q+1}` shrinks
    (Halko, Martinsson & Tropp, SIAM Review 53(2), 2011, Thm. 9.2 and Cor. 10.10).

    Examples
    --------
    >>> import numpy as np
    >>> from lowrank import range_finder
    >>> A = np.outer(np.arange(1.0, 6.0), np.ones(4))  # rank one
    >>> Q = range_finder(A, 2, rng=0)
    >>> bool(np.allclose(Q.T @ Q, np.eye(2)) and np.allclose(Q @ (Q.T @ A), A))
    True
    """
    gen = as_generator(rng)
    op = as_operator(A, "A")
    m, n = op.shape
    size = check_int(size, "size", low=1, high=m)
    n_iter = check_int(n_iter, "n_iter", low=0)
    Q = orth(op.matmat(gaussian_test_matrix(gen, n, size, op.dtype)))
    Q = subspace_iteration(op, Q, n_iter)
    # with n < size, A^H Q has only n columns: the range is found; complete the basis
    return complete_basis(Q, size, op.dtype)
