"""Krylov solvers (lqcd_core.solvers): CG, mixed-precision CG, CGNE, BiCGStab, multi-shift CG.

Operators are dense random matrices (applied with einsum: no BLAS threads) and a sparse 2D
lattice Laplacian, wrapped as callables on fields of shape (n, 3); a counting wrapper checks
the matvec bookkeeping of every solve.
"""
import json
import math

import numpy as np
import pytest

from lqcd_core.solvers import (SolverError, SolverInfo, bicgstab, cg, cg_normal, default_maxiter,
                               multishift_cg)


class Op:
    """x -> M x on fields of shape (n, 3), counting calls and recording input dtypes."""

    def __init__(self, m, dtype=None):
        self.m = np.asarray(m) if dtype is None else np.asarray(m, dtype=dtype)
        self.calls = 0
        self.dtypes = set()

    def __call__(self, x):
        self.calls += 1
        self.dtypes.add(x.dtype)
        return np.einsum("ij,j->i", self.m, x.reshape(-1)).reshape(x.shape)


class Laplacian:
    """A = m^2 + sum_mu (2 - U_mu(x) T_mu - T_mu^dag U_mu^dag) on an L x L lattice with random
    U(1) phases: sparse, Hermitian, positive (cond ~ 8 / m^2).  With ``asym`` the forward
    and backward hops differ (non-Hermitian)."""

    def __init__(self, L, m2, rng, asym=0.0):
        self.L, self.m2, self.asym = L, m2, asym
        self.u = np.exp(2j * np.pi * rng.random((2, L, L)))[..., None]
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        L = self.L
        f = x.reshape(L, L, 3)
        out = (self.m2 + 4.0) * f
        for mu in range(2):
            fwd = self.u[mu] * np.roll(f, -1, axis=mu)
            bwd = np.roll(np.conj(self.u[mu]) * f, 1, axis=mu)
            out = out - (1.0 + self.asym) * fwd - (1.0 - self.asym) * bwd
        return out.reshape(x.shape)


def hpd(n, cond, rng):
    q, _ = np.linalg.qr(rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)))
    return (q * np.geomspace(1.0, cond, n)) @ q.conj().T


def field(rng, n, dtype=np.complex128):
    return (rng.standard_normal((n, 3)) + 1j * rng.standard_normal((n, 3))).astype(dtype)


def rel_res(m, x, b, shift=0.0):
    m = np.asarray(m, dtype=np.complex128)
    xv, bv = x.reshape(-1).astype(np.complex128), b.reshape(-1).astype(np.complex128)
    return np.linalg.norm(bv - m @ xv - shift * xv) / np.linalg.norm(bv)


# -- CG --------------------------------------------------------------------------------------
@pytest.mark.parametrize("cond", [10.0, 1e3, 1e5])
def test_cg_reaches_the_requested_true_residual(cond):
    rng = np.random.default_rng(int(cond))
    n = 40
    a = hpd(3 * n, cond, rng)
    op, b = Op(a), field(rng, n)
    x, info = cg(op, b, tol=1e-10)
    assert x.shape == b.shape and x.dtype == np.complex128
    res = rel_res(a, x, b)
    assert res <= 1e-10
    assert info.converged and math.isclose(info.residual, res, rel_tol=0.05)  # rounding of A x
    assert info.matvecs == op.calls
    assert len(info.history) == info.iterations + 1
    assert info.history[0] == pytest.approx(1.0)


@pytest.mark.parametrize("cond", [10.0, 30.0])
def test_cg_on_complex64_fields_stays_complex64_and_reaches_tol(cond):
    rng = np.random.default_rng(7)
    n = 40
    a = hpd(3 * n, cond, rng).astype(np.complex64)
    op, b = Op(a), field(rng, n, np.complex64)
    x, info = cg(op, b, tol=1e-5)
    assert x.dtype == np.complex64 and op.dtypes == {np.dtype(np.complex64)}
    assert rel_res(a, x, b) <= 1e-5 * 1.05   # recomputed in complex128 (float32 rounding of A x)
    assert info.residual <= 1e-5 and info.matvecs == op.calls


def test_cg_on_a_sparse_lattice_laplacian():
    rng = np.random.default_rng(3)
    lap = Laplacian(16, 0.05, rng)
    b = field(rng, 256)
    x, info = cg(lap, b, tol=1e-10)
    assert info.matvecs == lap.calls
    assert np.linalg.norm(b - lap(x)) / np.linalg.norm(b) <= 1e-10


def test_cg_warm_start_counts_the_initial_residual_and_converges_faster():
    rng = np.random.default_rng(4)
    a = hpd(90, 1e3, rng)
    b = field(rng, 30)
    x, info = cg(Op(a), b, tol=1e-10)
    op = Op(a)
    x2, info2 = cg(op, b, tol=1e-10, x0=x + 1e-6 * field(rng, 30))
    assert info2.matvecs == op.calls and info2.iterations < info.iterations
    assert rel_res(a, x2, b) <= 1e-10


def test_cg_callback_sees_every_iteration():
    rng = np.random.default_rng(5)
    a = hpd(60, 100.0, rng)
    seen = []
    _, info = cg(Op(a), field(rng, 20), tol=1e-8, callback=lambda it, res, x: seen.append((it, res)))
    assert [s[0] for s in seen] == list(range(1, info.iterations + 1))
    assert [s[1] for s in seen] == info.history[1:]


def test_mixed_precision_cg_reaches_1e12_with_a_complex64_inner_operator():
    rng = np.random.default_rng(6)
    n = 40
    a = hpd(3 * n, 1e3, rng)
    op, op32 = Op(a), Op(a, np.complex64)
    b = field(rng, n)
    x, info = cg(op, b, tol=1e-12, apply_single=op32, inner_tol=1e-5)
    assert x.dtype == np.complex128
    assert rel_res(a, x, b) <= 1e-12
    assert op32.dtypes == {np.dtype(np.complex64)}          # the inner solve really is single
    assert op.dtypes == {np.dtype(np.complex128)}
    assert info.matvecs == op.calls and info.matvecs_single == op32.calls
    assert info.matvecs_single > 5 * info.matvecs            # the work is in single precision
    assert info.extra["outer_iterations"] == info.matvecs    # one double matvec per correction
    assert len(info.history) == info.iterations + 1
    assert info.extra["outer_history"][-1] == pytest.approx(info.residual)


def test_cg_stops_with_an_error_instead_of_hanging_when_complex64_cannot_reach_tol():
    rng = np.random.default_rng(8)
    a = hpd(60, 1e3, rng).astype(np.complex64)
    with pytest.raises(SolverError) as err:
        cg(Op(a), field(rng, 20, np.complex64), tol=1e-12, maxiter=5000)
    assert err.value.info.iterations < 5000 and "stagnated" in str(err.value)


def test_cg_detects_an_indefinite_operator():
    rng = np.random.default_rng(9)
    a = -hpd(30, 10.0, rng)
    with pytest.raises(SolverError, match="not positive definite"):
        cg(Op(a), field(rng, 10))


# -- CGNE and BiCGStab --------------------------------------------------------------------------
def nonhermitian(n, rng, shift=8.0):
    return rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)) + shift * np.sqrt(n) / 4 * np.eye(n)


def test_cg_normal_solves_a_non_hermitian_system():
    rng = np.random.default_rng(10)
    m = nonhermitian(90, rng)
    op, opd = Op(m), Op(m.conj().T)
    b = field(rng, 30)
    x, info = cg_normal(op, opd, b, tol=1e-10)
    assert rel_res(m, x, b) <= 1e-10
    assert info.method == "cgne" and info.matvecs == op.calls + opd.calls


@pytest.mark.parametrize("kind", ["dense", "lattice"])
def test_bicgstab_solves_non_hermitian_systems(kind):
    rng = np.random.default_rng(11)
    if kind == "dense":
        m = nonhermitian(120, rng)
        op, b = Op(m), field(rng, 40)
        apply_dense = m
    else:
        op = Laplacian(12, 0.3, rng, asym=0.3)
        b = field(rng, 144)
        apply_dense = None
    x, info = bicgstab(op, b, tol=1e-10)
    assert info.matvecs == op.calls
    res = rel_res(apply_dense, x, b) if apply_dense is not None else \
        np.linalg.norm(b - op(x)) / np.linalg.norm(b)
    assert res <= 1e-10 and info.converged
    assert len(info.history) == info.iterations + 1
    assert info.matvecs <= 2 * info.iterations + 1


def test_bicgstab_on_complex64():
    rng = np.random.default_rng(12)
    m = nonhermitian(60, rng).astype(np.complex64)
    op, b = Op(m), field(rng, 20, np.complex64)
    x, info = bicgstab(op, b, tol=1e-5)
    assert x.dtype == np.complex64 and rel_res(m, x, b) <= 1.05e-5


def test_bicgstab_breakdown_raises_with_the_history():
    """A real skew-symmetric M and a real b: (r^, M p) = b^T M b = 0 at once."""
    rng = np.random.default_rng(13)
    r = np.kron(np.eye(30), np.array([[0.0, 1.0], [-1.0, 0.0]]))
    b = rng.standard_normal((20, 3)).astype(np.complex128)
    with pytest.raises(SolverError, match="breakdown") as err:
        bicgstab(Op(r), b, tol=1e-10)
    assert err.value.info.history and not err.value.info.converged


# -- multi-shift CG ------------------------------------------------------------------------------
def test_multishift_equals_separate_cg_solves_of_the_shifted_systems():
    rng = np.random.default_rng(14)
    n = 40
    a = hpd(3 * n, 1e4, rng)
    b = field(rng, n)
    shifts = [0.0, 1e-3, 0.1, 1.0, 10.0]
    op = Op(a)
    xs, info = multishift_cg(op, b, shifts, tol=1e-10)
    assert info.matvecs == op.calls
    assert len(info.history) == info.iterations + 1
    assert info.residual <= 1e-10 and max(info.extra["residuals"]) == info.residual
    its = info.extra["shift_iterations"]
    assert its == sorted(its, reverse=True)          # larger shifts converge first
    for s, x in zip(shifts, xs):
        assert rel_res(a, x, b, s) <= 1e-10
        y, _ = cg(lambda v, s=s: Op(a)(v) + s * v, b, tol=1e-10)
        # both meet tol, so (A + s)(x - y) is at most 2 tol |b|
        d = (x - y).reshape(-1)
        assert np.linalg.norm(a @ d + s * d) <= 2e-10 * np.linalg.norm(b)


def test_multishift_on_a_lattice_laplacian_and_complex64():
    rng = np.random.default_rng(15)
    lap = Laplacian(12, 0.1, rng)
    b = field(rng, 144)
    xs, info = multishift_cg(lap, b, [0.0, 0.5, 2.0], tol=1e-9)
    for s, x in zip([0.0, 0.5, 2.0], xs):
        assert np.linalg.norm(b - lap(x) - s * x) <= 1e-9 * np.linalg.norm(b)
    b32 = b.astype(np.complex64)
    xs, info = multishift_cg(lambda v: lap(v).astype(np.complex64), b32, [0.5, 2.0], tol=1e-5)
    assert all(x.dtype == np.complex64 for x in xs)
    for s, x in zip([0.5, 2.0], xs):
        x = x.astype(np.complex128)
        assert np.linalg.norm(b - lap(x) - s * x) <= 1.05e-5 * np.linalg.norm(b)


def test_multishift_rejects_negative_shifts():
    rng = np.random.default_rng(16)
    with pytest.raises(ValueError, match="shifts must be >= 0"):
        multishift_cg(Op(hpd(30, 10, rng)), field(rng, 10), [0.1, -0.5])


# -- failures, zero right-hand side, bookkeeping ------------------------------------------------------
def _solvers(a):
    return {
        "cg": lambda op, b, **kw: cg(op, b, **kw),
        "bicgstab": lambda op, b, **kw: bicgstab(op, b, **kw),
        "multishift": lambda op, b, **kw: multishift_cg(op, b, [0.0, 0.3], **kw),
        "cg-mixed": lambda op, b, **kw: cg(op, b, apply_single=Op(a, np.complex64), **kw),
    }


@pytest.mark.parametrize("method", ["cg", "bicgstab", "multishift"])
def test_non_convergence_raises_with_the_history_and_residual(method):
    rng = np.random.default_rng(17)
    a = hpd(120, 1e5, rng)
    op = Op(a)
    with pytest.raises(SolverError) as err:
        _solvers(a)[method](op, field(rng, 40), tol=1e-12, maxiter=5)
    info = err.value.info
    msg = str(err.value)
    assert isinstance(info, SolverInfo) and not info.converged
    assert info.iterations == 5 and len(info.history) == 6
    assert "maxiter = 5" in msg and "5 iterations" in msg and "tol 1.0e-12" in msg
    assert f"relative residual {info.residual:.3e}" in msg and f"{info.history[-1]:.3e}" in msg
    assert info.matvecs == op.calls
    assert err.value.x is not None


@pytest.mark.parametrize("method", ["cg", "bicgstab", "multishift", "cg-mixed"])
def test_breakdown_on_a_nan_operator_raises_immediately(method):
    rng = np.random.default_rng(18)
    a = hpd(30, 10.0, rng)

    def bad(x):
        return np.full_like(x, np.nan)

    solve = _solvers(a)[method]
    if method == "cg-mixed":
        with pytest.raises(SolverError, match="breakdown") as err:
            cg(Op(a), field(rng, 10), apply_single=bad)
    else:
        with pytest.raises(SolverError, match="breakdown") as err:
            solve(bad, field(rng, 10))
    assert err.value.info.iterations <= 1


@pytest.mark.parametrize("method", ["cg", "bicgstab", "multishift", "cg-mixed"])
def test_nan_in_the_right_hand_side_is_a_breakdown(method):
    rng = np.random.default_rng(21)
    a = hpd(30, 10.0, rng)
    op = Op(a)
    b = field(rng, 10)
    b[3, 1] = np.nan
    with pytest.raises(SolverError, match="breakdown: the right-hand side contains NaN"):
        _solvers(a)[method](op, b)
    assert op.calls == 0


@pytest.mark.parametrize("method", ["cg", "bicgstab", "multishift", "cg-mixed"])
def test_zero_rhs_gives_zero_without_a_matvec(method):
    rng = np.random.default_rng(19)
    a = hpd(30, 10.0, rng)
    op = Op(a)
    out, info = _solvers(a)[method](op, np.zeros((10, 3), np.complex128))
    xs = out if isinstance(out, list) else [out]
    assert all(np.all(x == 0) and x.shape == (10, 3) for x in xs)
    assert op.calls == 0 and info.converged and info.residual == 0.0


def test_info_as_dict_is_json_and_default_maxiter():
    rng = np.random.default_rng(20)
    _, info = multishift_cg(Op(hpd(30, 10, rng)), field(rng, 10), [0.0, 1.0], tol=1e-8)
    d = json.loads(json.dumps(info.as_dict()))
    assert d["method"] == "multishift-cg" and d["iterations"] == info.iterations
    assert default_maxiter(150) == 1500 and default_maxiter(10**7) == 10000
