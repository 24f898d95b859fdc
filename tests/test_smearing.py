"""Tests of link smearing (APE, stout, HYP), the group projection and SmearedAction."""
import numba
import numpy as np
import pytest

import naive_smearing as ns
from lqcd_core.actions import GaugeAction
from lqcd_core.actions.smeared import SmearedAction
from lqcd_core.gauge import GaugeField
from lqcd_core.group import Group
from lqcd_core.lattice import Lattice
from lqcd_core.smearing import APE, HYP, Stout, project, stout_backward, stout_step
from lqcd_core.smearing import _stout_kernels as K

# u1 in 2D, su2 and su3 in 4D
FIELDS = [("u1", (4, 6)), ("su2", (4, 4, 4, 4)), ("su3", (4, 4, 2, 4))]
FIELD_IDS = ["u1-2d", "su2-4d", "su3-4d"]
BETAS = {"u1": 1.3, "su2": 2.3, "su3": 5.7, "su4": 10.0}


pytestmark = pytest.mark.usefixtures("single_numba_thread")


def rough_field(group, extents, seed, amp=0.5):
    """exp(random algebra of size amp) on every link: plaquette ~ 0.4-0.8, far from smooth."""
    rng = np.random.default_rng(seed)
    f = GaugeField(Lattice(extents), group)
    f.links[...] = f.group.exp(f.group.momenta(f.links.shape[:2], rng) * amp)
    return f


def hot_field(group, extents, seed):
    return GaugeField.hot(Lattice(extents), group, np.random.default_rng(seed))


def random_gauge(field, seed):
    return field.group.random((field.lattice.volume,), np.random.default_rng(seed))


def assert_in_group(field, tol=1e-12):
    u = field.links
    n = u.shape[-1]
    assert np.abs(u @ np.conj(np.swapaxes(u, -1, -2)) - np.eye(n)).max() < tol
    if n > 1:
        assert np.abs(np.linalg.det(u) - 1).max() < tol


# ---------------------------------------------------------------------------
# projection
# ---------------------------------------------------------------------------
def random_matrices(nc, count, rng, kind):
    z = rng.standard_normal((count, nc, nc)) + 1j * rng.standard_normal((count, nc, nc))
    if kind == "gauss":
        return z
    g = Group(nc).random((count,), rng)
    if kind == "near":  # what smearing produces: a group element times a scale plus noise
        return 0.7 * g + 0.15 * z
    # "wrong phase": det phase near the branch point, the hardest case for the phases
    return -g * np.exp(1j * np.pi / nc * 0.98) + 0.02 * z


@pytest.mark.parametrize("nc", [1, 2, 3, 4])
@pytest.mark.parametrize("kind", ["gauss", "near", "phase"])
def test_projection_lands_in_the_group_and_is_idempotent(nc, kind):
    rng = np.random.default_rng(10 + nc)
    v = project(random_matrices(nc, 300, rng, kind))
    assert np.abs(v @ np.conj(np.swapaxes(v, -1, -2)) - np.eye(nc)).max() < 1e-13
    if nc > 1:
        assert np.abs(np.linalg.det(v) - 1).max() < 1e-13
    assert np.abs(project(v) - v).max() < 1e-13
    # a group element is its own projection
    g = Group(nc).random((50,), rng)
    assert np.abs(project(g) - g).max() < 1e-13


@pytest.mark.parametrize("nc", [2, 3, 4])
@pytest.mark.parametrize("kind", ["gauss", "near", "phase"])
def test_projection_is_the_maximum_of_retr(nc, kind):
    """No random perturbation exp(X) V, small or large, increases Re tr(W^dag V)."""
    rng = np.random.default_rng(20 + nc)
    grp = Group(nc)
    w = random_matrices(nc, 300, rng, kind)
    v = project(w)
    f0 = np.einsum("kij,kij->k", w.conj(), v).real
    scale = np.abs(w).max(axis=(1, 2))
    for eps in (1e-5, 1e-3, 1e-1, 1.0, 3.0):
        for _ in range(4):
            vp = grp.exp(grp.momenta((len(w),), rng) * eps) @ v
            f = np.einsum("kij,kij->k", w.conj(), vp).real
            assert np.all(f - f0 <= 1e-13 * scale)
    # and Haar-random candidates do not beat it either
    for _ in range(5):
        f = np.einsum("kij,kij->k", w.conj(), grp.random((len(w),), rng)).real
        assert np.all(f - f0 <= 1e-13 * scale)


@pytest.mark.parametrize("nc", [3, 4])
def test_projection_matches_bruteforce_reference(nc):
    rng = np.random.default_rng(30 + nc)
    for kind in ("gauss", "near", "phase"):
        w = random_matrices(nc, 6, rng, kind)
        assert np.abs(project(w) - ns.project(w)).max() < 1e-10


def test_projection_su2_and_u1_closed_forms_match_reference():
    rng = np.random.default_rng(3)
    for nc in (1, 2):
        w = random_matrices(nc, 20, rng, "gauss")
        assert np.abs(project(w) - ns.project(w)).max() < 1e-10


@pytest.mark.parametrize("nc", [2, 3, 4])
def test_projection_is_covariant(nc):
    rng = np.random.default_rng(40 + nc)
    grp = Group(nc)
    for kind in ("gauss", "near", "phase"):
        w = random_matrices(nc, 300, rng, kind)
        g = grp.random((len(w),), rng)
        h = grp.random((len(w),), rng)
        lhs = project(g @ w @ np.conj(np.swapaxes(h, -1, -2)))
        rhs = g @ project(w) @ np.conj(np.swapaxes(h, -1, -2))
        assert np.abs(lhs - rhs).max() < 1e-12


def test_projection_of_nearly_singular_and_zero_matrices():
    """Small singular values (the Jacobi SVD hands over to LAPACK) and the grid search of the
    phases (a large determinant phase with a tiny singular value)."""
    rng = np.random.default_rng(50)
    grp = Group(3)
    for sv in [(1, 0.5, 1e-7), (1, 1, 0), (2, 1, 1e-9), (1, 0.3, 0.01)]:
        for phase in (0.0, 2.9, -3.1):
            left, right = grp.random((2,), rng)
            w = left @ np.diag(sv) @ right.conj().T * np.exp(1j * phase)
            v = project(w)
            assert np.abs(v - ns.project(w)).max() < 1e-10
            assert np.abs(np.linalg.det(v) - 1) < 1e-13
    assert np.abs(project(np.zeros((2, 3, 3))) - np.eye(3)).max() == 0.0
    assert np.abs(project(np.zeros((2, 2, 2))) - np.eye(2)).max() == 0.0
    assert np.abs(project(np.zeros((2, 1, 1))) - 1).max() == 0.0


def test_projection_rejects_non_square_input():
    with pytest.raises(ValueError, match="square"):
        project(np.zeros((3, 2, 3)))


# ---------------------------------------------------------------------------
# SU(3) exponential coefficients
# ---------------------------------------------------------------------------
def test_naive_exponential_and_frechet_derivative_match_scipy():
    from scipy.linalg import expm, expm_frechet
    rng = np.random.default_rng(1)
    for nc in (1, 2, 3, 4):
        a = ns.random_algebra(nc, (3,), rng, 1.3)
        a[0] = 0.0  # degenerate eigenvalues
        e = rng.standard_normal((3, nc, nc)) + 1j * rng.standard_normal((3, nc, nc))
        for k in range(3):
            ref, lref = expm_frechet(a[k], e[k])
            assert np.abs(ns._expm_stack(a[k]) - ref).max() < 1e-13
            assert np.abs(ns.expm_frechet_alg(a[k], e[k]) - lref).max() < 1e-12
            assert np.abs(expm(a[k]) - ref).max() < 1e-13


def test_su3_coefficients_series_and_closed_form_agree_at_the_switch():
    c1s = K.SU3_SERIES_C1
    for r in (0.0, 0.3, -0.7, 0.999999, -1.0):
        c0 = r * 2 * (c1s / 3) ** 1.5
        lo = np.array(K.su3_coefficients(c0, c1s * (1 - 1e-12)))
        hi = np.array(K.su3_coefficients(c0, c1s * (1 + 1e-12)))
        assert np.abs(lo - hi).max() < 1e-10


@pytest.mark.parametrize("c1", [1e-6, 0.02, 0.3, 2.0, 9.0])
@pytest.mark.parametrize("r", [0.0, 0.5, -0.5, 0.999, -1.0])
def test_su3_coefficients_f_reproduce_expm_and_b_are_derivatives(c1, r):
    from scipy.linalg import expm
    c0 = r * 2 * (c1 / 3) ** 1.5
    # a Hermitian traceless Q with these invariants: eigenvalues of x^3 - c1 x - c0
    lam = np.sort(np.roots([1, 0, -c1, -c0]).real)
    u = Group(3).random((), np.random.default_rng(5))
    q = u @ np.diag(lam) @ u.conj().T
    f = np.array(K.su3_coefficients(c0, c1))
    e = f[0] * np.eye(3) + f[1] * q + f[2] * q @ q
    assert np.abs(e - expm(1j * q)).max() < 1e-12
    h = 1e-6 * max(c1, 1e-3)
    df_dc1 = (np.array(K.su3_coefficients(c0, c1 + h))[:3] - np.array(K.su3_coefficients(c0, c1 - h))[:3]) / (2 * h)
    df_dc0 = (np.array(K.su3_coefficients(c0 + h, c1))[:3] - np.array(K.su3_coefficients(c0 - h, c1))[:3]) / (2 * h)
    if abs(r) < 0.99:  # at |c0| = c0max the points (c0 +- h, c1 -+ h) leave the allowed region
        assert np.abs(df_dc0 - f[6:9]).max() < 1e-6 * max(1, np.abs(f[6:9]).max())
        assert np.abs(df_dc1 - f[3:6]).max() < 1e-6 * max(1, np.abs(f[3:6]).max())


# ---------------------------------------------------------------------------
# identities and references
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_zero_parameters_are_the_identity(group, extents):
    f = rough_field(group, extents, 1)
    for sm in (APE(0.0), APE(0.0, n_levels=3), Stout(0.0), Stout(0.0, n_levels=2)):
        out = sm(f)
        assert out is not f and out.links is not f.links
        assert np.abs(out.links - f.links).max() < 1e-14
    if len(extents) == 4:
        out = HYP(0.0, 0.0, 0.0)(f)
        assert np.abs(out.links - f.links).max() < 1e-14
    # zero levels: a copy
    out = Stout(0.1, n_levels=0)(f)
    assert out.links is not f.links and np.array_equal(out.links, f.links)


@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_smearing_does_not_modify_its_input(group, extents):
    f = rough_field(group, extents, 2)
    before = f.links.copy()
    smearings = [APE(0.5, n_levels=2), Stout(0.1, n_levels=2)] + ([HYP()] if len(extents) == 4 else [])
    for sm in smearings:
        sm(f)
        sm.forward(f)
    st = Stout(0.1, n_levels=2)
    force = np.ascontiguousarray(f.group.momenta(f.links.shape[:2], np.random.default_rng(0)))
    fcopy = force.copy()
    st.backward(f, force)
    assert np.array_equal(f.links, before)
    assert np.array_equal(force, fcopy)


@pytest.mark.parametrize("group, extents", [("u1", (4, 2)), ("su2", (2, 2, 2, 4)), ("su3", (2, 2, 2, 4))],
                         ids=["u1-2d", "su2-4d", "su3-4d"])
def test_ape_matches_naive_reference(group, extents):
    f = rough_field(group, extents, 3)
    d = len(extents)
    ref = ns.ape(f.links, extents, 0.45, range(d), range(d))
    assert np.abs(APE(0.45)(f).links - ref).max() < 1e-10
    # spatial smearing with spatial staples
    sp = tuple(range(d - 1))
    if d > 2:
        ref = ns.ape(f.links, extents, 0.6, sp, sp)
        assert np.abs(APE(0.6, directions=sp)(f).links - ref).max() < 1e-10
    # temporal links smeared with all staples, spatial links untouched
    ref = ns.ape(f.links, extents, 0.3, [d - 1], range(d))
    assert np.abs(APE(0.3, directions=[d - 1], staple_directions=range(d))(f).links - ref).max() < 1e-10


@pytest.mark.parametrize("group", ["su2", "su3"])
def test_hyp_matches_naive_reference(group):
    extents = (2, 2, 4, 2)
    f = rough_field(group, extents, 4, amp=0.4)
    ref = ns.hyp(f.links, extents, 0.75, 0.6, 0.3)
    assert np.abs(HYP()(f).links - ref).max() < 1e-10
    ref = ns.hyp(f.links, extents, 0.5, 0.4, 0.2)
    assert np.abs(HYP(0.5, 0.4, 0.2)(f).links - ref).max() < 1e-10


def rho_for(d, kind, value=0.13):
    if kind == "iso":
        m = np.full((d, d), value)
    elif kind == "aniso":
        m = value * (0.5 + np.arange(d * d).reshape(d, d) / (d * d))
    else:  # spatial
        m = np.zeros((d, d))
        m[: d - 1, : d - 1] = value
    np.fill_diagonal(m, 0.0)
    return m


@pytest.mark.parametrize("kind", ["iso", "aniso", "spatial"])
@pytest.mark.parametrize("group, extents", FIELDS + [("su4", (2, 2, 2, 2))], ids=FIELD_IDS + ["su4-4d"])
def test_stout_and_its_force_match_naive_reference(group, extents, kind):
    f = rough_field(group, extents, 5)
    d = len(extents)
    rho = rho_for(d, kind)
    ref = ns.stout(f.links, extents, rho)
    out = stout_step(f, rho)
    assert np.abs(out.links - ref).max() < 1e-12
    fp = np.ascontiguousarray(f.group.momenta(f.links.shape[:2], np.random.default_rng(6)))
    ref_force = ns.stout_force(f.links, extents, rho, fp, f.group.norm)
    force = stout_backward(f, fp, rho)
    assert np.abs(force - ref_force).max() < 1e-11 * max(1.0, np.abs(ref_force).max())


def test_stout_per_level_parameters_compose_single_levels():
    f = rough_field("su3", (4, 2, 2, 4), 7)
    two = Stout([0.1, 0.05])(f)
    step = stout_step(stout_step(f, 0.1), 0.05)
    assert np.abs(two.links - step.links).max() < 1e-14
    levels = Stout([0.1, 0.05]).forward(f)
    assert len(levels) == 3 and levels[0] is f
    assert np.abs(levels[1].links - stout_step(f, 0.1).links).max() < 1e-14
    # matrices per level, and the spatial option equals the spatial rho matrix
    m = rho_for(4, "spatial", 0.1)
    assert np.abs(Stout(0.1, spatial=True)(f).links - stout_step(f, m).links).max() < 1e-14
    assert np.abs(Stout([m, m])(f).links - Stout(0.1, n_levels=2, spatial=True)(f).links).max() < 1e-14


# ---------------------------------------------------------------------------
# physics properties
# ---------------------------------------------------------------------------
def smearings_for(d, group):
    out = [APE(0.5), APE(0.5, n_levels=3), Stout(0.1), Stout([0.1, 0.1, 0.1])]
    if d == 4:
        out += [HYP(), HYP(n_levels=2)]
    return out


@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_smearing_is_gauge_covariant(group, extents):
    f = rough_field(group, extents, 8)
    g = random_gauge(f, 9)
    ft = f.gauge_transform(g)
    extra = [APE(0.4, spatial=True), Stout(0.1, spatial=True)] if len(extents) > 2 else []
    for sm in smearings_for(len(extents), group) + extra:
        lhs = sm(ft).links
        rhs = sm(f).gauge_transform(g).links
        assert np.abs(lhs - rhs).max() < 1e-12, sm


@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_smearing_raises_the_plaquette_and_stays_in_the_group(group, extents):
    for f in (rough_field(group, extents, 11, amp=0.6), hot_field(group, extents, 12)):
        p0 = f.plaquette()
        for sm in smearings_for(len(extents), group):
            out = sm(f)
            assert_in_group(out)
            assert out.plaquette() > p0 + 0.1, (sm, p0, out.plaquette())
        assert ns.plaquette(f.links, extents) == pytest.approx(p0, abs=1e-12)
    # more smearing, smoother field
    f = rough_field(group, extents, 13, amp=0.6)
    plaqs = [lev.plaquette() for lev in Stout(0.1, n_levels=4).forward(f)]
    assert all(b > a for a, b in zip(plaqs, plaqs[1:]))
    plaqs = [lev.plaquette() for lev in APE(0.5, n_levels=4).forward(f)]
    assert all(b > a for a, b in zip(plaqs, plaqs[1:]))


def test_spatial_smearing_ignores_temporal_links():
    f = rough_field("su3", (4, 2, 2, 4), 14)
    h = f.copy()
    h.links[3] = Group(3).random((f.lattice.volume,), np.random.default_rng(15))
    for sm in (APE(0.5, spatial=True, n_levels=2), Stout(0.1, spatial=True, n_levels=2),
               APE(0.5, directions=(0, 1, 2)), Stout(0.1, directions=(0, 1, 2))):
        a, b = sm(f), sm(h)
        assert np.abs(a.links[:3] - b.links[:3]).max() < 1e-14
        assert np.array_equal(a.links[3], f.links[3]) and np.array_equal(b.links[3], h.links[3])
    # with all staple directions allowed the spatial links do see the temporal ones
    a = APE(0.5, directions=(0, 1, 2), staple_directions=range(4))(f)
    b = APE(0.5, directions=(0, 1, 2), staple_directions=range(4))(h)
    assert np.abs(a.links[:3] - b.links[:3]).max() > 1e-3


def test_hyp_smeared_link_depends_only_on_its_hypercubes():
    """Changing a link outside the hypercubes attached to U_0(0) leaves V_0(0) unchanged,
    changing one inside changes it."""
    lat = Lattice((6, 6, 6, 6))
    f = rough_field("su2", lat.extents, 16)
    v0 = HYP()(f).links[0, 0]
    rng = np.random.default_rng(17)
    far = f.copy()
    far.links[1, lat.index([3, 3, 0, 0])] = Group(2).random((), rng)
    assert np.abs(HYP()(far).links[0, 0] - v0).max() < 1e-14
    near = f.copy()
    near.links[1, lat.index([1, 0, 1, 1])] = Group(2).random((), rng)  # in the hypercube x0 in [0,1]
    assert np.abs(HYP()(near).links[0, 0] - v0).max() > 1e-6
    # an APE step with the same reach would see (1, 3, 0, 0) -> only the hypercube matters for HYP
    near2 = f.copy()
    near2.links[1, lat.index([0, 2, 0, 0])] = Group(2).random((), rng)  # 2 steps away in y
    assert np.abs(HYP()(near2).links[0, 0] - v0).max() < 1e-14


def test_kernels_are_deterministic_across_thread_counts():
    f = rough_field("su3", (4, 4, 2, 4), 19)
    fp = np.ascontiguousarray(f.group.momenta(f.links.shape[:2], np.random.default_rng(0)))
    runs = []
    for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
        numba.set_num_threads(threads)
        runs.append([APE(0.5)(f).links, HYP()(f).links, Stout(0.1)(f).links, stout_backward(f, fp, 0.1)])
    numba.set_num_threads(1)
    for a, b in zip(runs[0], runs[-1]):
        assert np.array_equal(a, b)


def test_hyp_requires_four_dimensions():
    f = rough_field("su2", (4, 4, 4), 18)
    with pytest.raises(ValueError, match="4D"):
        HYP()(f)


def test_invalid_parameters_are_rejected():
    with pytest.raises(ValueError, match="per-level"):
        APE([0.1, 0.2], n_levels=3)
    with pytest.raises(ValueError, match="direction"):
        Stout(0.1, directions=(0, 5))(rough_field("su2", (4, 4, 4, 4), 0))
    with pytest.raises(ValueError):
        Stout(np.ones((3, 3)))(rough_field("su2", (4, 4, 4, 4), 0))
    with pytest.raises(ValueError):
        Stout(float("nan"))
    with pytest.raises(ValueError, match="spatial"):
        APE(0.1, spatial=True, directions=(0, 1))
    with pytest.raises(ValueError, match="no allowed staple"):
        APE(0.1, directions=(0,), staple_directions=(0,))(rough_field("su2", (4, 4, 4, 4), 0))
    f = rough_field("su2", (4, 4, 4, 4), 0)
    with pytest.raises(ValueError, match="shape"):
        stout_backward(f, np.zeros((4, 3, 2, 2)), 0.1)


# ---------------------------------------------------------------------------
# forces
# ---------------------------------------------------------------------------
def numerical_derivative(action, field, x, eps=1e-4):
    """Symmetric 4th-order difference of S(exp(eps X) U) at eps = 0."""
    def s(k):
        g = field.copy()
        g.links[...] = field.group.exp(k * eps * x) @ field.links
        return action.value(g)
    return (8 * (s(1) - s(-1)) - (s(2) - s(-2))) / (12 * eps)


@pytest.mark.parametrize("n_levels", [1, 2])
@pytest.mark.parametrize("group, extents", FIELDS + [("su4", (2, 2, 2, 2))], ids=FIELD_IDS + ["su4-4d"])
def test_stout_force_matches_numerical_derivative(group, extents, n_levels):
    f = rough_field(group, extents, 20)
    act = SmearedAction(GaugeAction(BETAS[group]), Stout(0.12, n_levels=n_levels))
    force = act.force(f)
    assert force.shape == f.links.shape
    # the force is in the algebra
    assert np.abs(force + np.conj(np.swapaxes(force, -1, -2))).max() < 1e-12
    rng = np.random.default_rng(21)
    for _ in range(3):
        x = f.group.momenta(f.links.shape[:2], rng)
        num = numerical_derivative(act, f, x)
        assert f.group.inner(x, force) == pytest.approx(num, rel=1e-6, abs=1e-8)
    # a single link direction: the local structure of the force
    x = np.zeros_like(f.links)
    x[0, 1] = f.group.momenta((), rng)
    num = numerical_derivative(act, f, x)
    assert f.group.inner(x, force) == pytest.approx(num, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("kind", ["aniso", "spatial"])
def test_stout_force_with_direction_dependent_rho(kind):
    f = rough_field("su3", (4, 2, 2, 4), 22)
    rho = rho_for(4, kind)
    act = SmearedAction(GaugeAction(5.7, "symanzik"), Stout([rho, 0.5 * rho]))
    force = act.force(f)
    rng = np.random.default_rng(23)
    for _ in range(2):
        x = f.group.momenta(f.links.shape[:2], rng)
        assert f.group.inner(x, force) == pytest.approx(numerical_derivative(act, f, x), rel=1e-6)


def test_stout_force_at_the_unit_field_and_with_zero_rho():
    """Cold field: Q = 0 exercises the series branch; rho = 0: the force is the thin force."""
    f = GaugeField.cold(Lattice((4, 2, 2, 2)), "su3")
    f.links[...] = f.group.exp(f.group.momenta(f.links.shape[:2], np.random.default_rng(24)) * 1e-3)
    act = SmearedAction(GaugeAction(5.7), Stout(0.1, n_levels=2))
    x = f.group.momenta(f.links.shape[:2], np.random.default_rng(25))
    assert f.group.inner(x, act.force(f)) == pytest.approx(numerical_derivative(act, f, x, 1e-3), rel=1e-6)
    g = rough_field("su2", (4, 4, 4, 4), 26)
    thin = GaugeAction(2.3).force(g)
    assert np.abs(SmearedAction(GaugeAction(2.3), Stout(0.0, n_levels=2)).force(g) - thin).max() < 1e-13


def test_stout_backward_chains_levels():
    f = rough_field("su2", (4, 4, 2, 2), 27)
    st = Stout([0.1, 0.07])
    fp = np.ascontiguousarray(f.group.momenta(f.links.shape[:2], np.random.default_rng(28)))
    levels = st.forward(f)
    chained = stout_backward(f, stout_backward(levels[1], fp, 0.07), 0.1)
    assert np.abs(st.backward(f, fp) - chained).max() < 1e-13
    assert np.abs(st.backward(f, fp, levels=levels) - chained).max() < 1e-13
    with pytest.raises(ValueError, match="thin field"):
        st.backward(f, fp, levels=[levels[1]] + levels[1:])


def test_smeared_action_value_refresh_and_params():
    f = rough_field("su3", (4, 2, 2, 2), 29)
    base = GaugeAction(5.7)
    for sm in (Stout(0.1, n_levels=2), APE(0.5), HYP()):
        act = SmearedAction(base, sm)
        assert act.value(f) == pytest.approx(base.value(sm(f)), rel=1e-14)
        act.refresh(f, np.random.default_rng(0))  # gauge actions: no-op, must not fail
        p = act.params()
        assert p["name"] == "smeared" and p["action"] == base.params() and p["smearing"]["name"] == sm.name
    with pytest.raises(NotImplementedError, match="not differentiable"):
        SmearedAction(base, APE(0.5)).force(f)
    with pytest.raises(TypeError):
        SmearedAction(base, object())


def test_md_with_stout_smeared_action_is_reversible_and_second_order():
    """Leapfrog with the smeared force: dH ~ eps^2 and exact reversibility, i.e. the force is
    the gradient of the value that enters H (an inconsistent force would give dH ~ eps^0)."""
    from lqcd_core.integrators import Integrator

    f0 = rough_field("su3", (4, 2, 2, 4), 30, amp=0.3)
    act = SmearedAction(GaugeAction(5.7), Stout(0.15, n_levels=2))
    p0 = f0.group.momenta(f0.links.shape[:2], np.random.default_rng(31))
    dhs = []
    for n_steps in (8, 16):
        f = f0.copy()
        p = p0.copy()
        h0 = f.group.kinetic(p) + act.value(f)
        Integrator([(act, n_steps, "leapfrog")], diagnostics=False).integrate(f, p, 0.5)
        dhs.append(f.group.kinetic(p) + act.value(f) - h0)
        if n_steps == 8:
            p = -p
            Integrator([(act, n_steps, "leapfrog")], diagnostics=False).integrate(f, p, 0.5)
            assert np.abs(f.links - f0.links).max() < 1e-11
            assert np.abs(p + p0).max() < 1e-10
    assert abs(dhs[0]) > 1e-6
    assert dhs[0] / dhs[1] == pytest.approx(4.0, rel=0.15)
