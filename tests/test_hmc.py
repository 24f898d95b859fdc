"""Tests of the HMC update: exactness (<exp(-dH)> = 1, exact results), rejection, reproducibility."""
import numba
import numpy as np
import pytest
from scipy.special import erfc, ive

from lqcd_core.actions import GaugeAction
from lqcd_core.gauge import GaugeField
from lqcd_core.integrators import Integrator
from lqcd_core.lattice import Lattice
from lqcd_core.markov.hmc import HMC


pytestmark = pytest.mark.usefixtures("single_numba_thread")


# ---------------------------------------------------------------------------
# helpers and exact references
# ---------------------------------------------------------------------------
def blocked_mean_error(x, block):
    """Mean and its standard error from the means of consecutive blocks."""
    x = np.asarray(x, float)
    nb = len(x) // block
    b = x[: nb * block].reshape(nb, block).mean(axis=1)
    return b.mean(), b.std(ddof=1) / np.sqrt(nb)


def run_hmc(group, extents, beta, n_steps, scheme, n_traj, n_therm, seed, action="wilson",
            tau=1.0, start="hot"):
    rng = np.random.default_rng(seed)
    lat = Lattice(extents)
    f = GaugeField.hot(lat, group, rng) if start == "hot" else GaugeField.cold(lat, group)
    hmc = HMC(Integrator([(GaugeAction(beta, action), n_steps, scheme)]), tau)
    for _ in range(n_therm):
        hmc.trajectory(f, rng)
    log = [hmc.trajectory(f, rng) for _ in range(n_traj)]
    return f, {k: np.array([e[k] for e in log]) for k in ("delta_h", "accepted", "plaquette")}


def u1_2d_exact_plaquette(beta, volume):
    """<P> = sum_n I_n^{V-1} I_n' / sum_n I_n^V on a periodic 2D lattice with V plaquettes."""
    n = np.arange(-60, 61)
    i_n = ive(n, beta)  # I_n(beta) e^{-beta}: the factor cancels
    keep = i_n > 0
    n, i_n = n[keep], i_n[keep]
    logw = volume * np.log(i_n)
    w = np.exp(logw - logw.max())
    ratio = (ive(n - 1, beta) + ive(n + 1, beta)) / (2 * i_n)
    return float(np.sum(w * ratio) / np.sum(w))


def _weyl_su3(m=64):
    """Eigenphase grid and Haar (Weyl) weights for class functions of SU(3)."""
    th = 2 * np.pi * np.arange(m) / m
    t1, t2 = np.meshgrid(th, th)
    z = [np.exp(1j * t) for t in (t1, t2, -t1 - t2)]
    vdm = (np.abs(z[0] - z[1]) * np.abs(z[0] - z[2]) * np.abs(z[1] - z[2])) ** 2
    return z[0] + z[1] + z[2], vdm / vdm.sum()


def su3_single_plaquette(beta):
    """u(beta) = <Re tr U / 3> with weight exp((beta/3) Re tr U) dU: the strong-coupling
    plaquette, <P> = u + O(u^5) in 4D; u = beta/18 + beta^2/216 + O(beta^3)."""
    tr, w = _weyl_su3()
    w = w * np.exp(beta / 3 * tr.real)
    return float(np.sum(w * tr.real / 3) / np.sum(w))


def test_exact_references_are_self_consistent():
    # U(1): <P> = (1/V) d ln Z / d beta with Z = sum_n I_n^V, and the V -> infinity limit I1/I0
    for beta, vol in ((0.7, 16), (2.0, 64), (3.0, 16)):
        lnz = lambda b: np.log(np.sum(ive(np.arange(-60, 61), b) ** vol)) + vol * b  # noqa: E731
        h = 1e-5
        deriv = (lnz(beta + h) - lnz(beta - h)) / (2 * h) / vol
        assert u1_2d_exact_plaquette(beta, vol) == pytest.approx(deriv, rel=1e-7)
    assert u1_2d_exact_plaquette(2.0, 10 ** 5) == pytest.approx(ive(1, 2.0) / ive(0, 2.0), rel=1e-12)
    assert abs(u1_2d_exact_plaquette(2.0, 16) - ive(1, 2.0) / ive(0, 2.0)) > 1e-3  # visible at small V
    # SU(3) Weyl measure: <|tr U|^2> = 1, <tr U> = 0; strong-coupling series of u(beta)
    tr, w = _weyl_su3()
    assert np.sum(w * np.abs(tr) ** 2) == pytest.approx(1.0, abs=1e-12)
    assert abs(np.sum(w * tr)) < 1e-12
    for beta in (1e-3, 0.1, 0.3):
        assert su3_single_plaquette(beta) == pytest.approx(beta / 18 + beta ** 2 / 216, abs=beta ** 3 / 100)


# ---------------------------------------------------------------------------
# exactness
# ---------------------------------------------------------------------------
def test_average_exp_minus_delta_h_is_one():
    """<exp(-dH)> = 1 (reversibility + area preservation), for dH of order 1."""
    _, log = run_hmc("su2", (4, 4, 4, 4), 2.3, 7, "leapfrog", n_traj=300, n_therm=30, seed=21)
    dh = log["delta_h"]
    mean, err = blocked_mean_error(np.exp(-dh), 10)
    assert abs(mean - 1) < 4 * err, (mean, err)
    assert err < 0.1  # the test has teeth
    # a nontrivial step size: <dH> > 0 significantly, and <dH> ~ Var(dH)/2
    m_dh, e_dh = blocked_mean_error(dh, 10)
    assert m_dh > 4 * e_dh
    assert 0.5 < dh.var() / (2 * m_dh) < 2.0
    # acceptance is reasonable and follows the area-preserving prediction erfc(sqrt(<dH>)/2)
    acc = log["accepted"].mean()
    assert 0.4 < acc < 0.95
    assert abs(acc - erfc(np.sqrt(m_dh) / 2)) < 0.1


@pytest.mark.parametrize("beta", [1.0, 2.0])
def test_u1_2d_plaquette_matches_exact_finite_volume_result(beta):
    L = 8
    _, log = run_hmc("u1", (L, L), beta, 5, "omelyan", n_traj=2000, n_therm=100, seed=int(10 * beta))
    mean, err = blocked_mean_error(log["plaquette"], 40)
    exact = u1_2d_exact_plaquette(beta, L * L)
    assert abs(mean - exact) < 4 * err, (mean, exact, err)
    assert err < 0.005
    assert log["accepted"].mean() > 0.8


def test_u1_2d_plaquette_is_exact_with_coarse_steps():
    """Exact for any step size: with acceptance ~ 50% the Metropolis step carries the load."""
    beta, L = 2.0, 8
    _, log = run_hmc("u1", (L, L), beta, 3, "leapfrog", n_traj=3000, n_therm=100, seed=7)
    assert 0.3 < log["accepted"].mean() < 0.75
    mean, err = blocked_mean_error(log["plaquette"], 50)
    exact = u1_2d_exact_plaquette(beta, L * L)
    assert abs(mean - exact) < 4 * err, (mean, exact, err)
    assert err < 0.006


@pytest.mark.slow
@pytest.mark.parametrize("extents", [(8, 8), (4, 4), (6, 4)], ids=str)
@pytest.mark.parametrize("beta", [0.5, 1.0, 1.5, 2.0, 3.0])
def test_u1_2d_plaquette_matches_exact_result_long(beta, extents):
    vol = int(np.prod(extents))
    _, log = run_hmc("u1", extents, beta, 6, "omelyan", n_traj=20000, n_therm=500, seed=int(100 * beta) + vol)
    mean, err = blocked_mean_error(log["plaquette"], 200)
    exact = u1_2d_exact_plaquette(beta, vol)
    assert abs(mean - exact) < 4 * err, (mean, exact, err)


def test_su3_strong_coupling_plaquette():
    """4D SU(3) at beta = 0.5: <P> = u(beta) = beta/18 + beta^2/216 + ... (leading order beta/18)."""
    beta = 0.5
    _, log = run_hmc("su3", (4, 4, 4, 4), beta, 2, "omelyan", n_traj=600, n_therm=20, seed=31)
    mean, err = blocked_mean_error(log["plaquette"], 20)
    exact = su3_single_plaquette(beta)
    assert abs(exact - beta / 18) < 0.05 * beta / 18  # leading order dominates
    assert abs(mean - exact) < 4 * err, (mean, exact, err)
    assert err < 0.0006


@pytest.mark.slow
@pytest.mark.parametrize("group, beta", [("su3", 0.25), ("su3", 1.0), ("su3", 2.0), ("su2", 0.5), ("su2", 1.0)])
def test_strong_coupling_plaquette_long(group, beta):
    """<P> = u(beta) + O(u^5): SU(3) u from the Weyl integral, SU(2) u = I_2(beta)/I_1(beta)."""
    _, log = run_hmc(group, (4, 4, 4, 4), beta, 3, "omelyan", n_traj=4000, n_therm=50, seed=int(40 * beta))
    mean, err = blocked_mean_error(log["plaquette"], 100)
    u = su3_single_plaquette(beta) if group == "su3" else ive(2, beta) / ive(1, beta)
    assert abs(mean - u) < 4 * err + 4 * u ** 5, (mean, u, err)


@pytest.mark.slow
def test_average_exp_minus_delta_h_is_one_long():
    for group, beta, action, n in (("su3", 5.7, "wilson", 12), ("su2", 2.3, "iwasaki", 6)):
        _, log = run_hmc(group, (4, 4, 4, 4), beta, n, "omelyan", n_traj=1500, n_therm=100, seed=41,
                         action=action)
        mean, err = blocked_mean_error(np.exp(-log["delta_h"]), 50)
        assert abs(mean - 1) < 4 * err, (group, mean, err)


# ---------------------------------------------------------------------------
# accept / reject and reproducibility
# ---------------------------------------------------------------------------
def rough_hmc(beta=8.0):
    """One long leapfrog step on a hot field: dH is huge, the trajectory is rejected."""
    return HMC(Integrator([(GaugeAction(beta), 1, "leapfrog")]), 2.0)


def test_rejected_trajectory_leaves_links_bit_identical():
    f = GaugeField.hot(Lattice((4, 2, 4, 2)), "su3", np.random.default_rng(51))
    before = f.links.copy()
    plaq = f.plaquette()
    entry = rough_hmc().trajectory(f, np.random.default_rng(510))
    assert entry["delta_h"] > 50
    assert entry["accepted"] == 0
    assert np.array_equal(f.links, before)
    assert entry["plaquette"] == plaq
    # without the Metropolis step the same trajectory is taken and kept
    g = GaugeField(f.lattice, f.group, before.copy())
    entry2 = rough_hmc().trajectory(g, np.random.default_rng(510), metropolis=False)
    assert entry2["delta_h"] == entry["delta_h"]
    assert entry2["accepted"] == 1 and np.abs(g.links - before).max() > 0.1


def test_random_stream_does_not_depend_on_the_outcome():
    """One uniform per trajectory is drawn whether or not it is needed: after a rejected
    trajectory, an accepted one with dH > 0 and one with dH < 0 the streams agree."""
    lat = Lattice((4, 4))
    f = GaugeField.hot(lat, "su2", np.random.default_rng(52))
    r1, r2 = np.random.default_rng(53), np.random.default_rng(53)
    e1 = rough_hmc().trajectory(f.copy(), r1)  # rejected
    e2 = rough_hmc().trajectory(f.copy(), r2, metropolis=False)  # accepted, dH > 0
    assert e1["accepted"] == 0 and e2["accepted"] == 1 and e2["delta_h"] > 0
    # a fine integrator: find a seed whose trajectory has dH < 0
    fine = HMC(Integrator([(GaugeAction(1.0), 4, "omelyan")]), 0.3)
    for seed in range(100):
        r3 = np.random.default_rng(seed)
        e3 = fine.trajectory(f.copy(), r3)
        if e3["delta_h"] < 0:
            break
    assert e3["delta_h"] < 0 and e3["accepted"] == 1
    ra, rb = np.random.default_rng(seed), np.random.default_rng(seed)
    assert rough_hmc().trajectory(f.copy(), ra)["accepted"] == 0
    # the stream is exactly: momenta (one normal per component) + one uniform
    rb.standard_normal((lat.ndim, lat.volume, 3))
    rb.random()
    nxt = ra.random()
    assert r3.random() == nxt and rb.random() == nxt
    assert r1.random() == r2.random()


def test_accepted_links_are_reunitarised_and_entry_is_complete():
    rng = np.random.default_rng(54)
    f = GaugeField.hot(Lattice((4, 4, 2, 2)), "su3", rng)
    f.links *= 1 + 1e-9  # slightly off the group
    hmc = HMC(Integrator([(GaugeAction(0.5), 3, "omelyan"), (GaugeAction(0.5), 2, "leapfrog")]), 0.5)
    entry = hmc.trajectory(f, rng, metropolis=False)
    assert entry["accepted"] == 1
    assert f.unitarity_violation() < 1e-14
    assert entry["plaquette"] == f.plaquette()
    for key in ("delta_h", "seconds", "force0_mean", "force0_max", "force0_feps", "force1_max"):
        assert key in entry and np.isfinite(entry[key])
    assert entry["force1_max"] >= entry["force1_mean"] > 0


def _chain(seed, n_traj=4, group="su2"):
    rng = np.random.default_rng(seed)
    f = GaugeField.hot(Lattice((4, 2, 4, 2)), group, np.random.default_rng(55))
    hmc = HMC(Integrator([(GaugeAction(2.0, "symanzik"), 4, "omelyan")]), 1.0)
    log = [hmc.trajectory(f, rng) for _ in range(n_traj)]
    return f, log


def test_same_seed_gives_bit_identical_links():
    f1, log1 = _chain(56)
    f2, log2 = _chain(56)
    assert np.array_equal(f1.links, f2.links)
    assert [e["delta_h"] for e in log1] == [e["delta_h"] for e in log2]
    assert [e["accepted"] for e in log1] == [e["accepted"] for e in log2]
    assert sum(e["accepted"] for e in log1) > 0
    f3, _ = _chain(57)
    assert not np.allclose(f1.links, f3.links)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two Numba threads")
def test_trajectories_do_not_depend_on_the_number_of_threads():
    f1, log1 = _chain(58, 3, "su3")
    numba.set_num_threads(2)
    try:
        f2, log2 = _chain(58, 3, "su3")
    finally:
        numba.set_num_threads(1)
    assert [e["accepted"] for e in log1] == [e["accepted"] for e in log2]
    assert np.abs(f1.links - f2.links).max() < 1e-12
    assert np.allclose([e["delta_h"] for e in log1], [e["delta_h"] for e in log2], rtol=1e-9, atol=1e-10)


class CountingAction(GaugeAction):
    """A gauge action that counts refresh() calls and can turn its value into NaN."""

    def __init__(self, beta):
        super().__init__(beta)
        self.refreshes = 0
        self.nan_after = None
        self.calls = 0

    def refresh(self, field, rng):
        self.refreshes += 1

    def value(self, field):
        self.calls += 1
        if self.nan_after is not None and self.calls > self.nan_after:
            return float("nan")
        return super().value(field)


def test_non_finite_delta_h_is_always_rejected():
    rng = np.random.default_rng(59)
    f = GaugeField.hot(Lattice((4, 4)), "u1", rng)
    before = f.links.copy()
    act = CountingAction(1.0)
    act.nan_after = 1  # H0 finite, H1 = nan
    hmc = HMC(Integrator([(act, 3, "leapfrog")]), 0.5)
    for metropolis in (True, False):
        act.calls = 0
        entry = hmc.trajectory(f, rng, metropolis=metropolis)
        assert np.isnan(entry["delta_h"]) and entry["accepted"] == 0
        assert np.array_equal(f.links, before)


def test_single_level_action_is_refreshed_once_per_trajectory():
    a = CountingAction(1.0)
    f = GaugeField.hot(Lattice((4, 4)), "u1", np.random.default_rng(60))
    HMC(Integrator([(a, 2, "leapfrog")]), 0.5).trajectory(f, np.random.default_rng(61))
    assert a.refreshes == 1


def test_multi_level_actions_are_refreshed_once_per_trajectory():
    a, b = CountingAction(0.5), CountingAction(0.5)
    f = GaugeField.hot(Lattice((4, 4)), "u1", np.random.default_rng(62))
    HMC(Integrator([(a, 2, "leapfrog"), (b, 2, "leapfrog")]), 0.5).trajectory(f, np.random.default_rng(63))
    assert (a.refreshes, b.refreshes) == (1, 1)


def test_invalid_trajectory_length_raises():
    integ = Integrator([(GaugeAction(1.0), 2, "leapfrog")])
    for tau in (0.0, -1.0, float("inf")):
        with pytest.raises(ValueError, match="trajectory length must be positive"):
            HMC(integ, tau)
