"""Tests of the ``lqcd autocorr`` sub-command."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.signal import lfilter

from lqcd_core.analysis import gamma_method
from lqcd_core.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
KEYS = ["mean", "error", "tau_int", "dtau_int", "window", "n", "n_indep"]


@pytest.fixture
def csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 3000
    x = 0.6 + 0.01 * lfilter([1.0], [1.0, -0.8], rng.standard_normal(n))
    df = pd.DataFrame({
        "trajectory": np.r_[np.arange(2000), np.arange(1000)],
        "stream": ["a"] * 2000 + ["b"] * 1000,
        "plaquette": x,
        "constant": 1.0,
        "delta_h": "",
    })
    path = tmp_path / "run.csv"
    df.to_csv(path, index=False)
    return path, x


def run_json(capsys, argv):
    assert main(argv) == 0
    out = capsys.readouterr().out
    return json.loads(out)


def test_json_output_matches_the_library_result(csv, capsys):
    path, x = csv
    got = run_json(capsys, ["autocorr", str(path), "--column", "plaquette", "--json"])
    ref = gamma_method(x)
    assert list(got)[: len(KEYS)] == KEYS
    for k in KEYS:
        assert got[k] == pytest.approx(getattr(ref, k), rel=1e-12)


def test_replica_column_skip_and_S_are_passed_to_the_gamma_method(csv, capsys):
    path, x = csv
    got = run_json(capsys, ["autocorr", str(path), "--column", "plaquette", "--replica-column",
                            "stream", "--skip", "100", "--S", "1.5", "--json"])
    ref = gamma_method([x[100:2000], x[2100:]], S=1.5)
    assert got["n_replicas"] == 2 and got["n"] == 2800 and got["S"] == 1.5
    for k in KEYS:
        assert got[k] == pytest.approx(getattr(ref, k), rel=1e-12)


def test_skip_auto_uses_the_thermalization_rule(csv, capsys):
    path, _ = csv
    got = run_json(capsys, ["autocorr", str(path), "--column", "plaquette", "--skip", "auto", "--json"])
    assert isinstance(got["skip"], int) and got["n"] == 3000 - got["skip"]


def test_default_output_is_a_table_with_the_main_keys(csv, capsys):
    path, _ = csv
    assert main(["autocorr", str(path), "--column", "plaquette"]) == 0
    lines = capsys.readouterr().out.splitlines()
    first_words = [line.split()[0] for line in lines]
    assert first_words[: len(KEYS)] == KEYS


@pytest.mark.parametrize(
    "extra,match",
    [
        (["--column", "nope"], "column 'nope' not in"),
        (["--column", "constant"], "constant"),
        (["--column", "delta_h"], "non-numeric or non-finite"),
        (["--column", "plaquette", "--replica-column", "nope"], "column 'nope'"),
        (["--column", "plaquette", "--skip", "5000"], "discards all"),
        (["--column", "plaquette", "--skip", "-3"], "non-negative"),
        (["--column", "plaquette", "--skip", "many"], "--skip must be"),
        (["--column", "plaquette", "--S", "-1"], "--S must be"),
    ],
)
def test_user_mistakes_exit_2_with_one_line_on_stderr(csv, capsys, extra, match):
    path, _ = csv
    assert main(["autocorr", str(path), *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert "lqcd autocorr: error:" in captured.err
    assert re.search(match, captured.err)


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["autocorr", str(tmp_path / "missing.csv"), "--column", "x"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_short_series_exits_2(tmp_path, capsys):
    path = tmp_path / "short.csv"
    path.write_text("x\n1\n2\n")
    assert main(["autocorr", str(path), "--column", "x"]) == 2
    assert "too short" in capsys.readouterr().err


def test_module_entry_point_via_subprocess(csv):
    path, x = csv
    proc = subprocess.run([sys.executable, "-m", "lqcd_core", "autocorr", str(path), "--column",
                           "plaquette", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["error"] == pytest.approx(gamma_method(x).error, rel=1e-12)
    bad = subprocess.run([sys.executable, "-m", "lqcd_core", "autocorr", str(path), "--column", "nope"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "not in" in bad.stderr
