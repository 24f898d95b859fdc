"""Tests of the Wilson-loop kernels (plaquettes, rectangles, staples) and GaugeField."""
import numpy as np
import pytest

import naive_gauge as ng
from lqcd_core.gauge import GaugeField, _loops, _rectangles
from lqcd_core.lattice import Lattice

# (group, extents): hot fields on which the kernels are compared with the NumPy references
CASES = [
    ("u1", (4, 6)),
    ("u1", (2, 4)),
    ("su2", (4, 2, 6)),
    ("su2", (4, 4, 4, 4)),
    ("su3", (4, 6, 4, 8)),
    ("su3", (2, 4, 2, 4)),
    ("su4", (4, 2, 4)),
]
IDS = [f"{g}-{'x'.join(map(str, e))}" for g, e in CASES]


def hot(group, extents, seed):
    return GaugeField.hot(Lattice(extents), group, np.random.default_rng(seed))


# ---------------------------------------------------------------------------
# sums of loops against np.roll references
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("group, extents", CASES, ids=IDS)
def test_plaquette_matches_naive_reference(group, extents):
    f = hot(group, extents, 1)
    ref_planes = ng.plaquette_plane_sums(f.links, extents)
    pk = _loops.plaquette_planes(f.links, f.lattice.fwd)
    assert np.allclose(pk, ref_planes, rtol=0, atol=1e-10)
    assert abs(f.plaquette() - ng.plaquette_average(f.links, extents)) < 1e-13
    n = f.group.nc
    assert np.allclose(f.plaquette_planes(), ref_planes / (f.lattice.volume * n), atol=1e-14)
    # a hot field is far from the unit field
    assert abs(f.plaquette()) < 0.2


@pytest.mark.parametrize("group, extents", CASES, ids=IDS)
def test_rectangle_sum_matches_naive_reference(group, extents):
    f = hot(group, extents, 2)
    ref = ng.rectangle_sum(f.links, extents)
    assert abs(_rectangles.rectangle_sum(f.links, f.lattice.fwd) - ref) < 1e-10


@pytest.mark.parametrize("group, extents", CASES[:5], ids=IDS[:5])
def test_loops_match_naive_reference_on_smooth_field(group, extents):
    """Close to the unit field the sums are large and nearly cancel in the action."""
    rng = np.random.default_rng(3)
    f = GaugeField(Lattice(extents), group)
    x = ng.random_algebra(f.group.nc, f.links.shape[:2], rng, 0.3)
    f.links[...] = f.group.exp(x)
    assert abs(f.plaquette() - ng.plaquette_average(f.links, extents)) < 1e-13
    ref = ng.rectangle_sum(f.links, extents)
    assert abs(_rectangles.rectangle_sum(f.links, f.lattice.fwd) - ref) < 1e-10


def test_plaquette_naive_reference_is_itself_right():
    """The np.roll reference against a hand-written loop over sites on one small lattice."""
    extents = (2, 4, 2)
    f = hot("su2", extents, 4)
    lat = f.lattice
    u = f.links
    total = 0.0
    for x in range(lat.volume):
        c = lat.coords[x]
        for mu in range(3):
            for nu in range(mu + 1, 3):
                e_mu = np.eye(3, dtype=int)[mu]
                e_nu = np.eye(3, dtype=int)[nu]
                xm = lat.index(c + e_mu)
                xn = lat.index(c + e_nu)
                p = u[mu, x] @ u[nu, xm] @ u[mu, xn].conj().T @ u[nu, x].conj().T
                total += np.trace(p).real
    assert abs(total - ng.plaquette_sum(u, extents)) < 1e-11
    # and the path-product helper gives the same plaquettes
    total2 = sum(np.trace(ng.path_product(u, extents, x, [(mu, 1), (nu, 1), (mu, -1), (nu, -1)])).real
                 for x in range(lat.volume) for mu in range(3) for nu in range(mu + 1, 3))
    assert abs(total2 - total) < 1e-11


@pytest.mark.parametrize("group, extents", [("u1", (4, 6)), ("su2", (4, 2, 6)), ("su3", (4, 4, 2, 6))],
                         ids=["u1", "su2", "su3"])
def test_plaquette_st_splits_planes_by_time_direction(group, extents):
    f = hot(group, extents, 5)
    d = len(extents)
    n = f.group.nc
    vol = f.lattice.volume
    planes = ng.plaquette_plane_sums(f.links, extents) / (vol * n)
    spatial = [planes[m, v] for m in range(d) for v in range(m + 1, d) if v != d - 1]
    temporal = [planes[m, d - 1] for m in range(d - 1)]
    ps, pt = f.plaquette_st()
    assert abs(pt - np.mean(temporal)) < 1e-13
    if d == 2:
        assert np.isnan(ps)
    else:
        assert abs(ps - np.mean(spatial)) < 1e-13


@pytest.mark.parametrize("group, extents", CASES, ids=IDS)
def test_link_trace_is_average_real_trace_over_n(group, extents):
    f = hot(group, extents, 6)
    n = f.group.nc
    ref = np.trace(f.links, axis1=-2, axis2=-1).real.mean() / n
    assert abs(f.link_trace() - ref) < 1e-14


@pytest.mark.parametrize("group, extents", CASES, ids=IDS)
def test_unit_field_has_plaquette_one_and_zero_action(group, extents):
    from lqcd_core.actions import GaugeAction

    f = GaugeField.cold(Lattice(extents), group)
    n = f.group.nc
    assert f.plaquette() == 1.0
    assert f.link_trace() == 1.0
    assert f.plaquette_st()[1] == 1.0
    _, n_rect = ng.closed_loop_count(extents)
    assert _rectangles.rectangle_sum(f.links, f.lattice.fwd) == n * n_rect
    for name in ("wilson", "symanzik", "iwasaki", "dbw2"):
        assert GaugeAction(2.0, name).value(f) == 0.0


# ---------------------------------------------------------------------------
# staples against explicit paths
# ---------------------------------------------------------------------------
STAPLE_CASES = [("u1", (4, 6)), ("su2", (4, 2, 6)), ("su3", (4, 4, 2, 6)), ("su3", (2, 2, 2, 2))]
STAPLE_IDS = [f"{g}-{'x'.join(map(str, e))}" for g, e in STAPLE_CASES]


def sample_links(lat, rng, k=12):
    mus = rng.integers(0, lat.ndim, k)
    xs = rng.integers(0, lat.volume, k)
    return list(zip(mus.tolist(), xs.tolist()))


@pytest.mark.parametrize("group, extents", STAPLE_CASES, ids=STAPLE_IDS)
def test_plaquette_staples_equal_explicit_path_sums(group, extents):
    f = hot(group, extents, 7)
    lat = f.lattice
    out = np.empty_like(f.links)
    _loops.plaquette_staples(f.links, lat.fwd, lat.bwd, out)
    for mu, x in sample_links(lat, np.random.default_rng(0)):
        ref = ng.staple(f.links, extents, mu, x, "plaquette")
        assert np.abs(out[mu, x] - ref).max() < 1e-13, (mu, x)


@pytest.mark.parametrize("group, extents", STAPLE_CASES, ids=STAPLE_IDS)
def test_rectangle_staples_equal_explicit_path_sums(group, extents):
    f = hot(group, extents, 8)
    lat = f.lattice
    out = np.empty_like(f.links)
    _rectangles.improved_staples(f.links, lat.fwd, lat.bwd, out, 0.0, 1.0)
    for mu, x in sample_links(lat, np.random.default_rng(1)):
        ref = ng.staple(f.links, extents, mu, x, "rectangle")
        assert np.abs(out[mu, x] - ref).max() < 1e-12, (mu, x)
    # the improved staple is the c0/c1 combination of the two
    plaq = np.empty_like(f.links)
    _loops.plaquette_staples(f.links, lat.fwd, lat.bwd, plaq)
    comb = np.empty_like(f.links)
    _rectangles.improved_staples(f.links, lat.fwd, lat.bwd, comb, 1.7, -0.3)
    assert np.abs(comb - (1.7 * plaq - 0.3 * out)).max() < 1e-12


@pytest.mark.parametrize("group, extents", STAPLE_CASES, ids=STAPLE_IDS)
def test_staple_sum_over_links_counts_each_plaquette_four_times(group, extents):
    """sum_links Re tr(U A_plaq) = 4 sum_P Re tr U_P (every plaquette has 4 links)."""
    f = hot(group, extents, 9)
    lat = f.lattice
    a = np.empty_like(f.links)
    _loops.plaquette_staples(f.links, lat.fwd, lat.bwd, a)
    lhs = np.einsum("mxij,mxji->", f.links, a).real
    assert abs(lhs - 4 * ng.plaquette_sum(f.links, extents)) < 1e-9
    # also per link: Re tr(U_mu(x) A_mu(x)) = sum of the 2(D-1) plaquettes through it
    for mu, x in sample_links(lat, np.random.default_rng(2), 4):
        loops = [ng.path_product(f.links, extents, x, [(mu, 1)] + p)
                 for p in ng.plaquette_staple_paths(mu, lat.ndim)]
        assert len(loops) == 2 * (lat.ndim - 1)
        assert abs(np.trace(f.links[mu, x] @ a[mu, x]).real
                   - sum(np.trace(lp).real for lp in loops)) < 1e-12


@pytest.mark.parametrize("group, extents", STAPLE_CASES, ids=STAPLE_IDS)
def test_rectangle_staple_sum_over_links_counts_each_rectangle_six_times(group, extents):
    """sum_links Re tr(U A_rect) = 6 sum_R Re tr R (every rectangle has 6 links)."""
    f = hot(group, extents, 10)
    lat = f.lattice
    a = np.empty_like(f.links)
    _rectangles.improved_staples(f.links, lat.fwd, lat.bwd, a, 0.0, 1.0)
    lhs = np.einsum("mxij,mxji->", f.links, a).real
    assert abs(lhs - 6 * ng.rectangle_sum(f.links, extents)) < 1e-9


# ---------------------------------------------------------------------------
# gauge transformations
# ---------------------------------------------------------------------------
GT_CASES = [("u1", (4, 6)), ("su2", (4, 2, 6)), ("su3", (4, 4, 2, 6)), ("su4", (2, 4, 2))]
GT_IDS = [g for g, _ in GT_CASES]


@pytest.mark.parametrize("group, extents", GT_CASES, ids=GT_IDS)
def test_gauge_transform_matches_definition(group, extents):
    f = hot(group, extents, 11)
    g = f.group.random((f.lattice.volume,), np.random.default_rng(12))
    t = f.gauge_transform(g)
    assert np.abs(t.links - ng.gauge_transform(f.links, extents, g)).max() < 1e-14
    # explicitly for one link: U_mu(x) -> g(x) U_mu(x) g(x+mu)^dag
    mu, x = f.lattice.ndim - 1, 5
    xp = f.lattice.index(f.lattice.coords[x] + np.eye(f.lattice.ndim, dtype=int)[mu])
    assert np.abs(t.links[mu, x] - g[x] @ f.links[mu, x] @ g[xp].conj().T).max() < 1e-14
    assert t.links is not f.links and t.group == f.group and t.lattice == f.lattice


@pytest.mark.parametrize("group, extents", GT_CASES, ids=GT_IDS)
def test_loops_are_gauge_invariant_and_link_trace_is_not(group, extents):
    f = hot(group, extents, 13)
    g = f.group.random((f.lattice.volume,), np.random.default_rng(14))
    t = f.gauge_transform(g)
    lat = f.lattice
    assert abs(t.plaquette() - f.plaquette()) < 1e-13
    assert np.allclose(t.plaquette_planes(), f.plaquette_planes(), atol=1e-13)
    assert np.allclose(t.plaquette_st(), f.plaquette_st(), atol=1e-13, equal_nan=True)
    assert abs(_rectangles.rectangle_sum(t.links, lat.fwd)
               - _rectangles.rectangle_sum(f.links, lat.fwd)) < 1e-10
    # the link trace is not gauge invariant: a random transformation changes it
    assert abs(t.link_trace() - f.link_trace()) > 1e-3
    # ... but a global (constant) transformation U -> h U h^dag leaves it unchanged
    h = np.broadcast_to(f.group.random((), np.random.default_rng(15)), g.shape)
    assert abs(f.gauge_transform(h).link_trace() - f.link_trace()) < 1e-13


@pytest.mark.parametrize("group, extents", GT_CASES, ids=GT_IDS)
def test_polyakov_loop_traces_are_gauge_invariant(group, extents):
    """A loop winding around the lattice (no plaquettes involved) is invariant too."""
    f = hot(group, extents, 16)
    g = f.group.random((f.lattice.volume,), np.random.default_rng(17))
    t = f.gauge_transform(g)
    d = len(extents)
    mu = d - 1
    for x in (0, 3):
        path = [(mu, 1)] * extents[mu]
        a = np.trace(ng.path_product(f.links, extents, x, path))
        b = np.trace(ng.path_product(t.links, extents, x, path))
        assert abs(a - b) < 1e-13


def test_gauge_field_rejects_links_of_the_wrong_shape():
    lat = Lattice((4, 4))
    with pytest.raises(ValueError, match="links have shape"):
        GaugeField(lat, "su2", np.zeros((2, 16, 3, 3), complex))
    with pytest.raises(ValueError, match="links have shape"):
        GaugeField(lat, "su3", np.zeros((3, 16, 3, 3), complex))


def test_hot_and_cold_starts():
    lat = Lattice((4, 2, 4))
    f = GaugeField.hot(lat, "su3", np.random.default_rng(0))
    assert f.links.shape == (3, 32, 3, 3) and f.links.flags.c_contiguous
    assert f.unitarity_violation() < 1e-13
    c = f.copy()
    c.links[0, 0] = 0
    assert f.links[0, 0, 0, 0] != 0
    cold = GaugeField.cold((4, 4), "u1")
    assert np.array_equal(cold.links, np.ones((2, 16, 1, 1)))
