"""Tests of the symplectic (nested) integrators: reversibility, order, area preservation."""
import numpy as np
import pytest

from lqcd_core.actions import Action, GaugeAction
from lqcd_core.gauge import GaugeField
from lqcd_core.integrators import OMELYAN_LAMBDA, SCHEMES, Integrator, Level, get_scheme
from lqcd_core.lattice import Lattice
from lqcd_core.markov.hmc import HMC

BETA = {"su2": 2.3, "su3": 5.7, "u1": 2.0}
EXTENTS = {"su2": (4, 4, 4, 4), "su3": (4, 4, 4, 4), "u1": (8, 8)}


pytestmark = pytest.mark.usefixtures("single_numba_thread")


def thermalised(group, seed=0, action="wilson"):
    """Hot start, 12 pure MD trajectories (no accept/reject) and 4 HMC trajectories."""
    rng = np.random.default_rng(seed)
    f = GaugeField.hot(Lattice(EXTENTS[group]), group, rng)
    hmc = HMC(Integrator([(GaugeAction(BETA[group], action), 10, "omelyan")]), 1.0)
    for _ in range(12):
        hmc.trajectory(f, rng, metropolis=False)
    for _ in range(4):
        hmc.trajectory(f, rng)
    return f


_CACHE = {}


@pytest.fixture
def field_of():
    def get(group, action="wilson"):
        key = (group, action)
        if key not in _CACHE:
            _CACHE[key] = thermalised(group, action=action)
        return _CACHE[key].copy()
    return get


def hamiltonian(action, field, mom):
    return field.group.kinetic(mom) + action.value(field)


def delta_h(integrator, field, mom, tau=1.0):
    f, p = field.copy(), mom.copy()
    h0 = hamiltonian(integrator.action, f, p)
    integrator.integrate(f, p, tau)
    return hamiltonian(integrator.action, f, p) - h0


def momenta(field, seed):
    return field.group.momenta(field.links.shape[:2], np.random.default_rng(seed))


def integrators(beta, name="wilson"):
    full = GaugeAction(beta, name)
    half = GaugeAction(beta / 2, name)
    return {
        "leapfrog": Integrator([(full, 12, "leapfrog")]),
        "omelyan": Integrator([(full, 6, "omelyan")]),
        "nested": Integrator([(half, 3, "omelyan"), (half, 4, "leapfrog")]),
        "nested3": Integrator([(half, 2, "leapfrog"), (GaugeAction(beta / 4, name), 2, "omelyan"),
                               (GaugeAction(beta / 4, name), 3, "leapfrog")]),
    }


# ---------------------------------------------------------------------------
# reversibility
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["leapfrog", "omelyan", "nested", "nested3"])
@pytest.mark.parametrize("group", ["u1", "su2", "su3"])
def test_reversibility_flip_momenta_returns_to_start(group, kind, field_of):
    f0 = field_of(group)
    integ = integrators(BETA[group])[kind]
    f, p = f0.copy(), momenta(f0, 1)
    p0 = p.copy()
    integ.integrate(f, p, 1.0)
    assert np.abs(f.links - f0.links).max() > 0.1  # it moved
    p *= -1
    integ.integrate(f, p, 1.0)
    assert np.abs(f.links - f0.links).max() < 1e-10
    assert np.abs(-p - p0).max() < 1e-10


@pytest.mark.parametrize("kind", ["leapfrog", "omelyan", "nested"])
def test_reversibility_with_improved_action(kind, field_of):
    f0 = field_of("su2", "iwasaki")
    integ = integrators(BETA["su2"], "iwasaki")[kind]
    f, p = f0.copy(), momenta(f0, 2)
    p0 = p.copy()
    integ.integrate(f, p, 0.5)
    p *= -1
    integ.integrate(f, p, 0.5)
    assert np.abs(f.links - f0.links).max() < 1e-10
    assert np.abs(-p - p0).max() < 1e-10


# ---------------------------------------------------------------------------
# order: Delta H = O(eps^2)
# ---------------------------------------------------------------------------
def abs_dh_sum(integ_factory, n, field, seeds):
    return sum(abs(delta_h(integ_factory(n), field, momenta(field, s))) for s in seeds)


@pytest.mark.parametrize("group, scheme, n", [
    ("su2", "leapfrog", 20), ("su2", "omelyan", 10),
    ("su3", "leapfrog", 40), ("su3", "omelyan", 20),
    ("u1", "leapfrog", 20), ("u1", "omelyan", 40),
])
def test_delta_h_scales_as_step_size_squared(group, scheme, n, field_of):
    f = field_of(group)
    act = GaugeAction(BETA[group])
    make = lambda k: Integrator([(act, k, scheme)])  # noqa: E731
    coarse = abs_dh_sum(make, n, f, (3, 4))
    fine = abs_dh_sum(make, 2 * n, f, (3, 4))
    assert 3.2 < coarse / fine < 4.8, (coarse, fine)


@pytest.mark.parametrize("group", ["su2", "su3"])
def test_omelyan_beats_leapfrog_at_equal_force_evaluations(group, field_of):
    f = field_of(group)
    act = GaugeAction(BETA[group])
    seeds = (5, 6, 7)
    for n in (8, 16):
        lf = abs_dh_sum(lambda k: Integrator([(act, 2 * k, "leapfrog")]), n, f, seeds)
        om = abs_dh_sum(lambda k: Integrator([(act, k, "omelyan")]), n, f, seeds)
        assert om < 0.5 * lf, (n, om, lf)


def test_omelyan_lambda_minimises_delta_h(field_of):
    """The 2MN lambda gives a smaller |Delta H| than lambdas on either side of it."""
    from lqcd_core.integrators import Scheme

    f = field_of("su2")
    act = GaugeAction(BETA["su2"])
    res = {}
    for lam in (0.12, OMELYAN_LAMBDA, 0.27):
        sch = Scheme("om", (lam, 1 - 2 * lam, lam), (0.5, 0.5), 2, "")
        res[lam] = abs_dh_sum(lambda k: Integrator([(act, k, sch)]), 10, f, (8, 9, 10))
    assert res[OMELYAN_LAMBDA] < min(res[0.12], res[0.27])


# ---------------------------------------------------------------------------
# nested integrators
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("group", ["su2", "su3"])
def test_nested_with_one_inner_leapfrog_step_equals_single_level(group, field_of):
    """Outer leapfrog(S/2, n) around inner leapfrog(S/2, 1) is leapfrog(S, n): the
    half-forces act at the same links and add up to the full force."""
    f0 = field_of(group)
    full = GaugeAction(BETA[group])
    half = GaugeAction(BETA[group] / 2)
    a, pa = f0.copy(), momenta(f0, 11)
    b, pb = f0.copy(), pa.copy()
    Integrator([(full, 7, "leapfrog")]).integrate(a, pa, 0.9)
    Integrator([(half, 7, "leapfrog"), (half, 1, "leapfrog")]).integrate(b, pb, 0.9)
    assert np.abs(a.links - b.links).max() < 1e-11
    assert np.abs(pa - pb).max() < 1e-10


@pytest.mark.parametrize("scheme", ["leapfrog", "omelyan"])
def test_nested_split_action_conserves_h_like_single_level(scheme, field_of):
    f = field_of("su2")
    beta = BETA["su2"]
    full, half = GaugeAction(beta), GaugeAction(beta / 2)
    seeds = (12, 13)
    nested = lambda k: Integrator([(half, k, scheme), (half, 3, scheme)])  # noqa: E731
    single = lambda k: Integrator([(full, k, scheme)])  # noqa: E731
    n = 10 if scheme == "leapfrog" else 5
    dh_nested = abs_dh_sum(nested, n, f, seeds)
    dh_nested_fine = abs_dh_sum(nested, 2 * n, f, seeds)
    dh_single = abs_dh_sum(single, n, f, seeds)
    # the inner half is integrated more finely, so the nested error is not larger ...
    assert dh_nested < 1.2 * dh_single, (dh_nested, dh_single)
    # ... but of the same order (only half of the force is on the fine scale) ...
    assert dh_nested > 0.05 * dh_single, (dh_nested, dh_single)
    # ... and second order in the outer step
    assert 3.2 < dh_nested / dh_nested_fine < 4.8, (dh_nested, dh_nested_fine)


@pytest.mark.parametrize("levels", [
    [("leapfrog", 3)],
    [("omelyan", 2)],
    [("omelyan", 2), ("leapfrog", 3)],
    [("leapfrog", 2), ("omelyan", 3), ("leapfrog", 2)],
], ids=["lf", "om", "om-lf", "lf-om-lf"])
def test_force_evaluations_are_merged_between_steps(levels, field_of):
    """A level with n steps evaluates its force n+1 times (leapfrog) or 2n+1 times (Omelyan)
    per call; level i is called once per link update of level i-1."""
    f = field_of("su2")
    act = GaugeAction(1.0)
    integ = Integrator([(act, n, s) for s, n in levels])
    integ.integrate(f, momenta(f, 14), 0.3)
    calls = 1
    for lv, (s, n) in zip(integ.levels, levels):
        per_call = n * get_scheme(s).force_evaluations + 1
        assert lv.stats.evaluations == calls * per_call
        calls *= n * len(get_scheme(s).u)
        assert lv.stats.max >= lv.stats.mean > 0
    integ.reset_stats()
    assert all(lv.stats.evaluations == 0 for lv in integ.levels)


class ZeroAction(Action):
    name = "zero"

    def value(self, field):
        return 0.0

    def force(self, field):
        return np.zeros_like(field.links)


@pytest.mark.parametrize("levels", [
    [("leapfrog", 5)],
    [("omelyan", 3)],
    [("omelyan", 2), ("leapfrog", 3)],
    [("leapfrog", 2), ("omelyan", 3), ("omelyan", 2)],
], ids=["lf", "om", "om-lf", "lf-om-om"])
@pytest.mark.parametrize("group", ["u1", "su3"])
def test_free_motion_is_exact(group, levels):
    """Without force, every scheme and nesting moves the links by exactly exp(tau P)."""
    rng = np.random.default_rng(15)
    f = GaugeField.hot(Lattice((4, 2, 2)), group, rng)
    p = f.group.momenta(f.links.shape[:2], rng)
    p0 = p.copy()
    tau = 0.83
    f_new = f.copy()
    Integrator([(ZeroAction(), n, s) for s, n in levels]).integrate(f_new, p, tau)
    assert np.array_equal(p, p0)
    expected = f.group.exp(tau * p0) @ f.links
    assert np.abs(f_new.links - expected).max() < 1e-13


class ConstantForceAction(Action):
    """S = -<F0, log-coordinates>: a link-independent force F0 (only its force is used)."""
    name = "const"

    def __init__(self, f0):
        self.f0 = f0

    def value(self, field):
        return 0.0

    def force(self, field):
        return self.f0.copy()


def test_force_diagnostics_are_the_norms_of_the_force():
    """ForceStats: mean and max over links of |F| = sqrt(<F, F>), and max |F| * |step|."""
    rng = np.random.default_rng(18)
    f = GaugeField.hot(Lattice((4, 2, 2)), "su3", rng)
    f0 = f.group.momenta(f.links.shape[:2], rng) * rng.uniform(0.1, 3.0, f.links.shape[:2])[..., None, None]
    norms = np.sqrt(np.einsum("mxa,mxa->mx", f.group.components(f0), f.group.components(f0)))
    n, tau = 4, 0.8
    integ = Integrator([(ConstantForceAction(f0), n, "leapfrog")])
    p = np.zeros_like(f.links)
    integ.integrate(f, p, tau)
    st = integ.levels[0].stats
    assert st.evaluations == n + 1
    assert st.mean == pytest.approx(norms.mean(), rel=1e-12)
    assert st.max == pytest.approx(norms.max(), rel=1e-12)
    assert st.max_f_eps == pytest.approx(norms.max() * tau / n, rel=1e-12)
    # a constant force changes the momenta by exactly -tau F0
    assert np.abs(p + tau * f0).max() < 1e-13


# ---------------------------------------------------------------------------
# area preservation (symplecticity) on a tiny 2D U(1) lattice
# ---------------------------------------------------------------------------
def _u1_flow(integ, lat, theta, pvec, tau):
    f = GaugeField(lat, "u1", np.exp(1j * theta.reshape(2, -1))[..., None, None])
    p = (1j * pvec.reshape(2, -1))[..., None, None].astype(complex)
    integ.integrate(f, p, tau)
    return f.links[..., 0, 0].reshape(-1), p[..., 0, 0].imag.reshape(-1)


@pytest.mark.parametrize("kind", ["leapfrog", "omelyan", "nested"])
def test_md_map_is_symplectic_on_tiny_u1_lattice(kind):
    """J^T Omega J = Omega (hence det J = 1) for the map (theta, p) -> (theta', p'),
    with the Jacobian J from central finite differences."""
    lat = Lattice((2, 4))
    nl = 2 * lat.volume
    rng = np.random.default_rng(16)
    theta = rng.uniform(-np.pi, np.pi, nl)
    pvec = rng.standard_normal(nl)
    integ = integrators(1.5)[kind]
    h = 1e-6
    z = np.concatenate([theta, pvec])
    jac = np.empty((2 * nl, 2 * nl))
    for k in range(2 * nl):
        zp, zm = z.copy(), z.copy()
        zp[k] += h
        zm[k] -= h
        up, pp = _u1_flow(integ, lat, zp[:nl], zp[nl:], 0.7)
        um, pm = _u1_flow(integ, lat, zm[:nl], zm[nl:], 0.7)
        jac[:nl, k] = np.angle(up / um) / (2 * h)
        jac[nl:, k] = (pp - pm) / (2 * h)
    omega = np.block([[np.zeros((nl, nl)), np.eye(nl)], [-np.eye(nl), np.zeros((nl, nl))]])
    assert np.abs(jac - np.eye(2 * nl)).max() > 0.1  # a nontrivial map
    assert np.abs(jac.T @ omega @ jac - omega).max() < 1e-6
    assert abs(np.linalg.det(jac) - 1) < 1e-6


def test_non_symplectic_map_fails_the_jacobian_check():
    """Control: the same check sees a non-area-preserving update (momenta scaled)."""
    class Scaled(Integrator):
        def integrate(self, field, mom, tau):
            super().integrate(field, mom, tau)
            mom *= 1.01

    lat = Lattice((2, 2))
    nl = 2 * lat.volume
    rng = np.random.default_rng(17)
    z = np.concatenate([rng.uniform(-np.pi, np.pi, nl), rng.standard_normal(nl)])
    integ = Scaled([(GaugeAction(1.5), 4, "leapfrog")])
    h = 1e-6
    jac = np.empty((2 * nl, 2 * nl))
    for k in range(2 * nl):
        zp, zm = z.copy(), z.copy()
        zp[k] += h
        zm[k] -= h
        up, pp = _u1_flow(integ, lat, zp[:nl], zp[nl:], 0.7)
        um, pm = _u1_flow(integ, lat, zm[:nl], zm[nl:], 0.7)
        jac[:nl, k] = np.angle(up / um) / (2 * h)
        jac[nl:, k] = (pp - pm) / (2 * h)
    assert abs(np.linalg.det(jac) - 1.01 ** nl) < 1e-5


# ---------------------------------------------------------------------------
# schemes and construction
# ---------------------------------------------------------------------------
def test_schemes_are_consistent_and_symmetric():
    for name, s in SCHEMES.items():
        assert abs(sum(s.p) - 1) < 1e-15 and abs(sum(s.u) - 1) < 1e-15
        assert tuple(s.p) == tuple(reversed(s.p)) and tuple(s.u) == tuple(reversed(s.u))
        assert get_scheme(name) is s and get_scheme(s) is s
    assert SCHEMES["leapfrog"].force_evaluations == 1
    assert SCHEMES["omelyan"].force_evaluations == 2
    assert OMELYAN_LAMBDA == pytest.approx(0.1931833275037836, abs=1e-16)


def test_invalid_integrator_input_raises():
    act = GaugeAction(1.0)
    with pytest.raises(ValueError, match="unknown integrator"):
        Integrator([(act, 3, "verlet4")])
    with pytest.raises(ValueError, match="steps must be >= 1"):
        Integrator([(act, 0, "leapfrog")])
    with pytest.raises(ValueError, match="at least one level"):
        Integrator([])
    from lqcd_core.integrators import Scheme
    with pytest.raises(ValueError, match="sum to 1"):
        Scheme("bad", (0.5, 0.4), (1.0,), 2, "")
    with pytest.raises(ValueError, match="len"):
        Scheme("bad", (0.5, 0.5), (0.5, 0.5), 2, "")


def test_integrator_total_action_and_level_lists():
    a, b = GaugeAction(1.0), GaugeAction(2.0, "iwasaki")
    integ = Integrator([Level([a, b], 2, "omelyan"), (a, 3, "leapfrog")])
    assert len(integ.levels) == 2
    f = GaugeField.hot(Lattice((4, 4)), "u1", np.random.default_rng(0))
    assert integ.action.value(f) == pytest.approx(2 * a.value(f) + b.value(f), rel=1e-13)
    assert [d["n_steps"] for d in integ.describe()] == [2, 3]
    assert integ.describe()[0]["scheme"] == "omelyan"
