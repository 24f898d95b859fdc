"""Algorithm comparison: the χ² agreement test flags a planted biased stream and passes
agreeing ones at its nominal rate; ensembles are grouped by physics, not by algorithm."""
import numpy as np
import pandas as pd
import pytest

from lqcd_core.analysis import agreement_test, figures_of_merit
from lqcd_core.pipeline.comparison import (algorithm_label, comparison_figure, comparison_groups,
                                           comparison_table, physics_key)


def ar1_summary(rho, bias, seed, n=4000, mean=0.6, sigma=0.02):
    """A Γ-method summary (one row, plaquette) of an AR(1) stream with known mean + bias."""
    rng = np.random.default_rng(seed)
    x = np.empty(n)
    x[0] = rng.standard_normal()
    eps = rng.standard_normal(n) * np.sqrt(1 - rho**2)
    for i in range(1, n):
        x[i] = rho * x[i - 1] + eps[i]
    df = pd.DataFrame({"stream": 0, "plaquette": mean + bias + sigma * x, "accepted": 1.0,
                       "seconds": 0.01})
    return figures_of_merit(df, ["plaquette"], 0)


def test_identical_estimates_agree_perfectly():
    r = agreement_test([1.0, 1.0, 1.0], [0.1, 0.2, 0.3])
    assert r.chi2 == pytest.approx(0.0) and r.p_value == pytest.approx(1.0) and r.agree
    assert r.dof == 2


def test_weighted_mean_and_chi2_by_hand():
    x, s = np.array([1.0, 1.3]), np.array([0.1, 0.2])
    r = agreement_test(x, s)
    w = 1 / s**2
    xb = (w * x).sum() / w.sum()
    assert r.mean == pytest.approx(xb)
    assert r.error == pytest.approx(w.sum() ** -0.5)
    assert r.chi2 == pytest.approx((w * (x - xb) ** 2).sum())
    # two estimates: chi2 = (x1 - x2)^2 / (s1^2 + s2^2), pulls = +-sqrt(chi2)
    assert r.chi2 == pytest.approx(0.09 / 0.05)
    assert np.abs(r.pulls) == pytest.approx([np.sqrt(r.chi2)] * 2)


def test_planted_bias_is_flagged_and_named_by_its_pull():
    r = agreement_test([0.50, 0.501, 0.52], [0.003, 0.004, 0.003])
    assert not r.agree and r.p_value < 1e-4
    assert np.argmax(np.abs(r.pulls)) == 2


def test_false_alarm_rate_of_agreeing_estimates_is_alpha():
    rng = np.random.default_rng(11)
    s = np.array([0.01, 0.02, 0.015, 0.03])
    trials = 4000
    flagged = sum(not agreement_test(rng.normal(0.0, s), s, alpha=0.05).agree for _ in range(trials))
    rate = flagged / trials
    assert abs(rate - 0.05) < 4 * np.sqrt(0.05 * 0.95 / trials)
    # and the pulls are standard normal
    pulls = np.concatenate([agreement_test(rng.normal(0.0, s), s).pulls for _ in range(2000)])
    assert abs(pulls.std() - 1) < 0.03 and abs(pulls.mean()) < 0.03


@pytest.mark.parametrize("means, errors, msg", [
    ([1.0], [0.1], "at least two"),
    ([1.0, 2.0], [0.1], "differ in length"),
    ([1.0, np.nan], [0.1, 0.1], "finite"),
    ([1.0, 2.0], [0.1, 0.0], "positive"),
])
def test_bad_input_is_refused(means, errors, msg):
    with pytest.raises(ValueError, match=msg):
        agreement_test(means, errors)


def test_comparison_flags_a_planted_biased_stream_and_passes_agreeing_ones():
    agree = {"hb": ar1_summary(0.3, 0.0, 1), "hmc": ar1_summary(0.7, 0.0, 2),
             "slhmc": ar1_summary(0.8, 0.0, 3)}
    labels = {k: k for k in agree}
    ok = comparison_table(agree, labels)
    assert ok["agree"].all()
    err = agree["hmc"]["error"].iloc[0]
    biased = dict(agree, slhmc=ar1_summary(0.8, 8 * err, 3))
    bad = comparison_table(biased, labels)
    assert not bad["agree"].any()
    pulls = bad.set_index("ensemble")["pull"]
    assert pulls.abs().idxmax() == "slhmc"


def test_comparison_figure_is_written(tmp_path):
    table = comparison_table({"a": ar1_summary(0.5, 0, 1), "b": ar1_summary(0.5, 0, 2)},
                             {"a": "heatbath", "b": "hmc omelyan"})
    comparison_figure(table, tmp_path / "c.png", title="u1")
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def _ens(**kw):
    e = {"group": "su3", "lattice": [6, 6, 6, 6], "beta": 5.7, "action": "wilson", "algorithm": "hmc",
         "integrator": "omelyan", "steps": 8, "seed": 1}
    e.update(kw)
    return e


def test_groups_collect_the_same_physics_whatever_the_algorithm():
    ensembles = {"hmc": _ens(), "hb": _ens(algorithm="heatbath", seed=5),
                 "hmc_lf": _ens(integrator="leapfrog", steps=20),
                 "other_beta": _ens(beta=6.0), "alone": _ens(lattice=[4, 4, 4, 4])}
    groups = comparison_groups(ensembles)
    assert list(groups.values()) == [["hmc", "hb", "hmc_lf"]]
    assert list(groups) == ["su3_6x6x6x6_b5.7"]


def test_wilson_kappa_and_bare_mass_are_the_same_physics_but_csw_is_not():
    f = {"type": "wilson", "nf": 2, "kappa": 0.125, "even_odd": True, "hasenbusch": []}  # m0 = 2 in 2D
    a = _ens(group="u1", lattice=[8, 8], fermion=f)
    b = _ens(group="u1", lattice=[8, 8], fermion={**f, "kappa": None, "mass": 2.0, "even_odd": False,
                                                  "hasenbusch": [0.1]})
    c = _ens(group="u1", lattice=[8, 8], fermion={**f, "csw": 1.0})
    assert physics_key(a) == physics_key(b)
    assert physics_key(a) != physics_key(c)
    assert len(comparison_groups({"a": a, "b": b, "c": c})) == 1


def test_algorithm_labels():
    assert algorithm_label(_ens(algorithm="heatbath", or_per_hb=3)) == "heatbath + 3 OR"
    assert algorithm_label(_ens(algorithm="slhmc", surrogate={"kind": "heavy"})) == \
        "slhmc omelyan (heavy surrogate)"
