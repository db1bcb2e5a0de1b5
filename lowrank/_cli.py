"""The ``python -m lowrank`` commands: ``demo``, ``bench`` and ``info``.

Imported only by :mod:`lowrank.__main__` (and by the benchmark harness, which
reuses :func:`collect_environment`), never by ``import lowrank``: nothing here
runs, compiles or imports anything heavy until a command asks for it.
"""

import datetime
import importlib
import importlib.metadata
import importlib.util
import os
import platform
import sys
from pathlib import Path

__all__ = ["main", "info", "bench", "demo", "collect_environment", "find_benchmarks_dir"]

_USAGE = """\
usage: python -m lowrank {demo,bench,info} [options]

commands:
  demo                 run every capability on synthetic data and print a table
  bench [NAME ...]     run the benchmark suite (--quick, --out DIR, --repeats N, --list)
  info                 print versions, BLAS and Numba threading details
"""

# import name -> distribution name (for a version string read without importing)
_EXTRAS = {
    "dask": "dask",
    "sklearn": "scikit-learn",
    "matplotlib": "matplotlib",
    "qmcpy": "qmcpy",
    "pyfwht": "pyfwht",
    "fbpca": "fbpca",
    "torch": "torch",
    "hypothesis": "hypothesis",
}

_ENV_NAMES = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "NUMBA_THREADING_LAYER",
    "NUMBA_CACHE_DIR",
    "NUMBA_DISABLE_JIT",
)


def _version(dist):
    """Installed version of distribution `dist`, or None (never imports it)."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _extras():
    """Which optional extras are importable, with their versions (nothing is imported)."""
    found = {}
    for module, dist in _EXTRAS.items():
        try:
            available = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            available = False
        found[module] = {"available": available, "version": _version(dist) if available else None}
    return found


def _blas():
    """BLAS/OpenMP pools seen by threadpoolctl, or None when it is not installed."""
    if importlib.util.find_spec("threadpoolctl") is None:
        return None
    import numpy  # noqa: F401  (loads the BLAS that threadpoolctl then finds)
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info

    keys = ("user_api", "internal_api", "prefix", "version", "architecture",
            "threading_layer", "num_threads", "filepath")
    return [{key: pool.get(key) for key in keys} for pool in threadpool_info()]


def _numba_threading(probe):
    """Numba's thread count and threading layer.

    ``numba.threading_layer()`` raises until a parallel function has run; with
    `probe`, a trivial ``parallel=True`` function is compiled (here, lazily, not
    cached) and run first so that the layer can be reported.
    """
    import numba

    record = {
        "num_threads": numba.get_num_threads(),
        "requested_layer": numba.config.THREADING_LAYER,
        "disable_jit": bool(numba.config.DISABLE_JIT),
        "threading_layer": None,
    }
    try:
        record["threading_layer"] = numba.threading_layer()
        return record
    except ValueError:
        pass
    if not probe or record["disable_jit"]:
        record["threading_layer"] = "unknown (no parallel function has run)"
        if record["disable_jit"]:
            record["threading_layer"] = "none (NUMBA_DISABLE_JIT=1)"
        return record

    @numba.njit(parallel=True, cache=False)
    def _parallel_probe(n):
        total = 0
        for i in numba.prange(n):
            total += i
        return total

    try:
        _parallel_probe(64)
        record["threading_layer"] = numba.threading_layer()
    except Exception as exc:  # a broken TBB/OpenMP install must not crash `info`
        record["threading_layer"] = f"unavailable ({type(exc).__name__}: {exc})"
    return record


def _cpu_count():
    """Logical CPUs in the machine and CPUs this process may run on."""
    usable = os.cpu_count()
    if hasattr(os, "sched_getaffinity"):
        usable = len(os.sched_getaffinity(0))
    return {"logical": os.cpu_count(), "usable": usable}


def collect_environment(*, probe_threading=True):
    """Record the software and hardware a timing was taken on.

    Parameters
    ----------
    probe_threading : bool, optional
        If True (default) and no Numba parallel function has run yet, compile and
        run a trivial one so that the threading layer can be named (about a second).

    Returns
    -------
    env : dict
        JSON-serialisable: ``versions`` (python, numpy, scipy, numba, lowrank),
        ``blas`` (threadpoolctl pools, or None when it is not installed),
        ``numba`` (threading layer, thread count), ``env_vars`` (OPENBLAS_*,
        thread and Numba settings), ``cpu_count``, ``platform``, ``extras``
        and an ISO-8601 UTC ``timestamp``.
    """
    import numba
    import numpy
    import scipy

    import lowrank

    env_vars = {name: os.environ.get(name) for name in _ENV_NAMES}
    env_vars.update({k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")})
    return {
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": {
            "python": platform.python_version(),
            "numpy": numpy.__version__,
            "scipy": scipy.__version__,
            "numba": numba.__version__,
            "lowrank": lowrank.__version__,
        },
        "blas": _blas(),
        "numba": _numba_threading(probe_threading),
        "env_vars": env_vars,
        "cpu_count": _cpu_count(),
        "platform": {
            "system": platform.platform(),
            "machine": platform.machine(),
            "processor": platform.processor(),
            "python_implementation": platform.python_implementation(),
        },
        "extras": _extras(),
    }


def _format_environment(env):
    """Lines of text describing `env` (a :func:`collect_environment` record)."""
    lines = [f"lowrank {env['versions']['lowrank']}", ""]
    lines += [f"  {name:<22}{version}" for name, version in env["versions"].items()]
    lines += ["", "BLAS (threadpoolctl):"]
    if env["blas"] is None:
        lines.append("  threadpoolctl is not installed; pip install threadpoolctl to see BLAS details")
    elif not env["blas"]:
        lines.append("  no BLAS/OpenMP thread pool found")
    for pool in env["blas"] or ():
        lines.append(f"  {pool['user_api']}: {pool['internal_api']} {pool['version']}, "
                     f"architecture={pool['architecture']}, num_threads={pool['num_threads']}, "
                     f"threading_layer={pool['threading_layer']}")
        lines.append(f"      {pool['filepath']}")
    nb = env["numba"]
    lines += ["", "numba:",
              f"  threading layer       {nb['threading_layer']} (requested: {nb['requested_layer']})",
              f"  num threads           {nb['num_threads']}",
              f"  NUMBA_DISABLE_JIT     {int(nb['disable_jit'])}"]
    lines += ["", "environment variables:"]
    lines += [f"  {name:<22}{value if value is not None else '(unset)'}"
              for name, value in env["env_vars"].items()]
    cpus = env["cpu_count"]
    lines += ["", f"CPUs: {cpus['logical']} logical, {cpus['usable']} usable by this process",
              f"platform: {env['platform']['system']}", "", "optional extras:"]
    for module, extra in env["extras"].items():
        state = f"yes ({extra['version']})" if extra["available"] else "no"
        lines.append(f"  {module:<22}{state}")
    return lines


def info(argv=()):
    """Print versions, BLAS and Numba threading details (``python -m lowrank info``).

    Parameters
    ----------
    argv : sequence of str, optional
        Extra arguments; only ``-h``/``--help`` is understood.

    Returns
    -------
    code : int
        Exit status: 0, or 2 for an unknown argument.
    """
    argv = list(argv)
    if argv and argv[0] in ("-h", "--help"):
        print("usage: python -m lowrank info\n\nPrint versions, BLAS and Numba threading details.")
        return 0
    if argv:
        print(f"lowrank info: unexpected arguments {argv}; it takes none.", file=sys.stderr)
        return 2
    print("\n".join(_format_environment(collect_environment(probe_threading=True))))
    return 0


def find_benchmarks_dir():
    """Locate the ``benchmarks/`` folder of a source checkout.

    The benchmarks are not part of the installed package; they are found beside
    the ``lowrank`` package folder (an editable install or a run from the
    repository), in the current directory, or at ``$LOWRANK_BENCHMARKS_DIR``.

    Returns
    -------
    path : pathlib.Path or None
        The folder holding ``run_all.py``, or None when there is none.
    """
    candidates = []
    if os.environ.get("LOWRANK_BENCHMARKS_DIR"):
        candidates.append(Path(os.environ["LOWRANK_BENCHMARKS_DIR"]))
    candidates.append(Path(__file__).resolve().parent.parent / "benchmarks")
    candidates.append(Path.cwd() / "benchmarks")
    for path in candidates:
        if (path / "run_all.py").is_file() and (path / "__init__.py").is_file():
            return path.resolve()
    return None


def bench(argv=()):
    """Run benchmark scripts (``python -m lowrank bench [NAME ...] [--quick] [--out DIR]``).

    Parameters
    ----------
    argv : sequence of str, optional
        Passed to ``benchmarks.run_all.main``; ``--help`` lists the options.

    Returns
    -------
    code : int
        0 when every benchmark ran and "ours" was accurate, 1 otherwise,
        2 when the benchmarks folder is missing or an argument is wrong.
    """
    where = find_benchmarks_dir()
    if where is None:
        print("lowrank bench: no benchmarks/ folder found. The benchmark suite ships with the "
              "source repository, not the installed package: run from a checkout (pip install "
              "-e .) or set LOWRANK_BENCHMARKS_DIR to the folder holding run_all.py.",
              file=sys.stderr)
        return 2
    root = str(where.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    run_all = importlib.import_module("benchmarks.run_all")
    if Path(run_all.__file__).resolve().parent != where:
        print(f"lowrank bench: `benchmarks` imports from {run_all.__file__}, not from {where}; "
              "another package named `benchmarks` shadows the suite.", file=sys.stderr)
        return 2
    return run_all.main(list(argv))


def demo(argv=()):
    """Run the demo (``python -m lowrank demo``), implemented in :mod:`lowrank._demo`.

    Parameters
    ----------
    argv : sequence of str, optional
        Passed to ``lowrank._demo.main``.

    Returns
    -------
    code : int
        The demo's exit status, or 2 when the demo module is missing.
    """
    try:
        demo_module = importlib.import_module("lowrank._demo")
    except ModuleNotFoundError as exc:
        if exc.name != "lowrank._demo":
            raise
        print("lowrank demo: the demo module lowrank/_demo.py is missing from this "
              "installation; reinstall lowrank to get it.", file=sys.stderr)
        return 2
    code = demo_module.main(list(argv))
    return 0 if code is None else int(code)


_COMMANDS = {"demo": demo, "bench": bench, "info": info}


def main(argv=None):
    """Dispatch ``python -m lowrank {demo,bench,info} ...``.

    Parameters
    ----------
    argv : sequence of str, optional
        Command and its arguments; ``sys.argv[1:]`` when None.

    Returns
    -------
    code : int
        Exit status of the command; 2 for a missing or unknown command.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, end="", file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in _COMMANDS:
        print(f"lowrank: command must be one of {sorted(_COMMANDS)}; got {command!r}.\n\n{_USAGE}",
              end="", file=sys.stderr)
        return 2
    return _COMMANDS[command](rest)
