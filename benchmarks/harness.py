"""Shared benchmark harness: accuracy first, then interleaved timing, then ratios.

A benchmark script describes a list of problems (:class:`Case`). Each problem
names its methods: zero-argument callables, one of which is "ours" and the rest
peers, plus an ``accuracy(result) -> {metric: float}`` function. The harness

1. calls every method once (warm-up; this also absorbs Numba compilation),
   computes and records its accuracy, and checks it against the case's
   tolerances. A method that raises is recorded with its message (an
   ``ImportError`` -- a missing optional peer -- as "unavailable"), and it and
   any inaccurate method are left out of the timing;
2. picks an inner loop count per method so that one sample lasts about
   `min_sample_s`, then times `repeats` interleaved rounds (round-robin over the
   methods, the order shuffled each round by a fixed-seed Generator) within a
   per-problem time budget, and reports median, min and IQR per call. Each
   sample follows a settle pause (long calls: other pools' spinning threads
   stop) and one untimed primer call (short calls: the method's own threads
   are awake), so that every method is timed in its own steady state;
3. divides every median by the median of "ours" and relates ours to any
   "floor" timings (a memory-bandwidth floor, a GEMM "skinny floor", ...).

Results print as a plain-text table and a summary of ratios (quote ratios, not
absolute times: they travel between machines), and are written as JSON (with a
record of the environment), CSV, Markdown and a PNG plot.

A script is short::

    from benchmarks import harness

    def main(argv=None):
        args = harness.parse_args(argv, "FWHT against SciPy.")
        return harness.run_benchmark("transforms", make_cases(args.quick), args)

and runs as ``python -m benchmarks.bench_transforms [--quick] [--out DIR]`` from
the repository root, or through ``python -m lowrank bench transforms``.
"""

import argparse
import csv
import dataclasses
import gc
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple, Optional

import numpy as np

__all__ = [
    "Method",
    "Case",
    "MethodResult",
    "CaseResult",
    "BenchResults",
    "run_cases",
    "run_benchmark",
    "exit_code",
    "format_table",
    "report",
    "summary_lines",
    "write_json",
    "load_json",
    "write_csv",
    "write_markdown",
    "plot",
    "write_all",
    "environment",
    "copy_bandwidth",
    "memory_floor_seconds",
    "timed_snippet",
    "fresh_process_latency",
    "ColdWarm",
    "cold_warm_latency",
    "make_parser",
    "parse_args",
    "args_to_argv",
]

OK, UNAVAILABLE, ERROR, INACCURATE = "ok", "unavailable", "error", "inaccurate"
OURS, PEER, FLOOR = "ours", "peer", "floor"
_MAX_NUMBER = 1_000_000  # inner loop count cap
_REPO_ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- problems


@dataclass
class Method:
    """A method with its own accuracy function or tolerances.

    Plain callables in :attr:`Case.methods` use the case's `accuracy` and `tol`;
    wrap one in ``Method`` to override either for that method alone.

    Parameters
    ----------
    func : callable
        Called with no arguments; returns the result passed to `accuracy`.
    accuracy : callable, optional
        ``accuracy(result) -> {metric: float}``; the case's function when None.
    tol : mapping of str to float, optional
        Largest allowed value of each metric; the case's `tol` when None.
    """

    func: Callable[[], Any]
    accuracy: Optional[Callable[[Any], Mapping[str, float]]] = None
    tol: Optional[Mapping[str, float]] = None


@dataclass
class Case:
    """One benchmark problem: the methods that solve it and how to score them.

    Parameters
    ----------
    name : str
        Label of the problem in tables, e.g. ``"n=4096 float64"``.
    methods : mapping of str to callable or Method
        Method name -> zero-argument callable (or :class:`Method`). A peer that
        imports an optional package inside its callable and raises
        ``ImportError`` is reported as "unavailable".
    ours : str, optional
        Key of `methods` that is lowrank's own method; default ``"ours"``.
    accuracy : callable, optional
        ``accuracy(result) -> {metric: float}``, errors against a reference
        (smaller is better). None records no accuracy.
    tol : mapping of str to float, optional
        Largest allowed value of each metric; a method above it (or with a
        non-finite value) is flagged "inaccurate" and is not timed.
    floors : mapping of str to callable or float, optional
        Named lower bounds: a callable is timed in the same rounds as the
        methods (its result is not scored); a float is a time in seconds, e.g.
        from :func:`memory_floor_seconds`.
    size : float, optional
        Problem size, the x axis of the scaling plot (e.g. ``m * n``).
    group : str, optional
        Series label; a scaling plot draws one panel per group.
    params : mapping, optional
        Free-form description (shape, dtype, rank, ...) kept in JSON and CSV.

    Notes
    -----
    `run_cases` accepts any iterable of cases, so a generator that builds each
    problem's arrays only when it is reached keeps memory to one problem.
    """

    name: str
    methods: Mapping[str, Any]
    ours: str = "ours"
    accuracy: Optional[Callable[[Any], Mapping[str, float]]] = None
    tol: Optional[Mapping[str, float]] = None
    floors: Mapping[str, Any] = field(default_factory=dict)
    size: Optional[float] = None
    group: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- results


@dataclass
class MethodResult:
    """Accuracy and timing of one method (or floor) on one case.

    Attributes
    ----------
    name, role : str
        Method name; role is ``"ours"``, ``"peer"`` or ``"floor"``.
    status : str
        ``"ok"``, ``"unavailable"`` (ImportError), ``"error"`` (raised) or
        ``"inaccurate"`` (above a tolerance); only "ok" entries are timed.
    message : str
        Why the status is not "ok".
    accuracy : dict of str to float
        Metrics of the warm-up call's result.
    first_call_s : float or None
        Duration of the warm-up call (includes any JIT compilation).
    samples_s : list of float
        Seconds per call, one value per timed round.
    number : int
        Calls per sample (the inner loop count).
    median_s, min_s, iqr_s : float or None
        Statistics of `samples_s`.
    ratio_to_ours : float or None
        ``median_s / ours.median_s``: above 1, this entry is slower than ours.
    measured : bool
        False for a floor given as a number of seconds rather than timed.
    """

    name: str
    role: str
    status: str = OK
    message: str = ""
    accuracy: dict = field(default_factory=dict)
    first_call_s: Optional[float] = None
    samples_s: list = field(default_factory=list)
    number: int = 1
    median_s: Optional[float] = None
    min_s: Optional[float] = None
    iqr_s: Optional[float] = None
    ratio_to_ours: Optional[float] = None
    measured: bool = True


@dataclass
class CaseResult:
    """Results of one :class:`Case`: one :class:`MethodResult` per method and floor."""

    name: str
    ours: str
    methods: list
    group: str = ""
    size: Optional[float] = None
    params: dict = field(default_factory=dict)
    rounds: int = 0
    elapsed_s: float = 0.0

    def method(self, name):
        """The :class:`MethodResult` called `name` (KeyError if there is none)."""
        for result in self.methods:
            if result.name == name:
                return result
        raise KeyError(f"`name` must be one of {[r.name for r in self.methods]}; got {name!r}.")

    @property
    def ours_result(self):
        """The :class:`MethodResult` of ours."""
        return self.method(self.ours)

    def speedups(self):
        """``{peer: peer median / ours median}`` for the timed peers (above 1: ours is faster)."""
        return {r.name: r.ratio_to_ours for r in self.methods
                if r.role == PEER and r.ratio_to_ours is not None}

    def floor_ratios(self):
        """``{floor: ours median / floor}`` for the timed floors (1 would be at the floor)."""
        return {r.name: 1.0 / r.ratio_to_ours for r in self.methods
                if r.role == FLOOR and r.ratio_to_ours}


@dataclass
class BenchResults:
    """Everything one benchmark produced; see :func:`write_json` and :func:`load_json`.

    Attributes
    ----------
    name : str
        Benchmark name (``"transforms"``, ``"rsvd"``, ...); the stem of output files.
    cases : list of CaseResult
        In the order they ran.
    environment : dict
        :func:`environment` record.
    config : dict
        Harness settings (repeats, budget_s, min_sample_s, seed).
    extra : dict
        Free-form JSON-serialisable records of the script (e.g. first-call latency).
    """

    name: str
    cases: list
    environment: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def ok(self):
        """True when ours ran and was accurate in every case."""
        return all(case.ours_result.status == OK for case in self.cases)

    def to_dict(self):
        """A JSON-ready dict (non-finite floats become None, NumPy values plain Python)."""
        return _jsonable(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data):
        """Rebuild results from :meth:`to_dict` output (e.g. a loaded JSON file)."""
        cases = []
        for case in data["cases"]:
            case = dict(case)
            case["methods"] = [MethodResult(**m) for m in case["methods"]]
            cases.append(CaseResult(**case))
        return cls(name=data["name"], cases=cases, environment=data.get("environment", {}),
                   config=data.get("config", {}), extra=data.get("extra", {}))


def _jsonable(value):
    """Convert `value` to plain JSON types; NaN and inf become None."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)  # dtypes, paths, ...


# --------------------------------------------------------------------------- running


def _sample(func, number):
    """Seconds per call of `func`, over `number` back-to-back calls, with gc paused."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            func()
        elapsed = time.perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()
    return elapsed / number


def _calibrate(func, min_sample_s):
    """Inner loop count making one sample last about `min_sample_s`, and the time per call.

    Like ``timeit.Timer.autorange``: 1, 10, 100, ... calls until a batch lasts a
    fifth of the target, then scaled to the target (at most `_MAX_NUMBER`).
    """
    number = 1
    while True:
        per_call = _sample(func, number)
        if per_call * number >= 0.2 * min_sample_s or number >= _MAX_NUMBER:
            break
        number *= 10
    if per_call >= min_sample_s:
        return 1, per_call
    return int(min(_MAX_NUMBER, max(1, math.ceil(min_sample_s / max(per_call, 1e-9))))), per_call


def _check_tol(acc, tol):
    """Messages for metrics of `acc` above `tol` (or missing or not finite)."""
    problems = []
    for metric, limit in (tol or {}).items():
        value = acc.get(metric)
        if value is None:
            problems.append(f"metric {metric!r} missing from accuracy")
        elif not (math.isfinite(value) and value <= limit):
            problems.append(f"{metric} = {value:.3g} exceeds tolerance {limit:.3g}")
    return problems


def _warm_up(name, role, method, case):
    """First call of one method: its duration, accuracy and tolerance check."""
    func, accuracy, tol = method.func, method.accuracy or case.accuracy, method.tol or case.tol
    result = MethodResult(name=name, role=role)
    try:
        start = time.perf_counter()
        output = func()
        result.first_call_s = time.perf_counter() - start
    except ImportError as exc:
        result.status, result.message = UNAVAILABLE, f"{type(exc).__name__}: {exc}"
        return result
    except Exception as exc:
        result.status, result.message = ERROR, f"{type(exc).__name__}: {exc}"
        return result
    if role == FLOOR or accuracy is None:
        return result
    try:
        result.accuracy = {str(k): float(v) for k, v in accuracy(output).items()}
    except Exception as exc:
        result.status, result.message = ERROR, f"accuracy failed: {type(exc).__name__}: {exc}"
        return result
    problems = _check_tol(result.accuracy, tol)
    if problems:
        result.status, result.message = INACCURATE, "; ".join(problems)
    return result


def _entries(case):
    """``(name, role, Method)`` for ours, then the peers, then the timed floors."""
    if case.ours not in case.methods:
        raise ValueError(f"`ours` must be a key of `methods` {list(case.methods)}; got {case.ours!r}.")
    as_method = (lambda m: m if isinstance(m, Method) else Method(m))
    entries = [(case.ours, OURS, as_method(case.methods[case.ours]))]
    entries += [(name, PEER, as_method(m)) for name, m in case.methods.items() if name != case.ours]
    entries += [(name, FLOOR, Method(f)) for name, f in case.floors.items() if callable(f)]
    return entries


def _summarise(result):
    """Fill median, min and IQR of `result` from its samples."""
    samples = np.asarray(result.samples_s, dtype=np.float64)
    q25, q50, q75 = np.percentile(samples, [25, 50, 75])
    result.median_s, result.min_s, result.iqr_s = float(q50), float(samples.min()), float(q75 - q25)


# Before each sample of a call that lasts at least SETTLE_MIN_CALL_S, wait SETTLE_S: an
# OpenBLAS pool keeps its threads spinning for about 0.1 s after a call (2^28 cycles),
# and NumPy and SciPy each bundle their own pool, so without the pause a method would
# pay for the previous method's spinning threads (seen here: up to 1.5x on 0.2 s calls).
SETTLE_S = 0.15
SETTLE_MIN_CALL_S = 0.01
# Then, before each sample of a call shorter than PRIME_MAX_CALL_S, one untimed call of the
# same method: every method is timed in its own steady state. Without it a multi-threaded
# method paid for waking its pool's idle threads after the previous method or the pause —
# on this 2-vCPU VM a halted vCPU took ~10 ms to wake (a 1.5 ms two-thread fwht measured
# 14-16 ms after a 50 ms idle, 1.6 ms back to back; single-threaded code ~1.4x).
PRIME_MAX_CALL_S = 0.25


def _time_rounds(timed, repeats, deadline, rng):
    """Interleaved rounds over `timed` (``[(MethodResult, func)]``); returns rounds run."""
    rounds = 0
    while rounds < repeats and timed:
        for index in rng.permutation(len(timed)):
            result, func = timed[index]
            if result.status != OK:
                continue
            if result.number == 1 and (not result.samples_s or result.samples_s[-1] >= SETTLE_MIN_CALL_S):
                time.sleep(SETTLE_S)
            try:
                if not result.samples_s or result.samples_s[-1] < PRIME_MAX_CALL_S:
                    func()  # primer: this method's own threads awake, its data in cache
                result.samples_s.append(_sample(func, result.number))
            except Exception as exc:  # a method that only fails sometimes
                result.status, result.message = ERROR, f"raised while timed: {type(exc).__name__}: {exc}"
        rounds += 1
        if time.perf_counter() > deadline:
            break
    return rounds


def _run_case(case, repeats, budget_s, min_sample_s, rng):
    """Run one case: warm-up and accuracy for all, then calibrated interleaved timing."""
    start = time.perf_counter()
    entries = _entries(case)
    results = [_warm_up(name, role, method, case) for name, role, method in entries]
    gc.collect()
    timing_start = time.perf_counter()
    timed = []
    for result, (_, _, method) in zip(results, entries):
        if result.status == OK:
            try:
                result.number, per_call = _calibrate(method.func, min_sample_s)
            except Exception as exc:
                result.status, result.message = ERROR, f"raised while timed: {type(exc).__name__}: {exc}"
                continue
            timed.append((result, method.func, result.number * per_call))
    round_s = sum(cost for _, _, cost in timed)
    left = budget_s - (time.perf_counter() - timing_start)
    planned = repeats if round_s <= 0 else max(1, min(repeats, int(left // round_s)))
    rounds = _time_rounds([(r, f) for r, f, _ in timed], planned, timing_start + budget_s, rng)
    for result in results:
        if result.status == OK and result.samples_s:
            _summarise(result)
        elif result.status == OK:
            result.status, result.message = ERROR, "no timing sample"
    results += [MethodResult(name=name, role=FLOOR, median_s=float(seconds), min_s=float(seconds),
                             iqr_s=0.0, measured=False)
                for name, seconds in case.floors.items() if not callable(seconds)]
    ours = results[0]
    for result in results:
        if ours.median_s and result.median_s is not None:
            result.ratio_to_ours = result.median_s / ours.median_s
    return CaseResult(name=case.name, ours=case.ours, methods=results, group=case.group,
                      size=case.size, params=dict(case.params), rounds=rounds,
                      elapsed_s=time.perf_counter() - start)


def run_cases(name, cases, *, repeats=7, budget_s=10.0, min_sample_s=1e-3, seed=0,
              verbose=True, record_environment=True):
    """Check accuracy of, then time, every method of every case.

    Parameters
    ----------
    name : str
        Benchmark name, the stem of the output files.
    cases : iterable of Case
        The problems, possibly a generator (each is built when reached).
    repeats : int, optional
        Timed rounds per case; fewer when the budget runs out (at least one).
    budget_s : float, optional
        Seconds allowed per case for calibration and timing; the warm-up calls
        (one per method, including JIT compilation) are not counted.
    min_sample_s : float, optional
        Fast calls are repeated in an inner loop so that one sample lasts at
        least about this long; each sample is then divided by the loop count.
    seed : int, optional
        Seed of the Generator that shuffles the method order of every round.
    verbose : bool, optional
        Print one progress line per case.
    record_environment : bool, optional
        Attach :func:`environment` to the results.

    Returns
    -------
    results : BenchResults
        One :class:`CaseResult` per case.

    Raises
    ------
    ValueError
        If a case's `ours` is not one of its methods.
    """
    rng = np.random.default_rng(seed)
    case_results = []
    for case in cases:
        result = _run_case(case, repeats, budget_s, min_sample_s, rng)
        case_results.append(result)
        if verbose:
            bad = [f"{m.name}: {m.status}" for m in result.methods if m.status != OK]
            note = f"  [{', '.join(bad)}]" if bad else ""
            print(f"  {name} | {case.name}: {result.rounds} round(s), {result.elapsed_s:.2f} s{note}",
                  flush=True)
    config = {"repeats": repeats, "budget_s": budget_s, "min_sample_s": min_sample_s, "seed": seed}
    env = environment() if record_environment else {}
    return BenchResults(name=name, cases=case_results, environment=env, config=config)


def exit_code(results):
    """Exit status for a benchmark script.

    Parameters
    ----------
    results : BenchResults or None
        What the script's ``main`` returned.

    Returns
    -------
    code : int
        0 when ours ran accurately in every case (or `results` is None), else 1.
    """
    return 0 if results is None or results.ok else 1


# --------------------------------------------------------------------------- text output


def _fmt_time(seconds):
    """``1.23 ms``-style duration, or ``-``."""
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _fmt_num(value, spec=".2e"):
    """A float formatted by `spec`, or ``-``."""
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def _metric_names(results):
    """Accuracy metric names across all cases, in first-seen order."""
    names = {}
    for case in results.cases:
        for method in case.methods:
            names.update(dict.fromkeys(method.accuracy))
    return list(names)


def _table_rows(results):
    """Header and rows (strings) shared by the text and Markdown tables."""
    metrics = _metric_names(results)
    header = ["problem", "method", "role", "median", "min", "IQR", "t/ours", *metrics, "status"]
    rows = []
    for case in results.cases:
        for m in case.methods:
            status = m.status if m.status == OK else f"{m.status}: {m.message}"
            if m.role == FLOOR and not m.measured:
                status = "ok (computed)"
            rows.append([case.name, m.name, m.role, _fmt_time(m.median_s), _fmt_time(m.min_s),
                         _fmt_time(m.iqr_s), _fmt_num(m.ratio_to_ours, ".2f"),
                         *[_fmt_num(m.accuracy.get(k)) for k in metrics], status[:90]])
    return header, rows


def format_table(results):
    """The results as a plain-text table (one row per case and method).

    Parameters
    ----------
    results : BenchResults

    Returns
    -------
    table : str
        Columns: problem, method, role, median, min, IQR, t/ours (median over
        the median of ours), one column per accuracy metric, status.
    """
    header, rows = _table_rows(results)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
             for row in [header, ["-" * w for w in widths], *rows]]
    return "\n".join(lines)


def summary_lines(results):
    """One line of ratios per case, e.g. ``n=4096: ours 2.1x faster than scipy; 1.8x the memory floor``.

    Parameters
    ----------
    results : BenchResults

    Returns
    -------
    lines : list of str
    """
    lines = []
    for case in results.cases:
        ours = case.ours_result
        if ours.status != OK:
            lines.append(f"{case.name}: ours ({ours.name}) {ours.status}: {ours.message}")
            continue
        parts = []
        for peer, ratio in case.speedups().items():
            parts.append(f"{ratio:.2f}x faster than {peer}" if ratio >= 1
                         else f"{1 / ratio:.2f}x slower than {peer}")
        floors = [f"{ratio:.2f}x the {floor} floor" for floor, ratio in case.floor_ratios().items()]
        skipped = [f"{m.name} {m.status}" for m in case.methods if m.status != OK]
        label = "ours" if ours.name == "ours" else f"ours ({ours.name})"
        text = f"{case.name}: {label} " + (", ".join(parts) or "timed alone")
        text += "".join(f"; {part}" for part in [", ".join(floors), ", ".join(skipped)] if part)
        lines.append(text)
    return lines


def report(results):
    """Print the table and the ratio summary of `results`.

    Parameters
    ----------
    results : BenchResults
    """
    print(f"\n== {results.name} ==")
    print(format_table(results))
    print("\nsummary (ratios of median times):")
    for line in summary_lines(results):
        print(f"  {line}")


# --------------------------------------------------------------------------- files


def write_json(results, path):
    """Write `results` (with its environment record) as JSON.

    Parameters
    ----------
    results : BenchResults
    path : str or pathlib.Path

    Returns
    -------
    path : pathlib.Path

    Notes
    -----
    Non-finite floats are written as ``null``, so the file is strict JSON.
    """
    import json

    path = Path(path)
    path.write_text(json.dumps(results.to_dict(), indent=2, allow_nan=False) + "\n")
    return path


def load_json(path):
    """Read a file written by :func:`write_json`.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    results : BenchResults
    """
    import json

    return BenchResults.from_dict(json.loads(Path(path).read_text()))


def write_csv(results, path):
    """Write one CSV row per case and method (times in seconds); returns the path.

    Columns: benchmark, case, group, size, method, role, status, median_s,
    min_s, iqr_s, ratio_to_ours, first_call_s, number, n_samples, one column
    per accuracy metric (``acc_<metric>``) and per case parameter
    (``param_<name>``), and message.
    """
    metrics = _metric_names(results)
    params = list(dict.fromkeys(k for case in results.cases for k in case.params))
    fields = ["benchmark", "case", "group", "size", "method", "role", "status", "median_s",
              "min_s", "iqr_s", "ratio_to_ours", "first_call_s", "number", "n_samples",
              *[f"acc_{k}" for k in metrics], *[f"param_{k}" for k in params], "message"]
    path = Path(path)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields)
        for case in results.cases:
            for m in case.methods:
                writer.writerow([results.name, case.name, case.group, case.size, m.name, m.role,
                                 m.status, m.median_s, m.min_s, m.iqr_s, m.ratio_to_ours,
                                 m.first_call_s, m.number, len(m.samples_s),
                                 *[m.accuracy.get(k) for k in metrics],
                                 *[case.params.get(k) for k in params], m.message])
    return path


def _environment_line(env):
    """One-line description of an environment record for Markdown."""
    if not env:
        return "environment not recorded"
    versions = ", ".join(f"{k} {v}" for k, v in env.get("versions", {}).items())
    blas = env.get("blas") or []
    blas_text = "; ".join(f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')}, "
                          f"{p.get('num_threads')} threads)" for p in blas if p.get("user_api") == "blas")
    nb = env.get("numba", {})
    cpus = env.get("cpu_count", {})
    return (f"{versions}; BLAS: {blas_text or 'unknown'}; numba layer {nb.get('threading_layer')}, "
            f"{nb.get('num_threads')} threads; {cpus.get('usable')} CPUs; {env.get('timestamp')}")


def write_markdown(results, path):
    """Write the table, the ratio summary and the environment as Markdown.

    Parameters
    ----------
    results : BenchResults
    path : str or pathlib.Path

    Returns
    -------
    path : pathlib.Path
    """
    header, rows = _table_rows(results)
    escape = (lambda cell: str(cell).replace("|", "\\|"))
    lines = [f"# Benchmark: {results.name}", "", _environment_line(results.environment), "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    lines += ["", "`t/ours`: median time over the median time of ours (above 1: ours is faster).",
              "", "## Summary", ""]
    lines += [f"- {line}" for line in summary_lines(results)]
    if results.extra:
        import json

        lines += ["", "## Extra", "", "```json", json.dumps(_jsonable(results.extra), indent=2), "```"]
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    return path


def plot(results, path, *, kind="scaling", metric=None):
    """Draw the results as a PNG (needs matplotlib; skipped with a message without it).

    Parameters
    ----------
    results : BenchResults
    path : str or pathlib.Path
        PNG file to write.
    kind : {"scaling", "tradeoff"}, optional
        ``"scaling"``: median time against :attr:`Case.size` per method,
        log-log, one panel per group (case index on the x axis when sizes are
        missing). ``"tradeoff"``: accuracy `metric` against median time per
        method, log-log.
    metric : str, optional
        Metric for ``"tradeoff"``; the first metric recorded when None.

    Returns
    -------
    path : pathlib.Path or None
        The file written, or None when matplotlib is not installed.

    Raises
    ------
    ValueError
        If `kind` is unknown, or ``"tradeoff"`` is asked with no accuracy metric.
    """
    if kind not in ("scaling", "tradeoff"):
        raise ValueError(f"`kind` must be one of ['scaling', 'tradeoff']; got {kind!r}.")
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        print("plot skipped: matplotlib is not installed (pip install matplotlib).")
        return None
    groups = list(dict.fromkeys(case.group for case in results.cases)) or [""]
    if kind == "tradeoff":
        metric = metric or next(iter(_metric_names(results)), None)
        if metric is None:
            raise ValueError("`kind='tradeoff'` needs an accuracy metric, but none was recorded.")
        groups = [None]
    figure = Figure(figsize=(6.0 * len(groups), 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    for index, group in enumerate(groups):
        axes = figure.add_subplot(1, len(groups), index + 1)
        if kind == "scaling":
            _draw_scaling(axes, [c for c in results.cases if c.group == group], results.name, group)
        else:
            _draw_tradeoff(axes, results.cases, results.name, metric)
    path = Path(path)
    figure.savefig(path, dpi=110)
    return path


def _series(cases):
    """``{method name: (role, [(case index, case, MethodResult)])}`` for timed entries."""
    series = {}
    for index, case in enumerate(cases):
        for m in case.methods:
            if m.median_s is not None:
                series.setdefault(m.name, (m.role, []))[1].append((index, case, m))
    return series


def _draw_scaling(axes, cases, name, group):
    """Median time against problem size (or case index) per method."""
    use_size = all(case.size for case in cases)
    for method, (role, points) in _series(cases).items():
        xs = [case.size if use_size else index for index, case, _ in points]
        ys = [m.median_s for _, _, m in points]
        style = {"ours": dict(lw=2.5, marker="o"), "peer": dict(lw=1.2, marker="s"),
                 "floor": dict(lw=1.0, ls="--", marker="")}[role]
        label = method if role == PEER or method == role else f"{method} ({role})"
        axes.plot(xs, ys, label=label, **style)
    axes.set_yscale("log")
    if use_size:
        axes.set_xscale("log")
        axes.set_xlabel("problem size")
    else:
        axes.set_xticks(range(len(cases)), [case.name for case in cases], rotation=30, ha="right")
    axes.set_ylabel("median time per call [s]")
    axes.set_title(f"{name} {group}".strip())
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")


def _draw_tradeoff(axes, cases, name, metric):
    """Accuracy `metric` against median time per method (one point per case)."""
    for method, (role, points) in _series(cases).items():
        pts = [(m.median_s, m.accuracy[metric]) for _, _, m in points
               if m.accuracy.get(metric) is not None]
        if pts:
            xs, ys = zip(*pts)
            axes.scatter(xs, np.maximum(ys, 1e-17), label=method, marker="o" if role == OURS else "s",
                         s=50 if role == OURS else 30)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("median time per call [s]")
    axes.set_ylabel(metric)
    axes.set_title(f"{name}: {metric} vs time")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")


def write_all(results, out_dir, *, plot_kind="scaling", plot_metric=None, make_plot=True):
    """Write ``<name>.json``, ``.csv``, ``.md`` and (optionally) ``.png`` into `out_dir`.

    Parameters
    ----------
    results : BenchResults
    out_dir : str or pathlib.Path
        Created if missing.
    plot_kind, plot_metric
        Passed to :func:`plot` as `kind` and `metric`.
    make_plot : bool, optional
        Draw the PNG (when matplotlib is installed).

    Returns
    -------
    paths : list of pathlib.Path
        The files written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / results.name
    paths = [write_json(results, stem.with_suffix(".json")), write_csv(results, stem.with_suffix(".csv")),
             write_markdown(results, stem.with_suffix(".md"))]
    if make_plot:
        png = plot(results, stem.with_suffix(".png"), kind=plot_kind, metric=plot_metric)
        paths += [png] if png is not None else []
    return paths


# --------------------------------------------------------------------------- environment, floors


def environment():
    """Versions, BLAS, Numba threading, OPENBLAS_* settings, CPU count and a timestamp.

    Returns
    -------
    env : dict
        The record of :func:`lowrank._cli.collect_environment` (also printed by
        ``python -m lowrank info``).
    """
    from lowrank._cli import collect_environment

    return collect_environment(probe_threading=True)


def copy_bandwidth(nbytes=1 << 27, *, repeats=5):
    """Memory bandwidth of a large ``np.copyto`` into a preallocated buffer.

    Parameters
    ----------
    nbytes : int, optional
        Size of the copied array (128 MiB by default; use several times the
        last-level cache so that the copy streams from memory).
    repeats : int, optional
        Timed copies after one warm-up copy; the median is used.

    Returns
    -------
    bandwidth : float
        Bytes per second, counting each byte read once and written once
        (``2 * nbytes / median time``).
    """
    src = np.ones(max(1, int(nbytes) // 8), dtype=np.float64)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # warm-up: faults in the destination pages
    times = []
    for _ in range(max(1, int(repeats))):
        start = time.perf_counter()
        np.copyto(dst, src)
        times.append(time.perf_counter() - start)
    return 2.0 * src.nbytes / float(np.median(times))


def memory_floor_seconds(nbytes_read, nbytes_written, bandwidth):
    """Shortest time to stream `nbytes_read` in and `nbytes_written` out at `bandwidth`.

    Parameters
    ----------
    nbytes_read, nbytes_written : int
        Bytes the operation must read and write at least once.
    bandwidth : float
        Bytes per second, as returned by :func:`copy_bandwidth`.

    Returns
    -------
    seconds : float
        ``(nbytes_read + nbytes_written) / bandwidth``; pass it as a float
        entry of :attr:`Case.floors`.

    Raises
    ------
    ValueError
        If `bandwidth` is not positive.
    """
    if not bandwidth > 0:
        raise ValueError(f"`bandwidth` must be positive bytes per second; got {bandwidth!r}.")
    return (float(nbytes_read) + float(nbytes_written)) / float(bandwidth)


def timed_snippet(stmt, setup=""):
    """Python source that runs `setup`, times `stmt` once and prints the seconds.

    Parameters
    ----------
    stmt : str
        Timed statement(s).
    setup : str, optional
        Untimed statements run first.

    Returns
    -------
    code : str
        For :func:`fresh_process_latency`, e.g. the first-call latency of a
        kernel, ``timed_snippet("lowrank.fwht(x)", "import numpy as np, lowrank;
        x = np.ones(64)")``, or import time, ``timed_snippet("import lowrank")``.
    """
    return (f"import time as _t\n{setup}\n_t0 = _t.perf_counter()\n{stmt}\n"
            "print(_t.perf_counter() - _t0)\n")


def _child_env(env):
    """``os.environ`` updated by `env` (None values unset), with the repository on PYTHONPATH."""
    full = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = str(value)
    paths = [str(_REPO_ROOT)] + [p for p in full.get("PYTHONPATH", "").split(os.pathsep) if p]
    full["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return full


def fresh_process_latency(code, *, env=None, repeats=3, timeout=300):
    """Run ``python -c code`` in fresh processes and return the seconds it reports.

    Parameters
    ----------
    code : str
        Python source whose last line of standard output is a float of seconds
        (see :func:`timed_snippet`).
    env : mapping of str to str, optional
        Variables set for the child on top of ``os.environ`` (a None value
        unsets one); the repository root is put on ``PYTHONPATH``.
    repeats : int, optional
        Number of fresh processes; the median is returned.
    timeout : float, optional
        Seconds allowed per process.

    Returns
    -------
    seconds : float
        Median of the reported times.

    Raises
    ------
    RuntimeError
        If the child fails or its last output line is not a number.
    """
    values = []
    for _ in range(max(1, int(repeats))):
        proc = subprocess.run([sys.executable, "-c", code], env=_child_env(env), capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"The timed snippet exited with status {proc.returncode}:\n"
                               f"{proc.stderr[-2000:]}")
        lines = proc.stdout.strip().splitlines()
        try:
            values.append(float(lines[-1]))
        except (IndexError, ValueError):
            raise RuntimeError("The timed snippet must print a float of seconds on its last line; "
                               f"got {proc.stdout[-200:]!r}.") from None
    return float(np.median(values))


class ColdWarm(NamedTuple):
    """Latency with an empty Numba cache (``cold``) and with the usual cache (``warm``), seconds."""

    cold: float
    warm: float


def cold_warm_latency(code, *, env=None, repeats=3):
    """First-call latency with a fresh, empty NUMBA_CACHE_DIR and with the default cache.

    Parameters
    ----------
    code : str
        As for :func:`fresh_process_latency`.
    env : mapping of str to str, optional
        Extra variables for every child.
    repeats : int, optional
        Processes per setting; each cold run gets its own temporary cache folder.

    Returns
    -------
    latency : ColdWarm
        Median seconds reported without a cache (compilation included) and
        with the default cache after one untimed run has filled it.
    """
    cold = []
    for _ in range(max(1, int(repeats))):
        with tempfile.TemporaryDirectory(prefix="lowrank-numba-cache-") as cache:
            cold.append(fresh_process_latency(code, env={**(env or {}), "NUMBA_CACHE_DIR": cache},
                                              repeats=1))
    fresh_process_latency(code, env=env, repeats=1)  # fills the default cache
    warm = fresh_process_latency(code, env=env, repeats=repeats)
    return ColdWarm(cold=float(np.median(cold)), warm=warm)


# --------------------------------------------------------------------------- command line


def make_parser(description=None):
    """The options every benchmark script takes; add a script's own before parsing.

    Options: ``--quick`` (tiny sizes, 1 repeat, small budget, no plot unless
    ``--plot``), ``--out DIR``, ``--repeats N``, ``--budget SECONDS`` (per
    case), ``--plot/--no-plot``, ``--seed N``, ``--only TEXT`` (repeatable: problems
    whose name contains TEXT).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and one repeat: a smoke test that runs in seconds")
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="write JSON, CSV, Markdown and PNG files to DIR")
    parser.add_argument("--repeats", metavar="N", type=int, default=None,
                        help="timed rounds per problem (default 7, or 1 with --quick)")
    parser.add_argument("--budget", metavar="SECONDS", type=float, default=None,
                        help="time budget per problem (default 10, or 0.5 with --quick)")
    parser.add_argument("--plot", action=argparse.BooleanOptionalAction, default=None,
                        help="draw a PNG into --out (default: yes, except with --quick)")
    parser.add_argument("--seed", type=int, default=0, help="seed for data and round order")
    parser.add_argument("--only", metavar="TEXT", action="append", default=None,
                        help="run only the problems whose name contains TEXT (repeatable); "
                             "the targets of the others are reported as not measured")
    return parser


def parse_args(argv=None, description=None, *, parser=None):
    """Parse benchmark options and fill the defaults that depend on ``--quick``.

    Parameters
    ----------
    argv : sequence of str, optional
        ``sys.argv[1:]`` when None.
    description : str, optional
        Help text of a parser made here (ignored when `parser` is given).
    parser : argparse.ArgumentParser, optional
        From :func:`make_parser`, with a script's own options added.

    Returns
    -------
    args : argparse.Namespace
        ``quick``, ``out``, ``repeats``, ``budget``, ``plot``, ``seed`` and any
        options the script added.

    Raises
    ------
    SystemExit
        On ``--help`` or a bad argument (argparse).
    """
    parser = parser or make_parser(description)
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 7
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1; got {args.repeats}")
    if args.budget is None:
        args.budget = 0.5 if args.quick else 10.0
    if args.plot is None:
        args.plot = not args.quick
    return args


def args_to_argv(args):
    """Rebuild the common options of parsed `args` as an argv list (for the suite driver).

    Parameters
    ----------
    args : argparse.Namespace
        From :func:`parse_args`.

    Returns
    -------
    argv : list of str
        ``parse_args(argv)`` gives back the common options of `args`.
    """
    argv = ["--quick"] if args.quick else []
    if args.out is not None:
        argv += ["--out", str(args.out)]
    argv += ["--repeats", str(args.repeats), "--budget", str(args.budget), "--seed", str(args.seed)]
    return argv + ["--plot" if args.plot else "--no-plot"]


def run_benchmark(name, cases, args, *, plot_kind="scaling", plot_metric=None, extra=None):
    """Run `cases` with the options in `args`, print the table and write files to ``args.out``.

    Parameters
    ----------
    name : str
        Benchmark name, the stem of the output files.
    cases : iterable of Case
    args : argparse.Namespace
        From :func:`parse_args`.
    plot_kind, plot_metric
        Passed to :func:`plot`.
    extra : dict or callable, optional
        Free-form records stored in the results (a callable is called after the
        timing, e.g. to measure first-call latency in fresh processes).

    Returns
    -------
    results : BenchResults
    """
    only = getattr(args, "only", None)
    if only:
        cases = (case for case in cases if any(text in case.name for text in only))
    results = run_cases(name, cases, repeats=args.repeats, budget_s=args.budget, seed=args.seed)
    results.extra = dict((extra() if callable(extra) else extra) or {})
    report(results)
    if args.out is not None:
        paths = write_all(results, args.out, plot_kind=plot_kind, plot_metric=plot_metric,
                          make_plot=args.plot)
        print("wrote " + ", ".join(str(p) for p in paths))
    return results
