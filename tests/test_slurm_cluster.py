"""Jobs really run on the local SLURM cluster of .ci/slurm/start.sh, and the Snakemake profile
profiles/slurm drives it through snakemake-executor-plugin-slurm.

These tests need a running cluster: they run only with LQCD_SLURM=1 (set it after
`bash .ci/slurm/start.sh`) and are skipped otherwise. Nothing is mocked: every job goes through
sbatch, slurmctld, slurmd and the accounting database (sacct).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PROFILE = REPO / "profiles" / "slurm"
STATE = Path(os.environ.get("LQCD_SLURM_DIR", "/tmp/lqcd-slurm"))
JOB_TIMEOUT = 120  # seconds for a trivial job to reach a final state in sacct

pytestmark = pytest.mark.skipif(
    os.environ.get("LQCD_SLURM") != "1",
    reason="needs the local SLURM cluster: run `bash .ci/slurm/start.sh`, then set LQCD_SLURM=1",
)

FINAL_BAD = ("FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL",
             "DEADLINE", "PREEMPTED")


def slurm_env() -> dict[str, str]:
    """Environment for SLURM commands: the cluster's slurm.conf if SLURM_CONF is not set."""
    env = dict(os.environ)
    conf = STATE / "etc" / "slurm.conf"
    if "SLURM_CONF" not in env and conf.is_file():
        env["SLURM_CONF"] = str(conf)
    return env


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    kw.setdefault("timeout", 60)
    return subprocess.run(cmd, capture_output=True, text=True, env=slurm_env(), **kw)


@pytest.fixture(scope="module", autouse=True)
def cluster_up():
    """Fail (not skip) if LQCD_SLURM=1 but the cluster does not answer."""
    for tool in ("sbatch", "sacct", "sinfo"):
        assert shutil.which(tool), f"LQCD_SLURM=1 but {tool} is not installed"
    out = run(["sinfo", "-h", "-o", "%P %a %T"])
    assert out.returncode == 0, f"sinfo failed: {out.stderr}"
    assert "*" in out.stdout, f"no default partition: {out.stdout!r}"


def sbatch(tmp_path: Path, *args: str, wrap: str) -> tuple[str, Path]:
    """Submit `wrap` as a batch job; return its job id and its output file."""
    out_file = tmp_path / "job-%j.out"
    res = run(["sbatch", "--parsable", "-t", "2", "-o", str(out_file), *args, "--wrap", wrap])
    assert res.returncode == 0, f"sbatch failed: {res.stderr}"
    job_id = res.stdout.strip().split(";")[0]
    assert job_id.isdigit(), f"unexpected sbatch output: {res.stdout!r}"
    return job_id, tmp_path / f"job-{job_id}.out"


def sacct(job_id: str, fields: str) -> str:
    res = run(["sacct", "-n", "-X", "-P", "-j", job_id, "-o", fields])
    return res.stdout.strip().splitlines()[0] if res.stdout.strip() else ""


def wait_final_state(job_id: str) -> str:
    """Poll sacct (the accounting database) until the job reaches a final state."""
    deadline = time.monotonic() + JOB_TIMEOUT
    state = ""
    while time.monotonic() < deadline:
        state = sacct(job_id, "State")
        if state == "COMPLETED" or state.startswith(FINAL_BAD):
            return state
        time.sleep(0.5)
    pytest.fail(f"job {job_id} not finished after {JOB_TIMEOUT}s (sacct state {state!r})")


def wait_record(job_id: str, fields: str, expected: str, timeout: float = 30) -> None:
    """The accounting record shows `expected` for `fields` within `timeout` seconds.

    slurmdbd can report a job's final state a moment before the rest of its record (a fast
    job's end may be stored before its start message, which carries e.g. the job name).
    """
    deadline = time.monotonic() + timeout
    while (got := sacct(job_id, fields)) != expected and time.monotonic() < deadline:
        time.sleep(0.5)
    assert got == expected, f"sacct -o {fields} for job {job_id}: {got!r} != {expected!r}"


def test_sbatch_job_is_recorded_completed_by_sacct(tmp_path):
    job_id, out = sbatch(tmp_path, "-J", "lqcd-test-hello", wrap="echo hello from $SLURM_JOB_ID")
    assert wait_final_state(job_id) == "COMPLETED"
    assert out.read_text().strip() == f"hello from {job_id}"
    # the accounting record has the job's name and a zero exit code
    wait_record(job_id, "JobName,ExitCode", "lqcd-test-hello|0:0")


def test_failing_job_is_recorded_failed(tmp_path):
    job_id, _ = sbatch(tmp_path, wrap="exit 3")
    assert wait_final_state(job_id) == "FAILED"
    wait_record(job_id, "ExitCode", "3:0")


def test_cpus_per_task_reaches_the_job(tmp_path):
    cpus = run(["sinfo", "-h", "-o", "%c"]).stdout.split()
    if not cpus or int(cpus[0].rstrip("+")) < 2:
        pytest.skip(f"the node has fewer than 2 CPUs ({cpus})")
    job_id, out = sbatch(tmp_path, "--cpus-per-task=2",
                         wrap='echo "$SLURM_CPUS_PER_TASK $SLURM_CPUS_ON_NODE"')
    assert wait_final_state(job_id) == "COMPLETED"
    assert out.read_text().split() == ["2", "2"]
    wait_record(job_id, "AllocCPUS", "2")


SNAKEFILE = """\
rule all:
    input: "result.txt"

rule make_result:
    output: "result.txt"
    threads: 1
    resources: runtime=5, mem_mb=500
    shell: "echo $SLURM_JOB_ID > {output}"
"""


def test_snakemake_profile_runs_workflow_on_the_cluster(tmp_path):
    if importlib.util.find_spec("snakemake") is None:
        pytest.skip("snakemake is not installed (pip install -e '.[workflow]')")
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.skip("snakemake-executor-plugin-slurm is not installed")
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    snakemake = shutil.which("snakemake")
    cmd = [snakemake] if snakemake else [sys.executable, "-m", "snakemake"]
    cmd += ["--profile", str(PROFILE), "--executor", "slurm",
            # a trivial job is done in a second: check its state soon after submission
            "--slurm-init-seconds-before-status-checks", "2"]
    res = run(["timeout", "-k", "10", "300", *cmd], cwd=tmp_path, timeout=330)
    log = res.stdout + res.stderr
    assert res.returncode == 0, f"snakemake failed (exit {res.returncode}):\n{log[-4000:]}"
    # the job went through SLURM: submitted with a job id that sacct reports COMPLETED, and
    # the rule's shell ran inside that job
    ids = re.findall(r"submitted with SLURM jobid (\d+)", log)
    assert len(ids) == 1, log[-4000:]
    assert wait_final_state(ids[0]) == "COMPLETED"
    assert (tmp_path / "result.txt").read_text().strip() == ids[0]
