"""Tests of the Wilson-loop surrogate (lqcd_core.surrogate.loops), its path kernels and fits."""
import json

import numpy as np
import pytest

import naive_gauge as ng
import naive_loops as nl
from lqcd_core.actions import GaugeAction
from lqcd_core.actions.fermion import TwoFlavourAction
from lqcd_core.dirac import Wilson
from lqcd_core.gauge import GaugeField
from lqcd_core.lattice import Lattice
from lqcd_core.markov.heatbath import Heatbath
from lqcd_core.surrogate import _path_kernels as PK
from lqcd_core.surrogate.base import from_dict
from lqcd_core.surrogate.fit import (dense_hermitian, exact_logdet, fit_forces, fit_logdet,
                                     pseudofermion_force_sample)
from lqcd_core.surrogate.loops import LoopAction, available_terms

# U(1) in 2D, SU(2) in 3D and 4D, SU(3) in 4D; extents 2 make some loops wrap around
FIELDS = [("u1", (4, 6)), ("su2", (2, 4, 6)), ("su2", (4, 2, 4, 4)), ("su3", (2, 4, 2, 4))]
FIELD_IDS = ["u1-2d", "su2-3d", "su2-4d", "su3-4d"]
BETAS = {"u1": 1.3, "su2": 2.3, "su3": 5.7}
ALL = PK.LOOP_TYPES  # including polyakov_spatial


pytestmark = pytest.mark.usefixtures("single_numba_thread")


def hot(group, extents, seed):
    return GaugeField.hot(Lattice(extents), group, np.random.default_rng(seed))


def terms_of(extents):
    return available_terms(len(extents), ALL)


def model_for(field, terms=None, coefficients=None, offset=0.0):
    return LoopAction(terms if terms is not None else terms_of(field.lattice.extents),
                      coefficients, ndim=field.lattice.ndim, nc=field.group.nc, offset=offset)


# ---------------------------------------------------------------------------
# kernels against the NumPy reference
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_path_products_equal_naive_roll_products(group, extents):
    f = hot(group, extents, 1)
    lat = f.lattice
    for kind in terms_of(extents):
        steps = PK.paths_for(kind, extents)
        paths, lengths = PK.pack(steps)
        out = np.empty((len(steps), lat.volume) + f.links.shape[2:], np.complex128)
        PK.path_products(f.links, lat.fwd, lat.bwd, paths, lengths, out)
        for p, s in enumerate(steps):
            np.testing.assert_allclose(out[p], nl.path_field(f.links, extents, s), atol=1e-12,
                                       err_msg=f"{kind} path {s}")
        sums = PK.path_trace_sums(f.links, lat.fwd, lat.bwd, paths, lengths)
        np.testing.assert_allclose(sums, [nl.trace_sum(f.links, extents, s) for s in steps],
                                   atol=1e-10)


@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_features_equal_sums_over_brute_force_loop_enumeration(group, extents):
    f = hot(group, extents, 2)
    m = model_for(f)
    ref = [nl.loop_type_sum(f.links, extents, k) / f.group.nc for k in m.terms]
    np.testing.assert_allclose(m.features(f), ref, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("ndim", [2, 3, 4])
def test_path_lists_are_all_distinct_loops_of_each_type(ndim):
    ext = (4,) * ndim
    brute = {4: nl.enumerate_loops(ndim, 4), 6: nl.enumerate_loops(ndim, 6)}
    expected = {2: [1, 2, 0, 0], 3: [3, 6, 12, 4], 4: [6, 12, 48, 16]}[ndim]
    for kind, count in zip(("plaquette", "rectangle", "chair", "twisted"), expected):
        paths = PK.paths_for(kind, ext)
        assert len(paths) == count == PK.expected_count(kind, ndim)
        keys = {nl.shape_key(p, ndim) for p in paths}
        assert len(keys) == len(paths), f"{kind}: a loop is listed twice"
        ref = brute[4 if kind == "plaquette" else 6].get(kind, [])
        assert keys == {nl.shape_key(p, ndim) for p in ref}, kind
        for p in paths:
            assert nl.classify(p, ndim) == kind
    assert len(PK.paths_for("polyakov", ext)) == 1
    assert len(PK.paths_for("polyakov_spatial", ext)) == ndim - 1


@pytest.mark.parametrize("ndim", [3, 4])
def test_path_sets_are_invariant_under_axis_permutations_and_reflections(ndim):
    for kind in ("plaquette", "rectangle", "chair", "twisted"):
        paths = PK.paths_for(kind, (4,) * ndim)
        keys = {nl.shape_key(p, ndim) for p in paths}
        for perm in nl.all_permutations(ndim):
            moved = [[(1 if s > 0 else -1) * (perm.index(abs(s) - 1) + 1) for s in p]
                     for p in paths]
            assert {nl.shape_key(p, ndim) for p in moved} == keys, (kind, perm)
        for mu in range(ndim):
            flipped = [[-s if abs(s) - 1 == mu else s for s in p] for p in paths]
            assert {nl.shape_key(p, ndim) for p in flipped} == keys, (kind, mu)


@pytest.mark.parametrize("group, extents, fixed_time",
                         [("su2", (4, 4, 4, 4), False), ("u1", (2, 4, 6), True),
                          ("su3", (2, 2, 2, 2), False)], ids=["su2-4444", "u1-246", "su3-2222"])
def test_values_are_invariant_under_lattice_rotations_and_reflections(group, extents, fixed_time):
    f = hot(group, extents, 3)
    m = model_for(f)
    feats = m.features(f)
    d = len(extents)
    wind = [i for i, t in enumerate(m.terms) if t.startswith("polyakov")]
    for perm in nl.all_permutations(d, fixed_last=fixed_time):
        links, ext = nl.permute_axes(f.links, extents, perm)
        g = GaugeField(Lattice(ext), group, links)
        moved = m.features(g)
        if perm[-1] == d - 1:
            np.testing.assert_allclose(moved, feats, rtol=1e-11, atol=1e-10, err_msg=str(perm))
        else:  # time moved: the local loops still agree, the winding lines are relabelled
            local = [i for i in range(len(feats)) if i not in wind]
            np.testing.assert_allclose(moved[local], feats[local], rtol=1e-11, atol=1e-10)
            assert moved[wind].sum() == pytest.approx(feats[wind].sum(), rel=1e-11, abs=1e-10)
    for mu in range(d):
        g = GaugeField(f.lattice, group, nl.reflect(f.links, extents, mu))
        np.testing.assert_allclose(m.features(g), feats, rtol=1e-11, atol=1e-10, err_msg=str(mu))


def test_a_permutation_that_changes_the_value_is_detected():
    """Control for the invariance test: a single plaquette orientation is not invariant."""
    f = hot("su2", (4, 4, 4, 4), 4)
    paths, lengths = PK.pack([PK.plaquette_paths(4)[0]])  # the (0, 1) plane only
    links, ext = nl.permute_axes(f.links, f.lattice.extents, (2, 3, 0, 1))
    lat = f.lattice
    a = PK.path_trace_sums(f.links, lat.fwd, lat.bwd, paths, lengths)
    b = PK.path_trace_sums(links, lat.fwd, lat.bwd, paths, lengths)
    assert abs(a[0] - b[0]) > 1e-3


# ---------------------------------------------------------------------------
# the gauge actions as special cases
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_plaquette_term_with_c_beta_is_the_wilson_action(group, extents):
    beta = BETAS[group]
    f1, f2 = hot(group, extents, 5), hot(group, extents, 6)
    m = model_for(f1, ("plaquette",), [beta])
    w = GaugeAction(beta, "wilson")
    assert m.value(f1) - m.value(f2) == pytest.approx(w.value(f1) - w.value(f2), rel=1e-12,
                                                      abs=1e-10)
    # the constant: S_W = beta n_P - (beta / n) sum Re tr U_P
    assert m.value(f1) + beta * f1.lattice.n_plaquettes == pytest.approx(w.value(f1), rel=1e-12)
    np.testing.assert_allclose(m.force(f1), w.force(f1), atol=1e-12)


@pytest.mark.parametrize("group, extents", FIELDS[1:], ids=FIELD_IDS[1:])
def test_rectangle_term_is_the_rectangle_part_of_the_symanzik_action(group, extents):
    beta = BETAS[group]
    sym = GaugeAction(beta, "symanzik")
    plaq = GaugeAction(beta * sym.c0, "wilson")  # the plaquette part c0 S_W(beta)
    f1, f2 = hot(group, extents, 7), hot(group, extents, 8)
    rect = model_for(f1, ("rectangle",), [beta * sym.c1])
    d_sym = (sym.value(f1) - plaq.value(f1)) - (sym.value(f2) - plaq.value(f2))
    assert rect.value(f1) - rect.value(f2) == pytest.approx(d_sym, rel=1e-11, abs=1e-10)
    np.testing.assert_allclose(rect.force(f1), sym.force(f1) - plaq.force(f1), atol=1e-12)
    both = model_for(f1, ("plaquette", "rectangle"), [beta * sym.c0, beta * sym.c1])
    assert both.value(f1) - both.value(f2) == pytest.approx(sym.value(f1) - sym.value(f2),
                                                            rel=1e-11, abs=1e-10)
    np.testing.assert_allclose(both.force(f1), sym.force(f1), atol=1e-12)


# ---------------------------------------------------------------------------
# gauge invariance and forces
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_every_term_is_gauge_invariant_and_its_force_gauge_covariant(group, extents):
    f = hot(group, extents, 9)
    rng = np.random.default_rng(10)
    gx = f.group.random((f.lattice.volume,), rng)
    g = f.gauge_transform(gx)
    assert np.abs(g.links - f.links).max() > 0.1
    m = model_for(f)
    np.testing.assert_allclose(m.features(g), m.features(f), rtol=1e-11, atol=1e-10)
    for kind, ff, fg in zip(m.terms, m.feature_forces(f), m.feature_forces(g)):
        # F_mu(x) -> g(x) F_mu(x) g(x)^dag
        rotated = np.einsum("xij,mxjk,xlk->mxil", gx, ff, gx.conj())
        np.testing.assert_allclose(fg, rotated, atol=1e-11, err_msg=kind)


def _directional_derivative(model, field, x, eps=1e-4):
    def shifted(e):
        g = field.copy()
        g.links[...] = field.group.exp(e * x) @ field.links
        return model.value(g)
    s = {k: shifted(k * eps) for k in (-2, -1, 1, 2)}
    return (8 * (s[1] - s[-1]) - (s[2] - s[-2])) / (12 * eps)


@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_force_of_each_term_is_the_numerical_derivative(group, extents):
    f = hot(group, extents, 11)
    rng = np.random.default_rng(12)
    for kind in terms_of(extents):
        m = model_for(f, (kind,), [0.7])
        force = m.force(f)
        assert np.abs(force).max() > 1e-3, kind
        for _ in range(2):
            x = ng.random_algebra(f.group.nc, f.links.shape[:2], rng)
            num = _directional_derivative(m, f, x)
            assert f.group.inner(x, force) == pytest.approx(num, rel=1e-7, abs=1e-8), kind
        # the force is algebra valued (anti-Hermitian, traceless for SU(n))
        np.testing.assert_allclose(force, -np.conj(np.swapaxes(force, -1, -2)), atol=1e-14)
        if f.group.nc > 1:
            assert np.abs(np.trace(force, axis1=-2, axis2=-1)).max() < 1e-13


def test_force_and_value_are_linear_in_the_coefficients():
    f = hot("su2", (4, 2, 4, 4), 13)
    c = np.array([1.1, -0.3, 0.25, -0.4, 0.8, 0.05])
    m = model_for(f, ALL, c, offset=2.5)
    fi = m.feature_forces(f)
    np.testing.assert_allclose(m.force(f), sum(ci * x for ci, x in zip(c, fi)), atol=1e-12)
    assert m.value(f) == pytest.approx(2.5 - c @ m.features(f), rel=1e-13)


def test_generalised_staples_close_each_loop_once_per_link():
    """sum over links of Re tr(U Sigma) counts every loop once per link on it."""
    f = hot("su3", (2, 4, 2, 4), 14)
    lat = f.lattice
    steps = [p for k in ALL for p in PK.paths_for(k, lat.extents)]
    paths, lengths = PK.pack(steps)
    coefs = np.linspace(-1.0, 1.0, len(steps))
    sig = np.empty_like(f.links)
    PK.path_staples(f.links, lat.fwd, lat.bwd, paths, lengths, coefs, sig)
    lhs = np.einsum("mxij,mxji->", f.links, sig).real
    sums = PK.path_trace_sums(f.links, lat.fwd, lat.bwd, paths, lengths)
    assert lhs == pytest.approx(np.sum(coefs * lengths * sums), rel=1e-11)


# ---------------------------------------------------------------------------
# model description
# ---------------------------------------------------------------------------
def test_model_round_trip_through_to_dict_gives_identical_values():
    f = hot("su3", (2, 4, 2, 4), 15)
    m = model_for(f, None, [5.1, -0.4, 0.2, -0.1, 0.3, 0.05], offset=-1.25)
    d = json.loads(json.dumps(m.to_dict()))
    assert d["kind"] == "loops"
    m2 = from_dict(d)
    assert isinstance(m2, LoopAction) and m2.terms == m.terms
    np.testing.assert_array_equal(m2.parameters(), m.parameters())
    assert m2.value(f) == m.value(f)
    np.testing.assert_array_equal(m2.force(f), m.force(f))
    # parameters() is a copy, set_parameters replaces theta
    theta = m2.parameters()
    theta[0] = 99.0
    assert m2.parameters()[0] == 5.1
    m2.set_parameters(theta)
    assert m2.coefficients["plaquette"] == 99.0


def test_default_terms_are_the_loop_types_that_exist_in_the_dimension():
    assert LoopAction(ndim=2, nc=1).terms == ("plaquette", "rectangle", "polyakov")
    assert LoopAction(ndim=4, nc=3).terms == ("plaquette", "rectangle", "chair", "twisted",
                                              "polyakov")


def test_invalid_model_arguments_raise_value_errors():
    with pytest.raises(ValueError, match="unknown loop type"):
        LoopAction(("hexagon",), ndim=4, nc=3)
    with pytest.raises(ValueError, match="twisted"):
        LoopAction(("plaquette", "twisted"), ndim=2, nc=1)
    with pytest.raises(ValueError, match="coefficients"):
        LoopAction(("plaquette", "rectangle"), [1.0], ndim=4, nc=3)
    with pytest.raises(ValueError, match="coefficients"):
        LoopAction(("plaquette",), [np.nan], ndim=4, nc=3)
    with pytest.raises(ValueError, match="repeated"):
        LoopAction(("plaquette", "plaquette"), ndim=4, nc=3)
    m = LoopAction(("plaquette",), [1.0], ndim=4, nc=3)
    with pytest.raises(ValueError, match="field"):
        m.value(hot("su2", (2, 2, 2, 2), 0))
    with pytest.raises(ValueError, match="unknown surrogate kind"):
        from_dict({"kind": "nope", "config": {}, "theta": []})


# ---------------------------------------------------------------------------
# fits on synthetic targets
# ---------------------------------------------------------------------------
def test_fit_logdet_recovers_planted_coefficients_and_offset():
    fields = [hot("su2", (4, 4, 4), 100 + k) for k in range(16)]
    planted = model_for(fields[0], ("plaquette", "rectangle", "chair", "twisted", "polyakov"),
                        [1.7, -0.2, 0.15, -0.05, 0.4], offset=3.25)
    weight = 0.5  # e.g. nf = 1 with a two-flavour determinant
    logdets = [-planted.value(f) / weight for f in fields]
    m = model_for(fields[0], planted.terms)
    res = fit_logdet(m, fields, logdets, weight=weight, validation=0.25)
    np.testing.assert_allclose(res.coefficients, planted.parameters(), rtol=1e-9, atol=1e-10)
    assert res.offset == pytest.approx(3.25, rel=1e-9)
    assert res.n_train == 12 and res.n_validation == 4
    assert res.r2 == pytest.approx(1.0, abs=1e-12)
    assert res.validation_r2 == pytest.approx(1.0, abs=1e-12)
    assert res.rms < 1e-9 and res.validation_rms < 1e-9
    assert np.all(m.parameters() == 0.0)  # the fit does not touch the model
    res.apply(m)
    assert m.value(fields[3]) == pytest.approx(planted.value(fields[3]), rel=1e-10)
    # ridge shrinks the coefficients towards zero
    shrunk = fit_logdet(m, fields, logdets, ridge=1e6, weight=weight)
    assert np.linalg.norm(shrunk.coefficients) < 0.1 * np.linalg.norm(res.coefficients)


def test_fit_forces_recovers_planted_coefficients():
    fields = [hot("su3", (2, 4, 2, 4), 200 + k) for k in range(4)]
    planted = model_for(fields[0], None, [5.0, -0.6, 0.3, -0.2, 0.1, 0.7])
    forces = [planted.force(f) for f in fields]
    m = model_for(fields[0])
    res = fit_forces(m, fields, forces)
    np.testing.assert_allclose(res.coefficients, planted.parameters(), rtol=1e-9, atol=1e-10)
    assert res.r2 == pytest.approx(1.0, abs=1e-12) and res.rms < 1e-9
    assert res.validation_r2 == pytest.approx(1.0, abs=1e-12)
    # noise that is independent of the features averages out of the normal equations
    rng = np.random.default_rng(7)
    g = fields[0].group
    noisy = [fk + 0.3 * g.momenta(fk.shape[:2], rng) for fk in forces]
    res = fit_forces(m, fields, noisy, validation=0)
    np.testing.assert_allclose(res.coefficients, planted.parameters(), rtol=0.1, atol=0.05)


def test_fit_arguments_are_validated():
    f = hot("u1", (4, 4), 0)
    m = model_for(f, ("plaquette",))
    with pytest.raises(ValueError, match="fields"):
        fit_logdet(m, [], [])
    with pytest.raises(ValueError, match="logdets"):
        fit_logdet(m, [f, f.copy(), f.copy()], [1.0, 2.0])
    with pytest.raises(ValueError, match="logdets"):
        fit_logdet(m, [f, f.copy()], [1.0, np.inf], validation=0)
    with pytest.raises(ValueError, match="ridge"):
        fit_logdet(m, [f, f.copy()], [1.0, 2.0], ridge=-1, validation=0)
    with pytest.raises(ValueError, match="validation"):
        fit_logdet(m, [f, f.copy()], [1.0, 2.0], validation=1.0)
    with pytest.raises(ValueError, match="fields"):
        fit_logdet(m, [f], [1.0])  # one configuration cannot fix offset and slope
    with pytest.raises(ValueError, match="fields"):
        fit_forces(m, [], [])
    with pytest.raises(ValueError, match="forces"):
        fit_forces(m, [f, f], [f.links])
    with pytest.raises(ValueError, match=r"forces\[0\]"):
        fit_forces(m, [f], [np.zeros((2, 16, 2, 2))])
    with pytest.raises(ValueError, match="max_dim"):
        exact_logdet(Wilson(kappa=0.2), f, max_dim=8)
    with pytest.raises(ValueError, match="fermion"):
        exact_logdet(object(), f)


# ---------------------------------------------------------------------------
# log-determinants and pseudofermion forces
# ---------------------------------------------------------------------------
def test_mean_pseudofermion_force_is_minus_the_gradient_of_logdet():
    """<F_pf>_phi = grad(-log det A): the exact average over phi against the numerical
    derivative of exact_logdet (the identity behind the force fit)."""
    f = hot("u1", (4, 4), 21)
    ferm = Wilson(kappa=0.2)
    op = ferm.bind(f)
    a = dense_hermitian(op)
    # <X X^dag> = A^{-1} = L L^dag; -X^dag dA X is linear in X X^dag
    lo = np.linalg.cholesky(np.linalg.inv(a))
    mean = -sum(op.hermitian_deriv(lo[:, j].reshape(op.shape), lo[:, j].reshape(op.shape))
                for j in range(lo.shape[1]))
    rng = np.random.default_rng(22)
    for _ in range(2):
        x = ng.random_algebra(1, f.links.shape[:2], rng)
        vals = {}
        for k in (-2, -1, 1, 2):
            g = f.copy()
            g.links[...] = f.group.exp(k * 1e-4 * x) @ f.links
            vals[k] = -exact_logdet(ferm, g)
        num = (8 * (vals[1] - vals[-1]) - (vals[2] - vals[-2])) / (12 * 1e-4)
        assert f.group.inner(x, mean) == pytest.approx(num, rel=1e-6, abs=1e-9)
    # the sampled force scatters around the mean: project on the mean force, compare within
    # four standard errors (the per-sample noise is larger than the mean itself)
    act = TwoFlavourAction(ferm)
    rng = np.random.default_rng(23)
    proj = np.array([f.group.inner(mean, pseudofermion_force_sample(act, f, rng))
                     for _ in range(400)])
    target = f.group.inner(mean, mean)
    err = proj.std(ddof=1) / np.sqrt(proj.size)
    assert abs(proj.mean() - target) < 4 * err
    assert err < 0.3 * target


def test_logdet_fit_at_small_kappa_gives_the_hopping_expansion_beta_shift():
    """Leading order of the hopping expansion, log det M = -sum_n kappa^n tr H^n / n: each
    plaquette enters log det A = 2 Re log det M as -2 kappa^4 (s + s*) Re tr U_P with the spin
    trace s = tr[(1 - g0)(1 - g1)(1 + g0)(1 + g1)] = -4 in 2D, so S_f = -log det A has
    c_plaquette = 16 nc kappa^4 (beta shift of Nf = 2 Wilson quarks in 2D; 32 nc kappa^4 in 4D,
    the classic 48 kappa^4 per flavour for SU(3)).  8 x 8: the winding lines are O(kappa^8)."""
    rng = np.random.default_rng(31)
    fields = [GaugeField.hot(Lattice((8, 8)), "u1", rng) for _ in range(12)]
    kappa = 0.05
    logdets = [exact_logdet(Wilson(kappa=kappa), f) for f in fields]
    res = fit_logdet(LoopAction(("plaquette", "rectangle"), ndim=2, nc=1), fields, logdets,
                     validation=0)
    assert res.coefficients[0] == pytest.approx(16 * kappa ** 4, rel=2e-3)
    assert abs(res.coefficients[1]) < 0.02 * res.coefficients[0]  # rectangles: O(kappa^6)
    assert res.r2 > 0.9999


SCHWINGER_TERMS = ("plaquette", "polyakov", "polyakov_spatial")


@pytest.fixture(scope="module")
def schwinger():
    """40 configurations of 2D U(1) on 4 x 4 (heatbath, beta = 1, every second sweep after 10),
    Wilson fermions kappa = 0.2 (antiperiodic in time): exact log det A and pseudofermion
    forces (mean over 16 phi per configuration: a single phi leaves the plaquette
    coefficient of the force fit within about two standard deviations of zero)."""
    lat = Lattice((4, 4))
    f = GaugeField.hot(lat, "u1", np.random.default_rng(1))
    hb = Heatbath(GaugeAction(1.0), or_per_hb=1, seed_key=1)
    fields = []
    for i in range(90):
        hb.sweep(f, i)
        if i >= 10 and i % 2 == 0:
            fields.append(f.copy())
    ferm = Wilson(kappa=0.2)
    logdets = np.array([exact_logdet(ferm, x) for x in fields])
    act = TwoFlavourAction(ferm)
    rng = np.random.default_rng(2)
    forces = [pseudofermion_force_sample(act, x, rng, samples=16) for x in fields]
    return fields, logdets, forces


def test_schwinger_logdet_fit_has_a_positive_plaquette_coefficient_and_explains_the_variance(
        schwinger):
    fields, logdets, _ = schwinger
    assert logdets.std() > 0.1
    # the default 2D terms (plaquette, rectangle, polyakov)
    res = fit_logdet(LoopAction(ndim=2, nc=1), fields, logdets)
    c = dict(zip(res.terms, res.coefficients))
    assert c["plaquette"] > 0.005          # heavy Wilson quarks shift beta upwards
    assert res.validation_r2 > 0.5 and res.r2 > 0.5
    # on a 4 x 4 lattice the spatial winding lines are as short as the plaquette: with them
    # the linear model explains nearly all of the variance
    full = fit_logdet(LoopAction(SCHWINGER_TERMS, ndim=2, nc=1), fields, logdets)
    c = dict(zip(full.terms, full.coefficients))
    assert c["plaquette"] > 0.01
    assert full.validation_r2 > 0.85 and full.validation_r2 > res.validation_r2
    # antiperiodic in time, periodic in space: the winding lines enter with opposite signs
    assert c["polyakov"] > 0 > c["polyakov_spatial"]
    # the plaquette alone explains much less on this small lattice
    alone = fit_logdet(LoopAction(("plaquette",), ndim=2, nc=1), fields, logdets)
    assert alone.coefficients[0] > 0
    assert alone.r2 < res.r2


def test_schwinger_force_fit_agrees_in_sign_with_the_logdet_fit(schwinger):
    fields, logdets, forces = schwinger
    m = LoopAction(SCHWINGER_TERMS, ndim=2, nc=1)
    val = fit_logdet(m, fields, logdets)
    frc = fit_forces(m, fields, forces, validation=0)
    assert np.all(np.sign(frc.coefficients) == np.sign(val.coefficients)), \
        (frc.coefficients, val.coefficients)
    # the same magnitude within the noise of the pseudofermion forces
    np.testing.assert_allclose(frc.coefficients, val.coefficients, atol=0.02)
    assert frc.r2 > 0  # noisy targets: small, but the model explains part of the force
