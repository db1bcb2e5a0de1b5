"""Run the benchmark suite: every ``benchmarks/bench_*.py``, or the ones named.

``python -m lowrank bench [NAME ...] [--quick] [--out DIR]`` and
``python -m benchmarks.run_all ...`` (from the repository root) both land in
:func:`main`. NAME is a script's name without ``bench_`` (``transforms`` for
``bench_transforms.py``); each script exposes ``main(argv) -> BenchResults``
and receives the common options (``--quick``, ``--out``, ``--repeats``,
``--budget``, ``--plot/--no-plot``, ``--seed``).
"""

import importlib
import importlib.util
import sys
import time
import traceback
from pathlib import Path

if __package__ in (None, ""):  # run as a file: python benchmarks/run_all.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness  # noqa: E402

__all__ = ["discover", "load", "main"]

_HERE = Path(__file__).resolve().parent


def discover(directory=None):
    """Benchmark scripts in `directory` (this folder by default).

    Parameters
    ----------
    directory : str or pathlib.Path, optional
        Folder searched for ``bench_*.py``.

    Returns
    -------
    scripts : dict of str to pathlib.Path
        Name (the file stem without ``bench_``) -> script path, sorted by name.
    """
    directory = Path(directory) if directory is not None else _HERE
    return {path.stem[len("bench_"):]: path for path in sorted(directory.glob("bench_*.py"))}


def load(name, path):
    """Import the benchmark script at `path` (as ``benchmarks.bench_<name>`` when it lives here)."""
    path = Path(path).resolve()
    if path.parent == _HERE:
        return importlib.import_module(f"benchmarks.bench_{name}")
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_one(name, path, argv):
    """Run one script's ``main(argv)``; returns (status, seconds)."""
    start = time.perf_counter()
    try:
        results = load(name, path).main(list(argv))
        status = "ok" if harness.exit_code(results) == 0 else "failed (ours errored or was inaccurate)"
    except SystemExit as exc:  # argparse or an explicit sys.exit inside the script
        status = "ok" if exc.code in (None, 0) else f"exited with status {exc.code}"
    except Exception:
        traceback.print_exc()
        status = "crashed (traceback above)"
    return status, time.perf_counter() - start


def _write_index(out, statuses):
    """Write ``index.md`` in `out`, linking each benchmark's Markdown table."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# lowrank benchmarks", "", "| benchmark | status | seconds |", "|---|---|---|"]
    lines += [f"| [{name}]({name}.md) | {status} | {seconds:.1f} |"
              for name, (status, seconds) in statuses.items()]
    (out / "index.md").write_text("\n".join(lines) + "\n")


def main(argv=None, *, directory=None):
    """Run the named benchmarks (all by default) and print a status line for each.

    Parameters
    ----------
    argv : sequence of str, optional
        ``[NAME ...] [--quick] [--out DIR] [--repeats N] [--budget S] [--list] ...``;
        ``sys.argv[1:]`` when None.
    directory : str or pathlib.Path, optional
        Folder of the scripts (this folder by default).

    Returns
    -------
    code : int
        0 when every benchmark ran and ours was accurate, 1 when one failed,
        2 for an unknown name.
    """
    parser = harness.make_parser(__doc__.splitlines()[0])
    parser.prog = "python -m lowrank bench"
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = harness.parse_args(argv, parser=parser)
    scripts = discover(directory)
    if args.list:
        print("\n".join(scripts) if scripts else "(no benchmarks)")
        return 0
    unknown = [name for name in args.names if name not in scripts]
    if unknown:
        print(f"lowrank bench: NAME must be one of {sorted(scripts)}; got {unknown}.", file=sys.stderr)
        return 2
    selected = args.names or list(scripts)
    if not selected:
        print(f"lowrank bench: no bench_*.py scripts in {directory or _HERE}; nothing to run.")
        return 0
    passthrough = harness.args_to_argv(args)
    statuses = {}
    for name in selected:
        print(f"\n=== bench {name} ===", flush=True)
        statuses[name] = _run_one(name, scripts[name], passthrough)
    print("\n=== suite ===")
    for name, (status, seconds) in statuses.items():
        print(f"  {name:<20}{status}  ({seconds:.1f} s)")
    if args.out is not None:
        _write_index(args.out, statuses)
    return 0 if all(status == "ok" for status, _ in statuses.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
