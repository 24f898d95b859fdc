"""The truncated-CG surrogate (force from k CG iterations, not a gradient) and the solves
SLHMC shares with it: the force is a deterministic function of (U, phi), the MD it drives is
reversible, the shared Metropolis solves change the cost but not one bit of the chain, and
SLHMC with it samples the exact distribution (docs/slhmc.md, "Forces that are not
gradients", "Shared solves")."""

import numpy as np
import pytest

from lqcd_core.actions import GaugeAction
from lqcd_core.actions.fermion import SolverSettings, TwoFlavourAction
from lqcd_core.dirac import Staggered, Wilson
from lqcd_core.integrators import Integrator
from lqcd_core.markov.hmc import HMC
from lqcd_core.markov.slhmc import SLHMC, slhmc
from lqcd_core.solvers import cg
from lqcd_core.surrogate import KrylovState, TruncatedFermionSurrogate, from_dict, load_model, save_model
from md_checks import assert_md_reversible, rough_field

pytestmark = pytest.mark.usefixtures("single_numba_thread")


def staggered_case(seed=3, mass=0.3):
    field = rough_field((4, 4, 4, 4), "su2", seed)
    true = TwoFlavourAction(Staggered(mass=mass))
    true.refresh(field, np.random.default_rng(seed + 1))
    return field, true


def test_truncated_iterate_is_the_kth_iterate_of_the_library_cg_bit_for_bit():
    field, true = staggered_case()
    op = true.bind(field)
    kept = {}

    def callback(it, rel, x):
        kept.setdefault(it, x.copy())
    x_full, _ = cg(op.hermitian, true.phi, tol=1e-10, callback=callback)
    for k in (1, 5, 9):
        assert np.array_equal(KrylovState(op.hermitian, true.phi).run(k).x, kept[k])
    # resumed to convergence, the state is the converged solve of the library
    x, at5 = KrylovState(op.hermitian, true.phi).run(3).solve(1e-10, 1000, capture=5)
    assert np.array_equal(x, x_full) and np.array_equal(at5, kept[5])


def test_truncated_force_is_a_deterministic_function_of_links_and_phi():
    field, true = staggered_case()
    model = TruncatedFermionSurrogate(Staggered(mass=0.3), source=true, iterations=6)
    f1 = model.force(field)
    model.force(rough_field((4, 4, 4, 4), "su2", 9))     # another field in between
    assert np.array_equal(model.force(field.copy()), f1)
    assert model.cost["solves"] == 3 and model.cost["solver_iterations"] == 18
    # it tends to the exact pseudofermion force as k grows
    exact = TwoFlavourAction(Staggered(mass=0.3), SolverSettings(tol_force=1e-12))
    exact.phi = true.phi
    f_exact = exact.force(field)
    errs = [np.abs(TruncatedFermionSurrogate(Staggered(mass=0.3), source=true, iterations=k)
                   .force(field) - f_exact).max() for k in (2, 6, 12, 24)]
    assert all(b < a for a, b in zip(errs, errs[1:])) and errs[-1] < 1e-3 * np.abs(f_exact).max()


def test_md_with_the_truncated_force_is_reversible():
    field, true = staggered_case()
    model = TruncatedFermionSurrogate(Staggered(mass=0.3), source=true, iterations=4, a=1.2)
    integ = Integrator([([model], 3, "omelyan"), (GaugeAction(beta=2.0), 2, "omelyan")])
    assert_md_reversible(integ, field)


def test_shared_metropolis_solves_leave_the_chain_bit_identical_and_save_2k_iterations():
    k = 5
    runs = {}
    for shared in (True, False):
        field, true = staggered_case(seed=11)
        gauge = GaugeAction(beta=2.0)
        model = TruncatedFermionSurrogate(Staggered(mass=0.3), source=true, iterations=k)
        if shared:
            upd = slhmc(gauge, [true], model, steps=2, inner_steps=2, scheme="omelyan")
            assert isinstance(upd, SLHMC) and upd._shared == [True]
        else:   # the same update without the sharing: HMC with a separate accept action
            upd = HMC(Integrator([([model], 2, "omelyan"), (gauge, 2, "omelyan")]), 1.0,
                      accept_action=gauge + true)
        rng = np.random.default_rng(5)
        log = [upd.trajectory(field, rng) for _ in range(4)]
        runs[shared] = (field.links.copy(), log)
    (u1, log1), (u0, log0) = runs[True], runs[False]
    assert np.array_equal(u1, u0)
    assert [e["delta_h"] for e in log1] == [e["delta_h"] for e in log0]
    assert sum(e["accepted"] for e in log1) > 0
    for a, b in zip(log1, log0):
        assert b["solver_iterations"] - a["solver_iterations"] == 2 * k
        assert b["dirac_applications"] - a["dirac_applications"] == 2 * k


def test_a_heavier_truncated_surrogate_does_not_share_solves():
    field, true = staggered_case()
    model = TruncatedFermionSurrogate(Staggered(mass=0.5), source=true, iterations=4)
    upd = slhmc(GaugeAction(beta=2.0), [true], model, steps=2, inner_steps=2, scheme="omelyan")
    assert upd._shared == [False]
    with pytest.raises(ValueError, match="heavier"):
        TruncatedFermionSurrogate(Staggered(mass=0.2), source=true)
    with pytest.raises(ValueError, match="iterations"):
        TruncatedFermionSurrogate(Staggered(mass=0.3), source=true, iterations=0)


def test_truncated_round_trips_through_the_registry_and_the_model_file(tmp_path):
    field, true = staggered_case()
    model = TruncatedFermionSurrogate(Staggered(mass=0.4), source=true, iterations=7, a=1.1)
    again = from_dict(model.to_dict(), source=true)
    assert again.iterations == 7 and again.a == 1.1 and again.config() == model.config()
    assert np.array_equal(again.force(field), model.force(field))
    save_model(tmp_path / "t.h5", model)
    loaded = load_model(tmp_path / "t.h5", source=true)
    assert np.array_equal(loaded.force(field), model.force(field))


def test_slhmc_with_truncated_forces_agrees_with_the_exact_answer():
    from test_fermion_exactness import KAPPA, quenched_reweighted
    from test_slhmc import run_slhmc
    exact = quenched_reweighted(3000)
    for k, seed in ((2, 5), (6, 6)):      # a crude and a good truncation
        res = run_slhmc(lambda true, k=k: TruncatedFermionSurrogate(
            Wilson(kappa=KAPPA, even_odd=True), source=true, iterations=k), 700, seed)
        for obs in ("plaquette", "pbp"):
            (a, da), (b, db) = exact[obs], res[obs]
            assert abs(a - b) < 4 * np.hypot(da, db), (k, obs, exact[obs], res[obs])
        assert res["acceptance"] > 0.05, (k, res)
