"""Tests of the figures-of-merit table (lqcd_core.analysis.merit)."""
import numpy as np
import pandas as pd
import pytest
from scipy.signal import lfilter

from lqcd_core.analysis import (
    MERIT_COLUMNS, compare_ensembles, figures_of_merit, format_table, gamma_method,
)


def run_table(n=3000, seed=0, stream=None, heatbath=False, dirac=True):
    rng = np.random.default_rng(seed)
    plaq = 0.6 + 0.01 * lfilter([1.0], [1.0, -0.8], rng.standard_normal(n))
    q = lfilter([1.0], [1.0, -0.95], rng.standard_normal(n))
    df = pd.DataFrame({"trajectory": np.arange(n), "plaquette": plaq, "topo": q,
                       "seconds": rng.uniform(1.0, 3.0, n)})
    if heatbath:
        df["delta_h"] = np.nan
    else:
        df["delta_h"] = rng.normal(0.05, 0.3, n)
        df["accepted"] = rng.random(n) < np.minimum(1.0, np.exp(-df["delta_h"]))
    if dirac:
        df["dirac_applications"] = rng.integers(900, 1100, n)
    if stream is not None:
        df["stream"] = stream
    return df


def test_table_has_the_documented_columns_and_values():
    df = run_table()
    cut = 100
    tab = figures_of_merit(df, ["plaquette", "topo"], cut)
    assert list(tab.columns) == MERIT_COLUMNS + ["dirac_per_indep"]
    assert list(tab["observable"]) == ["plaquette", "topo"]
    kept = df.iloc[cut:]
    for _, row in tab.iterrows():
        ref = gamma_method(kept[row["observable"]].to_numpy())
        assert row["mean"] == pytest.approx(ref.mean)
        assert row["error"] == pytest.approx(ref.error)
        assert row["tau_int"] == pytest.approx(ref.tau_int)
        assert row["window"] == ref.window and row["n"] == len(kept)
        assert row["n_indep"] == pytest.approx(len(kept) / (2 * ref.tau_int))
        sec = kept["seconds"].mean()
        assert row["seconds_per_traj"] == pytest.approx(sec)
        assert row["cost_per_indep_seconds"] == pytest.approx(2 * ref.tau_int * sec)
        assert row["dirac_per_indep"] == pytest.approx(2 * ref.tau_int * kept["dirac_applications"].mean())
    assert tab["acceptance"].iloc[0] == pytest.approx(kept["accepted"].mean())
    assert tab["exp_mdh"].iloc[0] == pytest.approx(np.exp(-kept["delta_h"]).mean())
    assert 0 < tab["exp_mdh_error"].iloc[0] < 0.05
    # slower observable costs more per independent configuration
    assert tab["tau_int"].iloc[1] > tab["tau_int"].iloc[0]


def test_streams_are_combined_as_replicas_after_a_per_stream_cut():
    a, b = run_table(2000, 1, stream="s0"), run_table(1500, 2, stream="s1")
    df = pd.concat([a, b]).sample(frac=1.0, random_state=0)  # shuffled rows
    tab = figures_of_merit(df, ["plaquette"], 50)
    ref = gamma_method([a["plaquette"].to_numpy()[50:], b["plaquette"].to_numpy()[50:]])
    assert tab["n"].iloc[0] == 2000 + 1500 - 100
    assert tab["mean"].iloc[0] == pytest.approx(ref.mean)
    assert tab["error"].iloc[0] == pytest.approx(ref.error)
    assert tab["tau_int"].iloc[0] == pytest.approx(ref.tau_int)


def test_heatbath_without_delta_h_gives_nan_acceptance_and_exp_mdh(tmp_path):
    df = run_table(heatbath=True, dirac=False)
    csv = tmp_path / "hb.csv"
    df.to_csv(csv, index=False)  # empty delta_h fields in the file
    tab = figures_of_merit(pd.read_csv(csv), ["plaquette"], 0)
    assert np.isnan(tab["acceptance"].iloc[0])
    assert np.isnan(tab["exp_mdh"].iloc[0]) and np.isnan(tab["exp_mdh_error"].iloc[0])
    assert "dirac_per_indep" not in tab.columns
    assert np.isfinite(tab["cost_per_indep_seconds"].iloc[0])


def test_missing_seconds_gives_nan_cost():
    tab = figures_of_merit(run_table().drop(columns=["seconds"]), "plaquette")
    assert np.isnan(tab["seconds_per_traj"].iloc[0]) and np.isnan(tab["cost_per_indep_seconds"].iloc[0])
    assert np.isfinite(tab["error"].iloc[0])


def test_compare_ensembles_stacks_tables_with_a_label():
    tab = compare_ensembles({"hmc": run_table(seed=3), "hmc-2": run_table(seed=4)},
                            ["plaquette", "topo"], {"hmc": 10, "hmc-2": 20}, label="algorithm")
    assert list(tab["algorithm"]) == ["hmc", "hmc", "hmc-2", "hmc-2"]
    assert list(tab["n"]) == [2990, 2990, 2980, 2980]
    text = format_table(tab)
    assert "plaquette" in text and "hmc-2" in text and "tau_int" in text


@pytest.mark.parametrize(
    "observables,cut,match",
    [
        (["nope"], 0, "not in the data"),
        (["plaquette"], -1, "therm_cut"),
        (["plaquette"], 10**6, "leaves no data"),
        ([], 0, "no observables"),
        (["seconds_const"], 0, "seconds_const.*constant"),
    ],
)
def test_bad_input_gives_clear_errors(observables, cut, match):
    df = run_table(200)
    df["seconds_const"] = 1.0
    with pytest.raises(ValueError, match=match):
        figures_of_merit(df, observables, cut)
