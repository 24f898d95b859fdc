"""Tests of the Γ method (lqcd_core.analysis.gamma) on processes with known answers."""
import time
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import lfilter

from lqcd_core.analysis import autocovariance, gamma_method


def ar1(phi, n, seed, m=None):
    """AR(1) x_t = φ x_{t−1} + η_t (stationary start); m independent rows if given."""
    rng = np.random.default_rng(seed)
    shape = (m, n) if m else (n,)
    eta = rng.standard_normal(shape)
    x0 = rng.standard_normal(shape[:-1] + (1,)) / np.sqrt(1 - phi**2)
    zi = phi * x0
    y, _ = lfilter([1.0], [1.0, -phi], eta, axis=-1, zi=zi)
    return y


def tau_ar1(phi):
    return (1 + phi) / (2 * (1 - phi))


def err_ar1(phi, n):
    """Exact asymptotic error of the mean of an AR(1) series."""
    return np.sqrt(2 * tau_ar1(phi) / (1 - phi**2) / n)


# --------------------------------------------------------------- AR(1) truths
@pytest.mark.parametrize("phi,n", [(0.0, 5000), (0.5, 5000), (0.5, 40000), (0.9, 20000)])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ar1_tau_int_and_error_agree_with_exact_within_stated_errors(phi, n, seed):
    res = gamma_method(ar1(phi, n, seed))
    assert abs(res.tau_int - tau_ar1(phi)) < 3.5 * res.dtau_int
    # the error itself is uncertain by ~ dτ/(2τ) relative
    assert abs(res.error / err_ar1(phi, n) - 1) < 3.5 * res.dtau_int / (2 * res.tau_int)
    assert abs(res.mean) < 4 * res.error


@pytest.mark.parametrize("phi,n", [(0.5, 2000), (0.9, 5000)])
def test_stated_errors_are_honest_over_many_seeds(phi, n):
    m = 300
    data = ar1(phi, n, seed=1234 + int(10 * phi), m=m)
    res = [gamma_method(x) for x in data]
    inside = np.mean([abs(r.mean) < r.error for r in res])
    sigma = np.sqrt(0.6827 * 0.3173 / m)
    assert abs(inside - 0.6827) < 3.5 * sigma + 0.02  # small allowance for the known O(e^{-W/τ}) bias
    # the stated τ_int errors describe the actual scatter of the estimates
    taus = np.array([r.tau_int for r in res])
    spread, stated = taus.std(), np.mean([r.dtau_int for r in res])
    assert 0.6 < stated / spread < 1.8
    assert abs(taus.mean() - tau_ar1(phi)) < 4 * spread / np.sqrt(m) + 0.05 * tau_ar1(phi)


@pytest.mark.slow
def test_stated_errors_are_honest_over_many_seeds_long():
    m = 4000
    data = ar1(0.7, 4000, seed=99, m=m)
    inside = np.mean([abs(r.mean) < r.error for r in (gamma_method(x) for x in data)])
    assert abs(inside - 0.6827) < 3.5 * np.sqrt(0.6827 * 0.3173 / m) + 0.01


# ------------------------------------------------------------ analytic limits
def test_uncorrelated_data_give_tau_half_and_naive_error():
    x = np.random.default_rng(5).standard_normal(20000)
    res = gamma_method(x)
    naive = x.std(ddof=1) / np.sqrt(x.size)
    assert abs(res.tau_int - 0.5) < 3 * res.dtau_int
    assert abs(res.error / naive - 1) < 0.05
    assert res.window <= 5


def test_S_zero_gives_exactly_the_naive_error():
    x = ar1(0.8, 3000, seed=7)
    res = gamma_method(x, S=0)
    assert res.window == 0 and res.tau_int == 0.5
    assert res.error == pytest.approx(x.std(ddof=1) / np.sqrt(x.size), rel=1e-12)
    assert res.n_indep == pytest.approx(x.size)


def test_result_fields_are_consistent():
    res = gamma_method(ar1(0.6, 4000, seed=8))
    assert res.rho[0] == pytest.approx(1.0)
    assert res.tau_int_of_w[res.window] == pytest.approx(res.tau_int)
    assert res.dtau_int_of_w[res.window] == pytest.approx(res.dtau_int)
    assert res.dtau_int == pytest.approx(res.tau_int * np.sqrt(2 * (2 * res.window + 1) / res.n))
    assert res.dvalue_error == pytest.approx(res.error * np.sqrt((res.window + 0.5) / res.n))
    assert res.n_indep == pytest.approx(res.n / (2 * res.tau_int))
    assert res.error == pytest.approx(np.sqrt(2 * res.tau_int * res.gamma[0] / res.n))
    assert len(res.rho) == len(res.tau_int_of_w) == len(res.dtau_int_of_w) == len(res.drho)
    assert set(["mean", "error", "tau_int", "window"]) <= set(res.summary())


def test_fft_autocovariance_matches_direct_sum_with_replicas():
    rng = np.random.default_rng(9)
    reps = [rng.standard_normal(37), rng.standard_normal(20)]
    t_max = 25
    got = autocovariance(reps, t_max)
    for t in range(t_max + 1):
        num = sum(np.dot(d[: d.size - t], d[t:]) for d in reps if d.size > t)
        den = sum(max(d.size - t, 0) for d in reps)
        assert got[t] == pytest.approx(num / den, abs=1e-12)


def test_replicas_agree_with_one_long_chain():
    x = ar1(0.8, 40000, seed=10)
    long = gamma_method(x)
    parts = np.split(x, 4)
    reps = gamma_method(parts)
    assert reps.n_replicas == 4 and reps.n == x.size
    assert reps.mean == pytest.approx(long.mean, rel=1e-12, abs=1e-14)
    assert reps.error == pytest.approx(long.error, rel=0.05)
    assert abs(reps.tau_int - long.tau_int) < long.dtau_int
    same = gamma_method(x, replica_lengths=[10000] * 4)
    assert same.error == reps.error and same.tau_int == reps.tau_int


def test_independent_replicas_of_unequal_length_recover_tau():
    phi = 0.8
    reps = [ar1(phi, n, seed=20 + i) for i, n in enumerate([3000, 5000, 2000, 6000])]
    res = gamma_method(reps)
    assert abs(res.tau_int - tau_ar1(phi)) < 3 * res.dtau_int
    assert abs(res.error / err_ar1(phi, 16000) - 1) < 0.2


# ---------------------------------------------------------- derived quantities
def test_linear_derived_quantity_scales_error_and_keeps_tau():
    x = ar1(0.7, 5000, seed=11)
    p = gamma_method(x)
    d = gamma_method(x[:, None], func=lambda a: 3 * a[0] - 2)
    assert d.mean == pytest.approx(3 * p.mean - 2)
    assert d.error == pytest.approx(3 * p.error, rel=1e-6)
    assert d.tau_int == pytest.approx(p.tau_int, rel=1e-6)


def test_user_gradient_equals_finite_differences():
    rng = np.random.default_rng(12)
    a = np.column_stack([2 + ar1(0.5, 8000, 13), 5 + rng.standard_normal(8000)])
    f = lambda m: m[0] ** 2 / m[1]  # noqa: E731
    fd = gamma_method(a, func=f)
    an = gamma_method(a, func=f, grad=lambda m: np.array([2 * m[0] / m[1], -m[0] ** 2 / m[1] ** 2]))
    assert fd.error == pytest.approx(an.error, rel=1e-5)
    assert fd.tau_int == pytest.approx(an.tau_int, rel=1e-5)


def test_susceptibility_error_matches_variance_of_sample_variance():
    x = np.random.default_rng(14).standard_normal(40000)
    res = gamma_method(np.column_stack([x, x**2]), func=lambda a: a[1] - a[0] ** 2)
    assert abs(res.mean - 1) < 4 * res.error
    assert res.error == pytest.approx(np.sqrt(2 / x.size), rel=0.05)  # var(s²) = 2σ⁴/N


def test_exponential_tail_gives_conservative_tau():
    phi = 0.9
    x = ar1(phi, 20000, seed=15)
    plain = gamma_method(x)
    tail = gamma_method(x, tau_exp=-1 / np.log(phi))
    assert tail.tail_window >= 1 and tail.tau_exp == pytest.approx(-1 / np.log(phi))
    assert tail.tau_int > plain.tau_int_of_w[tail.tail_window]
    assert abs(tail.tau_int - tau_ar1(phi)) < 3 * tail.dtau_int
    assert tail.error == pytest.approx(plain.error * np.sqrt(tail.tau_int / plain.tau_int), rel=0.02)


def test_gamma_of_a_million_samples_is_fast():
    x = ar1(0.9, 1_000_000, seed=16)
    t0 = time.perf_counter()
    res = gamma_method(x)
    assert time.perf_counter() - t0 < 5.0
    assert abs(res.tau_int - tau_ar1(0.9)) < 3 * res.dtau_int


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "data,kwargs,match",
    [
        ([1.0, 2.0, 3.0], {}, "too short"),
        (np.full(100, 0.3), {}, "constant"),
        (np.r_[np.arange(10.0), np.nan], {}, "non-finite"),
        (np.r_[np.arange(10.0), np.inf], {}, "non-finite"),
        (np.arange(10.0), {"S": -1.0}, "S must be"),
        (np.arange(10.0), {"S": float("nan")}, "S must be"),
        (np.arange(10.0), {"replica_lengths": [4, 5]}, "mismatched replica lengths"),
        ([np.ones((5, 2)), np.ones((5, 3))], {}, "mismatched replicas"),
        ([np.arange(5.0), np.array([])], {}, "empty"),
        (np.random.default_rng(0).standard_normal((10, 2)), {}, "pass func="),
        (np.arange(10.0), {"tau_exp": -2.0}, "tau_exp"),
        (np.arange(1.0, 11.0)[:, None], {"func": lambda a: a[0] * float("inf")}, "non-finite"),
        (np.ones((20, 2)), {"func": lambda a: a[0] / a[1]}, "zero variance"),
    ],
)
def test_bad_input_gives_clear_errors(data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        gamma_method(data, **kwargs)


def test_window_not_found_warns_and_flags():
    # many short random walks: τ_int ≫ the largest usable lag (half a replica)
    rng = np.random.default_rng(0)
    walks = [np.cumsum(rng.standard_normal(20)) for _ in range(10)]
    with pytest.warns(RuntimeWarning, match="windowing"):
        res = gamma_method(walks)
    assert not res.window_converged


# ------------------------------------------------------------ property-based
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), phi=st.sampled_from([0.0, 0.3, 0.8]),
       shift=st.floats(-1e3, 1e3, allow_nan=False))
def test_shifting_data_leaves_tau_and_error_unchanged(seed, phi, shift):
    x = ar1(phi, 500, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a, b = gamma_method(x), gamma_method(x + shift)
    assert b.window == a.window
    assert b.tau_int == pytest.approx(a.tau_int, rel=1e-6)
    assert b.error == pytest.approx(a.error, rel=1e-6)
    assert b.mean == pytest.approx(a.mean + shift, abs=1e-9 * (1 + abs(shift)))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), phi=st.sampled_from([0.0, 0.3, 0.8]),
       c=st.floats(1e-3, 1e3) | st.floats(-1e3, -1e-3))
def test_scaling_data_scales_error_and_leaves_tau_unchanged(seed, phi, c):
    x = ar1(phi, 500, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a, b = gamma_method(x), gamma_method(c * x)
    assert b.tau_int == pytest.approx(a.tau_int, rel=1e-9)
    assert b.error == pytest.approx(abs(c) * a.error, rel=1e-9)
