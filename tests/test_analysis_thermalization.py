"""Tests of the MSER thermalization rule (lqcd_core.analysis.thermalization)."""
import numpy as np
import pytest
from scipy.signal import lfilter

from lqcd_core.analysis import gamma_method, mser_statistic, thermalization_cut

PHI = 0.5  # equilibrium noise: AR(1) with unit variance, τ_int = 1.5


def noise(n, seed):
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal(1)
    y, _ = lfilter([1.0], [1.0, -PHI], rng.standard_normal(n), zi=PHI * x0)
    return y * np.sqrt(1 - PHI**2)


def transient(n, amplitude, tau0):
    return amplitude * np.exp(-np.arange(n) / tau0)


@pytest.mark.parametrize("seed", range(8))
def test_cut_after_exponential_approach_removes_the_bias(seed):
    n, amp, tau0 = 4000, 10.0, 50.0
    x = 1.0 + transient(n, amp, tau0) + noise(n, seed)
    cut = thermalization_cut(x)
    assert tau0 <= cut <= n // 2  # not inside the steep transient, never more than half
    remaining_bias = transient(n, amp, tau0)[cut:].mean()
    err = gamma_method(x[cut:]).error
    assert remaining_bias < err  # the kept data are unbiased within their error
    assert abs(x[cut:].mean() - 1.0) < 4 * err


def test_stationary_series_keeps_almost_everything():
    cuts = [thermalization_cut(noise(4000, seed)) for seed in range(30)]
    assert np.median(cuts) <= 40  # ≤ 1% of the series for a typical history


def test_larger_transients_are_cut_later():
    x = noise(4000, 3)
    small = thermalization_cut(x + transient(4000, 3.0, 40.0))
    large = thermalization_cut(x + transient(4000, 300.0, 40.0))
    assert large > small


def test_cut_is_a_batch_multiple_and_respects_max_fraction():
    x = 5 * np.exp(-np.arange(1000) / 400.0) + noise(1000, 4)  # transient longer than allowed
    cut = thermalization_cut(x, batch_size=7, max_fraction=0.25)
    assert cut % 7 == 0
    assert cut <= 0.25 * 1000
    assert mser_statistic(x, 7, 0.25).size == int(0.25 * (1000 // 7)) + 1


def test_two_columns_get_one_common_cut_driven_by_the_transient():
    n = 4000
    a = transient(n, 10.0, 50.0) + noise(n, 5)
    b = noise(n, 6)
    both = thermalization_cut(np.column_stack([a, b]))
    assert both >= 50
    assert abs(both - thermalization_cut(a)) <= 100


@pytest.mark.parametrize(
    "series,kwargs,match",
    [
        (np.arange(10.0), {}, "too short"),
        (np.r_[np.arange(100.0), np.nan], {}, "non-finite"),
        (np.arange(100.0), {"batch_size": 0}, "batch_size"),
        (np.arange(100.0), {"max_fraction": 1.5}, "max_fraction"),
        (np.ones((4, 4, 4)), {}, "shape"),
    ],
)
def test_bad_input_gives_clear_errors(series, kwargs, match):
    with pytest.raises(ValueError, match=match):
        thermalization_cut(series, **kwargs)
