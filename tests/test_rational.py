"""Rational approximations r(x) = a0 + sum a_i / (x + b_i) ~ x^power (Remez) for RHMC."""
import json
import time

import numpy as np
import pytest

from lqcd_core.solvers import RationalApproximation, multishift_cg
from lqcd_core.solvers import rational as rational_module

LO, HI = 1e-4, 64.0


def rel_err(r, x):
    return r(x) / x ** r.power - 1.0


def sign_runs(e, floor):
    """(sign, max |e|) of the runs of constant sign of e, ignoring |e| < floor (rounding
    noise at the zero crossings)."""
    keep = np.abs(e) >= floor
    s, a = np.sign(e[keep]), np.abs(e[keep])
    cuts = np.flatnonzero(np.diff(s) != 0) + 1
    return [(seg_s[0], seg_a.max()) for seg_s, seg_a in zip(np.split(s, cuts), np.split(a, cuts))]


@pytest.mark.parametrize("power", [-0.5, -0.25, 0.25, 0.125, -0.75])
def test_meets_its_error_bound_on_an_independent_random_grid(power):
    r = RationalApproximation(power, LO, HI, order=10)
    rng = np.random.default_rng(1)
    x = np.exp(rng.uniform(np.log(LO), np.log(HI), 50000))
    err = np.abs(rel_err(r, x)).max()
    assert err <= r.error * (1 + 1e-9) and err <= r.bound * (1 + 1e-3)
    assert 0.99 * r.bound <= r.error <= 1.001 * r.bound
    assert r.error < 1e-4
    assert np.all(r.poles > 0) and len(r.poles) == len(r.residues) == r.order == 10


@pytest.mark.parametrize("power,order", [(-0.5, 8), (0.25, 6), (-0.75, 12)])
def test_error_equioscillates_at_2n_plus_2_extrema_of_equal_size(power, order):
    r = RationalApproximation(power, LO, HI, order=order)
    x = np.geomspace(LO, HI, 200001)
    e = rel_err(r, x)
    runs = sign_runs(e, 1e-3 * r.error)
    assert len(runs) == 2 * order + 2
    signs = [s for s, _ in runs]
    assert all(signs[i] == -signs[i + 1] for i in range(len(signs) - 1))
    sizes = np.array([m for _, m in runs])
    assert sizes.max() <= r.error * (1 + 1e-12)
    assert sizes.min() >= 0.999 * sizes.max()          # levelled to REMEZ_SPREAD (+ grid resolution)
    assert len(r.extrema) == 2 * order + 2


def test_power_minus_one_is_exact_at_order_one():
    r = RationalApproximation(-1, 0.01, 10.0, tol=1e-14)
    assert r.order == 1 and r.a0 == 0.0
    assert list(r.residues) == [1.0] and list(r.poles) == [0.0]
    assert r.error == 0.0
    x = np.geomspace(0.01, 10.0, 7)
    assert np.array_equal(r(x), 1.0 / x)


def test_r_of_a_b_by_multishift_matches_the_dense_matrix_power():
    rng = np.random.default_rng(2)
    n, lo, hi = 60, 1e-3, 10.0
    q, _ = np.linalg.qr(rng.standard_normal((3 * n, 3 * n)) + 1j * rng.standard_normal((3 * n, 3 * n)))
    lam = np.concatenate([[lo, hi], np.exp(rng.uniform(np.log(lo), np.log(hi), 3 * n - 2))])
    a = (q * lam) @ q.conj().T
    calls = []

    def op(x):
        calls.append(1)
        return np.einsum("ij,j->i", a, x.reshape(-1)).reshape(x.shape)

    b = rng.standard_normal((n, 3)) + 1j * rng.standard_normal((n, 3))
    for power in (-0.5, 0.25, -1.0):
        r = RationalApproximation(power, lo, hi, tol=1e-9)
        calls.clear()
        y, info = r.apply(op, b, tol=1e-12)
        exact = (q @ (lam ** power * (q.conj().T @ b.reshape(-1)))).reshape(b.shape)
        assert y.shape == b.shape and info.matvecs == len(calls)
        assert np.linalg.norm(y - exact) / np.linalg.norm(exact) <= 3e-9, power


def test_heatbath_and_action_approximations_invert_each_other():
    """phi = r_{1/4}(A) eta, S = phi^dag r_{-1/2}(A) phi: needs r_{1/4}(x)^2 r_{-1/2}(x) ~ 1."""
    tol = 1e-10
    rh = RationalApproximation(0.25, LO, HI, tol=tol)
    ra = RationalApproximation(-0.5, LO, HI, tol=tol)
    x = np.geomspace(LO, HI, 20001)
    prod = rh(x) ** 2 * ra(x)
    assert np.abs(prod - 1.0).max() <= 2 * rh.error + ra.error + 1e-14
    assert np.abs(prod - 1.0).max() <= 3 * tol


def test_unmet_tolerance_raises_a_value_error_naming_the_problem():
    with pytest.raises(ValueError) as err:
        RationalApproximation(-0.5, 1e-4, 64, order=8, tol=1e-6)
    msg = str(err.value)
    r = RationalApproximation(-0.5, 1e-4, 64, order=8)
    assert msg == (f"the rational approximation of x^-1/2 on [0.0001, 64] of order 8 has relative error "
                   f"{r.error:.3g} > tol 1e-06")


@pytest.mark.parametrize("power,tol", [(-0.5, 1e-8), (0.25, 1e-6), (-0.25, 1e-12)])
def test_automatic_order_is_minimal(power, tol):
    r = RationalApproximation(power, LO, HI, tol=tol)
    assert r.error <= tol
    with pytest.raises(ValueError, match=f"of order {r.order - 1} has relative error"):
        RationalApproximation(power, LO, HI, order=r.order - 1, tol=tol)


def test_errors_decrease_geometrically_with_the_order():
    errs = [RationalApproximation(-0.25, LO, HI, order=n).error for n in range(3, 14)]
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    assert np.all(ratios > 2.0), ratios


def test_wide_interval_and_high_order_stay_robust():
    """hi / lo = 1e8 at order 25 (Remez in mpmath with adaptive precision)."""
    t0 = time.perf_counter()
    r = RationalApproximation(-0.5, 1e-8, 1.0, order=25)
    assert r.error < 1e-9 and np.all(r.poles > 0) and np.all(r.residues > 0)
    x = np.exp(np.random.default_rng(3).uniform(np.log(1e-8), 0.0, 20000))
    assert np.abs(rel_err(r, x)).max() <= r.error * (1 + 1e-9)
    assert time.perf_counter() - t0 < 30.0


def test_residue_signs_and_evaluation_on_scalars_and_arrays():
    neg = RationalApproximation(-0.5, LO, HI, order=6)
    pos = RationalApproximation(0.25, LO, HI, order=6)
    assert np.all(neg.residues > 0) and neg.a0 > 0
    assert np.all(pos.residues < 0) and pos.a0 > 0
    assert isinstance(neg(1.0), float) and neg(1.0) == pytest.approx(1.0, rel=2 * neg.error)
    x = np.geomspace(LO, HI, 12).reshape(3, 4)
    assert neg(x).shape == (3, 4)


def test_params_round_trip_and_cache():
    r = RationalApproximation(-0.25, 1e-3, 10.0, order=7)
    d = json.loads(json.dumps(r.params()))
    assert d["order"] == 7 and d["power"] == -0.25 and len(d["poles"]) == 7
    r2 = RationalApproximation.from_params(d)
    x = np.geomspace(1e-3, 10.0, 101)
    assert np.array_equal(r2(x), r(x)) and r2.error == pytest.approx(r.error, rel=1e-6)
    d["residues"][0] *= 1.01
    with pytest.raises(ValueError, match="more than the recorded"):
        RationalApproximation.from_params(d)
    hits = rational_module._approximation.cache_info().hits
    r3 = RationalApproximation(-0.25, 1e-3, 10.0, order=7)
    assert rational_module._approximation.cache_info().hits == hits + 1
    assert np.array_equal(r3.poles, r.poles)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="non-zero"):
        RationalApproximation(0.0, 1.0, 2.0, order=3)
    with pytest.raises(ValueError, match="0 < lo < hi"):
        RationalApproximation(-0.5, 2.0, 1.0, order=3)
    with pytest.raises(ValueError, match="order or the tolerance"):
        RationalApproximation(-0.5, 1.0, 2.0)
    with pytest.raises(ValueError, match="max_order"):
        RationalApproximation(-0.5, 1.0, 2.0, order=50)


def test_apply_uses_one_multishift_solve_with_the_poles_as_shifts():
    seen = {}

    def solver(apply, b, shifts, tol, maxiter):
        seen["shifts"] = list(shifts)
        return multishift_cg(apply, b, shifts, tol=tol, maxiter=maxiter)

    r = RationalApproximation(-0.5, 0.1, 10.0, order=5)
    b = np.ones((4, 3), np.complex128)
    y, info = r.apply(lambda v: 2.0 * v, b, tol=1e-12, solver=solver)
    assert seen["shifts"] == list(r.poles)
    assert np.allclose(y, r(2.0) * b, rtol=1e-10)
