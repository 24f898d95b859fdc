"""Heatbath and overrelaxation (lqcd_core.markov.heatbath) against exact results.

Statistical tests use fixed seeds (the runs are bit-reproducible) and 4-sigma
bounds with errors of the mean from blocked data (tests/naive.py).
"""
import numba
import numpy as np
import pytest
from scipy import special, stats

from lqcd_core.actions import GaugeAction
from lqcd_core.gauge import GaugeField
from lqcd_core.group import get_group
from lqcd_core.lattice import Lattice
from lqcd_core.markov import Heatbath
from lqcd_core.markov import _heatbath_kernels as K
from lqcd_core.markov.rng import counter_words, key_words

import naive

GROUP = {1: "u1", 2: "su2", 3: "su3", 4: "su4"}


def thermalised_mean(nc, extents, beta, n_therm, n_meas, or_per_hb=1, seed=1):
    """Blocked mean and error of the plaquette after n_therm sweeps from a hot start."""
    field = GaugeField.hot(Lattice(extents), GROUP[nc], np.random.default_rng(seed))
    hb = Heatbath(GaugeAction(beta), or_per_hb=or_per_hb, seed_key=1000 + seed)
    hb.run(field, n_therm, 0)
    return naive.blocked_mean_error(hb.run(field, n_meas, n_therm))


def random_staple(nc, n_terms, rng):
    g = get_group(GROUP[nc])
    return g.random((n_terms,), rng).sum(axis=0)


def words(key=3, counter=0, stream=1):
    return key_words(key) + counter_words(counter, stream)


# ---------------------------------------------------------------------------
# exact 2D results
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_u1_2d_plaquette_matches_exact_character_expansion(beta):
    exact = naive.u1_2d_plaquette(beta, 8)
    m, e = thermalised_mean(1, (8, 8), beta, 200, 6000)
    assert abs(m - exact) < 4 * e, (m, e, exact)


@pytest.mark.parametrize("L, beta, n_meas", [(2, 2.0, 4000), (4, 4.0, 20000)])
def test_u1_2d_finite_volume_result_is_resolved(L, beta, n_meas):
    """On small tori the exact finite-volume plaquette differs from the
    infinite-volume I1/I0 by many error bars; the heatbath must give the former."""
    exact = naive.u1_2d_plaquette(beta, L)
    infinite = special.i1(beta) / special.i0(beta)
    m, e = thermalised_mean(1, (L, L), beta, 500, n_meas)
    assert abs(exact - infinite) > 10 * e          # the test can tell them apart
    assert abs(m - exact) < 4 * e, (m, e, exact)
    assert abs(m - infinite) > 5 * e


@pytest.mark.parametrize("nc, beta", [(2, 1.5), (2, 6.0), (3, 3.0), (3, 10.0)])
def test_2d_sun_plaquette_matches_one_plaquette_integral(nc, beta):
    """2D SU(N) on an 8x8 torus: <P> = u(beta) = <Re tr U/N> of one plaquette
    (corrections ~ u^64, negligible); u from Bessel functions / the Weyl formula."""
    exact = naive.single_plaquette(beta, nc)
    m, e = thermalised_mean(nc, (8, 8), beta, 200, 3000)
    assert abs(m - exact) < 4 * e, (m, e, exact)


# ---------------------------------------------------------------------------
# strong coupling in 4D
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("nc, beta", [(1, 0.1), (2, 0.2), (3, 0.1)])
def test_4d_strong_coupling_leading_term(nc, beta):
    """<P> = beta/2 (U(1)), beta/4 (SU(2)), beta/18 (SU(3)) + higher orders; at these
    beta the next order (from the exact one-plaquette u(beta)) is below half an error bar."""
    lead = naive.strong_coupling_leading(beta, nc)
    m, e = thermalised_mean(nc, (4, 4, 4, 4), beta, 20, 1000, or_per_hb=0)
    assert abs(naive.single_plaquette(beta, nc) - lead) < 0.5 * e
    assert abs(m - lead) < 4 * e, (m, e, lead)
    assert lead > 15 * e                                # beta's normalisation is tested


@pytest.mark.slow
@pytest.mark.parametrize("nc, beta", [(1, 0.3), (2, 0.5), (3, 0.5)])
def test_4d_strong_coupling_one_plaquette_slow(nc, beta):
    """At larger beta the 4D plaquette is u(beta) up to O(u^5) corrections (closed
    cube surfaces; the bound allows a generous coefficient 8)."""
    exact = naive.single_plaquette(beta, nc)
    m, e = thermalised_mean(nc, (4, 4, 4, 4), beta, 50, 10000, or_per_hb=1)
    assert abs(m - exact) < 4 * e + 8 * exact ** 5, (m, e, exact)


@pytest.mark.slow
def test_u1_2d_small_torus_beta2_slow():
    """The L = 4, beta = 2 case: finite-volume shift 0.0015 resolved."""
    exact = naive.u1_2d_plaquette(2.0, 4)
    infinite = special.i1(2.0) / special.i0(2.0)
    m, e = thermalised_mean(1, (4, 4), 2.0, 1000, 600_000, or_per_hb=1)
    assert abs(m - exact) < 4 * e and abs(m - infinite) > 4 * e, (m, e, exact, infinite)


# ---------------------------------------------------------------------------
# single link with a fixed staple: the sampled distribution is the exact one
# ---------------------------------------------------------------------------
def sample_links(nc, staple, cf, n, n_hits=1, start=None, key=3):
    u = np.empty((n, nc, nc), complex)
    u[:] = np.eye(nc) if start is None else start
    st = np.ascontiguousarray(np.broadcast_to(staple, (n, nc, nc)))
    idx = np.arange(n)
    for hit in range(n_hits):
        K.update_links(u, st, idx, True, cf, *words(key, hit))
    return u


@pytest.mark.parametrize("kappa", [1e-4, 0.7, 25.0])
def test_u1_single_link_heatbath_is_von_mises(kappa):
    rng = np.random.default_rng(1)
    a = random_staple(1, 3, rng)
    cf = kappa / abs(a[0, 0])
    u = sample_links(1, a, cf, 40000)
    phi = np.angle(u[:, 0, 0] * a[0, 0])
    assert stats.kstest(phi, stats.vonmises(kappa).cdf).pvalue > 1e-4
    # <U> = I1/I0 A*/|A|
    mean = u[:, 0, 0].mean()
    expect = special.ive(1, kappa) / special.ive(0, kappa) * np.conj(a[0, 0]) / abs(a[0, 0])
    assert abs(mean - expect) < 5 / np.sqrt(len(u))


@pytest.mark.parametrize("k", [0.3, 2.5, 12.0])
def test_su2_single_link_heatbath_distribution(k):
    """x0 = Re tr(U A)/(2a) ~ sqrt(1-x0^2) e^{k x0} (KS); <U> = I2(k)/I1(k) V^dag;
    and the whole matrix agrees with an independent NumPy sampler (two-sample KS
    of Re tr(U Q) for random complex Q)."""
    rng = np.random.default_rng(2)
    a = random_staple(2, 6, rng)
    amag = np.sqrt(np.linalg.det(a).real)
    cf = k / (2 * amag)
    n = 30000
    u = sample_links(2, a, cf, n)
    x0 = np.trace(u @ a, axis1=1, axis2=2).real / (2 * amag)
    assert stats.kstest(x0, naive.su2_x0_cdf(k)).pvalue > 1e-4
    mean = u.mean(axis=0)
    expect = special.ive(2, k) / special.ive(1, k) * naive.dag(a / amag)
    assert np.abs(mean - expect).max() < 5 / np.sqrt(n)
    ref = naive.su2_heatbath_numpy(a, cf, np.random.default_rng(3), n)
    q = rng.standard_normal((2, 2, 2)) + 1j * rng.standard_normal((2, 2, 2))
    for m in q:                                        # two random complex matrices
        s1 = np.trace(u @ m, axis1=1, axis2=2).real
        s2 = np.trace(ref @ m, axis1=1, axis2=2).real
        assert stats.ks_2samp(s1, s2).pvalue > 1e-4


def test_su3_cabibbo_marinari_single_link_distribution():
    """(a) staple a V (V in SU(3)): t = Re tr(U V) has the Weyl-formula distribution
    under Haar x exp(cf a t); (b) a general staple: <Re tr(U A)> and <U> agree with
    Haar samples reweighted by exp(cf Re tr(U A))."""
    rng = np.random.default_rng(4)
    su3 = get_group("su3")
    n = 20000
    # (a)
    v = su3.random((1,), rng)[0]
    amag, cf = 1.7, 1.2                      # beta_eff = 3 cf a = 6.12
    start = su3.random((n,), rng)
    u = sample_links(3, amag * v, cf, n, n_hits=8, start=start)
    t = np.trace(u @ v, axis1=1, axis2=2).real
    m = 600
    th = 2 * np.pi * np.arange(m) / m
    t1, t2 = (x.ravel() for x in np.meshgrid(th, th, indexing="ij"))
    ev = np.stack([np.exp(1j * t1), np.exp(1j * t2), np.exp(-1j * (t1 + t2))], axis=1)
    vdm = np.abs(ev[:, 0] - ev[:, 1]) ** 2 * np.abs(ev[:, 0] - ev[:, 2]) ** 2 * np.abs(ev[:, 1] - ev[:, 2]) ** 2
    tt = ev.sum(axis=1).real
    w = vdm * np.exp(cf * amag * (tt - 3))
    order = np.argsort(tt)
    cdf_t, cdf_w = tt[order], np.cumsum(w[order]) / w.sum()
    assert stats.kstest(t, lambda x: np.interp(x, cdf_t, cdf_w)).pvalue > 1e-4
    # (b)
    a = random_staple(3, 3, rng)
    cf = 0.5
    u = sample_links(3, a, cf, n, n_hits=8, start=su3.random((n,), rng), key=5)
    s = np.trace(u @ a, axis1=1, axis2=2).real
    h = su3.random((400000,), rng)
    sh = np.trace(h @ a, axis1=1, axis2=2).real
    wh = np.exp(cf * (sh - sh.max()))
    wh /= wh.sum()
    ref_s = np.sum(wh * sh)
    err_ref = np.sqrt(np.sum(wh ** 2 * (sh - ref_s) ** 2))
    assert abs(s.mean() - ref_s) < 4 * np.hypot(s.std() / np.sqrt(n), err_ref)
    ref_u = np.einsum("k,kij->ij", wh, h)
    assert np.abs(u.mean(axis=0) - ref_u).max() < 0.02
    assert np.abs(ref_u).max() > 0.1                  # <U> is far from the Haar value 0


# ---------------------------------------------------------------------------
# staple used by the kernels
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("nc", [1, 2, 3, 4])
def test_kernel_staple_matches_numpy_staple_and_plaquette_sum(nc):
    lat = Lattice((4, 2, 4, 6))
    field = GaugeField.hot(lat, GROUP[nc], np.random.default_rng(10))
    total = 0.0
    for mu in range(lat.ndim):
        a = K.staple_field(field.links, lat.fwd, lat.bwd, mu)
        assert np.abs(a - naive.staple(field.links, lat.extents, mu)).max() < 1e-13
        total += np.trace(field.links[mu] @ a, axis1=1, axis2=2).real.sum()
    # every plaquette is counted once for each of its 4 links
    assert total / (4 * lat.n_plaquettes * nc) == pytest.approx(field.plaquette(), abs=1e-13)


# ---------------------------------------------------------------------------
# overrelaxation
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("nc", [1, 2, 3])
def test_overrelaxation_single_link_keeps_local_action(nc):
    rng = np.random.default_rng(6)
    g = get_group(GROUP[nc])
    n = 1000
    st = np.ascontiguousarray(g.random((n, 6), rng).sum(axis=1))
    u0 = g.random((n,), rng)
    u = u0.copy()
    K.update_links(u, st, np.arange(n), False, 1.0, *words())
    before = np.trace(u0 @ st, axis1=1, axis2=2).real
    after = np.trace(u @ st, axis1=1, axis2=2).real
    assert np.abs(after - before).max() < 1e-12
    assert np.abs(u - u0).max() > 0.5                  # it did move the links
    if nc <= 2:                                          # an involution for U(1), SU(2)
        K.update_links(u, st, np.arange(n), False, 1.0, *words())
        assert np.abs(u - u0).max() < 1e-13


@pytest.mark.parametrize("nc, extents", [(1, (4, 4, 4, 4)), (2, (4, 4, 4, 4)),
                                         (3, (4, 4, 4, 4)), (4, (4, 4, 4))])
def test_overrelaxation_sweeps_preserve_wilson_action(nc, extents):
    beta = {1: 1.0, 2: 2.3, 3: 5.7, 4: 10.0}[nc]
    lat = Lattice(extents)
    field = GaugeField.hot(lat, GROUP[nc], np.random.default_rng(7))
    hb = Heatbath(GaugeAction(beta), or_per_hb=0, seed_key=9)
    hb.run(field, 5)                                    # away from the hot start
    u0 = field.links.copy()
    s0 = naive.wilson_action(u0, lat.extents, beta)
    hb.overrelax(field, 3)
    s1 = naive.wilson_action(field.links, lat.extents, beta)
    assert abs(s1 - s0) < 1e-10 * max(1.0, abs(s0)), (s0, s1 - s0)
    assert np.abs(field.links - u0).max() > 0.5


@pytest.mark.parametrize("nc", [1, 2, 3])
def test_sweep_equals_stagewise_single_link_updates(nc):
    """A sweep = for mu, for parity (even, odd): every link (mu, x) of that parity
    updated with its current staple (NumPy) and RNG index mu V + x; then the
    overrelaxation sweeps in the same order."""
    lat = Lattice((4, 2, 4, 2))
    beta = {1: 1.0, 2: 2.3, 3: 5.7}[nc]
    field = GaugeField.hot(lat, GROUP[nc], np.random.default_rng(12))
    ref = field.links.copy()
    Heatbath(GaugeAction(beta), or_per_hb=2, seed_key=31).sweep(field, 17)
    w = words(31, 17, 1)
    for it in range(3):
        for mu in range(lat.ndim):
            for sites in (lat.even_sites, lat.odd_sites):
                st = np.ascontiguousarray(naive.staple(ref, lat.extents, mu)[sites])
                sub = np.ascontiguousarray(ref[mu, sites])
                K.update_links(sub, st, mu * lat.volume + sites, it == 0, beta / nc, *w)
                ref[mu, sites] = sub
    assert np.abs(field.links - ref).max() < 1e-10


# ---------------------------------------------------------------------------
# reproducibility, unitarity, API
# ---------------------------------------------------------------------------
def _run(nc, extents, key, counters, parallel, start_seed=8, links=None):
    lat = Lattice(extents)
    field = GaugeField.hot(lat, GROUP[nc], np.random.default_rng(start_seed))
    if links is not None:
        field.links[...] = links
    hb = Heatbath(GaugeAction({1: 1.0, 2: 2.3, 3: 5.7}[nc]), or_per_hb=2, seed_key=key,
                  parallel=parallel)
    for c in counters:
        hb.sweep(field, c)
    return field.links


@pytest.mark.parametrize("nc", [1, 2, 3])
def test_bit_reproducible_across_threads_restarts_and_code_paths(nc):
    ext = (4, 4, 4, 6)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _run(nc, ext, 77, range(6), parallel=True)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = _run(nc, ext, 77, range(6), parallel=True)
    finally:
        numba.set_num_threads(old)
    serial = _run(nc, ext, 77, range(6), parallel=False)
    half = _run(nc, ext, 77, range(3), parallel=False)
    restarted = _run(nc, ext, 77, range(3, 6), parallel=True, links=half)
    bits = one.view(np.uint64)
    for other in (many, serial, restarted):
        assert np.array_equal(bits, other.view(np.uint64))
    other_key = _run(nc, ext, 78, range(6), parallel=False)
    other_counters = _run(nc, ext, 77, range(1, 7), parallel=False)
    assert np.abs(other_key - one).max() > 0.5
    assert np.abs(other_counters - one).max() > 0.5


def test_su3_links_stay_in_su3():
    field = GaugeField.hot(Lattice((4, 4, 4, 4)), "su3", np.random.default_rng(9))
    hb = Heatbath(GaugeAction(6.0), or_per_hb=4, seed_key=1)
    hb.run(field, 30)
    assert field.unitarity_violation() < 1e-13
    assert np.abs(np.linalg.det(field.links) - 1).max() < 1e-13


def test_sweep_returns_info_and_plaquette():
    field = GaugeField.cold(Lattice((4, 4, 4, 4)), "su2")
    hb = Heatbath(GaugeAction(2.3), or_per_hb=1, seed_key=2)
    info = hb.sweep(field, 0)
    assert set(info) == {"counter", "plaquette", "n_hb", "n_or", "hb_acceptance"}
    assert info["plaquette"] == pytest.approx(naive.plaquette(field.links, (4, 4, 4, 4)), abs=1e-13)
    assert 0.5 < info["hb_acceptance"] <= 1.0


def test_rejects_improved_actions_and_bad_arguments():
    with pytest.raises(ValueError, match="only the Wilson plaquette action; use hmc"):
        Heatbath(GaugeAction(2.0, "symanzik"))
    with pytest.raises(ValueError, match="only the Wilson plaquette action"):
        Heatbath(object())
    with pytest.raises(ValueError):
        Heatbath(GaugeAction(2.0), or_per_hb=-1)
    with pytest.raises(ValueError):
        Heatbath(GaugeAction(2.0), seed_key=-3)
    field = GaugeField.cold(Lattice((4, 4)), "su2")
    with pytest.raises(ValueError):
        Heatbath(GaugeAction(2.0)).sweep(field, -1)


def test_non_finite_field_raises():
    field = GaugeField.cold(Lattice((4, 4)), "su2")
    field.links[0, 3] = np.nan
    with pytest.raises(FloatingPointError):
        Heatbath(GaugeAction(2.0)).sweep(field, 0)
