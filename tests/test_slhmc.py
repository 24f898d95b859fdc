"""SLHMC is exact for any surrogate: observables agree with the exact answer (quenched
configurations reweighted by the dense determinant) for a good and a deliberately poor
surrogate, the poor one only costs acceptance; the command line trains, freezes and runs
surrogates, and a resumed SLHMC chain is bit-identical (docs/slhmc.md)."""
import csv

import numpy as np
import pytest

from lqcd_core.actions import GaugeAction
from lqcd_core.actions.fermion import TwoFlavourAction
from lqcd_core.cli.main import main
from lqcd_core.dirac import Wilson
from lqcd_core.gauge import GaugeField
from lqcd_core.io import read_checkpoint
from lqcd_core.lattice import Lattice
from lqcd_core.markov.slhmc import slhmc
from lqcd_core.surrogate import HeavyFermionSurrogate, LoopAction

from test_fermion_exactness import BETA, EXTENTS, KAPPA, blocked, observables, quenched_reweighted


pytestmark = pytest.mark.usefixtures("single_numba_thread")


def run_slhmc(make_surrogate, n_traj, seed, n_therm=30):
    rng = np.random.default_rng(seed)
    field = GaugeField.hot(Lattice(EXTENTS), "u1", rng)
    true = TwoFlavourAction(Wilson(kappa=KAPPA, even_odd=True))
    upd = slhmc(GaugeAction(BETA), [true], make_surrogate(true), steps=5, inner_steps=2,
                scheme="omelyan")
    rows, acc = [], []
    for k in range(n_traj + n_therm):
        e = upd.trajectory(field, rng)
        if k >= n_therm:
            rows.append(observables(field, Wilson(kappa=KAPPA))[:2])
            acc.append(e["accepted"])
    plaq, pbp = np.array(rows).T
    return {"plaquette": blocked(plaq), "pbp": blocked(pbp), "acceptance": float(np.mean(acc))}


@pytest.fixture(scope="module")
def exact():
    return quenched_reweighted(3000)


def good(true):
    return HeavyFermionSurrogate(Wilson(kappa=0.18, even_odd=True), source=true)


def poor(true):
    # a pure-gauge surrogate with a wildly wrong coupling: no solver in the MD at all
    return LoopAction(("plaquette",), [0.4], ndim=2, nc=1)


def test_slhmc_agrees_with_the_exact_answer_for_good_and_poor_surrogates(exact):
    res = {name: run_slhmc(f, 700, seed) for name, f, seed in (("good", good, 3), ("poor", poor, 4))}
    for name, r in res.items():
        for obs in ("plaquette", "pbp"):
            (a, da), (b, db) = exact[obs], r[obs]
            assert abs(a - b) < 4 * np.hypot(da, db), (name, obs, exact[obs], r[obs])
    assert res["poor"]["acceptance"] < res["good"]["acceptance"] - 0.1, res
    assert res["poor"]["acceptance"] > 0.02, res


def test_slhmc_trajectory_logs_true_and_surrogate_cost():
    rng = np.random.default_rng(0)
    field = GaugeField.hot(Lattice(EXTENTS), "u1", rng)
    true = TwoFlavourAction(Wilson(kappa=KAPPA, even_odd=True))
    upd = slhmc(GaugeAction(BETA), [true], poor(true), steps=5, inner_steps=2, scheme="omelyan")
    e = upd.trajectory(field, rng)
    # loops surrogate: only the heatbath and the two Metropolis actions solve
    assert e["solves"] == 2


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("kind", ["loops", "heavy", "neural", "truncated"])
def test_train_surrogate_then_resumed_slhmc_chain_is_bit_identical(tmp_path, kind):
    base = ["--group", "u1", "--lattice", "4,4", "--beta", "2.0", "--progress", "none"]
    ferm = ["--fermion", "wilson", "--kappa", "0.2"]
    assert main(["generate"] + base + ferm + ["--steps", "4", "--therm", "5", "--ntraj", "12",
                                              "--save-every", "2", "--start", "hot",
                                              "--out", str(tmp_path / "hmc")]) == 0
    model = tmp_path / f"{kind}.h5"
    assert main(["train-surrogate", "--kind", kind, "--configs", str(tmp_path / "hmc"), "--heavy", "0.15",
                 "--epochs", "2", "--out", str(model)] + ferm) == 0
    assert main(["train-surrogate", "--kind", kind, "--configs", str(tmp_path / "hmc"), "--heavy", "0.15",
                 "--out", str(model)] + ferm) == 2  # no silent overwrite
    run = ["generate", "--algorithm", "slhmc", "--surrogate", str(model)] + base + ferm + [
        "--steps", "4", "--start", str(tmp_path / "hmc" / "checkpoint.h5")]
    assert main(run + ["--ntraj", "4", "--out", str(tmp_path / "full")]) == 0
    assert main(run + ["--ntraj", "2", "--out", str(tmp_path / "split"), "--checkpoint-every", "2"]) == 0
    assert main(["generate", "--resume", str(tmp_path / "split"), "--ntraj", "2", "--progress", "none"]) == 0
    a, b = read_checkpoint(tmp_path / "full" / "checkpoint.h5"), read_checkpoint(tmp_path / "split" / "checkpoint.h5")
    assert np.array_equal(a.field.links, b.field.links)
    assert a.params["algorithm"] == "slhmc" and a.params["surrogate"]["kind"] == kind
    ra, rb = _rows(tmp_path / "full" / "trajectories.csv"), _rows(tmp_path / "split" / "trajectories.csv")
    assert [r["delta_h"] for r in ra] == [r["delta_h"] for r in rb]


@pytest.mark.parametrize("args,message", [
    (["--algorithm", "slhmc", "--fermion", "wilson", "--kappa", "0.2"], "needs a trained surrogate"),
    (["--algorithm", "slhmc"], "needs dynamical fermions"),
    (["--algorithm", "slhmc", "--surrogate", "/nonexistent.h5", "--fermion", "wilson", "--kappa", "0.2"],
     "no model file"),
])
def test_bad_slhmc_arguments_fail_before_any_work(tmp_path, capsys, args, message):
    out = tmp_path / "never"
    rc = main(["generate", "--group", "u1", "--lattice", "4,4", "--beta", "2", "--ntraj", "1",
               "--out", str(out)] + args)
    assert rc == 2 and message in capsys.readouterr().err
    assert not out.exists()
