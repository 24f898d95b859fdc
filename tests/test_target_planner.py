"""Precision-driven production (lqcd_core.pipeline.target): the decisions of the rounds, fed with
AR(1) streams of known autocorrelation through the same summary the pipeline uses."""
import math

import numpy as np
import pandas as pd
import pytest

from lqcd_core.pipeline import ConfigError, load_schema, validate_config
from lqcd_core.pipeline.progress import progress_table, summary_of
from lqcd_core.pipeline.target import BUDGET, MET, criteria, plan_round, status_line, final_status
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")


def ar1(n, rho, rng, mean=0.5, sigma=0.01):
    """AR(1) with unit-variance innovations scaled to stationary std sigma; tau_int = (1+rho)/(2(1-rho))."""
    x = np.empty(n)
    x[0] = rng.standard_normal()
    eps = rng.standard_normal(n) * math.sqrt(1 - rho**2)
    for i in range(1, n):
        x[i] = rho * x[i - 1] + eps[i]
    return mean + sigma * x


def tau_of(rho):
    return (1 + rho) / (2 * (1 - rho))


class Streams:
    """Growing AR(1) chains in the layout of the pipeline's trajectory table (therm + prod)."""

    def __init__(self, ens, rho, seed=0, mean=0.5):
        self.ens, self.rho, self.mean = ens, rho, mean
        rng = np.random.default_rng(seed)
        self.long = [ar1(50_000, rho, rng, mean) for _ in range(ens["streams"])]

    def table(self, blocks):
        e = self.ens
        n = e["n_therm"] + blocks * e["block"]
        frames = []
        for s, x in enumerate(self.long):
            frames.append(pd.DataFrame({
                "stream": s, "trajectory": np.arange(1, n + 1),
                "phase": ["therm"] * e["n_therm"] + ["prod"] * (n - e["n_therm"]),
                "plaquette": x[:n], "accepted": 1.0, "seconds": 0.01, "delta_h": 0.0}))
        return pd.concat(frames, ignore_index=True)

    def summary(self, blocks):
        return summary_of(self.table(blocks), pd.DataFrame(columns=["stream", "trajectory"]), None,
                          self.ens, 2.0)

    def run(self, max_rounds=50):
        """Rounds as the workflow runs them; returns the list of decisions."""
        blocks, plans = self.ens["n_traj"] // self.ens["block"], []
        for r in range(1, max_rounds):
            plans.append(plan_round(self.summary(blocks), self.ens, blocks, r))
            if plans[-1]["done"]:
                return plans
            assert plans[-1]["blocks"] > blocks, "a round that does not stop must grow"
            blocks = plans[-1]["blocks"]
        raise AssertionError("the rounds did not stop")


def ensemble(**target):
    ens = {"group": "u1", "lattice": [8, 8], "beta": 2.0, "n_therm": 20, "n_traj": 100, "block": 50,
           "save_every": 50, "streams": 2, "seed": 1, "measure": ["plaquette"],
           "target": {"observables": ["plaquette"], "n_indep": None, "rel_error": {}, "max_traj": 20_000,
                      "safety": 1.0, "max_growth": 4.0}}
    ens["target"].update(target)
    return ens


@pytest.mark.parametrize("rho", [0.5, 0.8, 0.9])
def test_ar1_stream_reaches_target_n_indep_and_stops(rho):
    ens = ensemble(n_indep=200)
    plans = Streams(ens, rho, seed=int(rho * 100)).run()
    last = plans[-1]
    assert last["reason"] == MET
    n_total = last["blocks"] * ens["block"] * ens["streams"]
    true_n_indep = n_total / (2 * tau_of(rho))
    # reached (the true N_indep within the statistical margin of tau_int) ...
    assert true_n_indep >= 0.75 * 200
    # ... without producing much more than needed (growth is capped and projected)
    assert true_n_indep <= 4.0 * 200
    assert last["criteria"][0]["value"] >= 200


def test_budget_is_never_exceeded_and_named_as_stop_reason():
    ens = ensemble(n_indep=10_000, max_traj=420)  # unreachable: 8 blocks of 50 are allowed
    plans = Streams(ens, 0.9, seed=3).run()
    assert plans[-1]["reason"] == BUDGET
    assert all(p["blocks"] * ens["block"] <= 420 for p in plans)
    assert plans[-1]["blocks"] == 420 // 50
    rem = plans[-1]["remaining"]
    assert rem["trajectories"] > 0 and rem["seconds"] > 0  # projected cost of the rest


def test_rel_error_target_is_met_with_the_projected_statistics():
    sigma = 0.01
    ens = ensemble(rel_error={"plaquette": 4e-4})
    plans = Streams(ens, 0.7, seed=5).run()
    assert plans[-1]["reason"] == MET
    n_total = plans[-1]["blocks"] * ens["block"] * ens["streams"]
    true_rel = sigma * math.sqrt(2 * tau_of(0.7) / n_total) / 0.5
    assert true_rel <= 4e-4 * 1.3
    assert true_rel >= 4e-4 / 4  # not wildly overshot


def test_first_round_already_enough_stops_without_growing():
    ens = ensemble(n_indep=5)
    plans = Streams(ens, 0.3, seed=2).run()
    assert len(plans) == 1 and plans[0]["reason"] == MET and plans[0]["blocks"] == 2


def test_growth_per_round_is_capped():
    ens = ensemble(n_indep=5000, max_growth=2.0)
    plans = Streams(ens, 0.9, seed=4).run()
    for p in plans[:-1]:
        assert p["blocks"] <= max(p["blocks_done"] + 1, 2 * p["blocks_done"])


def test_safety_factor_makes_the_decision_more_conservative():
    s = Streams(ensemble(n_indep=100), 0.8, seed=6)
    summ = s.summary(4)
    loose = criteria(summ, {**s.ens["target"], "n_indep": 100, "safety": 0.0})[0]
    strict = criteria(summ, {**s.ens["target"], "n_indep": 100, "safety": 2.0})[0]
    row = summ.set_index("observable").loc["plaquette"]
    assert loose["value"] == pytest.approx(row["n_indep"])
    assert strict["value"] == pytest.approx(row["n_indep"] * row["tau_int"] / (row["tau_int"] + 2 * row["dtau_int"]))
    assert strict["value"] < loose["value"]


def test_progress_table_and_status_line():
    ens = ensemble(n_indep=200)
    s = Streams(ens, 0.8, seed=7)
    plans = s.run()
    table = progress_table(s.table(plans[-1]["blocks"]), pd.DataFrame(columns=["stream", "trajectory"]),
                           None, ens, 2.0)
    assert table["traj_per_stream"].iloc[-1] == plans[-1]["blocks"] * ens["block"]
    assert bool(table["met"].iloc[-1])
    assert (np.diff(table["traj_per_stream"]) > 0).all()
    line = status_line("u1", final_status(plans, ens))
    assert "target met" in line and "plaquette n_indep" in line


def _cfg(target, **ens_extra):
    ens = {"group": "u1", "lattice": [8, 8], "beta": 2.0, "algorithm": "heatbath", "n_therm": 10,
           "n_traj": 40, "block": 20, "save_every": 10, "seed": 1, "measure": ["plaquette"], "target": target}
    ens.update(ens_extra)
    return {"ensembles": {"e": ens}}


@pytest.mark.parametrize("target, key", [
    ({"n_indep": 100}, "max_traj"),                                  # budget is required
    ({"n_indep": 100, "max_traj": 20}, "max_traj"),                  # below n_traj
    ({"max_traj": 100}, "n_indep and/or rel_error"),                 # nothing to reach
    ({"n_indep": 100, "max_traj": 100, "observables": ["polyakov_abs"]}, "polyakov_abs"),  # not measured
    ({"rel_error": {"t0": 0.01}, "max_traj": 100}, "t0"),             # no flow
    ({"n_indep": -1, "max_traj": 100}, "n_indep"),
])
def test_bad_targets_are_refused_naming_the_key(target, key):
    with pytest.raises(ConfigError, match=key):
        validate_config(_cfg(target), SCHEMA)


def test_good_target_gets_defaults():
    cfg = validate_config(_cfg({"n_indep": 50, "max_traj": 200, "observables": ["plaquette", "polyakov_abs"]},
                               measure=["plaquette", "polyakov"]), SCHEMA)
    tg = cfg["ensembles"]["e"]["target"]
    assert tg["safety"] == 1.0 and tg["max_growth"] == 4.0 and tg["rel_error"] == {}
