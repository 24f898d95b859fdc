"""Running the real Snakemake workflow in a temporary directory (the pipeline tests)."""
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def write_config(d: Path, cfg: dict) -> Path:
    p = d / "config.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return p


def smk(d: Path, *args, check=True, timeout=600):
    cmd = ["snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(d), "--configfile",
           str(d / "config.yaml"), "--profile", str(ROOT / "profiles" / "default"), "--cores", "2",
           *args]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and res.returncode != 0:
        raise AssertionError(f"snakemake failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-5000:]}")
    return res


def job_counts(text: str) -> dict:
    """{rule: count} from the "Job stats" table of Snakemake's output ({} if there is none)."""
    if "Job stats:" not in text:
        return {}
    stats = text.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    return {p[0]: int(p[1]) for p in (line.split() for line in stats.splitlines())
            if len(p) == 2 and p[1].isdigit() and p[0] not in ("total", "job")}


def planned_jobs(d: Path) -> dict:
    """{rule: count} of what a dry run would execute."""
    res = smk(d, "-n")
    text = res.stdout + res.stderr
    return {} if "Nothing to be done" in text else job_counts(text)
