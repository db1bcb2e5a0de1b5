"""Least squares: lowrank.sketched_lstsq against LAPACK's dense solvers and plain LSQR.

Problems (A built as U diag(s) V^T with s log-spaced from 1 to 1/cond, so cond(A) is
known; b = A x0 + noise):
- dense 20000 x 80, 100000 x 200 and 20000 x 500, cond 1e8, noise 1e-4;
- sparse 200000 x 300 at density 1e-2 (random entries plus a scaled identity block,
  so A has full column rank), cond not controlled.

Methods: ours ``sketched_lstsq(A, b)`` (defaults: "precondition", SRHT), with
``sketch="sparse_sign"``, and ``method="solve", eps=0.5`` (the ℓ∞ rule's sketch
size); ``numpy.linalg.lstsq`` (gelsd), ``scipy.linalg.lstsq(lapack_driver="gelsy")``
(QR with column pivoting), ``scipy.sparse.linalg.lsqr`` without a preconditioner
(atol = btol = 1e-14, at most 1000 iterations: on ill-conditioned A it stops far from
the solution, which its accuracy shows) and, for the sparse case, a dense solve of the
``toarray()`` matrix.

Accuracy (outside the timing, in float64): ``ne_ratio`` = ||A^T r|| over that of the
gelsd solution (the optimality of the residual: a backward-stable solver has it within
a small factor of 1; an unconverged one far above), and ``res_excess`` =
(||r|| - ||r_gelsd||) / ||b||. No target is set by an issue; the table is informational.
"""

import sys
import time

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import lowrank
from lowrank.testing import matrix_with_spectrum

from . import harness

NAME = "lstsq"
OURS = "ours (precondition, srht)"
TOL = {"ne_ratio": 100.0}  # ours must be about as optimal as gelsd (the sanity check)


def _dense_problem(n, d, cond, seed):
    gen = np.random.default_rng(seed)
    A = matrix_with_spectrum(n, d, np.logspace(0, -np.log10(cond), d), rng=gen).A
    b = A @ gen.standard_normal(d) + 1e-4 * gen.standard_normal(n)
    return A, b


def _sparse_problem(n, d, density, seed):
    gen = np.random.default_rng(seed)
    A = sp.random(n, d, density=density, random_state=gen, format="csr") + 0.1 * sp.eye(n, d, format="csr")
    b = A @ gen.standard_normal(d) + 1e-4 * gen.standard_normal(n)
    return A.tocsr(), b


def _accuracy(A, b, x_ref):
    def norms(x):
        r = A @ x - b
        return float(np.linalg.norm(A.T @ r)), float(np.linalg.norm(r))

    ne_ref, res_ref = norms(x_ref)
    norm_b = float(np.linalg.norm(b))

    def accuracy(result):
        x = result[0] if isinstance(result, tuple) else result
        ne, res = norms(np.asarray(x, dtype=np.float64))
        return {"ne_ratio": ne / max(ne_ref, 1e-300), "res_excess": (res - res_ref) / norm_b}
    return accuracy


def _lsqr_plain(A, b):
    out = spla.lsqr(A, b, atol=1e-14, btol=1e-14, iter_lim=1000)
    return out[0], out[2]


def _methods(A, b, seed, dense_peers):
    methods = {
        OURS: harness.Method(lambda: lowrank.sketched_lstsq(A, b, rng=seed), tol=TOL),
        "ours (precondition, sparse_sign)": harness.Method(
            lambda: lowrank.sketched_lstsq(A, b, sketch="sparse_sign", rng=seed), tol=TOL),
        "ours (solve, eps=0.5)": lambda: lowrank.sketched_lstsq(A, b, method="solve", eps=0.5, rng=seed),
        "scipy lsqr (no preconditioner)": lambda: _lsqr_plain(A, b),
    }
    if dense_peers:
        methods["numpy lstsq (gelsd)"] = lambda: np.linalg.lstsq(A, b, rcond=None)[0]
        methods["scipy lstsq (gelsy)"] = lambda: scipy.linalg.lstsq(A, b, lapack_driver="gelsy",
                                                                    check_finite=False)[0]
    else:
        methods["numpy lstsq of toarray()"] = lambda: np.linalg.lstsq(A.toarray(), b, rcond=None)[0]
    return methods


def make_cases(quick, seed, notes):
    dense = [(2000, 20), (4000, 40)] if quick else [(20000, 80), (100000, 200), (20000, 500)]
    for n, d in dense:
        start = time.perf_counter()
        A, b = _dense_problem(n, d, 1e8, seed)
        x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
        notes.append(f"dense {n}x{d}: built in {time.perf_counter() - start:.2f} s (outside the timing)")
        yield harness.Case(name=f"dense {n}x{d} cond 1e8", methods=_methods(A, b, seed, True), ours=OURS,
                           accuracy=_accuracy(A, b, x_ref), size=float(n * d), group="dense",
                           params={"n": n, "d": d, "cond": 1e8, "noise": 1e-4})
        del A, b
    n, d, density = (20000, 50, 1e-2) if quick else (200000, 300, 1e-2)
    A, b = _sparse_problem(n, d, density, seed)
    x_ref = np.linalg.lstsq(A.toarray(), b, rcond=None)[0]
    yield harness.Case(name=f"sparse {n}x{d} density {density:g}", methods=_methods(A, b, seed, False),
                       ours=OURS, accuracy=_accuracy(A, b, x_ref), size=float(n * d), group="sparse",
                       params={"n": n, "d": d, "density": density, "nnz": int(A.nnz)})


def main(argv=None):
    """Run the least-squares benchmark; returns the :class:`harness.BenchResults`."""
    args = harness.parse_args(argv, __doc__.splitlines()[0])
    notes = []
    results = harness.run_benchmark(NAME, make_cases(args.quick, args.seed, notes), args,
                                    extra=lambda: {"notes": notes, "targets": []})
    print("\nnotes:")
    for note in notes:
        print(f"  {note}")
    print("\ntargets: none set by an issue yet (the table is informational)")
    return results


if __name__ == "__main__":
    sys.exit(harness.exit_code(main()))
