"""Tests of the binned jackknife (lqcd_core.analysis.jackknife)."""
import math

import numpy as np
import pytest
from scipy.signal import lfilter

from lqcd_core.analysis import gamma_method, jackknife, jackknife_bin_scan


def ar1(phi, n, seed):
    """n samples of an AR(1) process after a burn-in of 200 steps."""
    rng = np.random.default_rng(seed)
    return lfilter([1.0], [1.0, -phi], rng.standard_normal(n + 200))[200:]


def test_unbinned_jackknife_of_the_mean_is_the_naive_error():
    x = np.random.default_rng(1).standard_normal(1000)
    res = jackknife(x)
    assert res.mean == pytest.approx(x.mean())
    assert res.error == pytest.approx(x.std(ddof=1) / np.sqrt(x.size), rel=1e-10)
    assert res.bias == pytest.approx(0.0, abs=1e-12)
    assert res.n_bins == 1000 and res.n == 1000


def test_bias_of_squared_mean_is_sample_variance_over_n():
    # the jackknife bias-corrected x̄² − s²/N is the unbiased estimator of μ²
    x = np.random.default_rng(2).standard_normal(500) + 1.0
    res = jackknife(x[:, None], func=lambda a: a[0] ** 2)
    assert res.bias == pytest.approx(x.var(ddof=1) / x.size, rel=1e-8)


def test_ratio_error_agrees_with_gamma_method():
    a = np.column_stack([3 + ar1(0.8, 60000, 3), 5 + ar1(0.6, 60000, 4)])
    a[:, 1] += 0.5 * a[:, 0]  # correlated numerator and denominator
    f = lambda m: m[0] / m[1]  # noqa: E731
    g = gamma_method(a, func=f)
    j = jackknife(a, bin_size=200, func=f)
    assert j.mean == pytest.approx(g.mean, rel=1e-12)
    assert j.error == pytest.approx(g.error, rel=0.15)


def test_binned_error_plateaus_at_the_gamma_error():
    x = ar1(0.9, 100000, 5)
    g = gamma_method(x)
    errs = jackknife_bin_scan(x, [1, 10, 200, 500])
    assert errs[0] < 0.5 * g.error  # unbinned ignores autocorrelations
    assert errs[0] < errs[1] < errs[2]
    assert errs[2] == pytest.approx(g.error, rel=0.15)
    assert errs[3] == pytest.approx(g.error, rel=0.2)


def test_vectorised_and_scalar_funcs_agree():
    a = np.abs(np.random.default_rng(6).standard_normal((400, 2))) + 1
    vec = jackknife(a, 4, func=lambda m: np.log(m[0]) * m[1])
    loop = jackknife(a, 4, func=lambda m: math.log(float(m[0])) * float(m[1]))
    assert vec.error == pytest.approx(loop.error, rel=1e-12)
    np.testing.assert_allclose(vec.samples, loop.samples)


def test_bins_do_not_cross_replica_boundaries():
    rng = np.random.default_rng(7)
    reps = [rng.standard_normal(7), rng.standard_normal(5)]
    res = jackknife(reps, bin_size=3)
    assert res.n_bins == 3 and res.n == 9
    used = np.r_[reps[0][:6], reps[1][:3]]
    assert res.mean == pytest.approx(used.mean())


@pytest.mark.parametrize(
    "data,bin_size,kwargs,match",
    [
        (np.arange(10.0), 0, {}, "bin_size"),
        (np.arange(10.0), 2.5, {}, "bin_size"),
        (np.arange(10.0), 6, {}, "at least 2"),
        (np.r_[np.arange(10.0), np.nan], 1, {}, "non-finite"),
        ([1.0, 2.0], 1, {}, "too short"),
        (np.ones((10, 2)), 1, {}, "pass func="),
    ],
)
def test_bad_input_gives_clear_errors(data, bin_size, kwargs, match):
    with pytest.raises(ValueError, match=match):
        jackknife(data, bin_size, **kwargs)
