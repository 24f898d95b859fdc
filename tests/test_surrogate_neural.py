"""Surrogates sharing the true action's pseudofermion field (heavy fermion, trainable stout
network), their training (Adam, losses, data loop) and HDF5 storage
(docs/_draft_slhmc_neural.md)."""
import h5py
import numpy as np
import pytest

from lqcd_core.actions import GaugeAction, SmearedAction
from lqcd_core.actions.fermion import SolverSettings, TwoFlavourAction
from lqcd_core.actions.fermion_spec import collect_cost
from lqcd_core.dirac import Staggered, Wilson
from lqcd_core.gauge import GaugeField
from lqcd_core.gauge._rectangles import improved_staples
from lqcd_core.integrators import Integrator
from lqcd_core.io import ChecksumError
from lqcd_core.lattice import Lattice
from lqcd_core.markov.heatbath import Heatbath
from lqcd_core.markov.hmc import HMC
from lqcd_core.smearing import Stout
from lqcd_core.smearing.stout import stout_backward, stout_step
from lqcd_core.surrogate import (Adam, HeavyFermionSurrogate, StoutNetworkSurrogate, from_dict,
                                 load_model, make_samples, save_model, train)
from lqcd_core.surrogate import _stout_grad as SG
from lqcd_core.surrogate import training as T
from lqcd_core.surrogate.io import read_model_file, update_metadata
from md_checks import assert_md_reversible, rough_field

TIGHT = SolverSettings(tol_action=1e-13, tol_force=1e-13)

# (true fermion, heavier fermion, extents, group)
CASES = {
    "wilson_eo_2d_u1": (Wilson(kappa=0.2, even_odd=True), Wilson(kappa=0.15, even_odd=True),
                        (4, 4), "u1"),
    "staggered_eo_4d_su2": (Staggered(mass=0.2), Staggered(mass=0.5), (2, 2, 2, 4), "su2"),
}
RHO = np.array([[0.11, 0.03], [0.07, 0.02]])   # (layer, loop type), non-zero everywhere


pytestmark = pytest.mark.usefixtures("single_numba_thread")


def setup_case(case, seed=3):
    true_f, heavy_f, ext, group = CASES[case]
    field = rough_field(ext, group, seed)
    true = TwoFlavourAction(true_f, TIGHT)
    true.refresh(field, np.random.default_rng(seed + 1))
    return field, true, heavy_f


def network(heavy_f, true, loops=("plaq", "rect"), **kw):
    kw.setdefault("n_layers", 2)
    kw.setdefault("rho", RHO[:kw["n_layers"], :len(loops)])
    return StoutNetworkSurrogate(heavy_f, source=true, loops=loops, solver=TIGHT, **kw)


def directional_derivative(fn, field, t, eps=1e-4):
    """d/de fn(exp(e T) U) at 0, symmetric differences with Richardson extrapolation."""
    def at(h):
        g = field.copy()
        g.links[...] = np.einsum("...ij,...jk->...ik", field.group.exp(h * t), field.links)
        return fn(g)
    d1 = (at(eps) - at(-eps)) / (2 * eps)
    d2 = (at(2 * eps) - at(-2 * eps)) / (4 * eps)
    return (4 * d1 - d2) / 3


def check_force(model, field, seed=7, rtol=1e-6):
    rng = np.random.default_rng(seed)
    f = model.force(field)
    for _ in range(2):
        t = field.group.momenta(field.links.shape[:2], rng)
        analytic = field.group.inner(t, f)
        numeric = directional_derivative(model.value, field, t)
        assert analytic == pytest.approx(numeric, rel=rtol, abs=1e-8 * np.abs(f).max())


def numerical_theta_gradient(fn, model, h=1e-5):
    theta = model.parameters()
    out = []
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        vals = []
        for s in (2, 1, -1, -2):
            model.set_parameters(theta + s * e)
            vals.append(fn())
        model.set_parameters(theta)
        d1 = (vals[1] - vals[2]) / (2 * h)
        d2 = (vals[0] - vals[3]) / (4 * h)
        out.append((4 * d1 - d2) / 3)
    return np.array(out)


def gauge_transformed(field, phi, rng):
    """(U^g, g phi) for a random site field g; phi lives on the even sites (even-odd)."""
    g = field.group.random((field.lattice.volume,), rng)
    even = field.lattice.even_sites
    assert phi.shape[0] == len(even)
    if phi.ndim == 3:   # Wilson (V/2, ns, nc)
        gphi = np.einsum("xij,xsj->xsi", g[even], phi)
    else:               # staggered (V/2, nc)
        gphi = np.einsum("xij,xj->xi", g[even], phi)
    return field.gauge_transform(g), gphi


# ---------------------------------------------------------------------------
# symmetry and derivatives
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", list(CASES))
def test_both_surrogates_are_gauge_invariant(case):
    field, true, heavy_f = setup_case(case)
    models = [HeavyFermionSurrogate(heavy_f, source=true, solver=TIGHT),
              network(heavy_f, true, scale=True, a=1.3, offset=True, c0=0.4)]
    before = [m.value(field) for m in models]
    s_true = true.value(field)
    field_g, phi_g = gauge_transformed(field, true.phi, np.random.default_rng(11))
    assert not np.allclose(field_g.links, field.links)
    true.phi = phi_g
    assert true.value(field_g) == pytest.approx(s_true, rel=1e-10)
    for m, b in zip(models, before):
        assert m.value(field_g) == pytest.approx(b, rel=1e-10)
    # and phi not transformed is a different value: the test can fail
    true.phi = gauge_transformed(field, phi_g, np.random.default_rng(12))[1]
    assert abs(models[1].value(field_g) - before[1]) > 1e-6


@pytest.mark.parametrize("case", list(CASES))
def test_heavy_surrogate_force_equals_numerical_derivative(case):
    field, true, heavy_f = setup_case(case)
    check_force(HeavyFermionSurrogate(heavy_f, source=true, solver=TIGHT), field)


@pytest.mark.parametrize("loops", [("plaq",), ("plaq", "rect")])
@pytest.mark.parametrize("case", list(CASES))
def test_network_force_through_two_trainable_layers_equals_numerical_derivative(case, loops):
    field, true, heavy_f = setup_case(case)
    model = network(heavy_f, true, loops=loops, scale=True, a=1.3)
    assert np.all(model.rho != 0) and model.n_layers == 2
    check_force(model, field)


def test_layer_backward_agrees_with_stout_backward_and_the_path_rule():
    field = rough_field((2, 2, 2, 4), "su2", 5)
    rng = np.random.default_rng(6)
    fp = field.group.momenta(field.links.shape[:2], rng)
    # plaquette-only layer = the smearing package's stout level
    assert np.allclose(SG.layer_forward(field, 0.12).links, stout_step(field, 0.12).links,
                       atol=1e-14)
    f, _ = SG.layer_backward(field, fp, 0.12)
    assert np.allclose(f, stout_backward(field, fp, 0.12), atol=1e-13)
    # both staple types: stout_chain + path rule = path rule for everything
    f, _ = SG.layer_backward(field, fp, 0.12, 0.04, use_rect=True)
    assert np.allclose(f, SG.path_force(field, fp, 0.12, 0.04), atol=1e-13)
    # rectangle staples = the gauge kernels' rectangle staple sum, daggered (orientation)
    a = np.empty_like(field.links)
    improved_staples(field.links, field.lattice.fwd, field.lattice.bwd, a, 0.0, 1.0)
    assert np.allclose(SG.path_staples(field, "rect"), np.conj(np.swapaxes(a, -1, -2)), atol=1e-13)


@pytest.mark.parametrize("case", list(CASES))
def test_grad_parameters_equals_numerical_derivative(case):
    field, true, heavy_f = setup_case(case)
    model = network(heavy_f, true, scale=True, a=1.3, offset=True, c0=0.4)
    g = model.grad_parameters(field)
    assert g.shape == (model.n_parameters(),) == (2 * 2 + 2,)
    num = numerical_theta_gradient(lambda: model.value(field), model)
    assert np.allclose(g, num, rtol=1e-6, atol=1e-7 * np.abs(g).max())
    # also at rho = 0, where the layers are the identity but the gradient is not zero
    model.set_parameters(np.r_[np.zeros(4), 1.0, 0.0])
    g0 = model.grad_parameters(field)
    assert np.abs(g0[:4]).max() > 1e-3
    assert np.allclose(g0, numerical_theta_gradient(lambda: model.value(field), model),
                       rtol=1e-6, atol=1e-7 * np.abs(g0).max())


def test_untrained_network_is_the_heavy_surrogate():
    field, true, heavy_f = setup_case("wilson_eo_2d_u1")
    heavy = HeavyFermionSurrogate(heavy_f, source=true, solver=TIGHT)
    net = network(heavy_f, true, rho=0.0)
    assert net.value(field) == pytest.approx(heavy.value(field), rel=1e-12)
    assert np.allclose(net.force(field), heavy.force(field), atol=1e-12)
    net.set_parameters(RHO.ravel())
    assert abs(net.value(field) - heavy.value(field)) > 1e-3


@pytest.mark.parametrize("pairs", [False, True])
def test_training_loss_gradient_equals_numerical_derivative(pairs):
    true_f, heavy_f, ext, group = CASES["wilson_eo_2d_u1"]
    fields = [rough_field(ext, group, s) for s in (21, 22, 23)]
    true = TwoFlavourAction(true_f, TIGHT)
    partner = (lambda f, rng: rough_field(ext, group, 99)) if pairs else None
    samples = make_samples(fields, true, np.random.default_rng(4), partner=partner)
    assert all(s.is_pair == pairs for s in samples)
    model = network(heavy_f, None, scale=True, a=1.2, offset=True, c0=0.3)
    lval, g = T.loss_and_grad(model, samples)
    assert lval > 0 and model.source is None    # the temporary phi source is removed again
    num = numerical_theta_gradient(lambda: T.loss(model, samples), model)
    assert np.allclose(g, num, rtol=1e-5, atol=1e-7 * np.abs(g).max())
    if pairs:
        assert g[-1] == 0.0     # the offset cancels in differences


def test_md_with_the_network_surrogate_is_reversible():
    field, true, heavy_f = setup_case("wilson_eo_2d_u1")
    model = network(heavy_f, true, scale=True, a=1.3)
    integ = Integrator([([GaugeAction(beta=2.0), model], 5, "omelyan")])
    assert_md_reversible(integ, field)


# ---------------------------------------------------------------------------
# Adam
# ---------------------------------------------------------------------------
def test_adam_minimises_a_quadratic():
    a = np.diag([1.0, 10.0, 100.0]) + 0.5
    b = np.array([1.0, -2.0, 3.0])
    theta, f, _ = Adam(lr=0.05).minimize(lambda t: (0.5 * t @ a @ t - b @ t, a @ t - b),
                                         np.zeros(3), 4000)
    assert np.allclose(theta, np.linalg.solve(a, b), atol=1e-6)


def test_adam_minimises_the_rosenbrock_function():
    def rosen(t):
        x, y = t
        return ((1 - x) ** 2 + 100 * (y - x * x) ** 2,
                np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]))
    theta, f, _ = Adam(lr=3e-3).minimize(rosen, np.array([-1.2, 1.0]), 15000)
    assert np.allclose(theta, [1.0, 1.0], atol=1e-4) and f < 1e-8


def test_adam_first_step_is_bias_corrected_and_bounds_clip():
    opt = Adam(lr=0.1)
    # with bias correction the first step is lr * sign(g) (up to eps), for any gradient scale
    assert np.allclose(opt.step(np.zeros(2), np.array([1e-3, -50.0])), [-0.1, 0.1], atol=1e-6)
    opt = Adam(lr=0.1, bounds=([0.0, -np.inf], [0.25, np.inf]))
    theta = np.array([0.2, 0.0])
    for _ in range(20):
        theta = opt.step(theta, np.array([-1.0, 1.0]))
    assert theta[0] == 0.25 and theta[1] < -1.0


# ---------------------------------------------------------------------------
# training on the Schwinger model (2D U(1), two flavours of Wilson fermions)
# ---------------------------------------------------------------------------
SCHWINGER = {"extents": (4, 4), "beta": 2.0, "kappa": 0.22, "kappa_heavy": 0.18}


@pytest.fixture(scope="module")
def schwinger():
    """Configurations of the Schwinger model by HMC with the true action (after a
    heatbath start), one kept every second trajectory."""
    p = SCHWINGER
    gauge = GaugeAction(beta=p["beta"])
    field = GaugeField.cold(Lattice(p["extents"]), "u1")
    hb = Heatbath(gauge, or_per_hb=1, seed_key=5)
    for c in range(10):
        hb.sweep(field, c)
    true = TwoFlavourAction(Wilson(kappa=p["kappa"], even_odd=True))
    hmc = HMC(Integrator([([gauge, true], 6, "omelyan")]), tau=1.0)
    rng = np.random.default_rng(17)
    fields, acc = [], []
    for i in range(10 + 2 * 40):
        acc.append(hmc.trajectory(field, rng)["accepted"])
        if i >= 10 and i % 2 == 0:
            fields.append(field.copy())
    assert np.mean(acc) > 0.7
    return gauge, true, fields


def test_training_beats_the_untrained_heavy_surrogate_on_validation_rms(schwinger):
    """Loss (S_f - S_eff - c0)^2 on independent (U, phi) samples."""
    gauge, true, fields = schwinger
    heavy_f = Wilson(kappa=SCHWINGER["kappa_heavy"], even_odd=True)
    samples = make_samples(fields, true, np.random.default_rng(1))
    heavy = HeavyFermionSurrogate(heavy_f)
    net = StoutNetworkSurrogate(heavy_f, n_layers=2, offset=True, scale=True)
    res = train(net, samples, epochs=12, lr=0.02, batch=8, validation_fraction=0.3,
                rng=np.random.default_rng(2))
    val = [samples[i] for i in res.val_indices]
    before = T.residual_stats(heavy, val)
    after = T.residual_stats(net, val)
    print(f"\nsingle-sample loss: validation RMS(S_f - S_eff) heavy {before['rms']:.3f} "
          f"(mean {before['mean']:.3f}, std {before['std']:.3f}) -> network {after['rms']:.3f} "
          f"(mean {after['mean']:.3f}, std {after['std']:.3f}); theta = {net.parameters()}")
    assert res.n_val == 12 and len(res.history) == 13
    assert after["rms"] < 0.8 * before["rms"]
    assert after["std"] < before["std"]       # not only the offset
    assert after["rms"] == pytest.approx(T.acceptance_estimate(net, val))
    assert res.best_loss == pytest.approx(after["rms"] ** 2)
    assert np.array_equal(net.parameters(), res.theta_best)


def test_training_on_md_pairs_reduces_the_delta_s_mismatch(schwinger):
    """Loss (Delta S_f - Delta S_eff)^2 on pairs (U, U') joined by the untrained surrogate's
    MD at fixed phi: Delta S_f - Delta S_eff is the SLHMC Delta H when the surrogate's H is
    conserved, so this is the loss aligned with the acceptance."""
    gauge, true, fields = schwinger
    heavy_f = Wilson(kappa=SCHWINGER["kappa_heavy"], even_odd=True)
    heavy = HeavyFermionSurrogate(heavy_f, source=true)
    partner = T.md_partner(Integrator([([gauge, heavy], 6, "omelyan")]), tau=1.0)
    samples = make_samples(fields, true, np.random.default_rng(3), partner=partner)
    net = StoutNetworkSurrogate(heavy_f, n_layers=2, scale=True)
    res = train(net, samples, epochs=12, lr=0.02, batch=8, validation_fraction=0.3,
                rng=np.random.default_rng(4))
    val = [samples[i] for i in res.val_indices]
    before = T.residual_stats(heavy, val)
    after = T.residual_stats(net, val)
    print(f"\npair loss: validation RMS(dS_f - dS_eff) heavy {before['rms']:.3f} -> network "
          f"{after['rms']:.3f}; theta = {net.parameters()} ({res.seconds:.1f} s)")
    assert after["rms"] < 0.9 * before["rms"]
    assert res.history[res.best_epoch]["val_loss"] < res.history[0]["val_loss"]
    # end to end: SLHMC trajectories (MD with the surrogate, Delta H of the true action)
    # from the held-out configurations, same momenta and phi for both surrogates
    net.source = true
    rms_dh = {}
    for name, model in (("heavy", heavy), ("network", net)):
        hmc = HMC(Integrator([([gauge, model], 6, "omelyan")]), tau=1.0,
                  accept_action=gauge + true)
        rng = np.random.default_rng(5)
        dh = [hmc.trajectory(samples[i].field.copy(), rng, metropolis=False)["delta_h"]
              for i in res.val_indices]
        rms_dh[name] = float(np.sqrt(np.mean(np.square(dh))))
    print(f"SLHMC on validation configurations: RMS Delta H heavy {rms_dh['heavy']:.3f} -> "
          f"network {rms_dh['network']:.3f}")
    assert rms_dh["network"] < rms_dh["heavy"]


# ---------------------------------------------------------------------------
# bookkeeping and storage
# ---------------------------------------------------------------------------
def test_surrogate_solves_are_logged_and_collected():
    field, true, heavy_f = setup_case("wilson_eo_2d_u1")
    heavy = HeavyFermionSurrogate(heavy_f, source=true)
    net = network(heavy_f, true)
    true.reset_cost()
    for m in (heavy, net):
        m.reset_cost()
        m.refresh(field, np.random.default_rng(0))      # no-op: phi stays the source's
        m.value(field)
        m.force(field)
        assert m.cost["solves"] == 2 and m.cost["solver_iterations"] > 0
    assert heavy.phi is true.phi and net.phi is true.phi
    total = collect_cost(gauge_sum := GaugeAction(beta=1.0) + heavy + net)
    assert total["solves"] == 4 and len(gauge_sum.actions) == 3
    assert heavy.parameters().size == 0


def test_heavy_surrogate_rejects_a_lighter_or_different_fermion():
    true = TwoFlavourAction(Wilson(kappa=0.2, even_odd=True))
    with pytest.raises(ValueError, match="heavier"):
        HeavyFermionSurrogate(Wilson(kappa=0.22, even_odd=True), source=true)
    with pytest.raises(ValueError, match="even_odd"):
        HeavyFermionSurrogate(Wilson(kappa=0.15), source=true)
    with pytest.raises(ValueError, match="type"):
        StoutNetworkSurrogate(Staggered(mass=0.5), source=true)
    # a true action on smeared links: phi is its inner action's
    assert HeavyFermionSurrogate(Wilson(kappa=0.15, even_odd=True),
                                 source=SmearedAction(true, Stout(0.1))).source is true
    with pytest.raises(RuntimeError, match="source"):
        HeavyFermionSurrogate(Wilson(kappa=0.15, even_odd=True)).value(rough_field((4, 4), "u1", 1))


def test_save_load_round_trip(tmp_path):
    field, true, heavy_f = setup_case("wilson_eo_2d_u1")
    net = network(heavy_f, true, scale=True, a=1.234567891234, offset=True, c0=-0.1)
    res = T.TrainingResult(history=[{"epoch": 0, "train_loss": 2.0, "val_loss": 3.0},
                                    {"epoch": 1, "train_loss": 1.0, "val_loss": 1.5}],
                           theta_initial=np.zeros(6), theta_final=net.parameters(),
                           theta_best=net.parameters(), best_epoch=1, best_loss=1.5,
                           seconds=0.1, n_train=3, n_val=1)
    path = tmp_path / "net.h5"
    save_model(path, net, training=res, metadata={"note": "test"})
    loaded = load_model(path, source=true)
    assert isinstance(loaded, StoutNetworkSurrogate) and loaded.source is true
    assert np.array_equal(loaded.parameters(), net.parameters())
    assert loaded.config() == net.config()
    assert loaded.value(field) == net.value(field)
    assert np.array_equal(loaded.force(field), net.force(field))
    rec = read_model_file(path, source=true)
    assert np.array_equal(rec.training["val_loss"], [3.0, 1.5])
    assert rec.training["best_epoch"] == 1 and rec.metadata == {"note": "test"}
    update_metadata(path, acceptance=0.87)
    assert read_model_file(path).metadata == {"note": "test", "acceptance": 0.87}
    heavy = HeavyFermionSurrogate(heavy_f, source=true, solver=TIGHT)
    save_model(tmp_path / "heavy.h5", heavy)
    again = load_model(tmp_path / "heavy.h5", source=true)
    assert again.value(field) == heavy.value(field)
    assert from_dict(heavy.to_dict(), source=true).config() == heavy.config()


def test_corrupted_model_file_raises_a_checksum_error(tmp_path):
    _, true, heavy_f = setup_case("wilson_eo_2d_u1")
    net = network(heavy_f, true)
    path = tmp_path / "net.h5"
    save_model(path, net)
    data = bytearray(path.read_bytes())
    key = b'"theta": [0.11'
    pos = data.find(key)
    assert pos >= 0, "the model JSON is stored as text in the file"
    data[pos + len(key) - 1] = ord("2")           # 0.11 -> 0.12 in the stored JSON
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="model_json checksum mismatch"):
        load_model(path)
    # tampering through h5py is caught the same way
    save_model(tmp_path / "b.h5", net)
    with h5py.File(tmp_path / "b.h5", "r+") as f:
        f.attrs["metadata_json"] = '{"acceptance": 1.0}'
    with pytest.raises(ChecksumError, match="metadata_json checksum"):
        load_model(tmp_path / "b.h5")


def test_existing_model_file_is_not_overwritten(tmp_path):
    _, true, heavy_f = setup_case("wilson_eo_2d_u1")
    path = tmp_path / "net.h5"
    net = network(heavy_f, true)
    save_model(path, net)
    before = path.read_bytes()
    net.set_parameters(np.zeros(4))
    with pytest.raises(FileExistsError, match="overwrite"):
        save_model(path, net)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]           # no temporary file left behind
    save_model(path, net, overwrite=True)
    assert np.array_equal(load_model(path).parameters(), np.zeros(4))
