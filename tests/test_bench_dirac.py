"""Smoke test of bench/bench_dirac.py: the --quick path on 4^4 runs and writes a JSON document
with the expected keys and positive finite numbers (no timing is asserted)."""
import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPERATORS = ["wilson", "wilson_clover", "wilson_eo", "wilson_clover_eo", "staggered", "staggered_eo"]
CGS = ["wilson_eo_normal", "wilson_clover_eo_normal", "staggered_eo"]


def _positive(x):
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def test_bench_dirac_quick_json(tmp_path):
    out = tmp_path / "dirac.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_dirac.py"), "--quick", "--lattice", "4,4,4,4",
         "--reps", "1", "--cg-iterations", "4", "--steps", "2", "--threads", "1",
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert json.loads(proc.stdout) == doc
    for key in ("machine", "counts", "operators", "access_pattern", "cg", "trajectory",
                "references", "comparison", "contention", "sources_sha256"):
        assert key in doc
    lim = doc["machine"]["limits"]
    assert _positive(lim["triad"]["1"]["gbytes_per_s_stream"])
    assert _positive(lim["fma"]["1"]["gflops"])
    ops = doc["operators"]["4^4"]
    for name in OPERATORS:
        e = ops[name]["1"]
        assert _positive(doc["counts"][name]["flops"]) and _positive(doc["counts"][name]["bytes"])
        for k in ("ns_per_site", "applications_per_second", "gflops", "gbytes_per_s",
                  "roofline_ns_per_site", "fraction_of_roofline", "fraction_of_fma_peak"):
            assert _positive(e[k]), (name, k, e[k])
    for name in ("wilson_access", "staggered_access"):
        assert _positive(doc["access_pattern"]["4^4"][name]["1"]["ns_per_site"])
    for name in CGS:
        e = doc["cg"]["4^4"][name]["1"]
        for k in ("ns_per_site", "operator_ns_per_site", "blas_kernels_ns_per_site"):
            assert _positive(e[k]), (name, k, e[k])
        assert math.isfinite(e["linalg_ns_per_site"])
    tr = doc["trajectory"]
    for name in ("wilson_clover_nf2", "staggered_nf4"):
        e = tr[name]["1"]
        for k in ("seconds_per_trajectory", "solver_seconds", "dirac_applications",
                  "seconds_per_application", "solver_share", "dirac_share"):
            assert _positive(e[k]), (name, k, e[k])
    assert doc["references"]["openqcd_wilson_clover_ns_per_site"]["8^4"]["ns"][0] == 205.0
    assert "wilson_4^4_1thr_fraction_of_roofline" in doc["comparison"]
    # the markdown report renders from the saved file
    rep = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_dirac.py"), "--report", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert rep.returncode == 0, rep.stderr[-2000:]
    assert "Wilson–clover M" in rep.stdout and "CG iteration" in rep.stdout
