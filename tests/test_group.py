"""Tests of the gauge groups (lqcd_core.group): Haar measure, exp, reunitarisation, algebra."""
import numpy as np
import pytest
import scipy.stats

import naive_gauge as ng
from lqcd_core.group import Group, get_group

GROUPS = [Group(1), Group(2), Group(3), Group(4)]
IDS = ["u1", "su2", "su3", "su4"]
NORMS = [1e-8, 1e-6, 1e-4, 1e-2, 0.3, 1.0, 3.0, 10.0]


pytestmark = pytest.mark.usefixtures("single_numba_thread")


def c_of(g):
    return 1.0 if g.nc == 1 else 0.5


def unitarity_violation(u):
    n = u.shape[-1]
    return np.abs(u @ ng.dag(u) - np.eye(n)).max()


def mean_and_error(samples):
    samples = np.asarray(samples)
    return samples.mean(axis=0), samples.std(axis=0, ddof=1) / np.sqrt(len(samples))


# ---------------------------------------------------------------------------
# Haar measure
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_haar_elements_are_unitary_with_unit_determinant(g):
    rng = np.random.default_rng(1)
    u = g.random((7, 50), rng)
    assert u.shape == (7, 50, g.nc, g.nc) and u.dtype == np.complex128
    assert unitarity_violation(u) < 1e-13
    det = np.linalg.det(u)
    if g.nc == 1:
        assert np.allclose(np.abs(det), 1, atol=1e-14)
    else:
        assert np.abs(det - 1).max() < 1e-13


@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_haar_trace_moments(g):
    """<tr U> = 0, <|tr U|^2> = 1, <|tr U|^4> = 2 (N >= 2), <(tr U)^N> = 1 for SU(N), 0 for U(1)."""
    rng = np.random.default_rng(2)
    n_samp = 40000
    tr = np.trace(g.random((n_samp,), rng), axis1=-2, axis2=-1)
    checks = [(tr.real, 0.0), (tr.imag, 0.0), (np.abs(tr) ** 2, 1.0)]
    if g.nc >= 2:
        checks.append((np.abs(tr) ** 4, 2.0))
        # the det = 1 constraint: the singlet in U^{(x) N} gives <(tr U)^N> = 1
        checks.append(((tr ** g.nc).real, 1.0))
        checks.append(((tr ** g.nc).imag, 0.0))
    if g.nc >= 3:
        checks.append(((tr ** 2).real, 0.0))  # <(tr U)^2> = 0 for SU(N >= 3)
    for samples, expected in checks:
        m, e = mean_and_error(samples)
        assert abs(m - expected) < 5 * e + 1e-12, (m, expected, e)


def test_su2_haar_trace_has_semicircle_distribution():
    """For SU(2) Haar, a = tr U / 2 = cos(theta) has density (2/pi) sqrt(1 - a^2)."""
    rng = np.random.default_rng(3)
    a = np.trace(Group(2).random((20000,), rng), axis1=-2, axis2=-1).real / 2
    cdf = lambda t: 0.5 + (t * np.sqrt(1 - t * t) + np.arcsin(t)) / np.pi  # noqa: E731
    assert scipy.stats.kstest(a, cdf).pvalue > 1e-3


@pytest.mark.parametrize("g", GROUPS[1:], ids=IDS[1:])
def test_haar_measure_is_left_and_right_invariant(g):
    """The matrix elements of h U and U h have the Haar moments <|U_ij|^2> = 1/N."""
    rng = np.random.default_rng(4)
    h = g.random((), rng)
    u = g.random((20000,), rng)
    for v in (u, h @ u, u @ h):
        m, e = mean_and_error(np.abs(v.reshape(len(v), -1)) ** 2)
        assert (np.abs(m - 1.0 / g.nc) < 5 * e).all()
        m, e = mean_and_error(v.real.reshape(len(v), -1))
        assert (np.abs(m) < 5 * e).all()


# ---------------------------------------------------------------------------
# exponential map
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_exp_equals_scipy_expm(g, norm):
    rng = np.random.default_rng(int(1e3 * norm) + g.nc)
    x = ng.random_algebra(g.nc, (2, 5), rng, norm)
    e = g.exp(x)
    assert e.shape == x.shape
    assert np.abs(e - ng.expm(x)).max() < 1e-13
    # many more against the spectral exponential (itself checked against scipy)
    x = ng.random_algebra(g.nc, (3, 100), rng, norm)
    ref = ng.expm_spectral(x)
    assert np.abs(ref[0, :4] - ng.expm(x[0, :4])).max() < 1e-13
    assert np.abs(g.exp(x) - ref).max() < 1e-13


@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_exp_of_package_momenta_equals_scipy_expm(g):
    rng = np.random.default_rng(5)
    for scale in (1e-8, 0.05, 1.0, 4.0):
        x = scale * g.momenta((200,), rng)
        assert np.abs(g.exp(x[:10]) - ng.expm(x[:10])).max() < 1e-13
        assert np.abs(g.exp(x) - ng.expm_spectral(x)).max() < 1e-13


@pytest.mark.parametrize("sign", [+1, -1])
@pytest.mark.parametrize("t", [1e-7, 1e-5, 1e-3, 0.1, 0.7, 1.0, np.pi / 3, 2.5, 10.0])
def test_su3_exp_with_degenerate_eigenvalues(t, sign):
    """Q = V diag(1, 1, -2) V^dag t: c0 = -/+ c0max (theta = 0 or pi in Cayley-Hamilton)."""
    g = Group(3)
    rng = np.random.default_rng(6)
    q = sign * t * np.diag([1.0, 1.0, -2.0]).astype(complex)
    v = g.random((8,), rng)
    xs = np.concatenate([(1j * q)[None], 1j * (v @ q @ ng.dag(v))])
    xs = 0.5 * (xs - ng.dag(xs))  # exactly anti-Hermitian
    assert np.abs(g.exp(xs) - ng.expm(xs)).max() < 1e-13


@pytest.mark.parametrize("delta", [1e-15, 1e-12, 1e-9, 1e-6, 1e-3])
def test_su3_exp_with_nearly_degenerate_eigenvalues(delta):
    g = Group(3)
    rng = np.random.default_rng(7)
    v = g.random((6,), rng)
    for lam in ([1.0, 1.0 + delta, -2.0 - delta], [-1.0, -1.0 - delta, 2.0 + delta],
                [1.5, -1.5 + delta, -delta]):
        q = np.diag(lam).astype(complex)
        xs = 1j * (v @ q @ ng.dag(v))
        xs = 0.5 * (xs - ng.dag(xs))
        assert np.abs(g.exp(xs) - ng.expm(xs)).max() < 1e-13


@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_exp_is_in_the_group(g):
    rng = np.random.default_rng(8)
    x = np.concatenate([ng.random_algebra(g.nc, (50,), rng, nrm) for nrm in (1e-6, 1.0, 10.0)])
    u = g.exp(x)
    assert unitarity_violation(u) < 1e-13
    if g.nc > 1:
        assert np.abs(np.linalg.det(u) - 1).max() < 1e-13


@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_exp_of_zero_is_identity_and_exp_is_a_homomorphism_on_lines(g):
    rng = np.random.default_rng(9)
    assert np.array_equal(g.exp(np.zeros((3, g.nc, g.nc), complex)), g.identity((3,)))
    x = ng.random_algebra(g.nc, (20,), rng, 1.3)
    assert np.abs(g.exp(x) @ g.exp(-x) - np.eye(g.nc)).max() < 1e-13
    assert np.abs(g.exp(0.3 * x) @ g.exp(0.7 * x) - g.exp(x)).max() < 1e-13


# ---------------------------------------------------------------------------
# reunitarisation
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_reunitarize_maps_perturbed_matrices_to_the_group(g):
    rng = np.random.default_rng(10)
    u = g.random((100,), rng)
    for amp in (1e-10, 1e-6, 1e-2):
        w = u + amp * (rng.standard_normal(u.shape) + 1j * rng.standard_normal(u.shape))
        r = g.reunitarize(w.copy())
        assert unitarity_violation(r) < 1e-14
        if g.nc > 1:
            assert np.abs(np.linalg.det(r) - 1).max() < 1e-14
        # the projection moves the matrix by O(perturbation)
        assert np.abs(r - u).max() < 20 * amp


@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_reunitarize_leaves_group_elements_unchanged(g):
    rng = np.random.default_rng(11)
    u = g.random((4, 100), rng)
    u = g.reunitarize(u)  # start exactly on the group
    u2 = g.reunitarize(u.copy())
    assert np.abs(u2 - u).max() < 1e-14
    h = g.random((4, 100), rng)
    assert np.abs(g.reunitarize(h.copy()) - h).max() < 1e-14


@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_reunitarize_works_in_place(g):
    rng = np.random.default_rng(12)
    w = g.random((10,), rng) * 1.1
    out = g.reunitarize(w)
    assert out is w
    assert unitarity_violation(w) < 1e-14


# ---------------------------------------------------------------------------
# algebra: TA projection, components, generators, momenta
# ---------------------------------------------------------------------------
def random_matrices(nc, shape, rng):
    return rng.standard_normal(shape + (nc, nc)) + 1j * rng.standard_normal(shape + (nc, nc))


@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_ta_output_is_traceless_anti_hermitian(g):
    rng = np.random.default_rng(13)
    t = g.ta(random_matrices(g.nc, (200,), rng))
    assert np.abs(t + ng.dag(t)).max() < 1e-15
    if g.nc > 1:
        assert np.abs(np.trace(t, axis1=-2, axis2=-1)).max() < 1e-14


@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_ta_is_a_projection(g):
    rng = np.random.default_rng(14)
    w = random_matrices(g.nc, (200,), rng)
    t = g.ta(w)
    assert np.abs(g.ta(t) - t).max() < 1e-15
    x = ng.random_algebra(g.nc, (50,), rng)
    assert np.abs(g.ta(x) - x).max() < 1e-14  # identity on the algebra
    # kills Hermitian matrices (and, for U(N) -> SU(N), the identity times i)
    h = w + ng.dag(w)
    assert np.abs(g.ta(h)).max() < 1e-15
    if g.nc > 1:
        assert np.abs(g.ta(1j * np.eye(g.nc)[None])).max() < 1e-15


@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_ta_equals_normalised_component_projection(g):
    """TA(w) = i sum_a x_a T_a with x_a = -(1/c) Re tr(i T_a w)."""
    rng = np.random.default_rng(15)
    w = random_matrices(g.nc, (100,), rng)
    c = c_of(g)
    gens = g.generators
    x = -np.einsum("aij,kji->ka", 1j * gens, w).real / c
    expected = 1j * np.einsum("ka,aij->kij", x, gens)
    assert np.abs(g.ta(w) - expected).max() < 1e-14
    assert np.abs(g.components(w) - x).max() < 1e-14
    # and TA is the orthogonal projection: <X, W> = <X, TA(W)> for algebra X
    xs = ng.random_algebra(g.nc, (100,), rng)
    lhs = -np.einsum("kij,kji->k", xs, w).real / c
    rhs = -np.einsum("kij,kji->k", xs, g.ta(w)).real / c
    assert np.abs(lhs - rhs).max() < 1e-13


@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_ta_factor_scales_output(g):
    rng = np.random.default_rng(16)
    w = random_matrices(g.nc, (10,), rng)
    assert np.abs(g.ta(w, factor=-2.5) + 2.5 * g.ta(w)).max() < 1e-14


@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_generators_are_orthonormal(g):
    t = g.generators
    n = g.nc
    dim = 1 if n == 1 else n * n - 1
    assert t.shape == (dim, n, n) and g.dim == dim
    gram = np.einsum("aij,bji->ab", t, t)
    assert np.abs(gram - c_of(g) * np.eye(dim)).max() < 1e-15
    assert np.abs(t - ng.dag(t)).max() == 0  # Hermitian
    if n > 1:
        assert np.abs(np.trace(t, axis1=-2, axis2=-1)).max() < 1e-15
        # complete: they span the traceless Hermitian matrices (real dimension n^2 - 1)
        flat = np.concatenate([t.reshape(dim, -1).real, t.reshape(dim, -1).imag], axis=1)
        assert np.linalg.matrix_rank(flat) == dim


def test_su2_generators_are_pauli_over_two():
    t = Group(2).generators
    sig = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
    for s in sig:
        # each Pauli matrix / 2 is (up to sign) one of the generators
        assert min(np.abs(t - s / 2).max(axis=(1, 2)).min(),
                   np.abs(t + s / 2).max(axis=(1, 2)).min()) < 1e-15


@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_components_round_trip_and_inner_product_is_euclidean(g):
    rng = np.random.default_rng(17)
    a = rng.standard_normal((30, g.dim))
    b = rng.standard_normal((30, g.dim))
    xa, xb = g.from_components(a), g.from_components(b)
    assert np.abs(g.components(xa) - a).max() < 1e-14
    assert abs(g.inner(xa, xb) - np.sum(a * b)) < 1e-12
    c = c_of(g)
    assert abs(g.inner(xa, xb) + np.einsum("kij,kji->", xa, xb).real / c) < 1e-12
    assert g.inner(xa, xa) > 0


@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_momenta_are_unit_gaussian_in_components(g):
    rng = np.random.default_rng(18)
    p = g.momenta((2, 10000), rng)
    assert p.shape == (2, 10000, g.nc, g.nc)
    assert np.abs(p + ng.dag(p)).max() < 1e-15
    if g.nc > 1:
        assert np.abs(np.trace(p, axis1=-2, axis2=-1)).max() < 1e-14
    comp = g.components(p).reshape(-1, g.dim)
    m, e = mean_and_error(comp)
    assert (np.abs(m) < 5 * e).all()
    m2, e2 = mean_and_error(comp ** 2)
    assert (np.abs(m2 - 1) < 5 * e2).all()
    if g.dim > 1:
        cov = np.cov(comp.T)
        off = cov[~np.eye(g.dim, dtype=bool)]
        assert np.abs(off).max() < 5 / np.sqrt(len(comp))


@pytest.mark.parametrize("g", GROUPS, ids=IDS)
def test_kinetic_is_half_sum_of_squared_components(g):
    rng = np.random.default_rng(19)
    p = g.momenta((3, 17), rng)
    comp = g.components(p)
    assert abs(g.kinetic(p) - 0.5 * np.sum(comp ** 2)) < 1e-11
    c = c_of(g)
    assert abs(g.kinetic(p) + 0.5 / c * np.einsum("...ij,...ji->...", p, p).real.sum()) < 1e-11


def test_get_group_by_name():
    assert get_group("u1").nc == 1 and get_group("SU3").nc == 3
    assert get_group("su5") == Group(5)
    g = Group(2)
    assert get_group(g) is g
    for bad in ("so3", "su1", "u2", "su"):
        with pytest.raises(ValueError, match="unknown gauge group"):
            get_group(bad)
    with pytest.raises(ValueError):
        Group(0)
