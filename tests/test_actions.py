"""Tests of the gauge actions (values, gauge invariance, forces) and of action sums."""
import numpy as np
import pytest

import naive_gauge as ng
from lqcd_core.actions import C1, ActionSum, GaugeAction
from lqcd_core.gauge import GaugeField
from lqcd_core.lattice import Lattice

ACTIONS = ["wilson", "symanzik", "iwasaki", "dbw2"]
# u1 in 2D, su2 and su3 in 4D (one with an extent 2, where rectangles wrap around)
FIELDS = [("u1", (4, 6)), ("su2", (4, 4, 4, 4)), ("su3", (4, 2, 4, 6)), ("su3", (2, 2, 2, 2))]
FIELD_IDS = ["u1-2d", "su2-4d", "su3-4d", "su3-2222"]
BETAS = {"u1": 1.3, "su2": 2.3, "su3": 5.7}


pytestmark = pytest.mark.usefixtures("single_numba_thread")


def field_for(group, extents, seed, smooth=None):
    """Hot field, or (smooth = amplitude) exp(random algebra) near the unit field."""
    rng = np.random.default_rng(seed)
    lat = Lattice(extents)
    if smooth is None:
        return GaugeField.hot(lat, group, rng)
    f = GaugeField(lat, group)
    f.links[...] = f.group.exp(ng.random_algebra(f.group.nc, f.links.shape[:2], rng, smooth))
    return f


def shifted_value(action, field, x, eps):
    """S(exp(eps X) U)."""
    g = field.copy()
    g.links[...] = field.group.exp(eps * x) @ field.links
    return action.value(g)


def numerical_derivative(action, field, x, eps=1e-4):
    """Symmetric 4th-order difference of S(exp(eps X) U) at eps = 0."""
    s = {k: shifted_value(action, field, x, k * eps) for k in (-2, -1, 1, 2)}
    return (8 * (s[1] - s[-1]) - (s[2] - s[-2])) / (12 * eps)


# ---------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------
def test_rectangle_coefficients_are_the_literature_values():
    for name in ACTIONS:
        a = GaugeAction(1.0, name)
        assert a.c1 == pytest.approx(ng.C1_REFERENCE[name], abs=1e-15)
        assert a.c0 + 8 * a.c1 == pytest.approx(1.0, abs=1e-15)
        assert C1[name] == a.c1
    a = GaugeAction(2.0, "custom", c1=-0.2)
    assert a.c1 == -0.2 and a.c0 == pytest.approx(2.6)


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_action_value_matches_naive_reference(group, extents, name):
    f = field_for(group, extents, 1)
    beta = BETAS[group]
    ref = ng.named_action(f.links, extents, beta, name)
    assert GaugeAction(beta, name).value(f) == pytest.approx(ref, rel=1e-12, abs=1e-10)
    # and near the unit field, where the action is a small difference of large sums
    f = field_for(group, extents, 2, smooth=0.2)
    ref = ng.named_action(f.links, extents, beta, name)
    assert GaugeAction(beta, name).value(f) == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_wilson_action_is_beta_times_sum_of_one_minus_plaquette(group, extents):
    f = field_for(group, extents, 3)
    ref = ng.wilson_action(f.links, extents, 2.0)
    assert GaugeAction(2.0).value(f) == pytest.approx(ref, rel=1e-12)
    # linear in beta
    assert GaugeAction(4.0).value(f) == pytest.approx(2 * ref, rel=1e-12)


@pytest.mark.parametrize("name", ACTIONS)
def test_constant_flux_u1_action_has_closed_form_and_zero_force(name):
    """2D U(1) with k flux quanta on L x L: every plaquette has angle theta = 2 pi k / L^2,
    every 2x1 rectangle 2 theta, so S = beta V [c0 (1 - cos theta) + 2 c1 (1 - cos 2 theta)]
    exactly; by translation symmetry it is a classical solution (force 0)."""
    L, k, beta = 8, 3, 1.7
    lat = Lattice((L, L))
    theta = 2 * np.pi * k / L ** 2
    x0, x1 = lat.coords[:, 0], lat.coords[:, 1]
    a0 = np.where(x0 == L - 1, -theta * L * x1, 0.0)
    a1 = theta * x0
    links = np.exp(1j * np.stack([a0, a1]))[..., None, None]
    f = GaugeField(lat, "u1", links)
    assert np.allclose(ng.plaquette_field(f.links, (L, L), 0, 1)[..., 0, 0], np.exp(1j * theta))
    act = GaugeAction(beta, name)
    expected = beta * L * L * (act.c0 * (1 - np.cos(theta)) + 2 * act.c1 * (1 - np.cos(2 * theta)))
    assert act.value(f) == pytest.approx(expected, rel=1e-12)
    assert np.abs(act.force(f)).max() < 1e-12
    # the improved actions share the Wilson action's classical continuum limit (c0 + 8 c1 = 1)
    wil = GaugeAction(beta).value(f)
    assert act.value(f) / wil == pytest.approx(1.0, abs=2 * theta ** 2 * abs(act.c1) + 1e-12)


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("group, extents", [("u1", (4, 6)), ("su2", (4, 2, 4, 4)), ("su3", (4, 2, 2, 4)),
                                            ("su4", (2, 4, 2))], ids=["u1", "su2", "su3", "su4"])
def test_action_value_is_gauge_invariant(group, extents, name):
    f = field_for(group, extents, 4)
    g = f.group.random((f.lattice.volume,), np.random.default_rng(5))
    act = GaugeAction(BETAS.get(group, 3.0), name)
    assert act.value(f.gauge_transform(g)) == pytest.approx(act.value(f), rel=1e-12)


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("group, extents", [("u1", (4, 6)), ("su2", (4, 2, 4, 4)), ("su3", (4, 2, 2, 4))],
                         ids=["u1", "su2", "su3"])
def test_force_transforms_covariantly(group, extents, name):
    """F[g U](x) = g(x) F[U](x) g(x)^dag."""
    f = field_for(group, extents, 6)
    g = f.group.random((f.lattice.volume,), np.random.default_rng(7))
    act = GaugeAction(BETAS[group], name)
    ft = act.force(f.gauge_transform(g))
    expected = g[None] @ act.force(f) @ ng.dag(g)[None]
    assert np.abs(ft - expected).max() < 1e-12


def test_invalid_action_parameters_raise():
    with pytest.raises(ValueError, match="beta must be positive"):
        GaugeAction(0.0)
    with pytest.raises(ValueError, match="beta must be positive"):
        GaugeAction(float("nan"))
    with pytest.raises(ValueError, match="unknown gauge action"):
        GaugeAction(1.0, "luscher")


# ---------------------------------------------------------------------------
# forces = gradients
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_force_is_algebra_valued(group, extents, name):
    f = field_for(group, extents, 8)
    F = GaugeAction(BETAS[group], name).force(f)
    assert F.shape == f.links.shape
    assert np.abs(F + ng.dag(F)).max() < 1e-13
    if f.group.nc > 1:
        assert np.abs(np.trace(F, axis1=-2, axis2=-1)).max() < 1e-13
    assert np.abs(F).max() > 0.1


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_force_equals_numerical_derivative_along_random_directions(group, extents, name):
    f = field_for(group, extents, 9)
    act = GaugeAction(BETAS[group], name)
    F = act.force(f)
    rng = np.random.default_rng(10)
    for _ in range(2):
        x = ng.random_algebra(f.group.nc, f.links.shape[:2], rng)
        analytic = f.group.inner(x, F)
        num = numerical_derivative(act, f, x)
        assert num == pytest.approx(analytic, rel=1e-6), (num, analytic)
        # the plain symmetric difference agrees too
        for eps in (1e-4, 1e-5):
            sym = (shifted_value(act, f, x, eps) - shifted_value(act, f, x, -eps)) / (2 * eps)
            assert sym == pytest.approx(analytic, rel=1e-6), (eps, sym, analytic)


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("group, extents", FIELDS, ids=FIELD_IDS)
def test_force_equals_numerical_derivative_on_single_links(group, extents, name):
    """Every generator direction on a few single links: tests the staples one by one."""
    f = field_for(group, extents, 11)
    act = GaugeAction(BETAS[group], name)
    F = act.force(f)
    comp = f.group.components(F)
    rng = np.random.default_rng(12)
    for _ in range(3):
        mu, x = int(rng.integers(f.lattice.ndim)), int(rng.integers(f.lattice.volume))
        for a in range(f.group.dim):
            xdir = np.zeros_like(f.links)
            xdir[mu, x] = 1j * f.group.generators[a]
            num = numerical_derivative(act, f, xdir, eps=1e-3)
            assert num == pytest.approx(comp[mu, x, a], rel=1e-6, abs=1e-8), (mu, x, a)


@pytest.mark.parametrize("group, extents", FIELDS[:3], ids=FIELD_IDS[:3])
def test_force_of_action_sum_is_the_derivative_of_its_value(group, extents):
    f = field_for(group, extents, 13)
    s1 = GaugeAction(0.7 * BETAS[group], "wilson")
    s2 = GaugeAction(0.4 * BETAS[group], "iwasaki")
    s3 = GaugeAction(0.2 * BETAS[group], "dbw2")
    total = s1 + s2 + s3
    assert isinstance(total, ActionSum) and len(total.actions) == 3
    assert total.value(f) == pytest.approx(s1.value(f) + s2.value(f) + s3.value(f), rel=1e-14)
    F = total.force(f)
    assert np.abs(F - (s1.force(f) + s2.force(f) + s3.force(f))).max() < 1e-13
    x = ng.random_algebra(f.group.nc, f.links.shape[:2], np.random.default_rng(14))
    assert numerical_derivative(total, f, x) == pytest.approx(f.group.inner(x, F), rel=1e-6)
    # two equal halves are the whole
    half = GaugeAction(0.5 * BETAS[group], "symanzik")
    whole = GaugeAction(BETAS[group], "symanzik")
    assert (half + half).value(f) == pytest.approx(whole.value(f), rel=1e-13)
    assert np.abs((half + half).force(f) - whole.force(f)).max() < 1e-13


def test_force_is_linear_in_beta_and_improved_force_reduces_to_wilson():
    f = field_for("su3", (4, 2, 4, 2), 15)
    F1 = GaugeAction(1.0).force(f)
    assert np.abs(GaugeAction(3.0).force(f) - 3 * F1).max() < 1e-13
    # the rectangle kernel with c1 -> 0 (but not exactly 0) approaches the plaquette kernel
    tiny = GaugeAction(1.0, "tiny", c1=1e-14).force(f)
    assert np.abs(tiny - F1).max() < 1e-12


def test_action_sum_refresh_and_params():
    a, b = GaugeAction(1.0), GaugeAction(2.0, "iwasaki")
    s = a + b
    s.refresh(None, np.random.default_rng(0))  # gauge actions: no auxiliary fields
    p = s.params()
    assert p["name"] == "sum" and p["actions"][1]["name"] == "iwasaki" and p["actions"][1]["beta"] == 2.0
    with pytest.raises(ValueError):
        ActionSum([])
