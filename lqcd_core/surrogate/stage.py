"""Training a surrogate from configurations: the library side of ``lqcd train-surrogate`` and of
the pipeline's training rule (docs/slhmc.md).

``train_surrogate(kind, fields, fermion, beta, ...)`` builds the true fermion action of the
validated ``fermion`` block on the configurations (typically thermalisation configurations
of an HMC stream) and returns the trained, frozen model with a summary:

* ``loops``:  the linear Wilson-loop action, fitted by force matching to pseudofermion
  forces (no solver in the MD) — or to the exact log-determinant (``fit="logdet"``, dense,
  small lattices only);
* ``heavy``:  the fermion action at a heavier mass (``heavy`` = kappa or mass), nothing to
  train;
* ``neural``: the heavier-mass action on trainable stout layers, trained with Adam on the
  pair loss (Delta S_f - Delta S_eff)^2 over one surrogate MD trajectory per sample;
* ``truncated``: the pseudofermion force from ``iterations`` CG iterations from zero at the
  true quark (``heavy=None``, the default; the SLHMC update then shares the Metropolis solves
  with it) or at a heavier one (``heavy`` = kappa or mass); nothing to train, the
  configurations are not used beyond building the true action.  Its force is not a gradient,
  so the residual Delta S_f - Delta S_eff of the heavy/neural summaries (no acceptance
  estimate here) is not computed: the summary records the operator and k.
"""
from __future__ import annotations

import time

import numpy as np

KINDS = ("loops", "heavy", "neural", "truncated")

#: CG iterations of the truncated surrogate's force unless given (the benchmark's k = 8)
DEFAULT_ITERATIONS = 8


def _true_action(fermion: dict, field):
    from ..actions.fermion import TwoFlavourAction
    from ..actions.fermion_spec import fermion_actions
    acts = fermion_actions(fermion, probe_field=field)
    if len(acts) != 1 or not isinstance(getattr(acts[0], "action", acts[0]), TwoFlavourAction):
        raise ValueError("surrogate training needs a single two-flavour pseudofermion action "
                         "(wilson nf = 2 or staggered nf = 4, without Hasenbusch terms)")
    return acts[0]


def _heavy_fermion(fermion: dict, heavy):
    from ..actions.fermion_spec import make_fermion
    if heavy is None:
        raise ValueError("the heavy and neural surrogates need the heavier quark (heavy = kappa "
                         "for wilson, mass for staggered)")
    if fermion["type"] == "wilson":
        if not 0 < float(heavy) < float(fermion.get("kappa") or np.inf):
            raise ValueError(f"heavy kappa must be positive and below the light kappa "
                             f"{fermion.get('kappa')}, got {heavy}")
        return make_fermion(fermion, kappa=float(heavy))
    if not float(heavy) > float(fermion["mass"]):
        raise ValueError(f"heavy mass must exceed the light mass {fermion['mass']}, got {heavy}")
    spec = dict(fermion, mass=float(heavy))
    return make_fermion(spec)


def train_surrogate(kind: str, fields, fermion: dict, beta: float, *, heavy=None, layers: int = 2,
                    rect: bool = False, epochs: int = 20, lr: float = 0.02, fit: str = "forces",
                    terms=None, ridge: float = 0.0, validation: float = 0.25, steps: int = 4,
                    inner_steps: int = 4, seed: int = 0, n_phi: int = 8,
                    iterations: int = DEFAULT_ITERATIONS):
    """Train a surrogate of ``kind`` on ``fields``; returns (model, summary dict, TrainingResult|None).

    ``fermion`` is a validated fermion block; ``beta`` the gauge coupling (Wilson action) used
    for the MD partner trajectories of the neural training.  ``iterations`` (truncated only) is
    k, the CG iterations of the force; ``heavy`` is optional there (None = the true quark).
    """
    from ..actions import GaugeAction
    from ..integrators import Integrator
    from .fit import exact_logdet, fit_forces, fit_logdet, pseudofermion_force_sample
    from .heavy import HeavyFermionSurrogate
    from .loops import LoopAction
    from .neural import StoutNetworkSurrogate
    from .truncated import TruncatedFermionSurrogate
    from .training import make_samples, md_partner, residual_stats, train
    if kind not in KINDS:
        raise ValueError(f"surrogate kind must be one of {', '.join(KINDS)}, got {kind!r}")
    fields = list(fields)
    # truncated trains nothing: one configuration (the lattice of the true action) is enough
    needed = 1 if kind == "truncated" else 4
    if len(fields) < needed:
        raise ValueError(f"training needs at least {needed} configuration(s), got {len(fields)}")
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    true = _true_action(fermion, fields[0])
    f0 = fields[0]
    summary = {"kind": kind, "n_configs": len(fields)}
    result = None
    if kind == "loops":
        model = LoopAction(terms, ndim=f0.lattice.ndim, nc=f0.group.nc)
        if fit == "forces":
            # one phi gives a noisy estimate of -grad log det: average n_phi of them
            forces = [pseudofermion_force_sample(true, f, rng, samples=n_phi) for f in fields]
            res = fit_forces(model, fields, forces, ridge=ridge, validation=validation)
        elif fit == "logdet":
            ferm = getattr(true, "action", true).fermion
            logdets = [exact_logdet(ferm, f) for f in fields]
            res = fit_logdet(model, fields, logdets, ridge=ridge, validation=validation)
        else:
            raise ValueError(f"fit must be 'forces' or 'logdet', got {fit!r}")
        res.apply(model)
        summary["fit"] = res.as_dict()
    elif kind == "truncated":
        from ..actions.fermion_spec import make_fermion
        from .heavy import fermion_config
        if isinstance(iterations, bool) or not float(iterations).is_integer() or iterations < 1:
            raise ValueError(f"iterations (CG iterations of the truncated force) must be an "
                             f"integer >= 1, got {iterations!r}")
        inner = getattr(true, "action", true)
        op_fermion = make_fermion(fermion) if heavy is None else _heavy_fermion(fermion, heavy)
        model = TruncatedFermionSurrogate(op_fermion, source=true, iterations=iterations,
                                          solver=inner.solver)
        summary.update({"iterations": model.iterations,
                        "heavy": None if heavy is None else float(heavy),
                        "operator": fermion_config(model.fermion),
                        "shares_solves": bool(model.shares_operator(inner))})
    else:
        heavy_f = _heavy_fermion(fermion, heavy)
        if kind == "heavy":
            model = HeavyFermionSurrogate(heavy_f, source=true)
        else:
            model = StoutNetworkSurrogate(heavy_f, source=true, n_layers=layers,
                                          loops=("plaq", "rect") if rect else ("plaq",), scale=True)
        integ = Integrator([([model], steps, "omelyan"), (GaugeAction(beta), inner_steps, "omelyan")])
        samples = make_samples(fields, true, rng, partner=md_partner(integ))
        summary["before"] = residual_stats(model, samples)
        if kind == "neural":
            result = train(model, samples, epochs=epochs, lr=lr, validation_fraction=validation, rng=rng)
            summary["training"] = result.summary()
        summary["after"] = residual_stats(model, samples)
    summary["seconds"] = time.perf_counter() - t0
    summary["theta"] = [float(v) for v in np.asarray(model.parameters(), float)]
    return model, summary, result
