"""Tests of the plotting functions (lqcd_core.plots)."""
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy.signal import lfilter

from lqcd_core.analysis import gamma_method
from lqcd_core.plots import (
    plot_comparison, plot_delta_h, plot_histogram, plot_history, plot_rho, plot_tau_int,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

rng = np.random.default_rng(0)
SERIES = 3 * np.exp(-np.arange(2000) / 40) + lfilter([1.0], [1.0, -0.7], rng.standard_normal(2000))
RESULT = gamma_method(SERIES[300:])
DELTA_H = rng.normal(0.05, 0.3, 500)
ACCEPTED = rng.random(500) < np.minimum(1, np.exp(-DELTA_H))
TABLE = pd.DataFrame({
    "algorithm": ["hmc", "hmc", "omelyan", "omelyan"],
    "observable": ["plaquette", "topo"] * 2,
    "tau_int": [2.0, 30.0, 1.5, 20.0],
    "dtau_int": [0.2, 5.0, 0.1, 3.0],
    "cost_per_indep_seconds": [4.0, 60.0, 3.6, 48.0],
})

CASES = {
    "history": lambda p: plot_history(SERIES, p, cut=300, label="plaquette"),
    "history_x": lambda p: plot_history(SERIES, p, x=np.arange(2000) + 1, cut=0),
    "rho": lambda p: plot_rho(RESULT, p),
    "tau_int": lambda p: plot_tau_int(RESULT, p, w_max=60),
    "histogram": lambda p: plot_histogram(SERIES[300:], p, label="plaquette"),
    "delta_h": lambda p: plot_delta_h(DELTA_H, p, accepted=ACCEPTED),
    "delta_h_nan": lambda p: plot_delta_h(np.r_[np.nan, DELTA_H[1:]], p),
    "comparison": lambda p: plot_comparison(TABLE, p),
    "comparison_single": lambda p: plot_comparison(TABLE.drop(columns=["observable", "dtau_int"]), p),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_plot_writes_nonempty_png_and_svg_and_closes_its_figure(name, tmp_path):
    before = plt.get_fignums()
    png = CASES[name](tmp_path / "sub" / f"{name}.png")
    svg = CASES[name](tmp_path / f"{name}.svg")
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 1000
    text = svg.read_text()
    assert "<svg" in text and len(text) > 1000
    assert plt.get_fignums() == before


BAD = {
    "wrong_extension": (lambda p: plot_history(SERIES, p.with_suffix(".jpg")), ValueError, r"\.png or \.svg"),
    "history_nan": (lambda p: plot_history(np.r_[SERIES, np.nan], p), ValueError, "non-finite"),
    "history_2d": (lambda p: plot_history(np.ones((3, 3)), p), ValueError, "1-D"),
    "history_empty": (lambda p: plot_history([], p), ValueError, "at least 1"),
    "history_cut": (lambda p: plot_history(SERIES, p, cut=5000), ValueError, "cut"),
    "history_x": (lambda p: plot_history(SERIES, p, x=np.arange(3)), ValueError, "x has"),
    "rho_not_result": (lambda p: plot_rho(SERIES, p), TypeError, "GammaResult"),
    "tau_int_not_result": (lambda p: plot_tau_int({"tau_int": 1.0}, p), TypeError, "GammaResult"),
    "tau_int_wmax": (lambda p: plot_tau_int(RESULT, p, w_max=0), ValueError, "t_max"),
    "histogram_short": (lambda p: plot_histogram([1.0], p), ValueError, "at least 2"),
    "delta_h_all_nan": (lambda p: plot_delta_h(np.full(10, np.nan), p), ValueError, "delta_h"),
    "delta_h_accepted": (lambda p: plot_delta_h(DELTA_H, p, accepted=ACCEPTED[:5]), ValueError, "accepted"),
    "comparison_empty": (lambda p: plot_comparison(pd.DataFrame(), p), ValueError, "non-empty"),
    "comparison_cols": (lambda p: plot_comparison(TABLE.drop(columns=["tau_int"]), p), ValueError, "tau_int"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_plots_reject_bad_input_without_writing(name, tmp_path):
    func, exc, match = BAD[name]
    out = tmp_path / "out.png"
    with pytest.raises(exc, match=match):
        func(out)
    assert not out.exists()
