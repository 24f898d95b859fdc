"""Smoke test of bench/bench_slhmc.py --quick: a 2^4 lattice, a handful of trajectories; the
JSON document has the expected keys and finite positive numbers (nothing is timed)."""
import json
import math
import sys
from pathlib import Path

import numba
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import bench_slhmc  # noqa: E402


def _positive(x):
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


@pytest.fixture(scope="module")
def doc(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench_slhmc")
    path = out / "slhmc.json"
    threads = numba.get_num_threads()      # main() sets one Numba thread; restore it after
    try:
        d = bench_slhmc.main(["--quick", "--algorithms", "hmc,heavy,loops", "--ntraj", "12",
                              "--out", str(path), "--plot", str(out / "slhmc.png")])
    finally:
        numba.set_num_threads(threads)
    assert (out / "slhmc.png").stat().st_size > 0
    assert json.loads(path.read_text()) == d
    return d


def test_quick_document_has_the_keys(doc):
    for key in ("config", "machine", "thermalisation", "training", "tuning", "algorithms",
                "speedup_vs_hmc", "agreement_with_hmc_sigma", "target"):
        assert key in doc, key
    assert doc["config"]["quick"] and doc["config"]["L"] == 2
    assert set(doc["algorithms"]) == {"hmc", "heavy", "loops"}
    assert doc["target"]["speedup_required"] == 3.0
    assert "loops" in doc["training"]


def test_quick_numbers_are_finite_and_positive(doc):
    for algo in ("hmc", "heavy", "loops"):
        r = doc["algorithms"][algo]
        assert r["n_traj"] == 12
        assert 0.0 <= r["acceptance"] <= 1.0
        for key in ("dirac_per_traj", "seconds_per_traj", "steps"):
            assert _positive(r[key]), (algo, key, r[key])
        for obs in ("plaquette", "polyakov_abs", "pbp"):
            assert obs in r["observables"]
    for algo in ("hmc", "heavy"):
        for obs in ("plaquette", "polyakov_abs"):
            o = doc["algorithms"][algo]["observables"][obs]
            for key in ("mean", "error", "tau_int", "dirac_per_indep", "seconds_per_indep"):
                assert _positive(o[key]), (algo, obs, key, o[key])
    # the loops surrogate needs no solver in the MD: fewer Dirac applications than HMC
    assert doc["algorithms"]["loops"]["dirac_per_traj"] < doc["algorithms"]["hmc"]["dirac_per_traj"]
    sp = doc["speedup_vs_hmc"]["heavy"]
    assert _positive(sp["per_trajectory"]["dirac"]) and _positive(sp["headline"]["speedup_dirac"])


def test_scan_combines_trajectory_lengths_and_picks_the_cheapest(tmp_path):
    """bench/slhmc_scan.py: rows per (algorithm, tau), the best-length and common-length
    speed-ups equal the ratios of the documents' own costs, and a missing reference fails."""
    from bench import slhmc_scan
    threads = numba.get_num_threads()
    paths = []
    try:
        for tau in (0.5, 1.0):
            p = tmp_path / f"slhmc_tau{tau}.json"
            bench_slhmc.main(["--quick", "--algorithms", "hmc,truncated", "--ntraj", "12",
                              "--tau", str(tau), "--tol-action", "1e-6", "--out", str(p)])
            paths.append(p)
        bench_slhmc.main(["--quick", "--algorithms", "truncated", "--no-reference", "--ntraj", "8",
                          "--out", str(tmp_path / "alone.json")])
    finally:
        numba.set_num_threads(threads)
    docs = [json.loads(p.read_text()) for p in paths]
    assert all(d["config"]["tol_action"] == 1e-6 for d in docs)
    assert set(json.loads((tmp_path / "alone.json").read_text())["algorithms"]) == {"truncated"}
    out = slhmc_scan.main([str(p) for p in paths] + ["--out", str(tmp_path / "scan.json"),
                                                     "--plot", str(tmp_path / "scan.png")])
    assert (tmp_path / "scan.png").stat().st_size > 0
    assert {(r["algorithm"], r["tau"]) for r in out["rows"]} == {
        (a, t) for a in ("hmc", "truncated_k8") for t in (0.5, 1.0)}
    cost = {(a, t): d["algorithms"][a]["observables"]["plaquette"]["dirac_per_indep"]
            for t, d in zip((0.5, 1.0), docs) for a in ("hmc", "truncated")}
    best = out["best"]["truncated_k8"]["plaquette_dirac"]
    t0 = min((0.5, 1.0), key=lambda t: cost["hmc", t])
    t1 = min((0.5, 1.0), key=lambda t: cost["truncated", t])
    assert (best["tau_hmc"], best["tau"]) == (t0, t1)
    assert best["speedup"] == pytest.approx(cost["hmc", t0] / cost["truncated", t1])
    common = out["common"]["truncated_k8"]["plaquette_dirac"]["1.0"]["speedup"]
    assert common == pytest.approx(cost["hmc", 1.0] / cost["truncated", 1.0])
    with pytest.raises(ValueError, match="reference"):
        slhmc_scan.load_runs([tmp_path / "alone.json"])
