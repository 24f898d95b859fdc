"""Exactness of dynamical-fermion HMC on the 2D Schwinger model (docs/validation.md).

HMC with Nf = 2 Wilson fermions samples exp(-S_g) |det M|^2.  The same expectation values
follow from quenched configurations (exact heatbath) reweighted by the dense determinant:

    <O>_dyn = <O w>_q / <w>_q,     w = |det M|^2.

Both are compared for the plaquette and the condensate Re tr M^{-1} / V (dense inverse, no
noise), and <exp(-dH)> = 1 is checked on the HMC chain.  Staggered RHMC at Nf = 4 (alpha = 1)
must reproduce plain staggered HMC.  The CI versions are short; ``slow`` ones run longer
chains (bench/ and docs/validation.md quote them).
"""
import numpy as np
import pytest

from lqcd_core.actions import GaugeAction
from lqcd_core.actions.fermion import TwoFlavourAction
from lqcd_core.actions.rational import RationalAction
from lqcd_core.dirac import Staggered, Wilson
from lqcd_core.gauge import GaugeField
from lqcd_core.integrators import Integrator
from lqcd_core.lattice import Lattice
from lqcd_core.markov.heatbath import Heatbath
from lqcd_core.markov.hmc import HMC

BETA, KAPPA, EXTENTS = 1.0, 0.22, (4, 4)


pytestmark = pytest.mark.usefixtures("single_numba_thread")


def dense(op):
    n = int(np.prod(op.shape))
    eye = np.eye(n, dtype=complex)
    return np.array([op.apply(eye[i].reshape(op.shape)).ravel() for i in range(n)]).T


def observables(field, fermion):
    m = dense(fermion.bind(field))
    sign, logdet = np.linalg.slogdet(m)
    pbp = np.trace(np.linalg.inv(m)).real / field.lattice.volume
    return field.plaquette(), pbp, 2.0 * logdet


def blocked(x, nblocks=20):
    x = np.asarray(x, float)
    b = x[: len(x) // nblocks * nblocks].reshape(nblocks, -1).mean(axis=1)
    return b.mean(), b.std(ddof=1) / np.sqrt(nblocks)


def quenched_reweighted(n_sweeps, seed=1):
    lat = Lattice(EXTENTS)
    field = GaugeField.hot(lat, "u1", np.random.default_rng(seed))
    hb = Heatbath(GaugeAction(BETA), or_per_hb=1, seed_key=seed)
    full = Wilson(kappa=KAPPA)
    rows = []
    for k in range(n_sweeps + 50):
        hb.sweep(field, k)
        if k >= 50:
            rows.append(observables(field, full))
    plaq, pbp, logw = np.array(rows).T
    w = np.exp(logw - logw.max())
    nb = 20
    # jackknife over blocks for the ratio <O w> / <w>
    out = {}
    for name, o in (("plaquette", plaq), ("pbp", pbp)):
        n = len(o) // nb * nb
        ow, ww = (o * w)[:n].reshape(nb, -1).sum(1), w[:n].reshape(nb, -1).sum(1)
        full_est = ow.sum() / ww.sum()
        jk = np.array([(ow.sum() - ow[i]) / (ww.sum() - ww[i]) for i in range(nb)])
        out[name] = (full_est, np.sqrt((nb - 1) * np.mean((jk - jk.mean()) ** 2)))
    return out


def dynamical_hmc(n_traj, seed=2, n_therm=30):
    lat = Lattice(EXTENTS)
    rng = np.random.default_rng(seed)
    field = GaugeField.hot(lat, "u1", rng)
    act = TwoFlavourAction(Wilson(kappa=KAPPA, even_odd=True))
    hmc = HMC(Integrator([([act], 6, "omelyan"), (GaugeAction(BETA), 2, "omelyan")]), 1.0)
    full = Wilson(kappa=KAPPA)
    rows, dh = [], []
    for k in range(n_traj + n_therm):
        e = hmc.trajectory(field, rng)
        if k >= n_therm:
            rows.append(observables(field, full)[:2])
            dh.append(e["delta_h"])
    plaq, pbp = np.array(rows).T
    return {"plaquette": blocked(plaq), "pbp": blocked(pbp), "exp_mdh": blocked(np.exp(-np.array(dh)))}


def compare(n_q, n_d):
    q = quenched_reweighted(n_q)
    d = dynamical_hmc(n_d)
    for name in ("plaquette", "pbp"):
        (a, da), (b, db) = q[name], d[name]
        assert abs(a - b) < 4 * np.hypot(da, db), (name, q[name], d[name])
    m, dm = d["exp_mdh"]
    assert abs(m - 1) < 4 * dm + 1e-3, d["exp_mdh"]
    return q, d


def test_schwinger_nf2_hmc_agrees_with_reweighted_quenched():
    q, d = compare(3000, 600)
    # the determinant must matter at these parameters, or the test could not fail: without
    # it (unweighted quenched) the condensate is many HMC errors away
    unweighted = quenched_unweighted_pbp(3000)
    assert abs(unweighted - d["pbp"][0]) > 6 * np.hypot(d["pbp"][1], q["pbp"][1])


def quenched_unweighted_pbp(n):
    lat = Lattice(EXTENTS)
    field = GaugeField.hot(lat, "u1", np.random.default_rng(1))
    hb = Heatbath(GaugeAction(BETA), or_per_hb=1, seed_key=1)
    vals = []
    for k in range(n + 50):
        hb.sweep(field, k)
        if k >= 50:
            vals.append(observables(field, Wilson(kappa=KAPPA))[1])
    return float(np.mean(vals))


@pytest.mark.slow
def test_schwinger_nf2_hmc_agrees_with_reweighted_quenched_long():
    compare(40000, 8000)


def staggered_chain(action_factory, n_traj, seed):
    lat = Lattice(EXTENTS)
    rng = np.random.default_rng(seed)
    field = GaugeField.hot(lat, "u1", rng)
    act = action_factory()
    hmc = HMC(Integrator([([act], 5, "omelyan"), (GaugeAction(BETA), 2, "omelyan")]), 1.0)
    vals = []
    for k in range(n_traj + 30):
        e = hmc.trajectory(field, rng)
        if k >= 30:
            vals.append(e["plaquette"])
    return blocked(vals)


@pytest.mark.parametrize("n_traj", [pytest.param(800, id="ci"),
                                    pytest.param(10000, id="long", marks=pytest.mark.slow)])
def test_rhmc_staggered_nf4_reproduces_plain_hmc(n_traj):
    a, da = staggered_chain(lambda: TwoFlavourAction(Staggered(mass=0.2)), n_traj, 5)
    b, db = staggered_chain(lambda: RationalAction(Staggered(mass=0.2), 4), n_traj, 6)
    assert abs(a - b) < 4 * np.hypot(da, db), ((a, da), (b, db))
