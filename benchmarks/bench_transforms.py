"""Fast transforms: lowrank.fwht and lowrank.fftbr against QMCPy, pyfwht and scipy.fft.

Problems (accuracy checked before timing; inaccurate methods are not timed):

* ``fwht`` of single vectors, n = 2^10 ... 2^22, float64 and float32: ours vs
  ``qmcpy.fwht`` (the "ortho" normalisation; skipped above ``--qmcpy-max-log2``,
  2^18 by default, as it is ~40x slower), ``pyfwht.fwht`` with the ``cpu`` and
  ``openmp`` backends (float64 only: pyfwht has no float32 path; the default
  ``auto`` backend is never used, it tries CUDA), and ``scipy.fft.rfft`` /
  ``scipy.fft.fft`` of the same real input as reference points. The reference
  is ``x @ scipy.linalg.hadamard(n)`` for n <= 2^12, else pyfwht's cpu
  backend in float64 (NumPy butterflies when pyfwht is missing).
* ``fftbr`` of complex single vectors (complex128, complex64): ours vs
  ``qmcpy.fftbr`` and ``scipy.fft.fft`` of the same complex input and of its
  real part; and ``fftbr`` of real input (float64, float32) vs ``qmcpy.fftbr``,
  ``scipy.fft.fft`` and ``scipy.fft.rfft`` of that input. The reference is
  ``scipy.fft.fft(x[bitrev])`` in complex128 with an independently built
  bit-reversal permutation. Reference points (plain FFTs, a different
  transform) are checked by Parseval's identity.
* batches of 256 x 2^14 and 4096 x 2^10 (the last axis transformed) for both.

Every problem also has a memory floor: input plus output bytes, each moved
once, at the bandwidth of :func:`benchmarks.harness.copy_bandwidth`.

After the table, the ratios that the project's targets name are printed with
PASS/MISS per target (informational only: the exit status reflects accuracy of
ours alone), along with the first-call latency of ``lowrank.fwht`` in a fresh
process (empty and warm Numba cache) and the ``import lowrank`` time (both
skipped with ``--quick``).

Run from the repository root::

    python -m benchmarks.bench_transforms [--quick] [--out DIR]
"""

import math
import os
import sys
import tempfile

import numpy as np
import scipy.fft

import lowrank
from benchmarks import harness

NAME = "transforms"
FULL_LOG2 = tuple(range(10, 23))
QUICK_LOG2 = (10, 12)
FULL_BATCHES = ((256, 1 << 14), (4096, 1 << 10))
QUICK_BATCHES = ((4, 1 << 10),)
REAL_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
HADAMARD_MAX = 1 << 12  # largest n whose reference is the dense product x @ H_n
TOL_FACTOR = 4.0  # relative max error allowed: TOL_FACTOR * log2(n) * eps
PYFWHT_BACKENDS = ("cpu", "openmp")

OURS_FWHT, OURS_FFTBR = "lowrank.fwht", "lowrank.fftbr"


# --------------------------------------------------------------------------- peers


def _qmcpy():
    import qmcpy  # ImportError -> "unavailable"

    return qmcpy


def _pyfwht():
    import pyfwht  # ImportError -> "unavailable"

    return pyfwht


# --------------------------------------------------------------------------- references


def _log2(n):
    return n.bit_length() - 1


def _tol(n, dtype):
    """Relative max error allowed for a transform of length `n` in `dtype`."""
    return TOL_FACTOR * max(1, _log2(n)) * float(np.finfo(dtype).eps)


def _rel_err(y, ref, scale=1.0):
    """``max |scale * y - ref| / max |ref|``, computed in the reference's precision."""
    y = np.asarray(y).astype(ref.dtype, copy=True)
    if scale != 1.0:
        y *= scale
    denom = float(np.max(np.abs(ref)))
    return float(np.max(np.abs(y - ref))) / (denom if denom > 0 else 1.0)


def _numpy_fwht(x):
    """Natural-order FWHT along the last axis in float64 by NumPy butterflies (slow, independent)."""
    y = np.array(x, dtype=np.float64)
    lead, n = y.shape[:-1], y.shape[-1]
    h = 1
    while h < n:
        y = y.reshape(*lead, n // (2 * h), 2, h)
        a, b = y[..., 0, :], y[..., 1, :]
        y = np.stack((a + b, a - b), axis=-2).reshape(*lead, n)
        h *= 2
    return y


def _fwht_reference(x):
    """(float64 reference of ``x @ H_n`` along the last axis, how it was computed)."""
    x64 = np.ascontiguousarray(x, dtype=np.float64)
    n = x64.shape[-1]
    if x64.ndim == 1 and n <= HADAMARD_MAX:
        import scipy.linalg

        return x64 @ scipy.linalg.hadamard(n, dtype=np.float64), "x @ hadamard(n)"
    try:
        return _pyfwht().fwht(x64, backend="cpu"), "pyfwht cpu (float64)"
    except ImportError:
        return _numpy_fwht(x64), "NumPy butterflies (float64)"


def _bitrev_reference(n):
    """Bit-reversal permutation of range(n), built bit by bit (independent of lowrank.bitrev)."""
    m = _log2(n)
    i = np.arange(n, dtype=np.int64)
    rev = np.zeros(n, dtype=np.int64)
    for bit in range(m):
        rev |= ((i >> bit) & 1) << (m - 1 - bit)
    return rev


def _fftbr_reference(x):
    """complex128 ``fft(x[..., bitrev(n)])`` along the last axis."""
    z = np.asarray(x).astype(np.complex128)
    return scipy.fft.fft(z[..., _bitrev_reference(z.shape[-1])], axis=-1)


def _parseval_check(x, half):
    """Accuracy of a plain FFT (a reference point): relative error of Parseval's identity.

    `half` is True for ``rfft`` output (bins 1 .. n/2-1 count twice).
    """
    x64 = np.asarray(x)
    n = x64.shape[-1]
    energy = n * float(np.sum(np.abs(x64.astype(np.complex128)) ** 2))

    def accuracy(y):
        power = np.abs(np.asarray(y).astype(np.complex128)) ** 2
        if half:
            total = power[..., 0].sum() + power[..., -1].sum() + 2.0 * power[..., 1:-1].sum()
        else:
            total = power.sum()
        return {"parseval_err": abs(float(total) - energy) / energy}

    return accuracy


def _reference_point(func, x, half, tol):
    return harness.Method(func, accuracy=_parseval_check(x, half), tol={"parseval_err": tol})


def _checked(func, ref, tol, scale=1.0):
    return harness.Method(func, accuracy=lambda y: {"rel_err": _rel_err(y, ref, scale)},
                          tol={"rel_err": tol})


# --------------------------------------------------------------------------- problems


def _shape_label(x):
    n = x.shape[-1]
    return f"n=2^{_log2(n)}" if x.ndim == 1 else f"{x.shape[0]}x2^{_log2(n)}"


def _fwht_case(x, bandwidth, qmcpy_max, notes):
    n, dtype, batch = x.shape[-1], x.dtype, (x.shape[0] if x.ndim == 2 else 1)
    ref, ref_name = _fwht_reference(x)
    tol = _tol(n, dtype)
    name = f"fwht {_shape_label(x)} {dtype}"
    skipped = []
    methods = {OURS_FWHT: _checked(lambda: lowrank.fwht(x), ref, tol)}
    if x.size <= qmcpy_max:
        methods["qmcpy.fwht"] = _checked(lambda: _qmcpy().fwht(x), ref, tol, scale=math.sqrt(n))
    else:
        skipped.append(f"qmcpy.fwht (size > 2^{_log2(qmcpy_max)}; ~40x slower)")
    if dtype == np.float64:
        for backend in PYFWHT_BACKENDS:
            methods[f"pyfwht[{backend}]"] = _checked(
                lambda backend=backend: _pyfwht().fwht(x, backend=backend), ref, tol)
    else:
        skipped.append("pyfwht (no float32 support: float64, int32, int8 only)")
    ptol = _tol(n, dtype)
    methods["scipy.rfft"] = _reference_point(lambda: scipy.fft.rfft(x, axis=-1), x, True, ptol)
    methods["scipy.fft"] = _reference_point(lambda: scipy.fft.fft(x, axis=-1), x, False, ptol)
    if skipped:
        notes.append(f"{name}: skipped " + "; ".join(skipped))
    return harness.Case(
        name=name, methods=methods, ours=OURS_FWHT,
        floors={"memory": harness.memory_floor_seconds(x.nbytes, x.nbytes, bandwidth)},
        size=float(n) if x.ndim == 1 else None,
        group=f"fwht {dtype}" if x.ndim == 1 else "batch fwht",
        params={"kind": "fwht", "n": n, "batch": batch, "dtype": str(dtype),
                "reference": ref_name, "skipped": skipped})


def _fftbr_case(x, bandwidth, qmcpy_max, notes):
    """fftbr of `x` (complex: also timed against fft of its real part; real: against rfft)."""
    n, dtype, batch = x.shape[-1], x.dtype, (x.shape[0] if x.ndim == 2 else 1)
    is_complex = np.iscomplexobj(x)
    ref = _fftbr_reference(x)
    out_dtype = np.result_type(dtype, np.complex64)
    tol = _tol(n, out_dtype)
    kind = "fftbr" if is_complex else "fftbr_real"
    label = "fftbr" if is_complex else "fftbr real"
    name = f"{label} {_shape_label(x)} {dtype}"
    skipped = []
    methods = {OURS_FFTBR: _checked(lambda: lowrank.fftbr(x), ref, tol)}
    if x.size <= qmcpy_max:
        methods["qmcpy.fftbr"] = _checked(lambda: _qmcpy().fftbr(x), ref, tol, scale=math.sqrt(n))
    else:
        skipped.append(f"qmcpy.fftbr (size > 2^{_log2(qmcpy_max)}; ~40x slower)")
    methods["scipy.fft"] = _reference_point(lambda: scipy.fft.fft(x, axis=-1), x, False, tol)
    if is_complex:
        xr = np.ascontiguousarray(x.real)
        methods["scipy.fft(real part)"] = _reference_point(
            lambda: scipy.fft.fft(xr, axis=-1), xr, False, tol)
    else:
        methods["scipy.rfft"] = _reference_point(lambda: scipy.fft.rfft(x, axis=-1), x, True, tol)
    if skipped:
        notes.append(f"{name}: skipped " + "; ".join(skipped))
    out_bytes = x.size * np.dtype(out_dtype).itemsize
    return harness.Case(
        name=name, methods=methods, ours=OURS_FFTBR,
        floors={"memory": harness.memory_floor_seconds(x.nbytes, out_bytes, bandwidth)},
        size=float(n) if x.ndim == 1 else None,
        group=f"{label} {dtype}" if x.ndim == 1 else "batch fftbr",
        params={"kind": kind, "n": n, "batch": batch, "dtype": str(dtype),
                "reference": "scipy.fft.fft(x[bitrev]) (complex128)", "skipped": skipped})


def make_cases(quick, seed, bandwidth, qmcpy_max, notes):
    """The problems, built one at a time (a generator: memory stays at one problem)."""
    rng = np.random.default_rng(seed)
    log2s = QUICK_LOG2 if quick else FULL_LOG2
    batches = QUICK_BATCHES if quick else FULL_BATCHES

    def real(shape, dtype):
        return rng.standard_normal(shape).astype(dtype)

    def cplx(shape, dtype):
        ctype = np.result_type(dtype, np.complex64)
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(ctype)

    for dtype in REAL_DTYPES:
        for k in log2s:
            yield _fwht_case(real(1 << k, dtype), bandwidth, qmcpy_max, notes)
    for dtype in REAL_DTYPES:
        for k in log2s:
            yield _fftbr_case(cplx(1 << k, dtype), bandwidth, qmcpy_max, notes)
    for dtype in REAL_DTYPES:
        for k in log2s:
            yield _fftbr_case(real(1 << k, dtype), bandwidth, qmcpy_max, notes)
    for dtype in REAL_DTYPES:
        for b, n in batches:
            yield _fwht_case(real((b, n), dtype), bandwidth, qmcpy_max, notes)
    for dtype in REAL_DTYPES:
        for b, n in batches:
            yield _fftbr_case(cplx((b, n), dtype), bandwidth, qmcpy_max, notes)


# --------------------------------------------------------------------------- latency


LATENCY_SETUP = "import numpy as np, lowrank; x = np.ones(2**20)"


# The floor of both latencies for any Numba library on this machine: importing numpy
# and numba, and the first call of a one-loop cached kernel (it loads numba's typing
# and lowering registries, which import scipy.linalg for numba's BLAS check).
_FLOOR_KERNEL = """import numba


@numba.njit(cache=True)
def total(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i]
    return s
"""


def measure_latency():
    """First-call latency of lowrank.fwht (cold and warm Numba cache) and import time, seconds,
    with the same two latencies of a bare Numba program as the floor."""
    out = {}
    try:
        cw = harness.cold_warm_latency(harness.timed_snippet("lowrank.fwht(x)", LATENCY_SETUP),
                                       repeats=5)
        out["first_fwht_call_cold_cache_s"], out["first_fwht_call_warm_cache_s"] = cw.cold, cw.warm
    except Exception as exc:  # noqa: BLE001 - recorded, never fatal
        out["first_fwht_call_error"] = f"{type(exc).__name__}: {exc}"
    try:
        out["import_lowrank_s"] = harness.fresh_process_latency(
            harness.timed_snippet("import lowrank"), repeats=5)
        out["import_lowrank_after_numpy_s"] = harness.fresh_process_latency(
            harness.timed_snippet("import lowrank", "import numpy"), repeats=5)
    except Exception as exc:  # noqa: BLE001
        out["import_error"] = f"{type(exc).__name__}: {exc}"
    try:
        out.update(_latency_floor())
    except Exception as exc:  # noqa: BLE001
        out["floor_error"] = f"{type(exc).__name__}: {exc}"
    return out


def _latency_floor():
    """``import numpy, numba`` and a trivial cached kernel's first call, fresh processes, seconds."""
    with tempfile.TemporaryDirectory(prefix="lowrank-latency-floor-") as folder:
        with open(os.path.join(folder, "floor_kernel.py"), "w") as f:
            f.write(_FLOOR_KERNEL)
        env = {"PYTHONPATH": folder}
        call = harness.timed_snippet("floor_kernel.total(x)",
                                     "import numpy as np, floor_kernel; x = np.ones(2**20)")
        harness.fresh_process_latency(call, env=env, repeats=1)  # fills the kernel's cache
        return {"floor_import_numpy_numba_s": harness.fresh_process_latency(
                    harness.timed_snippet("import numpy, numba"), repeats=5),
                "floor_first_cached_numba_call_s": harness.fresh_process_latency(call, env=env, repeats=5)}


# --------------------------------------------------------------------------- ratios and targets


def _index(results):
    """``{(kind, dtype, batch, n): CaseResult}``."""
    return {(c.params["kind"], c.params["dtype"], c.params["batch"], c.params["n"]): c
            for c in results.cases}


def _ours_over(case, peer):
    """Median of ours over the median of `peer` (below 1: ours is faster), or None."""
    if case is None or case.ours_result.status != harness.OK:
        return None
    try:
        m = case.method(peer)
    except KeyError:
        return None
    return 1.0 / m.ratio_to_ours if m.status == harness.OK and m.ratio_to_ours else None


def _ours_over_best_pyfwht(case):
    """ours / min(pyfwht cpu, pyfwht openmp) median."""
    ratios = [_ours_over(case, f"pyfwht[{b}]") for b in PYFWHT_BACKENDS]
    ratios = [r for r in ratios if r is not None]
    return max(ratios) if ratios else None


def _ours_over_floor(case):
    if case is None or case.ours_result.status != harness.OK:
        return None
    return case.floor_ratios().get("memory")


def _fmt(value, spec=".2f", suffix="x"):
    return "-" if value is None else f"{value:{spec}}{suffix}"


def ratio_table(results):
    """Rows of the key ratios (ours over peer medians: below 1, ours is faster)."""
    lines = []
    specs = {
        "fwht": ("ours/pyfwht(best)", "ours/rfft", "ours/fft", "ours/qmcpy", "ours/floor"),
        "fftbr": ("ours/fft(same)", "ours/fft(real part)", "ours/qmcpy", "ours/floor"),
        "fftbr_real": ("ours/fft(same)", "ours/rfft", "ours/qmcpy", "ours/floor"),
    }
    for kind, header in specs.items():
        cases = [c for c in results.cases if c.params["kind"] == kind]
        if not cases:
            continue
        lines.append(f"{kind:<28}" + "".join(f"{h:>21}" for h in ("ours median", *header)))
        for c in cases:
            if kind == "fwht":
                vals = (_ours_over_best_pyfwht(c), _ours_over(c, "scipy.rfft"),
                        _ours_over(c, "scipy.fft"), _ours_over(c, "qmcpy.fwht"), _ours_over_floor(c))
            elif kind == "fftbr":
                vals = (_ours_over(c, "scipy.fft"), _ours_over(c, "scipy.fft(real part)"),
                        _ours_over(c, "qmcpy.fftbr"), _ours_over_floor(c))
            else:
                vals = (_ours_over(c, "scipy.fft"), _ours_over(c, "scipy.rfft"),
                        _ours_over(c, "qmcpy.fftbr"), _ours_over_floor(c))
            t = harness._fmt_time(c.ours_result.median_s)
            lines.append(f"  {c.name:<26}{t:>21}" + "".join(f"{_fmt(v):>21}" for v in vals))
    return lines


def _target(label, values, limit):
    """Target record: `values` is ``[(where, ratio or None)]``; PASS when all measured <= limit."""
    measured = [(w, v) for w, v in values if v is not None]
    if not measured:
        status = "n/a"
    else:
        status = "PASS" if all(v <= limit for _, v in measured) else "MISS"
    worst = max(measured, key=lambda wv: wv[1]) if measured else None
    return {"target": label, "limit": limit, "status": status,
            "values": {w: v for w, v in measured},
            "worst": None if worst is None else {"where": worst[0], "value": worst[1]}}


def evaluate_targets(results):
    """The project's performance targets, each PASS, MISS or n/a (not measured in this run)."""
    idx = _index(results)
    f64, f32, c128, c64 = "float64", "float32", "complex128", "complex64"
    single = (lambda kind, dtype: sorted(((n, c) for (k, d, b, n), c in idx.items()
                                          if k == kind and d == dtype and b == 1),
                                         key=lambda nc: nc[0]))
    targets = []
    targets.append(_target(
        "fwht at least as fast as pyfwht (best backend) at 2^20 and 2^22, float64 [ours/pyfwht <= 1]",
        [(f"2^{k}", _ours_over_best_pyfwht(idx.get(("fwht", f64, 1, 1 << k)))) for k in (20, 22)],
        1.0))
    targets.append(_target(
        "fwht <= 0.5x scipy.rfft for n >= 2^16 [ours/rfft]",
        [(f"2^{_log2(n)} {d}", _ours_over(c, "scipy.rfft"))
         for d in (f64, f32) for n, c in single("fwht", d) if n >= 1 << 16], 0.5))
    targets.append(_target(
        "fwht within 3x of the memory floor at 2^22 [ours/floor]",
        [(f"2^22 {d}", _ours_over_floor(idx.get(("fwht", d, 1, 1 << 22)))) for d in (f64, f32)],
        3.0))
    targets.append(_target(
        "fwht batch 4096x2^10 no slower than scipy.rfft on the same batch [ours/rfft]",
        [(f"4096x2^10 {d}", _ours_over(idx.get(("fwht", d, 4096, 1 << 10)), "scipy.rfft"))
         for d in (f64, f32)], 1.0))
    targets.append(_target(
        "fftbr <= 1.2x scipy.fft.fft, same complex input, all n and batches [ours/fft]",
        [(f"{_shape(c)} {d}", _ours_over(c, "scipy.fft"))
         for (k, d, b, n), c in idx.items() if k == "fftbr" and d in (c128, c64)], 1.2))
    targets.append(_target(
        "fftbr <= 1.2x scipy.fft.fft, same real input, all n [ours/fft]",
        [(f"{_shape(c)} {d}", _ours_over(c, "scipy.fft"))
         for (k, d, b, n), c in idx.items() if k == "fftbr_real"], 1.2))
    lat = results.extra.get("latency", {})
    # the floors (a bare Numba program's import and first cached call) are printed with
    # the latencies; the targets themselves are absolute
    targets.append(_target("import lowrank < 0.5 s in a fresh process [seconds]",
                           [("import", lat.get("import_lowrank_s"))], 0.5))
    targets.append(_target("first lowrank.fwht(np.ones(2**20)) call, warm Numba cache < 0.5 s "
                           "[seconds]", [("warm", lat.get("first_fwht_call_warm_cache_s"))], 0.5))
    return targets


def _shape(case):
    b, n = case.params["batch"], case.params["n"]
    return f"2^{_log2(n)}" if b == 1 else f"{b}x2^{_log2(n)}"


def target_lines(targets):
    lines = []
    for t in targets:
        if t["status"] == "n/a":
            lines.append(f"  n/a   {t['target']}: not measured in this run")
            continue
        vals = t["values"]
        shown = list(vals.items())
        if len(shown) > 4:  # many sizes: the worst, and how many miss
            misses = [w for w, v in shown if v > t["limit"]]
            w = t["worst"]
            detail = (f"worst {w['value']:.3g} at {w['where']}; {len(misses)}/{len(shown)} above "
                      f"{t['limit']:g}" + (f" ({', '.join(misses[:8])}"
                                           + (", ..." if len(misses) > 8 else "") + ")"
                                           if misses else ""))
        else:
            detail = ", ".join(f"{v:.3g} at {w}" for w, v in shown)
        lines.append(f"  {t['status']:<5} {t['target']}: {detail}")
    return lines


# --------------------------------------------------------------------------- main


def _load_average():
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # not on every platform
        return None


def main(argv=None):
    """Run the transforms benchmark; returns the :class:`harness.BenchResults`."""
    parser = harness.make_parser(__doc__.splitlines()[0])
    parser.add_argument("--qmcpy-max-log2", type=int, default=18, metavar="K",
                        help="time QMCPy only on problems of at most 2^K elements (default 18)")
    parser.add_argument("--no-latency", action="store_true",
                        help="skip the fresh-process latency measurements (always skipped with --quick)")
    args = harness.parse_args(argv, parser=parser)
    bandwidth = harness.copy_bandwidth(1 << 25 if args.quick else 1 << 27)
    print(f"copy bandwidth: {bandwidth / 1e9:.2f} GB/s (read + write)", flush=True)
    notes = []
    skip_latency = args.quick or args.no_latency
    load_start = _load_average()

    def extra():
        record = {"copy_bandwidth_Bps": bandwidth, "notes": notes,
                  # other processes make the Numba-parallel kernels stall: read ratios with these
                  "load_average_1min": {"start": load_start, "end": _load_average()},
                  "tolerance": f"rel max err <= {TOL_FACTOR:g} * log2(n) * eps(dtype)"}
        if skip_latency:
            record["latency"] = {"skipped": "--quick" if args.quick else "--no-latency"}
        else:
            print("measuring first-call latency and import time in fresh processes ...", flush=True)
            record["latency"] = measure_latency()
        return record

    cases = make_cases(args.quick, args.seed, bandwidth, 1 << args.qmcpy_max_log2, notes)
    results = harness.run_benchmark(NAME, cases, args, extra=extra)

    load = results.extra.get("load_average_1min", {})
    print(f"\nload average (1 min) at start / end: {load.get('start')} / {load.get('end')} "
          f"on {os.cpu_count()} CPUs")
    print("\nnotes:")
    for note in notes:
        print(f"  {note}")
    lat = results.extra.get("latency", {})
    print("\nlatency (fresh process):")
    for key, value in lat.items():
        print(f"  {key}: {value:.3f} s" if isinstance(value, float) else f"  {key}: {value}")
    print("\nkey ratios (ours median / peer median: below 1, ours is faster):")
    for line in ratio_table(results):
        print(line)
    targets = evaluate_targets(results)
    print("\ntargets (informational; the exit status reflects the accuracy of ours only):")
    for line in target_lines(targets):
        print(line)
    results.extra["targets"] = targets
    if args.out is not None:  # run_benchmark wrote the files before the targets were known
        from pathlib import Path

        stem = Path(args.out) / NAME
        harness.write_json(results, stem.with_suffix(".json"))
        harness.write_markdown(results, stem.with_suffix(".md"))
    return results


if __name__ == "__main__":
    sys.exit(harness.exit_code(main()))
