"""The Snakemake pipeline on a tiny 2D U(1) ensemble: complete, idempotent, restartable, extensible.

Each test runs the real workflow (``snakemake`` in a subprocess) in a temporary directory.
"""
import json
import os
import shutil
import signal
import subprocess
import time

import numpy as np
import pandas as pd
import pytest

from smk_helpers import ROOT, planned_jobs, smk, write_config

pytestmark = pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake is not installed")

TINY = {
    "results": "results",
    "resources": {"generate": {"threads": 1, "mem_mb": 500, "runtime": 5},
                  "measure": {"threads": 1, "mem_mb": 500, "runtime": 5},
                  "analyse": {"threads": 1, "mem_mb": 500, "runtime": 5}},
    "ensembles": {
        "u1_2d": {"group": "u1", "lattice": [8, 8], "beta": 2.0, "algorithm": "hmc", "steps": 6,
                  "n_therm": 10, "n_traj": 40, "block": 20, "save_every": 5, "streams": 1,
                  "seed": 7, "measure": ["plaquette", "polyakov", "topology"],
                  "flow": {"every": 2, "eps": 0.1, "tmax": 3.0}},
    },
}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    d = tmp_path_factory.mktemp("pipe")
    write_config(d, TINY)
    smk(d)
    return d


def test_complete_run_leaves_summary_and_plots(finished):
    res = finished / "results" / "u1_2d"
    summary = pd.read_csv(res / "summary.csv")
    assert {"observable", "mean", "error", "tau_int", "dtau_int", "n", "n_indep"} <= set(summary.columns)
    plaq = summary.set_index("observable").loc["plaquette"]
    assert plaq["n"] == 40 - plaq["therm_cut"]
    assert 0 < plaq["mean"] < 1 and plaq["error"] > 0
    for obs in ("plaquette", "polyakov_re", "polyakov_abs"):
        for kind in ("history", "rho", "tauint", "hist"):
            png = res / "plots" / f"{obs}_{kind}.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    traj = pd.read_csv(res / "trajectories.csv")
    assert list(traj["trajectory"]) == list(range(1, 51))
    flow = pd.read_csv(res / "flow.csv")
    assert sorted(flow["trajectory"].unique()) == [20, 30, 40, 50]
    assert {"t0", "w0", "Q_flow"} <= set(summary["observable"])
    for kind in ("t2E", "W", "Q_history", "Q_hist"):
        assert (res / "plots" / f"flow_{kind}.png").read_bytes()[:4] == b"\x89PNG"
    meas = pd.read_csv(res / "measurements.csv")
    assert list(meas["trajectory"]) == list(range(15, 51, 5))


def test_rerun_does_nothing(finished):
    assert planned_jobs(finished) == {}


def test_dry_run_and_lint_are_clean(tmp_path):
    write_config(tmp_path, TINY)
    assert smk(tmp_path, "-n").returncode == 0
    lint = smk(tmp_path, "--lint", check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_raising_n_traj_runs_only_new_blocks(tmp_path, finished):
    d = tmp_path / "ext"
    shutil.copytree(finished, d)
    old = {p: p.read_bytes() for p in (d / "results" / "u1_2d").glob("s0/block000[0-2]/*")
           if p.is_file()}
    cfg = json.loads(json.dumps(TINY))
    cfg["ensembles"]["u1_2d"]["n_traj"] = 60
    write_config(d, cfg)
    jobs = planned_jobs(d)
    assert jobs.get("production_block") == 1
    assert jobs.get("measure") == 4
    assert jobs.get("flow") == 2
    assert "thermalize" not in jobs
    smk(d)
    for p, content in old.items():
        assert p.read_bytes() == content, f"{p} was rewritten"
    assert (d / "results" / "u1_2d" / "s0" / "block0003" / "checkpoint.h5").is_file()


def test_killed_run_resumes_bit_identically(tmp_path, finished):
    from lqcd_core.io import read_checkpoint
    d = tmp_path / "killed"
    d.mkdir()
    write_config(d, TINY)
    cmd = ["snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(d), "--configfile",
           str(d / "config.yaml"), "--profile", str(ROOT / "profiles" / "default"), "--cores", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    log = d / "results" / "logs" / "u1_2d" / "s0" / "block0002.log"
    deadline = time.time() + 300
    while time.time() < deadline and not (log.exists() and "traj" in log.read_text()):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole job tree, mid-block (power loss)
    proc.wait()
    smk(d, "--unlock")  # a SIGKILL leaves Snakemake's lock behind
    smk(d)
    a = read_checkpoint(d / "results" / "u1_2d" / "s0" / "block0002" / "checkpoint.h5")
    b = read_checkpoint(finished / "results" / "u1_2d" / "s0" / "block0002" / "checkpoint.h5")
    assert a.trajectory == b.trajectory == 50
    assert np.array_equal(a.field.links, b.field.links)
    ta = pd.read_csv(d / "results" / "u1_2d" / "trajectories.csv")
    tb = pd.read_csv(finished / "results" / "u1_2d" / "trajectories.csv")
    assert ta["plaquette"].tolist() == tb["plaquette"].tolist()


@pytest.mark.parametrize("change,key", [
    ({"beta": -1.0}, "ensembles.u1_2d.beta"),
    ({"lattice": [8, 7]}, "ensembles.u1_2d.lattice"),
    ({"group": "su9"}, "ensembles.u1_2d.group"),
    ({"n_traj": 45}, "ensembles.u1_2d.n_traj"),
    ({"colour": 3}, "ensembles.u1_2d"),
])
def test_schema_errors_name_the_key_before_any_job(tmp_path, change, key):
    cfg = json.loads(json.dumps(TINY))
    cfg["ensembles"]["u1_2d"].update(change)
    write_config(tmp_path, cfg)
    res = smk(tmp_path, check=False)
    assert res.returncode != 0
    assert key in res.stdout + res.stderr
    assert not (tmp_path / "results").exists()


def test_changed_physics_under_existing_results_is_refused(tmp_path, finished):
    d = tmp_path / "changed"
    shutil.copytree(finished, d)
    cfg = json.loads(json.dumps(TINY))
    cfg["ensembles"]["u1_2d"]["beta"] = 2.5
    write_config(d, cfg)
    before = sorted(p.stat().st_mtime_ns for p in (d / "results").rglob("*") if p.is_file())
    res = smk(d, check=False)
    assert res.returncode != 0
    assert "ensembles.u1_2d.beta changed" in res.stdout + res.stderr
    assert before == sorted(p.stat().st_mtime_ns for p in (d / "results").rglob("*") if p.is_file())
