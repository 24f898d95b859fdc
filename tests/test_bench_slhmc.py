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
