"""Tests of the benchmark harness (benchmarks/harness.py) and the ``python -m lowrank`` commands.

Nothing here asserts a speed: timings are only checked to exist and be positive.
"""

import csv
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import harness, run_all  # noqa: E402
from lowrank import _cli  # noqa: E402

FAST = dict(repeats=3, budget_s=0.2, min_sample_s=1e-4, verbose=False, record_environment=False)


def _missing_peer():
    import lowrank_no_such_module  # noqa: F401


def _toy_cases(log=None):
    """Two problems; ours sorts, a peer sorts by argsort, one is wrong, one raises, one is missing."""
    for n in (64, 512):
        x = np.random.default_rng(n).standard_normal(n)
        ref = np.sort(x)

        def tracked(name, func):
            def call():
                if log is not None:
                    log.append(("call", name))
                return func()
            return call

        def accuracy(result, ref=ref):
            if log is not None:
                log.append(("accuracy", None))
            return {"max_err": float(np.max(np.abs(result - ref)))}

        yield harness.Case(
            f"n={n}", size=n, params={"n": n, "dtype": x.dtype},
            methods={
                "ours": tracked("ours", lambda x=x: np.sort(x)),
                "argsort": tracked("argsort", lambda x=x: x[np.argsort(x)]),
                "wrong": tracked("wrong", lambda x=x: x[::-1].copy()),
                "raises": tracked("raises", lambda: 1 / 0),
                "missing": _missing_peer,
                "loose": harness.Method(lambda x=x: np.sort(x) + 1e-9, tol={"max_err": 1e-6}),
            },
            accuracy=accuracy, tol={"max_err": 0.0},
            floors={"copy": lambda x=x: x.copy(), "memory": 1e-7})


@pytest.fixture(scope="module")
def toy_results():
    return harness.run_cases("toy", _toy_cases(), **FAST)


def test_accuracy_is_computed_for_every_method_before_any_timed_call():
    log = []
    harness.run_cases("toy", list(_toy_cases(log))[:1], **FAST)
    first_calls = {}
    for index, (kind, name) in enumerate(log):
        if kind == "call":
            first_calls.setdefault(name, index)
    # a method's second call is the first one that can be timed
    second_calls = [i for i, (kind, name) in enumerate(log) if kind == "call" and i != first_calls[name]]
    last_accuracy = max(i for i, (kind, _) in enumerate(log) if kind == "accuracy")
    assert log.count(("accuracy", None)) == 4  # ours, argsort, wrong, loose; not raises
    assert last_accuracy < min(second_calls)


def test_statuses_flag_wrong_raising_and_missing_methods(toy_results):
    case = toy_results.cases[0]
    status = {m.name: m.status for m in case.methods}
    assert status == {"ours": "ok", "argsort": "ok", "wrong": "inaccurate", "raises": "error",
                      "missing": "unavailable", "loose": "ok", "copy": "ok", "memory": "ok"}
    assert "exceeds tolerance" in case.method("wrong").message
    assert "ZeroDivisionError" in case.method("raises").message
    assert "lowrank_no_such_module" in case.method("missing").message
    assert case.method("wrong").samples_s == [] and case.method("wrong").median_s is None
    assert toy_results.ok and harness.exit_code(toy_results) == 0


def test_timed_methods_get_statistics_and_ratios_to_ours(toy_results):
    for case in toy_results.cases:
        ours = case.ours_result
        assert ours.ratio_to_ours == 1.0 and 1 <= case.rounds <= 3
        for m in case.methods:
            if m.status == "ok" and m.measured:
                assert len(m.samples_s) == case.rounds and m.number >= 1
                assert 0 < m.min_s <= m.median_s and m.iqr_s >= 0
                assert m.ratio_to_ours == pytest.approx(m.median_s / ours.median_s)
        assert set(case.speedups()) == {"argsort", "loose"}
        assert case.floor_ratios()["memory"] == pytest.approx(ours.median_s / 1e-7)
        assert not case.method("memory").measured


def test_results_fail_when_ours_is_inaccurate():
    case = harness.Case("bad", methods={"ours": lambda: 1.0}, accuracy=lambda r: {"err": r},
                        tol={"err": 0.5})
    results = harness.run_cases("bad", [case], **FAST)
    assert results.cases[0].ours_result.status == "inaccurate"
    assert not results.ok and harness.exit_code(results) == 1
    assert "inaccurate" in harness.summary_lines(results)[0]


def test_unknown_ours_is_rejected():
    with pytest.raises(ValueError, match="`ours` must be a key of `methods`"):
        harness.run_cases("x", [harness.Case("c", methods={"a": lambda: 0})], **FAST)


def test_json_round_trips(toy_results, tmp_path):
    toy_results.environment = {"versions": {"numpy": np.__version__}, "nan": float("nan")}
    path = harness.write_json(toy_results, tmp_path / "toy.json")
    loaded = harness.load_json(path)
    assert loaded.to_dict() == toy_results.to_dict()
    assert loaded.cases[1].method("argsort").median_s == toy_results.cases[1].method("argsort").median_s
    assert json.loads(path.read_text())["environment"]["nan"] is None  # strict JSON


def test_table_markdown_and_csv(toy_results, tmp_path):
    table = harness.format_table(toy_results)
    assert "argsort" in table and "max_err" in table and "unavailable" in table
    md = harness.write_markdown(toy_results, tmp_path / "toy.md").read_text()
    assert md.startswith("# Benchmark: toy") and "| n=64 | ours | ours |" in md
    with open(harness.write_csv(toy_results, tmp_path / "toy.csv"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 * 8
    assert {"acc_max_err", "param_n", "ratio_to_ours"} <= set(rows[0])


@pytest.mark.parametrize("kind", ["scaling", "tradeoff"])
def test_plot_writes_png(toy_results, tmp_path, kind):
    pytest.importorskip("matplotlib")
    path = harness.plot(toy_results, tmp_path / f"{kind}.png", kind=kind)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_rejects_unknown_kind(toy_results, tmp_path):
    with pytest.raises(ValueError, match="`kind` must be one of"):
        harness.plot(toy_results, tmp_path / "x.png", kind="bars")


def test_environment_record_has_versions_blas_and_numba():
    env = harness.environment()
    assert {"python", "numpy", "scipy", "numba", "lowrank"} <= set(env["versions"])
    assert {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"} <= set(env["env_vars"])
    assert env["numba"]["num_threads"] >= 1 and env["cpu_count"]["logical"] >= 1
    assert "timestamp" in env and "torch" in env["extras"]
    json.dumps(env)


def test_memory_floor_helpers():
    assert harness.copy_bandwidth(1 << 16, repeats=2) > 0
    assert harness.memory_floor_seconds(300, 100, 1e3) == pytest.approx(0.4)
    with pytest.raises(ValueError, match="`bandwidth` must be positive"):
        harness.memory_floor_seconds(1, 1, 0.0)


def test_fresh_process_latency_reads_the_reported_seconds():
    assert harness.fresh_process_latency("print('noise'); print(0.25)", repeats=2) == 0.25
    code = harness.timed_snippet("import sys", setup="import os; x = os.environ['LOWRANK_T']")
    assert harness.fresh_process_latency(code, env={"LOWRANK_T": "1"}, repeats=1) >= 0
    with pytest.raises(RuntimeError, match="must print a float"):
        harness.fresh_process_latency("print('no number')", repeats=1)
    with pytest.raises(RuntimeError, match="exited with status"):
        harness.fresh_process_latency("raise SystemExit(3)", repeats=1)


def test_cold_warm_latency_uses_a_temporary_cache():
    code = "import os; print(1.0 if 'lowrank-numba-cache-' in os.environ.get('NUMBA_CACHE_DIR', '') else 2.0)"
    assert harness.cold_warm_latency(code, env={"NUMBA_CACHE_DIR": None}, repeats=1) == (1.0, 2.0)


def test_parse_args_defaults_depend_on_quick():
    quick = harness.parse_args(["--quick"])
    assert (quick.repeats, quick.plot, quick.out) == (1, False, None)
    full = harness.parse_args(["--out", "d", "--repeats", "4"])
    assert (full.repeats, full.plot, full.out) == (4, True, "d")
    assert harness.parse_args(harness.args_to_argv(quick)) == quick
    with pytest.raises(SystemExit):
        harness.parse_args(["--repeats", "0"])


def test_run_all_runs_a_discovered_script_and_writes_files(tmp_path, capsys):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "bench_toy.py").write_text(textwrap.dedent('''
        import numpy as np
        from benchmarks import harness

        def main(argv=None):
            args = harness.parse_args(argv, "toy")
            x = np.arange(100.0)
            case = harness.Case("n=100", {"ours": lambda: x.sum(), "peer": lambda: np.add.reduce(x)},
                                accuracy=lambda r: {"err": abs(r - 4950.0)}, size=100)
            return harness.run_benchmark("toy", [case], args)
    '''))
    out = tmp_path / "out"
    assert run_all.main(["--list"], directory=scripts) == 0
    assert "toy" in capsys.readouterr().out
    assert run_all.main(["nope"], directory=scripts) == 2
    assert run_all.main(["toy", "--quick", "--out", str(out), "--budget", "0.1"], directory=scripts) == 0
    assert {"toy.json", "toy.csv", "toy.md", "index.md"} <= {p.name for p in out.iterdir()}
    assert "toy                 ok" in capsys.readouterr().out


def test_cli_dispatch_errors(monkeypatch, capsys):
    assert _cli.main(["frobnicate"]) == 2
    assert "command must be one of" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "lowrank._demo", None)  # the demo module is missing
    assert _cli.main(["demo"]) == 2
    assert "lowrank/_demo.py is missing" in capsys.readouterr().err
    monkeypatch.setenv("LOWRANK_BENCHMARKS_DIR", str(REPO / "benchmarks"))
    assert _cli.find_benchmarks_dir() == (REPO / "benchmarks").resolve()


def test_python_m_lowrank_info_runs():
    proc = subprocess.run([sys.executable, "-m", "lowrank", "info"], capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "numba" in proc.stdout and "threading layer" in proc.stdout
