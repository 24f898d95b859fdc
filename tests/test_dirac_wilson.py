"""Tests of the Wilson(-clover) Dirac operator (lqcd_core.dirac.wilson, docs/conventions.md)."""
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

import naive_dirac as nd
import naive_gauge as ng
from lqcd_core.dirac import gamma as G
from lqcd_core.dirac.wilson import Wilson, WilsonEOOperator, WilsonOperator
from lqcd_core.gauge import GaugeField
from lqcd_core.lattice import Lattice

KAPPA = 0.121
CSW = 1.37
# (group, extents): D = 2 U(1); D = 4 SU(2) (generic kernel, extents 2 wrap around);
# D = 4 SU(3) (the unrolled kernel); D = 2 SU(3) (generic kernel with nc = 3)
FIELDS = [("u1", (6, 4)), ("su2", (4, 2, 2, 4)), ("su3", (4, 4, 4, 4)), ("su3", (4, 6))]
FIELD_IDS = ["u1-2d", "su2-4d", "su3-4d", "su3-2d"]
SMALL = [("u1", (6, 4)), ("su2", (2, 2, 2, 4)), ("su3", (2, 2, 4, 2))]
SMALL_IDS = ["u1-2d", "su2-4d", "su3-4d"]


pytestmark = pytest.mark.usefixtures("single_numba_thread")


def hot(group, extents, seed):
    return GaugeField.hot(Lattice(extents), group, np.random.default_rng(seed))


def rand(shape, rng):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def dense(op):
    """The matrix of op.apply (column k = op applied to unit vector k)."""
    n = int(np.prod(op.shape))
    cols = [op.apply(np.eye(1, n, k, dtype=complex).reshape(op.shape)).ravel() for k in range(n)]
    return np.array(cols).T


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


# ---------------------------------------------------------------------------
# gamma matrices
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 4])
def test_gamma_matrices_are_the_documented_hermitian_chiral_basis(d):
    g, ns = G.gammas(d), G.n_spin(d)
    assert np.array_equal(g, nd.gammas(d))
    for mu in range(d):
        assert np.allclose(g[mu], g[mu].conj().T)
        for nu in range(d):
            assert np.allclose(g[mu] @ g[nu] + g[nu] @ g[mu], 2 * (mu == nu) * np.eye(ns))
        # gamma5 anticommutes with every gamma_mu
        assert np.allclose(G.gamma5(d) @ g[mu], -g[mu] @ G.gamma5(d))
    prod = g[0] @ g[1] @ g[2] @ g[3] if d == 4 else -1j * g[0] @ g[1]
    assert np.allclose(prod, G.gamma5(d))
    assert np.allclose(G.gamma5(d), np.diag([1] * (ns // 2) + [-1] * (ns // 2)))
    for mu, nu in G.planes(d):
        s = G.sigma(d, mu, nu)
        assert np.allclose(s, nd.sigma(d, mu, nu)) and np.allclose(s, s.conj().T)
        assert np.allclose(s[:ns // 2, ns // 2:], 0)          # block diagonal in chirality
    perm, phase = G.projection_tables(d)
    for mu in range(d):                                        # gamma = [[0, A], [A^dag, 0]]
        a = np.zeros((ns // 2, ns // 2), complex)
        a[np.arange(ns // 2), perm[mu]] = phase[mu]
        assert np.allclose(g[mu][:ns // 2, ns // 2:], a)


# ---------------------------------------------------------------------------
# the operator against the naive reference
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("csw", [0.0, CSW], ids=["wilson", "clover"])
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_operator_equals_naive_reference(group, extents, csw):
    f = hot(group, extents, 1)
    rng = np.random.default_rng(2)
    op = Wilson(kappa=KAPPA, csw=csw).bind(f)
    assert isinstance(op, WilsonOperator)
    assert op.shape == (f.lattice.volume, G.n_spin(len(extents)), f.group.nc)
    x = rand(op.shape, rng)
    ref = nd.wilson_apply(f.links, extents, x, KAPPA, csw)
    assert rel(op.apply(x), ref) < 1e-13
    d = len(extents)
    g5x = nd.apply_gamma5(x, d)
    ref_dag = nd.apply_gamma5(nd.wilson_apply(f.links, extents, g5x, KAPPA, csw), d)
    assert rel(op.apply_dagger(x), ref_dag) < 1e-13
    # the clover term is really there (and the hopping term too)
    other = nd.wilson_apply(f.links, extents, x, KAPPA, CSW - csw)
    assert rel(op.apply(x), other) > 1e-3


@pytest.mark.parametrize("group, extents", SMALL, ids=SMALL_IDS)
def test_dense_matrix_is_gamma5_hermitian(group, extents):
    f = hot(group, extents, 3)
    m = dense(Wilson(kappa=KAPPA, csw=CSW).bind(f))
    d = len(extents)
    g5 = np.kron(np.eye(f.lattice.volume), np.kron(nd.gamma5(d), np.eye(f.group.nc)))
    assert np.allclose(g5 @ m @ g5, m.conj().T, atol=1e-14)
    assert not np.allclose(m, m.conj().T, atol=1e-3)


@pytest.mark.parametrize("eo", [False, True], ids=["full", "eo"])
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_apply_dagger_is_the_adjoint_and_gamma5_conjugate(group, extents, eo):
    f = hot(group, extents, 4)
    rng = np.random.default_rng(5)
    d = len(extents)
    for csw in (0.0, CSW):
        op = Wilson(kappa=KAPPA, csw=csw, even_odd=eo).bind(f)
        x, y = rand(op.shape, rng), rand(op.shape, rng)
        lhs, rhs = np.vdot(y, op.apply(x)), np.vdot(op.apply_dagger(y), x)
        assert abs(lhs - rhs) < 1e-12 * abs(lhs)
        g5 = nd.apply_gamma5(op.apply(nd.apply_gamma5(x, d)), d)
        assert rel(op.apply_dagger(x), g5) < 1e-13


@pytest.mark.parametrize("eo", [False, True], ids=["full", "eo"])
@pytest.mark.parametrize("group, extents", FIELDS[:3], ids=FIELD_IDS[:3])
def test_operator_is_gauge_covariant(group, extents, eo):
    """M[U^g] (g psi) = g M[U] psi, U^g_mu(x) = g(x) U_mu(x) g(x+mu)^dag."""
    f = hot(group, extents, 6)
    rng = np.random.default_rng(7)
    g = f.group.random((f.lattice.volume,), rng)
    if eo:
        g = g[f.lattice.even_sites]
    ft = f.gauge_transform(f.group.random((f.lattice.volume,), np.random.default_rng(7)))
    op = Wilson(kappa=KAPPA, csw=CSW, even_odd=eo).bind(f)
    opt = Wilson(kappa=KAPPA, csw=CSW, even_odd=eo).bind(ft)
    x = rand(op.shape, rng)
    gx = np.einsum("xab,xsb->xsa", g, x)
    assert rel(opt.apply(gx), np.einsum("xab,xsb->xsa", g, op.apply(x))) < 1e-13
    assert rel(opt.apply(x), op.apply(x)) > 1e-2


def match_max_distance(ev, ref):
    """max |ev - ref| under the best one-to-one pairing of the two lists."""
    rows, cols = linear_sum_assignment(np.abs(ev[:, None] - ref[None, :]))
    return np.abs(ev[rows] - ref[cols]).max()


@pytest.mark.parametrize("antiperiodic", [True, False], ids=["antiperiodic", "periodic"])
def test_free_field_spectrum_equals_momentum_space_formula_2d(antiperiodic):
    """Unit links, dense M: eigenvalues (1 - 2 kappa sum cos p) +- 2 i kappa |sin p|."""
    extents = (6, 4)
    f = GaugeField.cold(Lattice(extents), "u1")
    ev = np.linalg.eigvals(dense(Wilson(kappa=KAPPA, antiperiodic=antiperiodic).bind(f)))
    ref = nd.free_eigenvalues(extents, KAPPA, 1, antiperiodic)
    assert len(ev) == len(ref)
    assert match_max_distance(ev, ref) < 1e-12
    assert match_max_distance(ev, nd.free_eigenvalues(extents, KAPPA, 1, not antiperiodic)) > 1e-3


@pytest.mark.parametrize("antiperiodic", [True, False], ids=["antiperiodic", "periodic"])
def test_free_field_spectrum_equals_momentum_space_formula_4d(antiperiodic):
    """Unit links: M maps every momentum sector {e^{ipx} e_s} into itself (p_t = (2n+1) pi / L_t
    if antiperiodic), and the ns x ns matrices M(p) have the eigenvalues of the formula; the V
    sectors span the space, so this is the whole spectrum (a dense eigensolver would be slow)."""
    extents = (2, 4, 2, 6)
    lat = Lattice(extents)
    op = Wilson(kappa=KAPPA, antiperiodic=antiperiodic).bind(GaugeField.cold(lat, "u1"))
    ns = op.ns
    moms = [(2 * np.arange(L) + (1 if antiperiodic and mu == 3 else 0)) * np.pi / L
            for mu, L in enumerate(extents)]
    evs = []
    for p in np.stack(np.meshgrid(*moms, indexing="ij"), -1).reshape(-1, 4):
        wave = np.exp(1j * lat.coords @ p)
        basis = np.zeros((ns,) + op.shape, complex)
        for s in range(ns):
            basis[s, :, s, 0] = wave
        images = np.array([op.apply(b) for b in basis])
        mp = np.einsum("txs,uxs->tu", basis.conj()[..., 0], images[..., 0]) / lat.volume
        assert np.abs(images - np.einsum("tu,txsc->uxsc", mp, basis)).max() < 1e-13
        evs.append(np.linalg.eigvals(mp))
    ev = np.concatenate(evs)
    ref = nd.free_eigenvalues(extents, KAPPA, 1, antiperiodic)
    assert match_max_distance(ev, ref) < 1e-12
    assert match_max_distance(ev, nd.free_eigenvalues(extents, KAPPA, 1, not antiperiodic)) > 1e-3


# ---------------------------------------------------------------------------
# boundary conditions, parameters, precision
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("eo", [False, True], ids=["full", "eo"])
@pytest.mark.parametrize("group, extents", [("u1", (4, 8)), ("su3", (2, 2, 4, 8))],
                         ids=["u1-2d", "su3-4d"])
def test_antiperiodic_bc_flips_the_sign_of_time_boundary_hops(group, extents, eo):
    """Antiperiodic M on U = periodic M on U with the time links U_t(x_t = L-1) negated,
    and differs from periodic M only on the two boundary time slices."""
    f = hot(group, extents, 8)
    lat, d = f.lattice, len(extents)
    flipped = f.copy()
    last = lat.coords[:, d - 1] == extents[-1] - 1
    flipped.links[d - 1, last] *= -1
    rng = np.random.default_rng(9)
    ap = Wilson(kappa=KAPPA, csw=CSW, even_odd=eo).bind(f)
    per = Wilson(kappa=KAPPA, csw=CSW, even_odd=eo, antiperiodic=False)
    x = rand(ap.shape, rng)
    assert rel(ap.apply(x), per.bind(flipped).apply(x)) < 1e-14
    assert rel(ap.apply_dagger(x), per.bind(flipped).apply_dagger(x)) < 1e-14
    diff = ap.apply(x) - per.bind(f).apply(x)
    t = lat.coords[lat.even_sites if eo else slice(None), d - 1]
    inner = (t != 0) & (t != extents[-1] - 1)
    if eo:   # M_hat hops twice: the boundary reaches one slice further in
        inner &= (t != 1) & (t != extents[-1] - 2)
    assert np.abs(diff[inner]).max() < 1e-14
    assert np.abs(diff).max() > 1e-2


def test_bad_parameters_raise_value_error_naming_the_parameter():
    with pytest.raises(ValueError, match="fermion.kappa must be positive"):
        Wilson(kappa=-0.1)
    with pytest.raises(ValueError, match="fermion.kappa must be positive"):
        Wilson(kappa=0.0)
    with pytest.raises(ValueError, match="fermion.kappa"):
        Wilson(kappa=float("nan"))
    with pytest.raises(ValueError, match="fermion.mass"):
        Wilson()
    with pytest.raises(ValueError, match="fermion.kappa and fermion.mass"):
        Wilson(kappa=0.1, mass=0.2)
    with pytest.raises(ValueError, match="fermion.csw must be >= 0"):
        Wilson(kappa=0.1, csw=-1.0)
    with pytest.raises(ValueError, match="fermion.mass"):
        Wilson(mass="heavy")
    f4 = GaugeField.cold(Lattice((2, 2, 2, 2)), "su2")
    with pytest.raises(ValueError, match="fermion.mass must be > -D = -4"):
        Wilson(mass=-4.0).bind(f4)
    with pytest.raises(ValueError, match="D = 3"):
        Wilson(kappa=0.1).bind(GaugeField.cold(Lattice((2, 2, 2)), "su2"))


def test_kappa_from_bare_mass_and_params():
    w = Wilson(mass=0.1, csw=1.0, even_odd=True)
    assert w.kappa_for(4) == pytest.approx(1 / 8.2) and w.kappa_for(2) == pytest.approx(1 / 4.2)
    op = w.bind(GaugeField.cold(Lattice((4, 2)), "u1"))
    assert isinstance(op, WilsonEOOperator) and op.kappa == pytest.approx(1 / 4.2)
    assert op.shape == (4, 2, 1)
    assert w.params() == {"name": "wilson", "kappa": None, "mass": 0.1, "csw": 1.0,
                          "antiperiodic": True, "even_odd": True}
    assert Wilson(kappa=0.13).params()["kappa"] == 0.13
    # the free massless operator at p = 0: M = 1 - 2 D kappa = 2 kappa m0
    f = GaugeField.cold(Lattice((2, 2, 2, 2)), "su3")
    op = Wilson(mass=0.3, antiperiodic=False).bind(f)
    x = np.ones(op.shape, complex)
    assert np.allclose(op.apply(x), 2 * op.kappa * 0.3 * x)


@pytest.mark.parametrize("eo", [False, True], ids=["full", "eo"])
@pytest.mark.parametrize("group, extents", FIELDS[1:3], ids=FIELD_IDS[1:3])
def test_single_precision_operator_agrees_with_double(group, extents, eo):
    f = hot(group, extents, 10)
    rng = np.random.default_rng(11)
    op = Wilson(kappa=KAPPA, csw=CSW, even_odd=eo).bind(f)
    sop = op.single()
    assert sop.dtype == np.complex64 and op.dtype == np.complex128
    x = rand(op.shape, rng)
    y = sop.apply(x.astype(np.complex64))
    assert y.dtype == np.complex64
    assert rel(y, op.apply(x)) < 3e-6
    assert rel(sop.apply_dagger(x.astype(np.complex64)), op.apply_dagger(x)) < 3e-6
    assert sop.applications == 2 and op.applications == 2
    assert rel(sop.deriv(x, x), op.deriv(x, x)) < 3e-6


def test_applications_are_counted():
    f = hot("su2", (2, 2, 2, 4), 12)
    for eo in (False, True):
        op = Wilson(kappa=KAPPA, even_odd=eo).bind(f)
        x = op.zeros()
        op.apply(x)
        op.apply_dagger(x)
        op.hermitian(x)
        assert op.applications == 4


# ---------------------------------------------------------------------------
# even-odd preconditioning
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("csw", [0.0, CSW], ids=["wilson", "clover"])
@pytest.mark.parametrize("group, extents", SMALL, ids=SMALL_IDS)
def test_even_odd_operator_is_the_schur_complement(group, extents, csw):
    f = hot(group, extents, 13)
    lat = f.lattice
    ns = G.n_spin(len(extents))
    m = nd.wilson_dense(f.links, extents, KAPPA, csw)
    perm = nd.site_permutation(nd.parity_of(extents), ns, f.group.nc)
    assert np.array_equal(np.unique(perm[:len(perm) // 2] // (ns * f.group.nc)), lat.even_sites)
    mp = m[np.ix_(perm, perm)]
    h = len(perm) // 2
    m_ee, m_eo, m_oe, m_oo = mp[:h, :h], mp[:h, h:], mp[h:, :h], mp[h:, h:]
    schur = m_ee - m_eo @ np.linalg.solve(m_oo, m_oe)
    op = Wilson(kappa=KAPPA, csw=csw, even_odd=True).bind(f)
    mhat = dense(op)
    assert np.abs(mhat - schur).max() < 1e-13
    # |det M| = exp(log_det_extra) |det M_hat|
    _, log_m = np.linalg.slogdet(m)
    _, log_hat = np.linalg.slogdet(mhat)
    _, log_oo = np.linalg.slogdet(m_oo)
    assert op.log_det_extra() == pytest.approx(log_oo, abs=1e-10)
    assert log_m == pytest.approx(op.log_det_extra() + log_hat, abs=1e-9)
    if csw == 0.0:
        assert op.log_det_extra() == 0.0
    else:
        assert abs(op.log_det_extra()) > 1e-3


@pytest.mark.parametrize("csw", [0.0, CSW], ids=["wilson", "clover"])
@pytest.mark.parametrize("group, extents", FIELDS[:3], ids=FIELD_IDS[:3])
def test_prepare_source_and_reconstruct_solve_the_full_system(group, extents, csw):
    f = hot(group, extents, 14)
    rng = np.random.default_rng(15)
    eo = Wilson(kappa=KAPPA, csw=csw, even_odd=True).bind(f)
    full = Wilson(kappa=KAPPA, csw=csw).bind(f)
    x = rand(full.shape, rng)
    b = full.apply(x)
    bhat = eo.prepare_source(b)
    xe, xo = eo.from_full(x)
    assert rel(eo.apply(xe), bhat) < 1e-13
    assert rel(eo.reconstruct(xe, b), x) < 1e-13
    assert rel(eo.to_full(*eo.from_full(x)), x) == 0.0


# ---------------------------------------------------------------------------
# forces = numerical derivatives
# ---------------------------------------------------------------------------
def bilinear(fermion, field, x, y):
    return np.vdot(y, fermion.bind(field).apply(x)).real


def shifted(field, t, eps):
    g = field.copy()
    g.links[...] = field.group.exp(eps * t) @ field.links
    return g


def central_difference(func, field, t, eps=1e-5):
    return (func(shifted(field, t, eps)) - func(shifted(field, t, -eps))) / (2 * eps)


@pytest.mark.parametrize("csw", [0.0, CSW], ids=["wilson", "clover"])
@pytest.mark.parametrize("eo", [False, True], ids=["full", "eo"])
@pytest.mark.parametrize("group, extents", FIELDS[:3], ids=FIELD_IDS[:3])
def test_deriv_equals_numerical_derivative(group, extents, eo, csw):
    f = hot(group, extents, 16)
    rng = np.random.default_rng(17)
    ferm = Wilson(kappa=KAPPA, csw=csw, even_odd=eo)
    op = ferm.bind(f)
    x, y = rand(op.shape, rng), rand(op.shape, rng)
    force = op.deriv(x, y)
    assert force.shape == f.links.shape and force.dtype == np.complex128
    assert np.abs(force + ng.dag(force)).max() < 1e-12                 # algebra valued
    if f.group.nc > 1:
        assert np.abs(np.trace(force, axis1=-2, axis2=-1)).max() < 1e-12
    t = ng.random_algebra(f.group.nc, f.links.shape[:2], rng)
    num = central_difference(lambda g: bilinear(ferm, g, x, y), f, t)
    assert f.group.inner(t, force) == pytest.approx(num, rel=1e-6)


@pytest.mark.parametrize("eo", [False, True], ids=["full", "eo"])
@pytest.mark.parametrize("group, extents", SMALL[:2], ids=SMALL_IDS[:2])
def test_clover_deriv_on_single_links_in_every_direction(group, extents, eo):
    """Every generator on a few single links: each of the 8 clover terms per plane counts."""
    f = hot(group, extents, 18)
    rng = np.random.default_rng(19)
    ferm = Wilson(kappa=KAPPA, csw=CSW, even_odd=eo)
    op = ferm.bind(f)
    x, y = rand(op.shape, rng), rand(op.shape, rng)
    comp = f.group.components(op.deriv(x, y))
    for _ in range(2):
        mu, site = int(rng.integers(f.lattice.ndim)), int(rng.integers(f.lattice.volume))
        for a in range(f.group.dim):
            t = np.zeros_like(f.links)
            t[mu, site] = 1j * f.group.generators[a]
            num = central_difference(lambda g: bilinear(ferm, g, x, y), f, t, 1e-4)
            assert comp[mu, site, a] == pytest.approx(num, rel=1e-6, abs=1e-9), (mu, site, a)


@pytest.mark.parametrize("eo", [False, True], ids=["full", "eo"])
@pytest.mark.parametrize("group, extents", FIELDS[:3], ids=FIELD_IDS[:3])
def test_hermitian_deriv_equals_numerical_derivative(group, extents, eo):
    f = hot(group, extents, 20)
    rng = np.random.default_rng(21)
    ferm = Wilson(kappa=KAPPA, csw=CSW, even_odd=eo)
    op = ferm.bind(f)
    x, y = rand(op.shape, rng), rand(op.shape, rng)
    force = op.hermitian_deriv(x, y)          # x != y: both terms of the product rule count
    t = ng.random_algebra(f.group.nc, f.links.shape[:2], rng)
    num = central_difference(lambda g: np.vdot(y, ferm.bind(g).hermitian(x)).real, f, t)
    assert f.group.inner(t, force) == pytest.approx(num, rel=1e-6)


@pytest.mark.parametrize("group, extents", FIELDS[:3], ids=FIELD_IDS[:3])
def test_log_det_extra_force_equals_numerical_derivative(group, extents):
    f = hot(group, extents, 22)
    rng = np.random.default_rng(23)
    ferm = Wilson(kappa=KAPPA, csw=CSW, even_odd=True)
    op = ferm.bind(f)
    force = op.log_det_extra_force()
    assert np.abs(force).max() > 1e-3
    t = ng.random_algebra(f.group.nc, f.links.shape[:2], rng)
    num = central_difference(lambda g: ferm.bind(g).log_det_extra(), f, t)
    assert f.group.inner(t, force) == pytest.approx(num, rel=1e-6)
    # zero without clover, and for the full operator
    assert np.abs(Wilson(kappa=KAPPA, even_odd=True).bind(f).log_det_extra_force()).max() == 0.0
    assert Wilson(kappa=KAPPA, csw=CSW).bind(f).log_det_extra() == 0.0


# ---------------------------------------------------------------------------
# spectral bounds
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("eo", [False, True], ids=["full", "eo"])
@pytest.mark.parametrize("csw", [0.0, CSW], ids=["wilson", "clover"])
def test_spectral_bounds_contain_the_spectrum_of_mdag_m(csw, eo):
    f = hot("su2", (2, 2, 2, 2), 24)
    op = Wilson(kappa=0.14, csw=csw, even_odd=eo).bind(f)
    m = dense(op)
    ev = np.linalg.eigvalsh(m.conj().T @ m)
    lo, hi = op.spectral_bounds()
    assert 0 < lo <= ev[0] and ev[-1] <= hi
    assert hi < 8 * ev[-1]               # a norm bound, but not absurdly loose (hot field)
    assert op.spectral_bounds(lo=1e-3)[0] == 1e-3
