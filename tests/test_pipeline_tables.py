"""Pipeline tables: the static potential from Wilson loops, robust summaries, physics guard."""
import json
import math

import numpy as np
import pandas as pd
import pytest

from lqcd_core.pipeline import EnsembleError, check_physics, physics, saved_trajectories, tune_steps
from lqcd_core.pipeline.ensemble import block_of, flowed_trajectories
from lqcd_core.pipeline.tables import potential_rows, summarize

ENS = {"group": "su3", "lattice": [4, 4, 4, 8], "beta": 5.7, "n_therm": 10, "n_traj": 40, "block": 20,
       "save_every": 5, "seed": 1, "wilson_loops": {"potential_t": 2}}


def _meas(v, n=60, streams=2, seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(streams):
        for i in range(n):
            rec = {"stream": s, "trajectory": 15 + 5 * i}
            for r, vr in enumerate(v, start=1):
                for t in (1, 2, 3):
                    rec[f"W_{r}_{t}"] = np.exp(-vr * t) * (1 + 0.01 * rng.standard_normal())
            rows.append(rec)
    return pd.DataFrame(rows)


def test_static_potential_recovers_the_exponent_of_the_loops():
    v = [0.3, 0.55, 0.7]
    pot = potential_rows(_meas(v), ENS).set_index("observable")
    for r, vr in enumerate(v, start=1):
        row = pot.loc[f"V_{r}"]
        assert abs(row["mean"] - vr) < 5 * row["error"] + 1e-3
        assert 0 < row["error"] < 0.01


def test_summary_records_unusable_observables_instead_of_failing():
    traj = pd.DataFrame({"stream": np.repeat([0, 1], 40), "trajectory": np.tile(np.arange(11, 51), 2),
                         "phase": "prod", "plaquette": np.random.default_rng(1).normal(0.55, 0.01, 80),
                         "delta_h": 0.1, "accepted": 1, "seconds": 0.01})
    meas = _meas([0.4], n=8)
    meas["Q_clover"] = np.arange(len(meas), dtype=float)
    meas.loc[3, "Q_clover"] = np.nan  # a broken measurement: the Gamma method refuses it
    summary = summarize(traj, meas, dict(ENS, measure=["plaquette"]))
    rows = summary.set_index("observable")
    assert np.isfinite(rows.loc["plaquette", "error"])
    assert "note" in summary.columns and isinstance(rows.loc["Q_clover", "note"], str)


def test_saved_flowed_and_block_bookkeeping_agree():
    ens = dict(ENS, flow={"every": 3})
    saved = [t for b in (1, 2) for t in saved_trajectories(ens, b)]
    assert saved == list(range(15, 51, 5))
    assert all(block_of(ens, t) == (1 if t <= 30 else 2) for t in saved)
    flowed = [t for b in (1, 2) for t in flowed_trajectories(ens, b)]
    assert flowed == saved[2::3]


def test_changed_physics_is_refused_naming_the_key(tmp_path):
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "params.json").write_text(json.dumps(physics(ENS)))
    check_physics("e", ENS, tmp_path)  # unchanged: fine
    with pytest.raises(EnsembleError, match=r"ensembles\.e\.beta changed"):
        check_physics("e", dict(ENS, beta=6.0), tmp_path)


@pytest.mark.parametrize("acc,expect", [(0.2, "up"), (0.99, "down"), (0.82, "same")])
def test_step_tuning_moves_towards_the_target(acc, expect):
    new = tune_steps(10, acc, 0.8)
    assert {"up": new > 10, "down": new < 10, "same": new == 10}[expect]


def test_expected_acceptance_is_an_unbiased_lower_variance_estimate_of_the_accept_rate():
    """min(1, e^-dH) averages to the Metropolis accept rate (Rao-Blackwell), with a smaller
    spread over 10-trajectory windows than the 0/1 flags; dH ~ N(s^2/2, s^2) as in HMC."""
    from lqcd_core.pipeline.stages import expected_acceptance
    rng = np.random.default_rng(7)
    dh = rng.normal(0.5, 1.0, size=(20000, 10))
    p = np.vectorize(expected_acceptance)(dh)
    flags = rng.random(dh.shape) < p
    assert p.mean() == pytest.approx(flags.mean(), abs=0.005)
    assert p.mean() == pytest.approx(math.erfc(math.sqrt(0.5) / 2), abs=0.005)  # erfc(sqrt(<dH>)/2)
    assert p.mean(axis=1).std() < 0.75 * flags.mean(axis=1).std()
    assert [expected_acceptance(x) for x in (-0.3, 0.0, None, float("inf"), float("nan"))] == [1, 1, 0, 0, 0]


def test_thermalisation_warm_up_accepts_then_metropolis_and_tuning_take_over(tmp_path):
    """The first trajectories skip the Metropolis test; afterwards rejections happen again,
    the step count is tuned, and the frozen count is what the checkpoint carries."""
    from lqcd_core.io import read_checkpoint
    from lqcd_core.pipeline import thermalize
    from lqcd_core.pipeline.stages import WARMUP
    ens = {"group": "u1", "lattice": [8, 8], "beta": 2.0, "algorithm": "hmc", "integrator": "leapfrog",
           "steps": 1, "traj_length": 2.0, "target_acceptance": 0.8, "n_therm": 60, "seed": 3,
           "start": "hot"}
    tuning = thermalize(ens, 0, tmp_path)
    rows = pd.read_csv(tmp_path / "trajectories.csv")
    warm = min(WARMUP, 60 // 5)
    assert (rows["accepted"].iloc[:warm] == 1).all()
    assert (rows["accepted"].iloc[warm:] == 0).any()  # one leapfrog step over tau = 2 is poor
    assert tuning["steps"] > 1
    assert read_checkpoint(tmp_path / "checkpoint.h5").params["steps"] == tuning["steps"]


def test_summary_keeps_the_condensate_and_leaves_out_correlator_slices_noise_errors_and_costs():
    rng = np.random.default_rng(2)
    traj = pd.DataFrame({"stream": np.repeat([0, 1], 40), "trajectory": np.tile(np.arange(11, 51), 2),
                         "phase": "prod", "plaquette": rng.normal(0.55, 0.01, 80), "delta_h": 0.1,
                         "accepted": 1, "seconds": 0.01, "dirac_applications": 500})
    meas = _meas([0.4], n=8)
    n = len(meas)
    for col in ("pbp", "pbp_err", "pion_t00", "rho_t01", "pbp_solver_iterations",
                "correlators_dirac_applications"):
        meas[col] = rng.normal(1.0, 0.1, n)
    rows = summarize(traj, meas, dict(ENS, measure=["plaquette"])).set_index("observable")
    assert "pbp" in rows.index
    assert not {"pbp_err", "pion_t00", "rho_t01", "pbp_solver_iterations",
                "correlators_dirac_applications"} & set(rows.index)
    # the cost per independent configuration in Dirac applications: 2 tau_int x 500
    assert rows.loc["plaquette", "dirac_per_traj"] == 500
    assert rows.loc["plaquette", "dirac_per_indep"] == pytest.approx(2 * rows.loc["plaquette", "tau_int"] * 500)
