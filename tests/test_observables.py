"""Observables: gauge invariance, centre symmetry, Wilson loops, clover field strength,
energy densities and topological charge (docs/observables.md).

References are the slow path products of tests/naive_observables.py and exactly
solvable configurations (constant abelian fluxes on the torus).
"""
from __future__ import annotations

import numpy as np
import pytest

import naive_observables as naive
from lqcd_core.gauge import GaugeField
from lqcd_core.group import get_group
from lqcd_core.lattice import Lattice
from lqcd_core.observables import (FIVE_LOOP_COEFFS, FIVE_LOOP_SHAPES, MEASUREMENTS,
                                   clover_field_strength, effective_potential_table,
                                   energy_density_clover, energy_density_clover_sites,
                                   energy_density_plaquette, energy_density_plaquette_sites,
                                   measure, plaquette_angles, polyakov_loop,
                                   polyakov_loop_directions, polyakov_loops,
                                   polyakov_susceptibility, rectangle, static_potential,
                                   table_from_results, topological_charge,
                                   topological_charge_density, topology, wilson_loop_table,
                                   wilson_loops)

CASES = [("su2", (4, 4, 4, 6)), ("su3", (4, 6, 4, 4)), ("u1", (8, 6))]


# ---------------------------------------------------------------------------
# configurations
# ---------------------------------------------------------------------------
def hot(extents, group, seed):
    return GaugeField.hot(Lattice(extents), group, np.random.default_rng(seed))


def random_gauge(field, seed):
    g = field.group.random((field.lattice.volume,), np.random.default_rng(seed))
    return field.gauge_transform(g)


def smooth_field(extents, group, eps, seed=0):
    """U_mu(x) = exp(eps X_mu(x)), X_mu = i sum_a A_{mu a} cos(2 pi (x_0/L_0 + x_1/L_1) + phi_{mu a}) T_a."""
    lat = Lattice(extents)
    grp = get_group(group)
    rng = np.random.default_rng(seed)
    c = lat.coords
    phase = 2 * np.pi * (c[:, 0] / extents[0] + c[:, 1] / extents[1])
    amp = rng.normal(size=(lat.ndim, grp.dim))
    phi = rng.uniform(0, 2 * np.pi, size=(lat.ndim, grp.dim))
    comp = amp[:, None, :] * np.cos(phase[None, :, None] + phi[:, None, :])
    x = grp.from_components(eps * comp)
    return GaugeField(lat, grp, grp.exp(x))


def flux_phases(lat, mu, nu, n):
    """Link phases (phi_mu, phi_nu) with the constant plaquette angle f = 2 pi n / (L_mu L_nu)
    in the (mu, nu) plane: phi_nu(x) = f x_mu, and phi_mu(x) = -f L_mu x_nu on the last
    slice x_mu = L_mu - 1 (the transition function), 0 elsewhere."""
    c = lat.coords
    lm, ln = lat.extents[mu], lat.extents[nu]
    f = 2 * np.pi * n / (lm * ln)
    phi_nu = f * c[:, mu]
    phi_mu = np.where(c[:, mu] == lm - 1, -f * lm * c[:, nu], 0.0)
    return phi_mu, phi_nu, f


def u1_charge_field(extents, q):
    lat = Lattice(extents)
    p0, p1, _ = flux_phases(lat, 0, 1, q)
    links = np.exp(1j * np.stack([p0, p1]))[:, :, None, None]
    return GaugeField(lat, "u1", links)


def thooft_field(extents, group, n1, n2, h_a, h_b):
    """Constant abelian field: flux n1 in the (0,1) plane along diag(h_a), n2 in (2,3) along diag(h_b)."""
    lat = Lattice(extents)
    p0, p1, f1 = flux_phases(lat, 0, 1, n1)
    p2, p3, f2 = flux_phases(lat, 2, 3, n2)
    ha, hb = np.asarray(h_a, float), np.asarray(h_b, float)
    nc = len(ha)
    links = np.zeros((4, lat.volume, nc, nc), complex)
    for mu, (ph, h) in enumerate([(p0, ha), (p1, ha), (p2, hb), (p3, hb)]):
        links[mu] = np.exp(1j * ph[:, None] * h[None, :])[:, :, None] * np.eye(nc)
    return GaugeField(lat, group, links), f1, f2


def parity(field):
    """x -> Px = (-x_vec, t): U'_k(x) = U_k(Px - k)^dag for spatial k, U'_t(x) = U_t(Px)."""
    lat = field.lattice
    d = lat.ndim
    c = lat.coords.copy()
    c[:, :d - 1] *= -1
    px = lat.index(c)
    u = field.links
    new = np.empty_like(u)
    for k in range(d - 1):
        ck = c.copy()
        ck[:, k] -= 1
        new[k] = np.conj(np.swapaxes(u[k][lat.index(ck)], -1, -2))
    new[d - 1] = u[d - 1][px]
    return GaugeField(lat, field.group, new), px


# ---------------------------------------------------------------------------
# gauge invariance
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("group,extents", CASES)
def test_every_measurement_is_gauge_invariant(group, extents):
    f = hot(extents, group, 1)
    g = random_gauge(f, 2)
    opts = {"wilson_loops": {"r_max": 3, "t_max": 3}}
    a, b = measure(f, options=opts), measure(g, options=opts)
    assert a.keys() == b.keys()
    for key in a:
        assert np.isclose(a[key], b[key], rtol=0, atol=1e-11, equal_nan=True), key
    # the transformation did change the links
    assert np.abs(f.links - g.links).max() > 0.1
    # per-site densities
    if len(extents) == 4:
        for kind in ("clover", "5li"):
            np.testing.assert_allclose(topological_charge_density(g, kind),
                                       topological_charge_density(f, kind), rtol=0, atol=1e-12)
        np.testing.assert_allclose(energy_density_clover_sites(g), energy_density_clover_sites(f),
                                   rtol=0, atol=1e-11)
        assert np.abs(topological_charge_density(f)).max() > 1e-4
    else:
        np.testing.assert_allclose(plaquette_angles(g), plaquette_angles(f), rtol=0, atol=1e-12)
    np.testing.assert_allclose(energy_density_plaquette_sites(g), energy_density_plaquette_sites(f),
                               rtol=0, atol=1e-11)
    np.testing.assert_allclose(polyakov_loops(g), polyakov_loops(f), rtol=0, atol=1e-12)


def test_clover_field_strength_is_gauge_covariant():
    f = hot((4, 4, 4, 4), "su3", 3)
    g = f.group.random((f.lattice.volume,), np.random.default_rng(4))
    fg = f.gauge_transform(g)
    a = clover_field_strength(f, full=False)
    b = clover_field_strength(fg, full=False)
    expect = np.einsum("xij,pxjk,xlk->pxil", g, a, g.conj())
    np.testing.assert_allclose(b, expect, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------
# Polyakov loops
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("group,extents,z", [
    ("su2", (4, 4, 4, 6), -1.0),
    ("su3", (4, 6, 4, 4), np.exp(2j * np.pi / 3)),
    ("u1", (8, 6), np.exp(0.7j)),
])
@pytest.mark.parametrize("which", ["time", "space"])
def test_polyakov_loop_picks_up_the_centre_element(group, extents, z, which):
    f = hot(extents, group, 5)
    d = len(extents)
    mu = d - 1 if which == "time" else 1
    before = polyakov_loop_directions(f)
    links = f.links.copy()
    sl = f.lattice.coords[:, mu] == 2
    links[mu, sl] *= z
    g = GaugeField(f.lattice, f.group, links)
    after = polyakov_loop_directions(g)
    for nu in range(d):
        expect = z * before[nu] if nu == mu else before[nu]
        assert np.isclose(after[nu], expect, rtol=0, atol=1e-13), nu
    np.testing.assert_allclose(polyakov_loops(g, mu), z * polyakov_loops(f, mu), atol=1e-13)
    assert abs(before[mu]) > 1e-3


@pytest.mark.parametrize("group,extents", CASES)
def test_polyakov_loops_match_naive_straight_lines(group, extents):
    f = hot(extents, group, 6)
    got = polyakov_loop_directions(f)
    for mu in range(len(extents)):
        assert np.isclose(got[mu], naive.polyakov(f.links, extents, mu), atol=1e-13)
    assert polyakov_loop(f) == got[-1]
    res = MEASUREMENTS["polyakov"](f)
    assert res["polyakov_re"] == pytest.approx(got[-1].real, abs=1e-15)
    assert res["polyakov0_abs"] == pytest.approx(abs(got[0]), abs=1e-15)


def test_polyakov_susceptibility_definitions():
    v = np.array([1.0, -1.0, 1j, -1j])
    assert polyakov_susceptibility(v, 10) == pytest.approx(0.0)          # |P| constant
    assert polyakov_susceptibility(v, 10, "full") == pytest.approx(10.0)  # <|P|^2> - |<P>|^2
    assert polyakov_susceptibility(v, 10, "real") == pytest.approx(5.0)   # var(Re P) = 1/2
    rng = np.random.default_rng(0)
    w = rng.normal(size=50) + 1j * rng.normal(size=50)
    assert polyakov_susceptibility(w, 7) == pytest.approx(7 * np.var(np.abs(w)))
    with pytest.raises(ValueError):
        polyakov_susceptibility(w, 7, "bogus")


# ---------------------------------------------------------------------------
# Wilson loops
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("group,extents", CASES + [("su2", (4, 6, 4))])
def test_w11_equals_the_temporal_plaquette(group, extents):
    f = hot(extents, group, 7)
    w = wilson_loop_table(f, 1, 1)
    assert w[0, 0] == pytest.approx(f.plaquette_st()[1], abs=1e-14)


@pytest.mark.parametrize("group,extents,rmax,tmax", [
    ("su3", (4, 4, 4, 6), 4, 5), ("su2", (4, 6, 4), 3, 4), ("u1", (6, 8), 6, 8)])
def test_wilson_loops_equal_naive_path_products_on_hot_fields(group, extents, rmax, tmax):
    f = hot(extents, group, 8)
    w = wilson_loop_table(f, rmax, tmax)
    for r in range(1, rmax + 1):
        for t in range(1, tmax + 1):
            assert w[r - 1, t - 1] == pytest.approx(naive.wilson_loop(f.links, extents, r, t),
                                                    abs=1e-13), (r, t)


def test_wilson_loops_are_one_on_the_unit_field():
    for group, extents in CASES:
        f = GaugeField.cold(Lattice(extents), group)
        np.testing.assert_allclose(wilson_loop_table(f, 3, 3), 1.0, atol=1e-15)


def test_wilson_loops_use_the_smeared_field_for_spatial_lines_only():
    extents = (4, 4, 4, 6)
    f = hot(extents, "su2", 9)
    s = hot(extents, "su2", 10)        # stands in for a (spatially) smeared copy
    mixed = s.links.copy()
    mixed[-1] = f.links[-1]
    w = wilson_loop_table(f, 2, 3, spatial=s)
    for r in (1, 2):
        for t in (1, 2, 3):
            assert w[r - 1, t - 1] == pytest.approx(naive.wilson_loop(mixed, extents, r, t), abs=1e-13)
    np.testing.assert_array_equal(wilson_loop_table(f, 2, 3, spatial=lambda fld: s), w)
    np.testing.assert_array_equal(wilson_loop_table(f, 2, 3, spatial=f), wilson_loop_table(f, 2, 3))
    with pytest.raises(ValueError):
        wilson_loop_table(f, 5, 2)
    with pytest.raises(ValueError):
        wilson_loop_table(f, 2, 7)


def test_static_potential_from_exponential_loops():
    r = np.arange(1, 5)[:, None]
    t = np.arange(1, 7)[None, :]
    v = 0.1 + 0.2 * r - 0.3 / r
    w = 0.8 * np.exp(-v * t) + 0.1 * np.exp(-(v + 1.0) * t)     # ground state + excited state
    eff = effective_potential_table(w)
    assert eff.shape == (4, 5)
    # the plateau approaches V(R) from above
    assert np.all(np.diff(eff, axis=1) < 0)
    np.testing.assert_allclose(eff[:, -1], v[:, 0], atol=2e-3)
    np.testing.assert_allclose(static_potential(0.8 * np.exp(-v * t), 3), v[:, 0], atol=1e-14)
    assert np.isnan(effective_potential_table(np.array([[1.0, -0.5]]))[0, 0])
    res = wilson_loops(hot((4, 4, 4, 4), "su2", 11), r_max=2, t_max=3)
    assert set(res) == {f"W_{a}_{b}" for a in (1, 2) for b in (1, 2, 3)}
    assert table_from_results(res).shape == (2, 3)


# ---------------------------------------------------------------------------
# plaquettes and rectangles
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("group,extents", CASES)
def test_rectangle_matches_naive_and_is_one_on_the_unit_field(group, extents):
    f = hot(extents, group, 12)
    assert rectangle(f) == pytest.approx(naive.rectangle(f.links, extents), abs=1e-13)
    assert rectangle(GaugeField.cold(Lattice(extents), group)) == pytest.approx(1.0, abs=1e-15)
    res = MEASUREMENTS["plaquette"](f)
    assert res["plaquette"] == f.plaquette()


# ---------------------------------------------------------------------------
# clover field strength and energy densities
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("group", ["su2", "su3", "u1"])
@pytest.mark.parametrize("shape", [(1, 1), (1, 2), (2, 2)])
def test_clover_field_strength_matches_naive_leaves(group, shape):
    extents = (4, 4, 4, 6)
    f = hot(extents, group, 13)
    got = clover_field_strength(f, m=shape[0], k=shape[1])
    for mu in range(4):
        for nu in range(4):
            if mu == nu:
                assert np.abs(got[mu, nu]).max() == 0.0
                continue
            ref = naive.clover_f(f.links, extents, mu, nu, *shape).reshape(got[mu, nu].shape)
            np.testing.assert_allclose(got[mu, nu], ref, rtol=0, atol=1e-13)


@pytest.mark.parametrize("group", ["su2", "su3"])
def test_clover_field_strength_is_antihermitian_and_traceless(group):
    f = hot((4, 4, 4, 4), group, 14)
    fs = clover_field_strength(f, full=False)
    np.testing.assert_allclose(fs, -np.conj(np.swapaxes(fs, -1, -2)), rtol=0, atol=1e-14)
    np.testing.assert_allclose(np.trace(fs, axis1=-2, axis2=-1), 0.0, atol=1e-14)
    assert np.abs(fs).max() > 0.1
    full = clover_field_strength(f)
    np.testing.assert_allclose(full, -np.swapaxes(full, 0, 1), atol=0)


@pytest.mark.parametrize("group,extents", CASES)
def test_energy_densities_match_naive(group, extents):
    f = hot(extents, group, 15)
    assert energy_density_clover(f) == pytest.approx(naive.energy_clover(f.links, extents), rel=1e-12)
    assert energy_density_plaquette(f) == pytest.approx(naive.energy_plaquette(f.links, extents),
                                                        rel=1e-12)
    assert energy_density_plaquette_sites(f).mean() == pytest.approx(energy_density_plaquette(f),
                                                                     rel=1e-12)


@pytest.mark.parametrize("group,extents", CASES)
def test_energy_densities_vanish_on_the_unit_field(group, extents):
    f = GaugeField.cold(Lattice(extents), group)
    assert energy_density_clover(f) == 0.0
    assert energy_density_plaquette(f) == pytest.approx(0.0, abs=1e-14)


@pytest.mark.parametrize("group", ["su2", "su3"])
def test_clover_and_plaquette_energy_agree_on_smooth_fields(group):
    """Weak (eps -> 0) and slowly varying (L -> infinity) fields: E_clover / E_plaq -> 1."""
    dev = []
    for eps, L in [(0.4, 8), (0.2, 16), (0.1, 32)]:
        f = smooth_field((L, L, 2, 2), group, eps)
        ec, ep = energy_density_clover(f), energy_density_plaquette(f)
        assert ep > 0
        dev.append(abs(ec / ep - 1.0))
    assert dev[0] < 0.5
    assert dev[1] < dev[0] / 3 and dev[2] < dev[1] / 3
    assert dev[2] < 0.05


def test_energy_normalisation_on_a_constant_abelian_field():
    """E_plaq = 2 * 2 (1 - cos f) per flux plane and E_clover = 2 sin^2 f for diag(1, -1)."""
    f, f1, f2 = thooft_field((6, 6, 6, 6), "su2", 1, 0, (1, -1), (1, -1))
    assert f2 == 0.0
    assert energy_density_plaquette(f) == pytest.approx(4 * (1 - np.cos(f1)), rel=1e-12)
    assert energy_density_clover(f) == pytest.approx(2 * np.sin(f1) ** 2, rel=1e-12)
    # leading order both are -tr (i f H)^2 = f^2 tr H^2 = 2 f^2
    assert energy_density_clover(f) / (2 * f1 ** 2) == pytest.approx(1, abs=f1 ** 2)


# ---------------------------------------------------------------------------
# topological charge
# ---------------------------------------------------------------------------
def test_five_loop_coefficients_cancel_tree_level_a2_and_a4():
    c = np.array(FIVE_LOOP_COEFFS)
    m = np.array([s[0] for s in FIVE_LOOP_SHAPES], float)
    k = np.array([s[1] for s in FIVE_LOOP_SHAPES], float)
    assert c.sum() == pytest.approx(1.0, abs=1e-14)
    assert (c * (m ** 2 + k ** 2)).sum() == pytest.approx(0.0, abs=1e-13)
    assert (c * (m ** 4 + k ** 4)).sum() == pytest.approx(0.0, abs=1e-12)
    assert (c * m ** 2 * k ** 2).sum() == pytest.approx(0.0, abs=1e-12)
    assert c[-1] == pytest.approx(1 / 20)


@pytest.mark.parametrize("group", ["su2", "su3"])
def test_charge_density_matches_naive_epsilon_sum(group):
    extents = (4, 4, 4, 6)
    f = hot(extents, group, 16)
    np.testing.assert_allclose(topological_charge_density(f, "clover"),
                               naive.charge_density(f.links, extents), rtol=0, atol=1e-13)
    ref5 = sum(c * naive.charge_density(f.links, extents, *s)
               for c, s in zip(FIVE_LOOP_COEFFS, FIVE_LOOP_SHAPES))
    np.testing.assert_allclose(topological_charge_density(f, "5li"), ref5, rtol=0, atol=1e-13)


@pytest.mark.parametrize("group", ["su2", "su3"])
@pytest.mark.parametrize("kind", ["clover", "5li"])
def test_charge_flips_sign_under_parity(group, kind):
    f = hot((4, 6, 4, 4), group, 17)
    p, px = parity(f)
    q = topological_charge_density(f, kind)
    qp = topological_charge_density(p, kind)
    np.testing.assert_allclose(qp, -q[px], rtol=0, atol=1e-13)
    assert topological_charge(p, kind) == pytest.approx(-topological_charge(f, kind), abs=1e-12)
    assert abs(topological_charge(f, kind)) > 1e-3
    # the energy density is parity even
    np.testing.assert_allclose(energy_density_clover_sites(p), energy_density_clover_sites(f)[px],
                               atol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_geometric_charge_is_an_integer_on_hot_2d_fields(seed):
    f = hot((8, 6), "u1", 100 + seed)
    q = topological_charge(f)
    assert q == pytest.approx(round(q), abs=1e-10)


def test_geometric_charge_is_an_integer_and_not_always_zero():
    qs = [topological_charge(hot((8, 8), "u1", s)) for s in range(20)]
    assert all(abs(q - round(q)) < 1e-10 for q in qs)
    assert any(round(q) != 0 for q in qs)


@pytest.mark.parametrize("q", [-2, -1, 1, 3])
def test_2d_u1_constant_field_of_charge_q(q):
    f = u1_charge_field((16, 12), q)
    v = 16 * 12
    assert topological_charge(f, "geometric") == pytest.approx(q, abs=1e-10)
    assert topological_charge(f, "field") == pytest.approx(v * np.sin(2 * np.pi * q / v) / (2 * np.pi),
                                                            rel=1e-12)
    # smooth fluctuations on top keep the integer
    s = smooth_field((16, 12), "u1", 0.3)
    g = GaugeField(f.lattice, "u1", f.links * s.links)
    assert topological_charge(g, "geometric") == pytest.approx(q, abs=1e-10)
    # the field-theoretic charge approaches q as V grows
    errs = [abs(topological_charge(u1_charge_field((L, L), q), "field") - q) for L in (8, 16, 32)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-2 * abs(q) ** 3


THOOFT = [
    ("su2", (1, -1), (1, -1), 2),            # tr(H_a H_b) = 2
    ("su3", (1, -1, 0), (0, -1, 1), 1),      # tr(H_a H_b) = 1
    ("su3", (1, -1, 0), (0, 1, -1), -1),
]


def thooft_charges(extents, group, n1, n2, h_a, h_b, charge):
    """(clover Q, 5Li Q, exact Q), after checking both against their closed lattice forms:
    every m x k loop of the constant field is exp(i m k f H), so F^{(m,k)} = i sin(mkf) H / (mk)."""
    f, f1, f2 = thooft_field(extents, group, n1, n2, h_a, h_b)
    v = f.lattice.volume
    qc = topological_charge(f, "clover")
    q5 = topological_charge(f, "5li")
    assert qc == pytest.approx(charge * v * np.sin(f1) * np.sin(f2) / (4 * np.pi ** 2), rel=1e-12)
    ref5 = sum(c * np.sin(s[0] * s[1] * f1) * np.sin(s[0] * s[1] * f2) / (s[0] * s[1]) ** 2
               for c, s in zip(FIVE_LOOP_COEFFS, FIVE_LOOP_SHAPES))
    assert q5 == pytest.approx(charge * v * ref5 / (4 * np.pi ** 2), rel=1e-12)
    qd = topological_charge_density(f)
    np.testing.assert_allclose(qd, qd[0], rtol=1e-10)          # uniform density
    assert f.unitarity_violation() < 1e-14
    assert np.allclose(np.linalg.det(f.links), 1.0)            # a configuration of SU(N)
    return qc, q5, charge * n1 * n2


@pytest.mark.parametrize("group,h_a,h_b,charge", THOOFT)
@pytest.mark.parametrize("n1,n2", [(1, 1), (1, 2)])
def test_thooft_constant_field_charge(group, h_a, h_b, charge, n1, n2):
    """Fluxes n1 in (0,1) along H_a and n2 in (2,3) along H_b: Q = n1 n2 tr(H_a H_b)."""
    qc, q5, q = thooft_charges((8, 8, 8, 8), group, n1, n2, h_a, h_b, charge)
    assert abs(qc - q) < 0.01 * abs(q)
    assert abs(q5 - q) < abs(qc - q) / (2 if n1 * n2 == 1 else 1)


@pytest.mark.slow
@pytest.mark.parametrize("group,h_a,h_b,charge", THOOFT[:2])
def test_thooft_charge_errors_scale_as_f2_clover_and_f4_improved(group, h_a, h_b, charge):
    errs = []
    for L in (8, 12):
        qc, q5, q = thooft_charges((L,) * 4, group, 1, 1, h_a, h_b, charge)
        errs.append((abs(qc - q), abs(q5 - q)))
    # flux per plaquette f ~ 1/L^2: clover error ~ f^2 ~ L^-4, 5Li error ~ f^4 ~ L^-8
    assert errs[0][0] / errs[1][0] == pytest.approx((12 / 8) ** 4, rel=0.1)
    assert errs[0][1] / errs[1][1] == pytest.approx((12 / 8) ** 8, rel=0.2)
    assert errs[1][1] < errs[1][0] / 10


def test_topology_entries_by_dimension():
    assert set(topology(hot((4, 4, 4, 4), "su2", 18))) == {"Q_clover", "Q_5li"}
    assert set(topology(hot((4, 4), "u1", 18))) == {"Q_geometric", "Q_field"}
    three = hot((4, 4, 4), "su2", 18)
    assert topology(three) == {}
    with pytest.raises(ValueError):
        topological_charge(three)
    with pytest.raises(ValueError):
        topological_charge(hot((4, 4, 4, 4), "su2", 1), "geometric")
    with pytest.raises(ValueError):
        topological_charge_density(hot((4, 4, 4, 4), "su2", 1), "bogus")


# ---------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------
def test_registry_names_and_scalar_results():
    assert set(MEASUREMENTS) == {"plaquette", "rectangle", "polyakov", "wilson_loops", "topology",
                                 "energy", "condensate", "correlators"}
    f = hot((4, 4, 4, 4), "su3", 19)
    for name, fn in MEASUREMENTS.items():
        if name in ("condensate", "correlators"):  # need a quark: tests/test_fermion_measurements.py
            assert fn(f) == {}
            continue
        res = fn(f)
        assert res and all(isinstance(v, float) for v in res.values()), name
    res = measure(f, ["wilson_loops", "energy"], {"wilson_loops": {"r_max": 2, "t_max": 3}})
    assert "W_2_3" in res and "E_plaq" in res and "E_clover" in res and "plaquette" not in res
    assert res["W_1_1"] == pytest.approx(f.plaquette_st()[1], abs=1e-14)
    with pytest.raises(ValueError):
        measure(f, ["nope"])
