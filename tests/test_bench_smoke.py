"""Smoke tests of the benchmark scripts: their --quick mode runs and exits 0."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _run_quick(module, *extra, timeout=300):
    return subprocess.run([sys.executable, "-m", module, "--quick", *extra], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_bench_transforms_quick(tmp_path):
    pytest.importorskip("scipy")
    proc = _run_quick("benchmarks.bench_transforms", "--out", str(tmp_path))
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
    assert "targets" in proc.stdout
    data = json.loads((tmp_path / "transforms.json").read_text())
    assert data["name"] == "transforms"
    assert data["cases"] and "targets" in data["extra"]


def test_bench_nystrom_cur_quick(tmp_path):
    pytest.importorskip("scipy")
    proc = _run_quick("benchmarks.bench_nystrom_cur", "--out", str(tmp_path))
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
    assert "targets" in proc.stdout
    data = json.loads((tmp_path / "nystrom_cur.json").read_text())
    assert data["name"] == "nystrom_cur"
    assert data["cases"] and "targets" in data["extra"]


def test_bench_rsvd_quick(tmp_path):
    pytest.importorskip("scipy")
    proc = _run_quick("benchmarks.bench_rsvd", "--out", str(tmp_path))
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
    assert "targets" in proc.stdout
    data = json.loads((tmp_path / "rsvd.json").read_text())
    assert data["name"] == "rsvd"
    assert data["cases"] and "targets" in data["extra"]
    names = {m["name"] for case in data["cases"] for m in case["methods"]}
    assert {"ours", "ours krylov", "ours tol", "sklearn"} <= names


def test_bench_lstsq_quick(tmp_path):
    proc = _run_quick("benchmarks.bench_lstsq", "--out", str(tmp_path))
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
    data = json.loads((tmp_path / "lstsq.json").read_text())
    assert data["name"] == "lstsq"
    assert data["cases"] and "targets" in data["extra"]
