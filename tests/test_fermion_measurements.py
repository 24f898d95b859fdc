"""Fermionic measurements: chiral condensate, pion and rho correlators, effective masses.

Known results: on unit links the correlators equal the free-quark result computed here
independently, by FFT of the momentum-space propagators (in a Clifford basis of this file,
not the library's); the stochastic condensate agrees with the exact trace of a dense inverse.
Formulas: docs/fermion_measurements.md.
"""
import numpy as np
import pytest

from lqcd_core.analysis.correlators import effective_mass, effective_mass_table
from lqcd_core.dirac.staggered import Staggered
from lqcd_core.dirac.wilson import Wilson
from lqcd_core.gauge import GaugeField
from lqcd_core.group import get_group
from lqcd_core.lattice import Lattice
from lqcd_core.observables.fermionic import (chiral_condensate, condensate, correlators,
                                             meson_correlators)

TOL = 1e-12


# ---------------------------------------------------------------------------
# independent references
# ---------------------------------------------------------------------------
_S1 = np.array([[0, 1], [1, 0]], complex)
_S2 = np.array([[0, -1j], [1j, 0]], complex)
_S3 = np.array([[1, 0], [0, -1]], complex)


def dirac_basis(ndim):
    """Hermitian gammas in the Dirac (D = 4) / Pauli (D = 2) basis, time last, and a Hermitian
    gamma5 with gamma5^2 = 1 (the library uses the chiral basis: results must not care)."""
    if ndim == 2:
        g = [_S1, _S3]
        g5 = 1j * g[0] @ g[1]
    else:
        z, one = np.zeros((2, 2)), np.eye(2)
        g = [np.block([[z, -1j * s], [1j * s, z]]) for s in (_S1, _S2, _S3)]
        g.append(np.block([[one, z], [z, -one]]).astype(complex))
        g5 = g[0] @ g[1] @ g[2] @ g[3]
    return np.array(g), g5


def momenta(ext):
    """Momentum grids, antiperiodic in time: p_t = (2n + 1) pi / T."""
    ps = [2 * np.pi * np.arange(n) / n for n in ext[:-1]]
    ps.append((2 * np.pi * np.arange(ext[-1]) + np.pi) / ext[-1])
    return np.meshgrid(*ps, indexing="ij")


def to_position(fp, ext):
    """f(x) = (1/V) sum_p e^{ipx} f(p) for antiperiodic p_t (array axes x_0, ..., x_{D-1})."""
    d = len(ext)
    f = np.fft.ifftn(fp, axes=tuple(range(d)))
    phase = np.exp(1j * np.pi * np.indices(ext)[-1] / ext[-1])
    return f * phase.reshape(phase.shape + (1,) * (f.ndim - d))


def free_wilson_correlators(ext, kappa, nc):
    """Pion and rho of S = 2 kappa M^{-1}, M(p) = 1 - 2k sum cos p + 2ik sum gamma sin p."""
    d = len(ext)
    g, g5 = dirac_basis(d)
    ns = g.shape[1]
    p = momenta(ext)
    mp = (1 - 2 * kappa * sum(np.cos(q) for q in p))[..., None, None] * np.eye(ns) \
        + 2j * kappa * sum(np.sin(q)[..., None, None] * g[mu] for mu, q in enumerate(p))
    s = to_position(2 * kappa * np.linalg.inv(mp), ext)       # S(x, 0) as (x_0, ..., ns, ns)
    spatial = tuple(range(d - 1))
    pion = nc * np.sum(np.abs(s) ** 2, axis=spatial + (d, d + 1))
    rho = 0.0
    for k in range(d - 1):
        # C_rho = tr[g_k S g_k g5 S^dag g5]
        t = np.einsum("ab,...bc,cd,de,...fe,fa->...", g[k], s, g[k], g5, s.conj(), g5)
        rho = rho + nc * np.sum(t.real, axis=spatial)
    return pion, rho / (d - 1)


def free_staggered_correlators(ext, mass, nc):
    """G = (m - D_hop) K, K = F^{-1}[1/(m^2 + sum sin^2 p)] (D_hop^2 = -sum sin^2 p on unit links);
    pion sum |G|^2, local rho sum (-1)^{x_k} |G|^2 averaged over k."""
    d, T = len(ext), ext[-1]
    k = to_position(1.0 / (mass ** 2 + sum(np.sin(q) ** 2 for q in momenta(ext))), ext)
    x = np.indices(ext)

    def shift(a, mu, s):               # a(x + s mu), antiperiodic in time
        b = np.roll(a, -s, axis=mu)
        if mu == d - 1:
            b = np.where((x[mu] + s >= T) | (x[mu] + s < 0), -b, b)
        return b

    eta = [(-1.0) ** x[:mu].sum(axis=0) for mu in range(d)]
    g2 = np.abs(mass * k - sum(0.5 * eta[mu] * (shift(k, mu, 1) - shift(k, mu, -1)) for mu in range(d))) ** 2
    spatial = tuple(range(d - 1))
    rho = sum(np.sum((-1.0) ** x[j] * g2, axis=spatial) for j in range(d - 1)) / (d - 1)
    return nc * np.sum(g2, axis=spatial), nc * rho


def dense(op):
    """The matrix of op.apply on the flattened field (small lattices only)."""
    n = int(np.prod(op.shape))
    cols = []
    for i in range(n):
        e = np.zeros(n, complex)
        e[i] = 1.0
        cols.append(op.apply(e.reshape(op.shape)).reshape(-1))
    return np.array(cols).T


def hot(ext, group, seed):
    return GaugeField.hot(Lattice(ext), group, np.random.default_rng(seed))


def assert_close(a, b, rtol=1e-8):
    a, b = np.asarray(a), np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max())


# ---------------------------------------------------------------------------
# known results: free field
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("ext,group,kappa", [((8, 8), "u1", 0.2), ((4, 4, 4, 6), "su2", 0.11)])
def test_free_wilson_pion_and_rho_equal_momentum_space_result(ext, group, kappa):
    f = GaugeField.cold(Lattice(ext), group)
    res = meson_correlators(f, Wilson(kappa=kappa, even_odd=False))
    pion, rho = free_wilson_correlators(ext, kappa, f.group.nc)
    assert res["pion"].shape == res["rho"].shape == (ext[-1],)
    assert_close(res["pion"], pion)
    assert_close(res["rho"], rho)
    assert np.all(res["pion"] > 0) and np.all(res["rho"] > 0)
    assert res["pion"][1] == pytest.approx(res["pion"][-1], rel=1e-8)   # periodic in t


@pytest.mark.parametrize("ext,group,mass", [((8, 8), "u1", 0.3), ((4, 4, 4, 6), "su2", 0.4)])
def test_free_staggered_pion_and_local_rho_equal_momentum_space_result(ext, group, mass):
    f = GaugeField.cold(Lattice(ext), group)
    pion, rho = free_staggered_correlators(ext, mass, f.group.nc)
    res = meson_correlators(f, Staggered(mass, even_odd=False), channels=("pion",))
    assert set(res) == {"pion"}
    assert_close(res["pion"], pion)
    assert_close(meson_correlators(f, Staggered(mass, even_odd=False), channels="rho")["rho"], rho)


def test_free_wilson_correlator_source_position_only_shifts_time():
    f = GaugeField.cold(Lattice((6, 8)), "u1")
    a = meson_correlators(f, Wilson(kappa=0.2, even_odd=False))
    b = meson_correlators(f, Wilson(kappa=0.2, even_odd=False), source=(3, 5))
    for ch in ("pion", "rho"):
        assert_close(a[ch], b[ch])


# ---------------------------------------------------------------------------
# identities on random gauge fields
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("ext,group", [((4, 4), "su2"), ((2, 2, 2, 4), "u1")])
def test_gamma5_hermiticity_pion_and_rho_equal_explicit_trace_forms(ext, group):
    kappa = 0.12
    f = hot(ext, group, 3)
    lat, d = f.lattice, len(ext)
    op = Wilson(kappa=kappa, even_odd=False).bind(f)
    ns, nc = op.shape[1], op.shape[2]
    sfull = (2 * kappa * np.linalg.inv(dense(op))).reshape(lat.volume, ns * nc, lat.volume, ns * nc)
    from lqcd_core.dirac.gamma import gamma5, gammas
    g5 = np.kron(gamma5(d), np.eye(nc))
    gk = [np.kron(g, np.eye(nc)) for g in gammas(d)[:d - 1]]
    fwd, bwd = sfull[:, :, 0, :], sfull[0, :, :, :].transpose(1, 0, 2)   # S(x,0), S(0,x)
    t = lat.coords[:, -1]
    # C_Gamma = -tr[Gamma S(x,0) Gamma_bar S(0,x)], Gamma_bar = gamma_t Gamma^dag gamma_t = -Gamma
    pion = np.einsum("ab,xbc,cd,xda->x", g5, fwd, g5, bwd).real
    rho = sum(np.einsum("ab,xbc,cd,xda->x", g, fwd, g, bwd).real for g in gk) / (d - 1)
    res = meson_correlators(f, Wilson(kappa=kappa, even_odd=False), tol=1e-13)
    assert_close(res["pion"], np.bincount(t, pion), rtol=1e-9)
    assert_close(res["rho"], np.bincount(t, rho), rtol=1e-9)
    # staggered: epsilon-hermiticity, sum |G(x,0)|^2 = sum_x eps(x) tr[G(x,0) G(0,x)]
    sop = Staggered(0.3, even_odd=False).bind(f)
    gfull = np.linalg.inv(dense(sop)).reshape(lat.volume, nc, lat.volume, nc)
    eps = (-1.0) ** lat.coords.sum(axis=1)
    spion = eps * np.einsum("xab,xba->x", gfull[:, :, 0, :], gfull[0, :, :, :].transpose(1, 0, 2)).real
    sres = meson_correlators(f, Staggered(0.3, even_odd=False), tol=1e-13)
    assert_close(sres["pion"], np.bincount(t, spion), rtol=1e-9)


@pytest.mark.parametrize("fermion", [Wilson(kappa=0.11, even_odd=False), Staggered(0.5, even_odd=False)],
                         ids=["wilson", "staggered"])
def test_correlators_are_gauge_invariant(fermion):
    f = hot((4, 4, 4, 4), "su2", 11)
    rng = np.random.default_rng(5)
    g = get_group("su2").random((f.lattice.volume,), rng)
    a = meson_correlators(f, fermion, source=(1, 2, 3, 1))
    b = meson_correlators(f.gauge_transform(g), fermion, source=(1, 2, 3, 1))
    for ch in ("pion", "rho"):
        assert_close(a[ch], b[ch], rtol=1e-8)
    assert np.all(a["pion"] > 0)


# ---------------------------------------------------------------------------
# chiral condensate
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["wilson", "staggered"])
def test_stochastic_condensate_agrees_with_dense_trace_and_error_falls_like_inverse_sqrt_n(kind):
    f = hot((6, 6), "su2", 2)
    fermion = Wilson(kappa=0.2, even_odd=False) if kind == "wilson" else Staggered(0.2, even_odd=False)
    op = fermion.bind(f)
    tr = np.trace(np.linalg.inv(dense(op))).real
    exact = 2 * 0.2 * tr / f.lattice.volume if kind == "wilson" else tr / (2 * f.lattice.volume)
    small = chiral_condensate(f, fermion, n_noise=8, seed=(1, 0, 17))
    large = chiral_condensate(f, fermion, n_noise=72, seed=(1, 0, 17))
    for r in (small, large):
        assert abs(r["pbp"] - exact) < 4 * r["pbp_err"]
        assert r["pbp_solver_iterations"] > 0 and r["pbp_dirac_applications"] > 0
    assert 1.8 < small["pbp_err"] / large["pbp_err"] < 4.5            # sqrt(72/8) = 3
    assert exact > 0


def test_condensate_is_reproducible_from_the_seed():
    f = hot((4, 4), "u1", 1)
    w = Wilson(kappa=0.2, even_odd=False)
    a = chiral_condensate(f, w, n_noise=3, seed=(0, 0, 25))
    b = chiral_condensate(f, w, n_noise=3, seed=(0, 0, 25))
    c = chiral_condensate(f, w, n_noise=3, seed=(0, 0, 30))
    assert a == b and a["pbp"] != c["pbp"]


def test_registry_wrappers_give_flat_scalar_dicts():
    f = hot((4, 6), "u1", 4)
    assert condensate(f) == {} and correlators(f) == {}
    block = {"type": "wilson", "kappa": 0.2}
    res = correlators(f, block)
    assert [k for k in res if k.startswith("pion_")] == [f"pion_t{t:02d}" for t in range(6)]
    assert [k for k in res if k.startswith("rho_")] == [f"rho_t{t:02d}" for t in range(6)]
    assert res["correlators_dirac_applications"] > 0 and res["correlators_solver_iterations"] > 0
    assert all(isinstance(v, float) for v in res.values())
    ref = meson_correlators(f, Wilson(kappa=0.2, even_odd=False))
    assert res["pion_t03"] == pytest.approx(ref["pion"][3], rel=1e-9)
    pbp = condensate(f, {"type": "staggered", "mass": 0.3}, n_noise=2)
    assert set(pbp) == {"pbp", "pbp_err", "pbp_solver_iterations", "pbp_dirac_applications"}


@pytest.mark.parametrize("call,name", [
    (lambda f: chiral_condensate(f, Wilson(kappa=0.1, even_odd=False), n_noise=0), "n_noise"),
    (lambda f: chiral_condensate(f, Wilson(kappa=0.1, even_odd=False), tol=2.0), "tol"),
    (lambda f: chiral_condensate(f, Wilson(kappa=0.1, even_odd=False), seed=-1), "seed"),
    (lambda f: chiral_condensate(f, None), "fermion"),
    (lambda f: chiral_condensate(f, Wilson(kappa=0.1, even_odd=True)), "even_odd"),
    (lambda f: chiral_condensate(f, {"type": "wilson"}), "fermion"),
    (lambda f: meson_correlators(f, Staggered(0.1, even_odd=False), source=(0, 9)), "source"),
    (lambda f: meson_correlators(f, Staggered(0.1, even_odd=False), source=(0, 0, 0)), "source"),
    (lambda f: meson_correlators(f, Staggered(0.1, even_odd=False), channels=("pion", "kaon")), "channels"),
    (lambda f: meson_correlators(f, Staggered(0.1, even_odd=False), maxiter=0), "maxiter"),
    (lambda f: correlators(f, Staggered(0.1, even_odd=False), colour=1), "colour"),
    (lambda f: condensate(f, Staggered(0.1, even_odd=False), noise="gauss"), "noise"),
])
def test_bad_arguments_raise_value_error_naming_them(call, name):
    f = GaugeField.cold(Lattice((4, 4)), "u1")
    with pytest.raises(ValueError, match=name):
        call(f)


# ---------------------------------------------------------------------------
# effective masses
# ---------------------------------------------------------------------------
def test_pure_cosh_correlator_gives_constant_cosh_effective_mass_exactly():
    for T, m in ((16, 0.4), (24, 1.3), (8, 0.05), (32, 3.0)):
        t = np.arange(T)
        c = 2.5 * np.cosh(m * (T / 2 - t))
        me = effective_mass(c, kind="cosh")
        assert me.shape == (T - 1,)
        np.testing.assert_allclose(me, m, rtol=1e-12, atol=1e-14)
        # the log form falls below m towards T/2 and is negative on the second half
        lm = effective_mass(c, kind="log")
        assert lm[T // 2 - 1] < m and np.all(lm[T // 2:] < 0)


def test_single_exponential_gives_log_ratio_exactly():
    t = np.arange(12)
    np.testing.assert_allclose(effective_mass(3.0 * np.exp(-0.7 * t), kind="log"), 0.7, rtol=1e-13)
    # a half correlator given with its full time extent T
    T = 40
    c = np.cosh(0.3 * (T / 2 - np.arange(10)))
    np.testing.assert_allclose(effective_mass(c, kind="cosh", T=T), 0.3, rtol=1e-12)


def test_effective_mass_is_nan_where_undefined():
    c = np.array([1.0, 2.0, -1.0, 0.5, 0.25])
    me = effective_mass(c, kind="log")
    assert np.isnan(me[1]) and np.isnan(me[2]) and me[0] < 0 and me[3] == pytest.approx(np.log(2))
    # cosh: first half needs C(t) > C(t+1)
    assert np.isnan(effective_mass(np.array([1.0, 2.0, 1.0, 0.5]), kind="cosh")[0])


def _synthetic(rng, n, T, m, sigma):
    t = np.arange(T)
    c = 1.7 * np.cosh(m * (T / 2 - t))
    return c * (1 + sigma * rng.standard_normal((n, T))), c


def test_effective_mass_errors_match_the_spread_of_synthetic_ensembles():
    rng = np.random.default_rng(42)
    T, m, sigma, n = 16, 0.5, 0.02, 200
    tab_t = 3
    means, gerr, jerr = [], [], []
    for _ in range(60):
        s, _ = _synthetic(rng, n, T, m, sigma)
        g = effective_mass_table(s[:, :6], S=2.0, kind="cosh", T=T)
        j = effective_mass_table(s[:, :6], kind="cosh", T=T, method="jackknife")
        means.append(g["m_eff"][tab_t])
        gerr.append(g["m_eff_err"][tab_t])
        jerr.append(j["m_eff_err"][tab_t])
        assert g["m_eff"][tab_t] == j["m_eff"][tab_t]
    spread = np.std(means, ddof=1)
    assert np.mean(gerr) == pytest.approx(spread, rel=0.25)
    assert np.mean(jerr) == pytest.approx(spread, rel=0.25)
    assert abs(np.mean(means) - m) < 4 * spread / np.sqrt(len(means))


def test_effective_mass_table_with_autocorrelated_replicas_and_exact_limit():
    rng = np.random.default_rng(7)
    T, m = 12, 0.6
    t = np.arange(T)
    c = np.cosh(m * (T / 2 - t))
    reps = []
    for _ in range(2):                         # AR(1) noise, tau_int = (1 + a)/(2(1 - a)) = 4.5
        a, z = 0.8, np.zeros((3000, T))
        for i in range(1, 3000):
            z[i] = a * z[i - 1] + np.sqrt(1 - a * a) * rng.standard_normal(T)
        reps.append(c * (1 + 0.01 * z))
    tab = effective_mass_table(reps, S=2.0, kind="cosh")
    assert list(tab.columns[:6]) == ["t", "C", "C_err", "m_eff", "m_eff_err", "tau_int"]
    ok = tab["m_eff"].notna()
    assert ok.sum() == T - 1        # every pair (t, t+1): the cosh form is valid on both halves
    assert np.all(np.abs(tab["m_eff"][ok] - m) < 5 * tab["m_eff_err"][ok])
    assert np.all(tab["tau_int"][ok] > 2.5)
    naive = effective_mass_table(reps, S=0.0, kind="cosh")
    assert np.all(tab["m_eff_err"][ok] > 2 * naive["m_eff_err"][ok])
    # no fluctuations in the ratio (every sample a multiple of one cosh): exact mass, no error
    exact = effective_mass_table(np.outer(1 + 0.1 * rng.random(20), c), kind="cosh")
    np.testing.assert_allclose(exact["m_eff"][:T - 1], m, rtol=1e-12)
    assert exact["C_err"].gt(0).all() and exact["m_eff_err"].fillna(0).lt(1e-6).all()


@pytest.mark.parametrize("call,name", [
    (lambda: effective_mass([1.0, 0.5], kind="sinh"), "kind"),
    (lambda: effective_mass([1.0]), "c"),
    (lambda: effective_mass([[1.0, 0.5]]), "c"),
    (lambda: effective_mass([1.0, np.nan]), "c"),
    (lambda: effective_mass([1.0, 0.5, 0.2], T=1), "T"),
    (lambda: effective_mass([1.0, 0.5, 0.2], T=2.5), "T"),
    (lambda: effective_mass_table(np.ones((10, 4)), method="bootstrap"), "method"),
    (lambda: effective_mass_table(np.ones(10)), "samples"),
    (lambda: effective_mass_table(np.ones((10, 4)), S=-1), "S"),
    (lambda: effective_mass_table(np.ones((10, 4)), kind="exp"), "kind"),
    (lambda: effective_mass_table(np.ones((10, 4)), method="jackknife", bin_size=0), "bin_size"),
    (lambda: effective_mass_table(np.ones((2, 4))), "too short"),
])
def test_effective_mass_bad_arguments_raise_value_error_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()
