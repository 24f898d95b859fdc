"""Tests of the lattice geometry (lqcd_core.lattice.Lattice)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lqcd_core.lattice import Lattice

EXTENTS = [(4, 4), (2, 6), (4, 2, 6), (4, 6, 4, 8), (2, 2, 2, 2)]

even_extent = st.integers(1, 4).map(lambda k: 2 * k)
extents_strategy = st.integers(2, 4).flatmap(lambda d: st.tuples(*[even_extent] * d))


@pytest.mark.parametrize("extents", EXTENTS, ids=str)
def test_neighbour_tables_are_inverse_permutations(extents):
    lat = Lattice(extents)
    ident = np.arange(lat.volume)
    assert lat.fwd.shape == lat.bwd.shape == (lat.ndim, lat.volume)
    for mu in range(lat.ndim):
        assert np.array_equal(np.sort(lat.fwd[mu]), ident)
        assert np.array_equal(np.sort(lat.bwd[mu]), ident)
        assert np.array_equal(lat.fwd[mu][lat.bwd[mu]], ident)
        assert np.array_equal(lat.bwd[mu][lat.fwd[mu]], ident)


@pytest.mark.parametrize("extents", EXTENTS, ids=str)
def test_neighbour_tables_step_one_site_along_mu(extents):
    lat = Lattice(extents)
    ext = np.array(extents)
    for mu in range(lat.ndim):
        e = np.zeros(lat.ndim, int)
        e[mu] = 1
        assert np.array_equal(lat.coords[lat.fwd[mu]], (lat.coords + e) % ext)
        assert np.array_equal(lat.coords[lat.bwd[mu]], (lat.coords - e) % ext)
        # L steps forward come back (periodicity), fewer do not
        x = np.arange(lat.volume)
        for k in range(1, extents[mu] + 1):
            x = lat.fwd[mu][x]
            assert np.array_equal(x, np.arange(lat.volume)) == (k == extents[mu])


@pytest.mark.parametrize("extents", EXTENTS, ids=str)
def test_coords_index_round_trip(extents):
    lat = Lattice(extents)
    assert lat.coords.shape == (lat.volume, lat.ndim)
    assert np.array_equal(lat.index(lat.coords), np.arange(lat.volume))
    # every coordinate tuple in the box appears exactly once
    assert len({tuple(c) for c in lat.coords}) == lat.volume
    assert (lat.coords >= 0).all() and (lat.coords < np.array(extents)).all()


@settings(max_examples=40, deadline=None)
@given(extents=extents_strategy, data=st.data())
def test_index_is_periodic_and_inverts_coords(extents, data):
    lat = Lattice(extents)
    c = [data.draw(st.integers(-50, 50)) for _ in extents]
    i = int(lat.index(c))
    assert 0 <= i < lat.volume
    assert np.array_equal(lat.coords[i], np.mod(c, extents))
    # shifting a coordinate by its extent does not change the index
    mu = data.draw(st.integers(0, len(extents) - 1))
    c2 = list(c)
    c2[mu] += extents[mu] * data.draw(st.integers(-3, 3))
    assert int(lat.index(c2)) == i


@pytest.mark.parametrize("extents", EXTENTS, ids=str)
def test_x0_runs_fastest(extents):
    lat = Lattice(extents)
    d = lat.ndim
    # explicit formula i = x0 + L0 (x1 + L1 (x2 + L2 x3))
    for c in lat.coords[:: max(1, lat.volume // 37)]:
        i = 0
        for mu in reversed(range(d)):
            i = i * extents[mu] + c[mu]
        assert lat.index(c) == i
    assert np.array_equal(lat.coords[1], [1] + [0] * (d - 1))
    assert np.array_equal(lat.coords[extents[0]], [0, 1] + [0] * (d - 2))
    assert np.array_equal(lat.coords[-1], np.array(extents) - 1)
    assert np.array_equal(lat.coords[: extents[0], 0], np.arange(extents[0]))
    # index step of direction mu is prod_{nu < mu} L_nu
    for mu in range(d):
        e = np.zeros(d, int)
        e[mu] = 1
        assert lat.index(e) == int(np.prod(extents[:mu]))


def test_small_lattice_coords_explicitly():
    lat = Lattice((2, 4))
    expected = [(x0, x1) for x1 in range(4) for x0 in range(2)]
    assert [tuple(c) for c in lat.coords] == expected
    assert lat.volume == 8 and lat.ndim == 2 and lat.n_plaquettes == 8


@pytest.mark.parametrize("extents", EXTENTS, ids=str)
def test_even_odd_sets_partition_the_lattice(extents):
    lat = Lattice(extents)
    ev, od = lat.even_sites, lat.odd_sites
    assert len(ev) == len(od) == lat.volume // 2
    assert np.intersect1d(ev, od).size == 0
    assert np.array_equal(np.sort(np.concatenate([ev, od])), np.arange(lat.volume))
    assert (lat.coords[ev].sum(axis=1) % 2 == 0).all()
    assert (lat.coords[od].sum(axis=1) % 2 == 1).all()
    assert np.array_equal(lat.checkerboard(0), ev)
    assert np.array_equal(lat.checkerboard(1), od)


@pytest.mark.parametrize("extents", EXTENTS, ids=str)
def test_every_neighbour_of_an_even_site_is_odd(extents):
    lat = Lattice(extents)
    par = lat.parity
    for mu in range(lat.ndim):
        for tab in (lat.fwd, lat.bwd):
            assert (par[tab[mu][lat.even_sites]] == 1).all()
            assert (par[tab[mu][lat.odd_sites]] == 0).all()


@pytest.mark.parametrize(
    "extents, match",
    [
        ((3, 4), r"L_0 = 3 must be even"),
        ((4, 4, 5), r"L_2 = 5 must be even"),
        ((4, 0), r"L_1 = 0 must be even and >= 2"),
        ((4, -2), r"L_1 = -2 must be even and >= 2"),
        ((4,), r"2, 3 or 4 dimensions, got 1"),
        ((4, 4, 4, 4, 4), r"2, 3 or 4 dimensions, got 5"),
        ((), r"2, 3 or 4 dimensions, got 0"),
    ],
    ids=str,
)
def test_invalid_extents_raise_clear_value_error(extents, match):
    with pytest.raises(ValueError, match=match):
        Lattice(extents)


def test_sizes_and_equality():
    lat = Lattice([4, 6, 4, 8])
    assert lat.extents == (4, 6, 4, 8)
    assert lat.volume == 768
    assert lat.n_plaquettes == 768 * 6
    assert lat == Lattice((4, 6, 4, 8)) and lat != Lattice((4, 6, 8, 4))
    assert hash(lat) == hash(Lattice((4, 6, 4, 8)))
