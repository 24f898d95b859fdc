"""Pseudofermion actions: force = numerical derivative, heatbath normalisation, RHMC at
power one equals the plain action, reversibility, dH ~ eps^2, solver failures, chain
integration and restarts (docs/fermions.md)."""
import numpy as np
import pytest

from lqcd_core.actions import GaugeAction, SmearedAction
from lqcd_core.actions.fermion import SolverSettings, TwoFlavourAction
from lqcd_core.actions.hasenbusch import HasenbuschRatioAction, hasenbusch_actions
from lqcd_core.actions.rational import RationalAction
from lqcd_core.dirac import Staggered, Wilson
from lqcd_core.integrators import Integrator
from lqcd_core.markov.hmc import HMC
from lqcd_core.smearing import Stout
from md_checks import rough_field

TIGHT = SolverSettings(tol_action=1e-13, tol_force=1e-13)


pytestmark = pytest.mark.usefixtures("single_numba_thread")


def directional_derivative(action, field, t, eps=1e-4):
    """(S(e^{eps T} U) - S(e^{-eps T} U)) / (2 eps), fourth-order Richardson corrected."""
    def s_at(h):
        g = field.copy()
        g.links[...] = np.einsum("...ij,...jk->...ik", field.group.exp(h * t), field.links)
        return action.value(g)
    d1 = (s_at(eps) - s_at(-eps)) / (2 * eps)
    d2 = (s_at(2 * eps) - s_at(-2 * eps)) / (4 * eps)
    return (4 * d1 - d2) / 3


def check_force(action, field, seed=1, rtol=1e-6):
    rng = np.random.default_rng(seed)
    action.refresh(field, rng)
    f = action.force(field)
    for _ in range(2):
        t = field.group.momenta(field.links.shape[:2], rng)
        analytic = field.group.inner(t, f)
        numeric = directional_derivative(action, field, t)
        assert analytic == pytest.approx(numeric, rel=rtol, abs=1e-8 * np.abs(f).max())


CASES = {
    "wilson_2d_u1": (Wilson(kappa=0.2), (4, 4), "u1"),
    "wilson_2d_u1_eo": (Wilson(kappa=0.2, even_odd=True), (4, 4), "u1"),
    "wilson_clover_4d_su2_eo": (Wilson(kappa=0.11, csw=1.3, even_odd=True), (2, 2, 2, 4), "su2"),
    "wilson_clover_4d_su3": (Wilson(kappa=0.11, csw=1.0), (2, 2, 2, 4), "su3"),
    "staggered_2d_u1_eo": (Staggered(mass=0.3), (4, 4), "u1"),
    "staggered_4d_su3_eo": (Staggered(mass=0.2), (2, 2, 2, 4), "su3"),
    "staggered_4d_su2_full": (Staggered(mass=0.3, even_odd=False), (2, 2, 2, 4), "su2"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_two_flavour_force_equals_numerical_derivative(case):
    fermion, ext, group = CASES[case]
    check_force(TwoFlavourAction(fermion, TIGHT), rough_field(ext, group, 3))


@pytest.mark.parametrize("even_odd,csw", [(False, 0.0), (True, 0.0), (True, 1.2)])
def test_hasenbusch_ratio_force_equals_numerical_derivative(even_odd, csw):
    ext, group = ((4, 4), "u1") if csw == 0 else ((2, 2, 2, 4), "su2")
    k1, k2 = (0.22, 0.15) if csw == 0 else (0.12, 0.09)
    act = HasenbuschRatioAction(Wilson(kappa=k1, csw=csw, even_odd=even_odd),
                                Wilson(kappa=k2, csw=csw, even_odd=even_odd), TIGHT)
    check_force(act, rough_field(ext, group, 5))


@pytest.mark.parametrize("fermion,nf,ext,group", [
    (Staggered(mass=0.3), 2, (4, 4), "u1"),
    (Staggered(mass=0.25), 1, (2, 2, 2, 4), "su3"),
    (Wilson(kappa=0.18, even_odd=True), 1, (4, 4), "u1"),
])
def test_rational_force_equals_numerical_derivative(fermion, nf, ext, group):
    field = rough_field(ext, group, 7)
    bounds = None
    if isinstance(fermion, Wilson):  # Wilson has no rigorous lower bound: take it from the field
        a = dense_hermitian(fermion.bind(field))
        ev = np.linalg.eigvalsh(a)
        bounds = (0.5 * ev[0], 2 * ev[-1])
    act = RationalAction(fermion, nf, TIGHT, tol=1e-12, bounds=bounds)
    check_force(act, field)


def test_smeared_pseudofermion_force_equals_numerical_derivative():
    act = SmearedAction(TwoFlavourAction(Wilson(kappa=0.2, even_odd=True), TIGHT), Stout(0.1, n_levels=2))
    check_force(act, rough_field((4, 4), "u1", 11))
    act = SmearedAction(TwoFlavourAction(Staggered(mass=0.2), TIGHT), Stout(0.08, n_levels=1))
    check_force(act, rough_field((2, 2, 2, 4), "su3", 12))


def dense_hermitian(op):
    n = int(np.prod(op.shape))
    cols = []
    for i in range(n):
        e = np.zeros(n, complex)
        e[i] = 1
        cols.append(op.hermitian(e.reshape(op.shape)).ravel())
    return np.array(cols).T


def test_heatbath_makes_the_action_a_unit_gaussian():
    """phi = B eta with B B^dag = A gives phi^dag A^{-1} phi = eta^dag eta (Wilson, Hasenbusch)
    and, within the rational error, the same for RHMC (r_h r_a r_h = 1)."""
    field = rough_field((4, 4), "u1", 2)
    for act in (TwoFlavourAction(Wilson(kappa=0.2, even_odd=True), TIGHT),
                HasenbuschRatioAction(Wilson(kappa=0.22), Wilson(kappa=0.14), TIGHT)):
        rng = np.random.default_rng(4)
        act.refresh(field, rng)
        eta = act.bind(field).gaussian(np.random.default_rng(4))
        assert act.value(field) == pytest.approx(np.vdot(eta, eta).real, rel=1e-10)
    act = RationalAction(Staggered(mass=0.3), 2, TIGHT, tol=1e-12)
    act.refresh(field, np.random.default_rng(5))
    eta = act.bind(field).gaussian(np.random.default_rng(5), act.bind(field).shape)
    assert act.value(field) == pytest.approx(np.vdot(eta, eta).real, rel=1e-9)


@pytest.mark.parametrize("tol", [1e-3, 1e-5])
def test_loose_action_tolerance_underestimates_s_pf_by_at_most_the_residual_bound(tol):
    """CG from zero: S - phi^dag x_k = r^dag A^{-1} r in [0, tol^2 |phi|^2 / m^2] for even-odd
    staggered fermions, whose A = m^2 + D_eo D_eo^dag has lambda_min >= m^2 (docs/slhmc.md,
    "Action tolerance")."""
    field = rough_field((4, 4, 4, 4), "su2", 6, spread=0.8)
    m = 0.3
    exact, loose = (TwoFlavourAction(Staggered(mass=m), SolverSettings(tol_action=t))
                    for t in (1e-13, tol))
    for seed in range(3):
        exact.refresh(field, np.random.default_rng(seed))
        loose.phi = exact.phi
        s, s_loose = exact.value(field), loose.value(field)
        bound = tol ** 2 * np.vdot(exact.phi, exact.phi).real / m ** 2
        assert -1e-12 * s <= s - s_loose <= bound
        assert s - s_loose > 1e-6 * bound      # the solve did stop early: the bound is probed


def test_rhmc_at_power_one_equals_plain_pseudofermion_action():
    """Staggered Nf = 4 (even-odd): the rational action with alpha = 1 is exact (order 1)."""
    field = rough_field((2, 2, 2, 4), "su3", 9)
    plain = TwoFlavourAction(Staggered(mass=0.2), TIGHT)
    rhmc = RationalAction(Staggered(mass=0.2), 4, TIGHT, tol=1e-12)
    plain.refresh(field, np.random.default_rng(1))
    rhmc.refresh(field, np.random.default_rng(1))
    rhmc.phis = [plain.phi.copy()]
    assert rhmc.r_action.order == 1
    assert rhmc.value(field) == pytest.approx(plain.value(field), rel=1e-11)
    np.testing.assert_allclose(rhmc.force(field), plain.force(field), rtol=0, atol=1e-10)


def nested(fermion_actions, beta, outer, inner, scheme="omelyan"):
    return Integrator([(fermion_actions, outer, scheme), (GaugeAction(beta), inner, scheme)])


def test_nested_fermion_md_is_reversible():
    field = rough_field((4, 4), "u1", 21, spread=1.0)
    act = TwoFlavourAction(Wilson(kappa=0.2, even_odd=True), TIGHT)
    act.refresh(field, np.random.default_rng(0))
    integ = nested([act], 2.0, 5, 3)
    mom = field.group.momenta(field.links.shape[:2], np.random.default_rng(1))
    u0, p0 = field.links.copy(), mom.copy()
    integ.integrate(field, mom, 1.0)
    assert np.abs(field.links - u0).max() > 1e-2
    mom *= -1
    integ.integrate(field, mom, 1.0)
    assert np.abs(field.links - u0).max() < 1e-10
    assert np.abs(mom + p0).max() < 1e-10


def test_delta_h_scales_as_eps_squared_with_fermions():
    """Leapfrog: |dH| ~ eps^2; halving the step divides it by ~4 (Omelyan's too)."""
    field = rough_field((2, 2, 2, 4), "su2", 31, spread=0.6)
    dh = []
    for n in (8, 16, 32):
        act = TwoFlavourAction(Staggered(mass=0.3), TIGHT)
        hmc = HMC(nested([act], 2.0, n, 2, "leapfrog"), 0.5)
        g = field.copy()
        dh.append(abs(hmc.trajectory(g, np.random.default_rng(5), metropolis=False)["delta_h"]))
    r1, r2 = dh[0] / dh[1], dh[1] / dh[2]
    assert 3.0 < r1 < 5.3 and 3.3 < r2 < 4.7, dh


def test_trajectory_logs_the_solver_cost():
    field = rough_field((4, 4), "u1", 41)
    act = TwoFlavourAction(Wilson(kappa=0.2, even_odd=True))
    hmc = HMC(nested([act], 2.0, 4, 2), 1.0)
    e = hmc.trajectory(field, np.random.default_rng(0))
    # 1 heatbath, 2 actions, 2 * 4 + 1 forces (Omelyan, merged): 11 solves
    assert e["solves"] == 2 + 2 * 4 + 1
    assert e["solver_iterations"] > e["solves"]
    # every CG iteration applies A = M^dag M (two applications), plus heatbath and forces
    assert e["dirac_applications"] >= 2 * e["solver_iterations"]


def test_unconverged_solve_stops_the_trajectory_with_its_residual_history():
    from lqcd_core.solvers import SolverError
    field = rough_field((4, 4), "u1", 42)
    act = TwoFlavourAction(Wilson(kappa=0.24), SolverSettings(maxiter=3))
    hmc = HMC(nested([act], 2.0, 4, 2), 1.0)
    with pytest.raises(SolverError) as err:
        hmc.trajectory(field, np.random.default_rng(0))
    assert len(err.value.info.history) >= 3 and "residual" in str(err.value)


def test_hasenbusch_chain_telescopes_to_the_two_flavour_determinant():
    """Sum of the terms' log-determinants = log det A_1: checked by dense determinants via the
    Gaussian integral identity  <exp(-S + phi^dag phi)>  replaced by the exact statement
    det A_1 = prod det(A_i / A_{i+1}) det A_n for the operators the terms use."""
    field = rough_field((4, 4), "u1", 43)
    terms = hasenbusch_actions([Wilson(kappa=0.24), Wilson(kappa=0.18), Wilson(kappa=0.12)], TIGHT)
    assert [type(t).__name__ for t in terms] == ["HasenbuschRatioAction", "HasenbuschRatioAction",
                                                 "TwoFlavourAction"]
    logdet = 0.0
    for t in terms:
        if isinstance(t, HasenbuschRatioAction):
            a1 = dense_hermitian(t.fermion.bind(field))
            a2 = dense_hermitian(t.heavy.bind(field))
            logdet += np.linalg.slogdet(a1)[1] - np.linalg.slogdet(a2)[1]
        else:
            logdet += np.linalg.slogdet(dense_hermitian(t.fermion.bind(field)))[1]
    exact = np.linalg.slogdet(dense_hermitian(Wilson(kappa=0.24).bind(field)))[1]
    assert logdet == pytest.approx(exact, rel=1e-12)


def test_every_solve_is_logged_with_iterations_applications_and_residual(caplog):
    import logging
    field = rough_field((4, 4), "u1", 44)
    act = TwoFlavourAction(Wilson(kappa=0.2, even_odd=True))
    act.refresh(field, np.random.default_rng(0))
    with caplog.at_level(logging.DEBUG, logger="lqcd_core.solves"):
        act.value(field)
        act.force(field)
    lines = [r.getMessage() for r in caplog.records if r.name == "lqcd_core.solves"]
    assert len(lines) == 2
    assert all("iterations" in m and "Dirac applications" in m and "residual" in m for m in lines)
