"""Gradient flow: third-order RK3, the flow equation, monotone E(t), Zeuthen correction, scales."""
import numpy as np
import pytest
import scipy.linalg as sl

from lqcd_core.flow import FlowError, GradientFlow, energy_plaquette, flow_history, t0_from, w0_from
from lqcd_core.gauge import GaugeField


def _rough(group="su3", lattice=(4, 4, 4, 4), seed=3, pre=5):
    rng = np.random.default_rng(seed)
    f = GaugeField.hot(lattice, group, rng)
    fl = GradientFlow("wilson")
    for _ in range(pre):
        fl.step(f, 0.02)
    return f


@pytest.mark.parametrize("kind", ["wilson", "symanzik", "zeuthen"])
def test_rk3_converges_with_third_order(kind):
    g = _rough()
    fl = GradientFlow(kind)
    ref = g.copy()
    for _ in range(64):
        fl.step(ref, 0.2 / 64)
    errs = []
    for n in (4, 8, 16):
        h = g.copy()
        for _ in range(n):
            fl.step(h, 0.2 / n)
        errs.append(np.abs(h.links - ref.links).max())
    ratios = [errs[0] / errs[1], errs[1] / errs[2]]
    assert all(6.0 < r < 10.0 for r in ratios), ratios  # 2^3 = 8


def test_euler_converges_with_first_order_only():
    """The order test can fail: a first-order integrator gives ratios near 2, not 8."""
    g = _rough()
    fl = GradientFlow("wilson")
    ref = g.copy()
    for _ in range(64):
        fl.step(ref, 0.2 / 64)
    errs = []
    for n in (8, 16):
        h = g.copy()
        for _ in range(n):
            fl.step_euler(h, 0.2 / n)
        errs.append(np.abs(h.links - ref.links).max())
    assert 1.5 < errs[0] / errs[1] < 2.6


@pytest.mark.parametrize("group,lattice", [("su3", (4, 4, 4, 4)), ("su2", (4, 4, 4, 4)), ("u1", (6, 6))])
def test_flow_equation_holds_by_finite_differences(group, lattice):
    """(log(V(t+h) V(t)^dag) - log(V(t-h) V(t)^dag)) / 2h = Z(V(t)) + O(h^2)."""
    f = _rough(group, lattice)
    fl = GradientFlow("wilson")
    h = 4e-4
    plus, minus = f.copy(), f.copy()
    for _ in range(8):
        fl.step(plus, h / 8)
        fl.step(minus, -h / 8)
    z = fl.generator(f)
    for mu, x in [(0, 0), (lattice.__len__() - 1, 5), (1, 3)]:
        lp = sl.logm(plus.links[mu, x] @ f.links[mu, x].conj().T)
        lm = sl.logm(minus.links[mu, x] @ f.links[mu, x].conj().T)
        deriv = (lp - lm) / (2 * h)
        assert np.abs(deriv - z[mu, x]).max() < 1e-5 * max(1.0, np.abs(z[mu, x]).max())


@pytest.mark.parametrize("kind", ["wilson", "symanzik", "zeuthen"])
def test_energy_decreases_monotonically(kind):
    hist = flow_history(_rough(pre=0), kind=kind, tmax=0.6, eps=0.02, clover=False, charge=False)
    assert np.all(np.diff(hist["E"]) < 0)


def test_zeuthen_correction_matches_numpy_reference():
    from lqcd_core.flow import _kernels
    f = _rough("su2")
    rng = np.random.default_rng(9)
    F = f.group.momenta(f.links.shape[:2], rng)
    out = np.empty_like(F)
    lat = f.lattice
    _kernels.zeuthen_correction(f.links, F, lat.fwd, lat.bwd, out)
    U = f.links
    ref = np.empty_like(F)
    for mu in range(lat.ndim):
        fp = F[mu][lat.fwd[mu]]
        fm = F[mu][lat.bwd[mu]]
        um = U[mu][lat.bwd[mu]]
        lap = (U[mu] @ fp @ U[mu].conj().transpose(0, 2, 1) - 2 * F[mu]
               + um.conj().transpose(0, 2, 1) @ fm @ um)
        ref[mu] = F[mu] + lap / 12
    assert np.abs(out - ref).max() < 1e-13


def test_flow_is_gauge_covariant():
    f = _rough("su3")
    rng = np.random.default_rng(4)
    g = f.group.random((f.lattice.volume,), rng)
    a, b = f.copy(), f.gauge_transform(g)
    fl = GradientFlow("zeuthen")
    for _ in range(3):
        fl.step(a, 0.05)
        fl.step(b, 0.05)
    assert np.abs(a.gauge_transform(g).links - b.links).max() < 1e-12


def test_adaptive_flow_agrees_with_fine_fixed_steps():
    f = _rough()
    fine = flow_history(f, tmax=0.4, eps=0.005, clover=False, charge=False)
    ad = flow_history(f, tmax=0.4, eps=0.1, adaptive=True, tol=1e-7, clover=False, charge=False)
    assert abs(ad["t"][-1] - 0.4) < 1e-12
    assert abs(ad["E"][-1] - fine["E"][-1]) < 1e-5 * fine["E"][-1]
    assert ad["steps"] < 80


def test_scales_from_an_analytic_history():
    """t^2 E = 0.1 t on a grid: t0 = 3; W = t d/dt (0.1 t) = 0.1 t -> w0^2 = 3."""
    t = np.linspace(0.01, 5, 500)
    e = 0.1 / t
    assert abs(t0_from(t, e) - 3.0) < 1e-9
    assert abs(w0_from(t, e) - np.sqrt(3.0)) < 1e-6


def test_unreached_reference_is_a_clear_error():
    t = np.linspace(0.01, 1, 50)
    with pytest.raises(FlowError, match="reached only"):
        t0_from(t, 0.1 / t)


def test_energy_vanishes_on_the_unit_field():
    assert energy_plaquette(GaugeField.cold((4, 4, 4, 4), "su3")) == 0.0


@pytest.mark.parametrize("which", ["t0", "w0"])
def test_scale_setting_error_agrees_with_the_jackknife(which):
    from lqcd_core.flow.scale import scale_setting
    rng = np.random.default_rng(1)
    t = np.linspace(0.01, 6, 300)
    a = 0.1 + 0.005 * rng.standard_normal(200)
    E = a[:, None] / t[None, :]  # t^2 E = a t: t0 = 0.3/a, w0 = sqrt(0.3/a)
    res = scale_setting(t, [E[:100], E[100:]], which)
    f = (lambda x: 0.3 / x) if which == "t0" else (lambda x: np.sqrt(0.3 / x))
    assert abs(res.mean - f(a.mean())) < 1e-6
    jk = np.array([f(np.delete(a, i).mean()) for i in range(a.size)])
    jk_err = np.sqrt((a.size - 1) / a.size * np.sum((jk - jk.mean()) ** 2))
    assert abs(res.error / jk_err - 1) < 0.15


@pytest.mark.parametrize("group,lattice", [("su3", (4, 4, 4, 4)), ("su2", (4, 4, 4, 4))])
def test_euler_step_of_the_wilson_flow_is_stout_smearing_with_rho_eps(group, lattice):
    """Lüscher (2010): one Euler step of the Wilson flow is a stout step with rho = eps.

    This fixes the normalisation of the flow (g0^2 S_w sums over oriented plaquettes)."""
    from lqcd_core.smearing import Stout
    f = _rough(group, lattice, pre=0)
    eps = 0.03
    euler = f.copy()
    GradientFlow("wilson").step_euler(euler, eps)
    stout = Stout(eps, n_levels=1).smear(f)
    assert np.abs(euler.links - stout.links).max() < 1e-12


@pytest.mark.parametrize("q", [1, -2])
def test_flow_recovers_the_charge_of_a_noisy_2d_u1_configuration(q):
    """A 2D U(1) field of charge q, roughened by random gauge-covariant noise on the links, keeps
    geometric charge q, and after the flow the field-theoretic charge approaches q as well."""
    from lqcd_core.observables import topological_charge_field_theoretic, topological_charge_geometric
    from test_observables import u1_charge_field
    f = u1_charge_field((16, 16), q)
    rng = np.random.default_rng(11)
    f.links[...] *= np.exp(0.3j * rng.standard_normal(f.links.shape[:2]))[:, :, None, None]
    assert topological_charge_geometric(f) == pytest.approx(q, abs=1e-9)
    before = abs(topological_charge_field_theoretic(f) - q)
    fl = GradientFlow("wilson")
    for _ in range(40):
        fl.step(f, 0.1)
    assert topological_charge_geometric(f) == pytest.approx(q, abs=1e-9)
    after = abs(topological_charge_field_theoretic(f) - q)
    assert after < 0.05 * abs(q) and after < before


def test_flow_keeps_a_thooft_constant_field_and_its_charge():
    """The constant abelian SU(3) field of charge n1 n2 solves the lattice field equations: the
    flow leaves it (up to rounding), and a slightly perturbed copy flows back to its charge."""
    from lqcd_core.observables import topological_charge
    from test_observables import thooft_field
    f, _, _ = thooft_field((6, 6, 6, 6), "su3", 1, 1, [1, -1, 0], [0, -1, 1])
    q0 = topological_charge(f, "5li")
    g = f.copy()
    fl = GradientFlow("wilson")
    for _ in range(5):
        fl.step(g, 0.05)
    assert np.abs(g.links - f.links).max() < 1e-10
    rng = np.random.default_rng(2)
    noisy = f.copy()
    noisy.links[...] = f.group.exp(0.05 * f.group.momenta(f.links.shape[:2], rng)) @ f.links
    for _ in range(30):
        fl.step(noisy, 0.05)
    assert abs(topological_charge(noisy, "5li") - q0) < 0.1
    assert abs(round(q0) - 1) == 0
