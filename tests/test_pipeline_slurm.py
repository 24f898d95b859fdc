"""The tiny pipeline through `snakemake --profile profiles/slurm` on the real local SLURM cluster.

Runs only with LQCD_SLURM=1 (CI sets it after `bash .ci/slurm/start.sh`). Every job goes
through sbatch, slurmctld, slurmd and sacct; the summary and the HTML report are checked.
"""
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from test_pipeline import TINY, write_config
from test_slurm_cluster import slurm_env

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    os.environ.get("LQCD_SLURM") != "1",
    reason="needs the local SLURM cluster: run `bash .ci/slurm/start.sh`, then set LQCD_SLURM=1",
)


def test_pipeline_runs_on_slurm_and_reports(tmp_path):
    write_config(tmp_path, TINY)
    base = ["snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path), "--configfile",
            str(tmp_path / "config.yaml"), "--profile", str(ROOT / "profiles" / "slurm")]
    res = subprocess.run(base + ["--slurm-init-seconds-before-status-checks", "2", "--latency-wait", "5"],
                         capture_output=True, text=True, env=slurm_env(), timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-5000:]
    summary = pd.read_csv(tmp_path / "results" / "u1_2d" / "summary.csv")
    plaq = summary.set_index("observable").loc["plaquette"]
    assert plaq["n"] > 0 and plaq["error"] > 0 and plaq["tau_int"] >= 0.5 - 1e-9
    # the production jobs really ran under SLURM
    log = (tmp_path / "results" / "logs" / "u1_2d" / "s0" / "block0001.log").read_text()
    assert "Numba thread" in log
    sacct = subprocess.run(["sacct", "-X", "-n", "-P", "-o", "JobName,State", "-S", "now-1hour"],
                           capture_output=True, text=True, env=slurm_env(), timeout=60).stdout
    assert "COMPLETED" in sacct
    rep = subprocess.run(base + ["--report", str(tmp_path / "report.html")], capture_output=True,
                         text=True, env=slurm_env(), timeout=300)
    assert rep.returncode == 0, rep.stderr[-3000:]
    html = (tmp_path / "report.html").read_text(errors="replace")
    assert "summary.csv" in html and "plaquette_history.png" in html
