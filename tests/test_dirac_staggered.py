"""Tests of the staggered Dirac operator (lqcd_core.dirac.staggered): the kernels against a
dense reference, the symmetries, the free spectrum, even-odd preconditioning, the pseudofermion
heatbath, the gauge forces against numerical derivatives, boundary conditions, precision and
parameter checks."""
import types

import numba
import numpy as np
import pytest

import naive_gauge as ng
import naive_staggered as ns
from lqcd_core.dirac.staggered import (Staggered, StaggeredEOOperator, StaggeredOperator,
                                       epsilon, eta_phases)
from lqcd_core.gauge import GaugeField
from lqcd_core.lattice import Lattice

MASS = 0.37
# D = 2 U(1) (one lattice with L_0 != L_1), D = 4 SU(2) and SU(3) with extents 2 (the forward
# and backward neighbours coincide) and 4
FIELDS = [("u1", (4, 4)), ("u1", (6, 4)), ("su2", (2, 4, 2, 4)), ("su3", (4, 2, 2, 4))]
FIELD_IDS = ["u1-4x4", "u1-6x4", "su2-2424", "su3-4224"]


pytestmark = pytest.mark.usefixtures("single_numba_thread")


def hot(group, extents, seed):
    return GaugeField.hot(Lattice(extents), group, np.random.default_rng(seed))


def cvec(rng, shape, dtype=complex):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def full_dense(field, mass=MASS, antiperiodic=True):
    return ns.staggered_matrix(field.links, field.lattice.extents, mass, antiperiodic)


def rel(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


# ---------------------------------------------------------------------------
# the kernels against the dense reference
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("antiperiodic", [True, False], ids=["antiperiodic", "periodic"])
@pytest.mark.parametrize("group, extents", FIELDS + [("su3", (4, 4, 4, 4)), ("su3", (4, 6))],
                         ids=FIELD_IDS + ["su3-4444", "su3-4x6"])
def test_full_operator_matches_naive_dense_matrix(group, extents, antiperiodic):
    f = hot(group, extents, 1)
    op = Staggered(MASS, antiperiodic=antiperiodic, even_odd=False).bind(f)
    assert isinstance(op, StaggeredOperator)
    m = full_dense(f, antiperiodic=antiperiodic)
    rng = np.random.default_rng(2)
    x = cvec(rng, op.shape)
    assert rel(op.apply(x).ravel(), m @ x.ravel()) < 1e-14
    assert rel(op.apply_dagger(x).ravel(), m.conj().T @ x.ravel()) < 1e-14
    assert rel(op.hop(x).ravel(), (m - MASS * np.eye(len(m))) @ x.ravel()) < 1e-14
    assert rel(op.hermitian(x).ravel(), m.conj().T @ (m @ x.ravel())) < 1e-14


@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_checkerboard_hops_match_dense_blocks(group, extents):
    f = hot(group, extents, 3)
    op = Staggered(MASS).bind(f)
    assert isinstance(op, StaggeredEOOperator)
    h = ns.hopping_matrix(f.links, extents)
    n = f.group.nc
    # D_hop only connects opposite parities
    assert np.abs(ns.block(h, extents, n, 0, 0)).max() == 0
    assert np.abs(ns.block(h, extents, n, 1, 1)).max() == 0
    rng = np.random.default_rng(4)
    x = cvec(rng, op.shape)
    assert rel(op.hop_oe(x).ravel(), ns.block(h, extents, n, 1, 0) @ x.ravel()) < 1e-14
    assert rel(op.hop_eo(x).ravel(), ns.block(h, extents, n, 0, 1) @ x.ravel()) < 1e-14


@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_phases_eta_and_epsilon_follow_the_formula(group, extents):
    lat = Lattice(extents)
    coords = ns.site_coords(extents)
    eta = eta_phases(lat)
    for i, c in enumerate(coords):
        assert [eta[mu, i] for mu in range(lat.ndim)] == [ns.eta(c, mu) for mu in range(lat.ndim)]
    assert np.array_equal(epsilon(lat), 1 - 2 * ns.parity(extents))


# ---------------------------------------------------------------------------
# symmetries
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_epsilon_hermiticity_and_antihermitian_hop(group, extents):
    f = hot(group, extents, 5)
    op = Staggered(MASS, even_odd=False).bind(f)
    eps = epsilon(f.lattice)[:, None]
    rng = np.random.default_rng(6)
    x, y = cvec(rng, op.shape), cvec(rng, op.shape)
    # epsilon M epsilon = M^dag
    assert rel(eps * op.apply(eps * x), op.apply_dagger(x)) < 1e-14
    # y^dag (D x) = -(D y)^dag x  (anti-Hermitian), and <y, M x> = <M^dag y, x>
    lhs = np.vdot(y, op.hop(x))
    assert abs(lhs + np.vdot(op.hop(y), x)) < 1e-13 * abs(lhs)
    assert abs(np.vdot(y, op.apply(x)) - np.vdot(op.apply_dagger(y), x)) < 1e-13 * abs(lhs)
    # the even-odd operator is Hermitian
    eo = Staggered(MASS).bind(f)
    xe, ye = cvec(rng, eo.shape), cvec(rng, eo.shape)
    a = np.vdot(ye, eo.apply(xe))
    assert abs(a - np.vdot(eo.apply(ye), xe)) < 1e-13 * abs(a)
    assert np.vdot(xe, eo.apply(xe)).real >= MASS ** 2 * np.vdot(xe, xe).real


@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_operators_and_forces_are_gauge_covariant(group, extents):
    """M[U^g] (g x) = g M[U] x with U^g_mu(x) = g(x) U_mu(x) g(x+mu)^dag; the forces transform
    as F -> g(x) F g(x)^dag when the fields do."""
    f = hot(group, extents, 7)
    lat = f.lattice
    g = f.group.random((lat.volume,), np.random.default_rng(8))
    ft = GaugeField(lat, f.group, ng.gauge_transform(f.links, extents, g))
    rng = np.random.default_rng(9)
    op, opt = (Staggered(MASS, even_odd=False).bind(h) for h in (f, ft))
    x, y = cvec(rng, op.shape), cvec(rng, op.shape)
    gx, gy = (np.einsum("xab,xb->xa", g, v) for v in (x, y))
    assert rel(opt.apply(gx), np.einsum("xab,xb->xa", g, op.apply(x))) < 1e-13
    cov = g[None] @ op.deriv(x, y) @ ng.dag(g)[None]
    assert np.abs(opt.deriv(gx, gy) - cov).max() < 1e-13 * np.abs(cov).max()
    # even-odd: the even sites' g
    eo, eot = (Staggered(MASS).bind(h) for h in (f, ft))
    ge = g[lat.even_sites]
    xe, ye = cvec(rng, eo.shape), cvec(rng, eo.shape)
    gxe, gye = (np.einsum("xab,xb->xa", ge, v) for v in (xe, ye))
    assert rel(eot.apply(gxe), np.einsum("xab,xb->xa", ge, eo.apply(xe))) < 1e-13
    cov = g[None] @ eo.hermitian_deriv(xe, ye) @ ng.dag(g)[None]
    assert np.abs(eot.hermitian_deriv(gxe, gye) - cov).max() < 1e-13 * np.abs(cov).max()


# ---------------------------------------------------------------------------
# free field
# ---------------------------------------------------------------------------
FREE = [("u1", (4, 4)), ("u1", (6, 4)), ("su2", (2, 2, 2, 4)), ("su3", (2, 4, 2, 2))]


@pytest.mark.parametrize("antiperiodic", [True, False], ids=["antiperiodic", "periodic"])
@pytest.mark.parametrize("group, extents", FREE, ids=[f"{g}-{'x'.join(map(str, e))}" for g, e in FREE])
def test_free_field_spectrum(group, extents, antiperiodic):
    """Unit links: eig(M^dag M) = m^2 + sum_mu sin^2 p_mu over the full-lattice momenta (p_{D-1}
    antiperiodic or periodic), nc times each; M = m + i lambda with lambda^2 = sum sin^2 p; the
    even-odd A = (M^dag M)_ee has the same values with half the multiplicity."""
    f = GaugeField.cold(Lattice(extents), group)
    n = f.group.nc
    vol = f.lattice.volume
    expected = ns.free_spectrum(extents, MASS, n, antiperiodic)
    fer = Staggered(MASS, antiperiodic=antiperiodic, even_odd=False)
    op = fer.bind(f)
    a = ns.dense_of(op.hermitian, vol, n)
    assert np.allclose(np.linalg.eigvalsh(a), expected, atol=1e-12)
    ev = np.linalg.eigvals(ns.dense_of(op.apply, vol, n))
    assert np.allclose(ev.real, MASS, atol=1e-12)
    assert np.allclose(np.sort(ev.imag ** 2), expected - MASS ** 2, atol=1e-12)
    # the spectrum is symmetric: lambda and -lambda
    assert np.allclose(np.sort(ev.imag), np.sort(-ev.imag), atol=1e-12)
    eo = Staggered(MASS, antiperiodic=antiperiodic).bind(f)
    a_ee = ns.dense_of(eo.apply, vol // 2, n)
    assert np.allclose(np.linalg.eigvalsh(a_ee), expected[::2], atol=1e-12)


# ---------------------------------------------------------------------------
# even-odd preconditioning
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_even_odd_operator_is_schur_complement_and_det_equals_det_m(group, extents):
    f = hot(group, extents, 10)
    n = f.group.nc
    eo = Staggered(MASS).bind(f)
    a = ns.dense_of(eo.apply, f.lattice.volume // 2, n)
    m = full_dense(f)
    blk = lambda mat, r, c: ns.block(mat, extents, n, r, c)  # noqa: E731
    # (M^dag M)_ee
    assert np.abs(a - blk(m.conj().T @ m, 0, 0)).max() < 1e-13
    # m times the Schur complement M_ee - M_eo M_oo^-1 M_oe
    schur = blk(m, 0, 0) - blk(m, 0, 1) @ np.linalg.solve(blk(m, 1, 1), blk(m, 1, 0))
    assert np.abs(a - MASS * schur).max() < 1e-13
    # det A = det M, real and positive
    sign_m, logdet_m = np.linalg.slogdet(m)
    sign_a, logdet_a = np.linalg.slogdet(a)
    assert abs(sign_m - 1) < 1e-10 and abs(sign_a - 1) < 1e-10
    assert logdet_a == pytest.approx(logdet_m, rel=1e-12, abs=1e-10)
    # and det(M^dag M) = (det M)^2: the full operator counts twice
    assert np.linalg.slogdet(m.conj().T @ m)[1] == pytest.approx(2 * logdet_m, rel=1e-12)


@pytest.mark.parametrize("group, extents", [("u1", (6, 4)), ("su3", (4, 4, 4, 4))], ids=["u1", "su3-4444"])
def test_even_odd_operator_and_force_equal_full_normal_operator_on_even_fields(group, extents):
    """(M^dag M)_ee without dense matrices: for X = (x_e, 0), Y = (y_e, 0) the even-odd A and its
    force equal M^dag M and its force on the full lattice."""
    f = hot(group, extents, 31)
    lat = f.lattice
    eo = Staggered(MASS).bind(f)
    full = Staggered(MASS, even_odd=False).bind(f)
    rng = np.random.default_rng(32)
    x, y = cvec(rng, eo.shape), cvec(rng, eo.shape)
    big_x, big_y = np.zeros(full.shape, complex), np.zeros(full.shape, complex)
    big_x[lat.even_sites], big_y[lat.even_sites] = x, y
    ax = full.hermitian(big_x)
    assert rel(eo.apply(x), ax[lat.even_sites]) < 1e-14
    assert np.abs(ax[lat.odd_sites]).max() < 1e-14
    ref = full.hermitian_deriv(big_x, big_y)
    assert np.abs(eo.hermitian_deriv(x, y) - ref).max() < 1e-13 * np.abs(ref).max()


@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_reconstruct_solves_the_full_system(group, extents):
    f = hot(group, extents, 11)
    n, vol = f.group.nc, f.lattice.volume
    eo = Staggered(MASS).bind(f)
    full = Staggered(MASS, even_odd=False).bind(f)
    b = cvec(np.random.default_rng(12), full.shape)
    a = ns.dense_of(eo.apply, vol // 2, n)
    rhs = eo.prepare_source(b)
    assert rel(rhs, MASS * b[f.lattice.even_sites] - eo.hop_eo(b[f.lattice.odd_sites])) < 1e-15
    x_e = np.linalg.solve(a, rhs.ravel()).reshape(eo.shape)
    x = eo.reconstruct(x_e, b)
    assert rel(full.apply(x), b) < 1e-12
    assert rel(x.ravel(), np.linalg.solve(full_dense(f), b.ravel())) < 1e-12


@pytest.mark.parametrize("even_odd", [True, False], ids=["eo", "full"])
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_heatbath_covariance_is_a(group, extents, even_odd):
    """phi = B eta with <eta eta^dag> = 1 has <phi phi^dag> = B B^dag, which must be A."""
    f = hot(group, extents, 13)
    op = Staggered(MASS, even_odd=even_odd).bind(f)
    n = f.group.nc
    b = ns.dense_of(op.heatbath, op.noise_shape[0], n)
    assert b.shape == (op.shape[0] * n, op.noise_shape[0] * n)
    a = ns.dense_of(op.hermitian, op.shape[0], n)
    assert np.abs(b @ b.conj().T - a).max() < 1e-13
    # the base-class Gaussian noise comes in the noise shape
    eta = op.gaussian(np.random.default_rng(14))
    assert eta.shape == op.noise_shape and eta.dtype == np.complex128


# ---------------------------------------------------------------------------
# spectral bounds
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_spectrum_lies_inside_spectral_bounds(group, extents):
    f = hot(group, extents, 15)
    for even_odd in (True, False):
        op = Staggered(MASS, even_odd=even_odd).bind(f)
        lo, hi = op.spectral_bounds()
        assert (lo, hi) == pytest.approx((MASS ** 2, MASS ** 2 + f.lattice.ndim ** 2))
        ev = np.linalg.eigvalsh(ns.dense_of(op.hermitian, op.shape[0], f.group.nc))
        assert ev.min() >= lo * (1 - 1e-12) and ev.max() <= hi * (1 + 1e-12)


@pytest.mark.parametrize("group, extents", [("u1", (4, 6)), ("su2", (4, 4, 4, 2)), ("su3", (4, 4, 4, 2))],
                         ids=["u1", "su2", "su3"])
def test_upper_spectral_bound_is_attained_by_the_pi_flux_field(group, extents):
    """U_mu(x) = eta_mu(x) (U(1), SU(2)) or diag(eta, eta, 1) (SU(3)) cancels the staggered
    phases (in two colours for SU(3)): D_hop is then the naive operator with eigenvalues
    i sum_mu sin p_mu, = i D at p = pi/2 (L_mu = 0 mod 4, antiperiodic L = 2 mod 4)."""
    lat = Lattice(extents)
    f = GaugeField.cold(lat, group)
    eta = np.array([[ns.eta(c, mu) for c in ns.site_coords(extents)] for mu in range(lat.ndim)])
    if group == "su3":
        f.links[..., 0, 0] = eta
        f.links[..., 1, 1] = eta
    else:
        f.links *= eta[..., None, None]
    assert f.unitarity_violation() < 1e-15
    if f.group.nc > 1:
        assert np.allclose(np.linalg.det(f.links), 1.0)
    for even_odd in (True, False):
        op = Staggered(MASS, even_odd=even_odd).bind(f)
        ev = np.linalg.eigvalsh(ns.dense_of(op.hermitian, op.shape[0], f.group.nc))
        assert ev.max() == pytest.approx(op.spectral_bounds()[1], rel=1e-12)
        assert ev.min() >= op.spectral_bounds()[0] * (1 - 1e-12)


# ---------------------------------------------------------------------------
# forces
# ---------------------------------------------------------------------------
def bilinear(fermion, field, x, y, which):
    op = fermion.bind(field)
    return np.vdot(y, getattr(op, which)(x)).real


def numerical_derivative(fermion, field, t, x, y, which, eps=1e-3):
    """4th-order symmetric difference of Re(y^dag Op[exp(eps T) U] x) at eps = 0."""
    vals = {}
    for k in (-2, -1, 1, 2):
        g = field.copy()
        g.links[...] = field.group.exp(k * eps * t) @ field.links
        vals[k] = bilinear(fermion, g, x, y, which)
    return (8 * (vals[1] - vals[-1]) - (vals[2] - vals[-2])) / (12 * eps)


@pytest.mark.parametrize("case", ["full-deriv", "full-hermitian", "eo-hermitian"])
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_force_equals_numerical_derivative_along_random_directions(group, extents, case):
    f = hot(group, extents, 16)
    even_odd = case.startswith("eo")
    fer = Staggered(MASS, even_odd=even_odd)
    op = fer.bind(f)
    rng = np.random.default_rng(17)
    x, y = cvec(rng, op.shape), cvec(rng, op.shape)
    if case == "full-deriv":
        force, which = op.deriv(x, y), "apply"
    else:
        force, which = op.hermitian_deriv(x, y), "hermitian"
        if even_odd:  # deriv of the even-odd operator is that of A
            assert np.array_equal(op.deriv(x, y), force)
    for _ in range(2):
        t = ng.random_algebra(f.group.nc, f.links.shape[:2], rng)
        analytic = f.group.inner(t, force)
        num = numerical_derivative(fer, f, t, x, y, which)
        assert num == pytest.approx(analytic, rel=1e-6), (num, analytic)


@pytest.mark.parametrize("even_odd", [True, False], ids=["eo", "full"])
@pytest.mark.parametrize("group, extents", [("su2", (2, 4, 2, 4)), ("su3", (4, 2, 2, 4))],
                         ids=["su2", "su3"])
def test_force_equals_numerical_derivative_on_single_links(group, extents, even_odd):
    """Every generator on a few single links (including time-boundary links)."""
    f = hot(group, extents, 18)
    fer = Staggered(MASS, even_odd=even_odd)
    op = fer.bind(f)
    rng = np.random.default_rng(19)
    x, y = cvec(rng, op.shape), cvec(rng, op.shape)
    comp = f.group.components(op.hermitian_deriv(x, y))
    t_last = np.flatnonzero(f.lattice.coords[:, -1] == extents[-1] - 1)
    links = [(3, int(t_last[0])), (3, int(t_last[-1])), (0, 0), (1, int(rng.integers(f.lattice.volume)))]
    for mu, site in links:
        for a in range(f.group.dim):
            t = np.zeros_like(f.links)
            t[mu, site] = 1j * f.group.generators[a]
            num = numerical_derivative(fer, f, t, x, y, "hermitian")
            assert num == pytest.approx(comp[mu, site, a], rel=1e-6, abs=1e-9), (mu, site, a)


@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_force_is_algebra_valued_and_the_projected_colour_matrix(group, extents):
    f = hot(group, extents, 20)
    op = Staggered(MASS, even_odd=False).bind(f)
    rng = np.random.default_rng(21)
    x, y = cvec(rng, op.shape), cvec(rng, op.shape)
    force = op.deriv(x, y)
    assert force.shape == f.links.shape and force.dtype == np.complex128
    assert np.abs(force + ng.dag(force)).max() < 1e-14
    if f.group.nc > 1:
        assert np.abs(np.trace(force, axis1=-2, axis2=-1)).max() < 1e-14
    # the fused kernel = base class F = -c TA(W) of the colour matrix W (NumPy einsum)
    assert np.abs(force - op._force_from_w(op._full_w(x, y))).max() < 1e-14
    # linear in each field: the force of a sum of bilinears is the sum of forces
    x2 = cvec(rng, op.shape)
    assert np.abs(op.deriv(x + 2 * x2, y) - op.deriv(x, y) - 2 * op.deriv(x2, y)).max() < 1e-13


# ---------------------------------------------------------------------------
# boundary conditions, precision, threads
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_antiperiodic_and_periodic_differ_exactly_by_the_boundary_hops(group, extents):
    """(M_ap - M_p) x = -2 x (the two time-boundary hops): at x_t = L-1 the forward hop
    -eta U_t(x) psi(x+t), at x_t = 0 the backward hop +eta U_t(x-t)^dag psi(x-t)."""
    f = hot(group, extents, 22)
    lat = f.lattice
    t = lat.ndim - 1
    x = cvec(np.random.default_rng(23), (lat.volume, f.group.nc))
    ap, p = (Staggered(MASS, antiperiodic=a, even_odd=False).bind(f) for a in (True, False))
    diff = ap.apply(x) - p.apply(x)
    eta = eta_phases(lat)[t].astype(float)[:, None]
    u = f.links[t]
    fwd_hop = eta * np.einsum("xab,xb->xa", u, x[lat.fwd[t]])
    bwd = lat.bwd[t]
    bwd_hop = eta * np.einsum("xba,xb->xa", u[bwd].conj(), x[bwd])
    last = lat.coords[:, t] == extents[t] - 1
    first = lat.coords[:, t] == 0
    expected = np.zeros_like(x)
    expected[last] -= fwd_hop[last]
    expected[first] += bwd_hop[first]
    assert np.abs(diff - expected).max() < 1e-14
    inner = ~(last | first)
    assert np.abs(diff[inner]).max() == 0


@pytest.mark.parametrize("even_odd", [True, False], ids=["eo", "full"])
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_single_precision_agrees_with_double(group, extents, even_odd):
    f = hot(group, extents, 24)
    op = Staggered(MASS, even_odd=even_odd).bind(f)
    sp = op.single()
    assert type(sp) is type(op) and sp.dtype == np.complex64 and sp.links.dtype == np.complex64
    assert sp.shape == op.shape and sp.flavours_per_det == op.flavours_per_det
    rng = np.random.default_rng(25)
    x, y = cvec(rng, op.shape), cvec(rng, op.shape)
    eta = cvec(rng, op.noise_shape)
    for name in ("apply", "apply_dagger", "hermitian"):
        r = getattr(sp, name)(x.astype(np.complex64))
        assert r.dtype == np.complex64
        assert rel(r, getattr(op, name)(x)) < 3e-6, name
    hb = sp.heatbath(eta.astype(np.complex64))
    assert hb.dtype == np.complex64 and rel(hb, op.heatbath(eta)) < 3e-6
    assert rel(sp.hermitian_deriv(x, y), op.hermitian_deriv(x, y)) < 3e-6
    # single() is a snapshot of the links
    assert np.abs(sp.links - f.links).max() < 1e-7


def test_operator_follows_in_place_link_updates():
    f = hot("su3", (4, 2, 2, 4), 26)
    op = Staggered(MASS, even_odd=False).bind(f)
    x = cvec(np.random.default_rng(27), op.shape)
    before = op.apply(x)
    f.links[...] = f.links[..., ::-1, :]  # any change of the links
    ref = full_dense(f) @ x.ravel()
    assert rel(op.apply(x).ravel(), ref) < 1e-14 and rel(before.ravel(), ref) > 1e-3


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")
def test_kernels_give_the_same_result_with_two_threads():
    f = hot("su3", (4, 4, 4, 4), 28)
    rng = np.random.default_rng(29)
    eo = Staggered(MASS).bind(f)
    full = Staggered(MASS, even_odd=False).bind(f)
    xe, x, y = cvec(rng, eo.shape), cvec(rng, full.shape), cvec(rng, full.shape)
    one = (eo.apply(xe), full.apply(x), full.deriv(x, y))
    numba.set_num_threads(2)
    try:
        two = (eo.apply(xe), full.apply(x), full.deriv(x, y))
    finally:
        numba.set_num_threads(1)
    for a, b in zip(one, two):
        assert np.array_equal(a, b)


# ---------------------------------------------------------------------------
# interface and parameters
# ---------------------------------------------------------------------------
def test_shapes_params_and_flavour_counting():
    f = hot("su3", (4, 2, 2, 4), 30)
    vol = f.lattice.volume
    fer = Staggered(0.1)
    assert fer.params() == {"name": "staggered", "mass": 0.1, "antiperiodic": True, "even_odd": True}
    assert Staggered(**{k: v for k, v in fer.params().items() if k != "name"}).params() == fer.params()
    eo = fer.bind(f)
    full = Staggered(0.1, antiperiodic=False, even_odd=False).bind(f)
    assert eo.shape == (vol // 2, 3) and eo.noise_shape == (vol, 3) and eo.even_odd
    assert full.shape == full.noise_shape == (vol, 3) and not full.even_odd
    assert eo.flavours_per_det == 4 and full.flavours_per_det == 8
    assert eo.log_det_extra() == 0.0 and full.log_det_extra() == 0.0
    assert np.all(eo.log_det_extra_force() == 0)
    assert full.params()["antiperiodic"] is False and full.params()["even_odd"] is False
    # cost log: M, M^dag 1 each; M^dag M 2; even-odd A 1 (two half hops)
    x = full.zeros()
    full.apply(x), full.apply_dagger(x), full.hermitian(x)
    assert full.applications == 4
    xe = eo.zeros()
    eo.apply(xe), eo.hermitian(xe), eo.apply_dagger(xe)
    assert eo.applications == 3
    with pytest.raises(ValueError, match="shape"):
        eo.apply(full.zeros())


@pytest.mark.parametrize("mass", [0.0, -0.1, None, float("nan"), float("inf"), "heavy"])
def test_bad_mass_raises_value_error_naming_fermion_mass(mass):
    with pytest.raises(ValueError, match="fermion.mass"):
        Staggered(mass)


def test_unsupported_lattices_raise_value_error_naming_staggered():
    f3 = GaugeField.cold(Lattice((4, 4, 4)), "su2")
    with pytest.raises(ValueError, match="staggered.*D = 3"):
        Staggered(0.1).bind(f3)
    # odd extents cannot be built with Lattice; a stand-in lattice checks the message
    fake = types.SimpleNamespace(lattice=types.SimpleNamespace(ndim=2, extents=(4, 5)))
    with pytest.raises(ValueError, match="staggered.*L_1 = 5"):
        Staggered(0.1).bind(fake)
