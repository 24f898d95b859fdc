"""The production stages the Snakemake rules call: thermalise, run a block, measure.

Each function does one job's work, writes its outputs atomically, and logs to
a given logger; the rules' scripts (workflow/scripts/) only unpack ``snakemake``.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import math
from pathlib import Path

import numpy as np

from ..io import atomic_write_bytes, read_config, write_config
from ..markov.chain import Chain
from ..markov.rundir import COLUMNS, WARMUP, log_line, log_row
from .ensemble import (chain_config, is_slhmc, saved_trajectories, training_streams,
                       training_trajectories)

log = logging.getLogger("lqcd.pipeline")

#: acceptance window of the step-size tuning (steps change every TUNE_EVERY trajectories)
TUNE_EVERY = 10


def _csv_bytes(rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    w.writerows(rows)
    return buf.getvalue().encode()


def expected_acceptance(delta_h) -> float:
    """min(1, exp(-dH)): the Metropolis acceptance probability of one trajectory (0 for a
    non-finite dH).

    Its mean over a window estimates the acceptance rate without bias, since
    E[accepted | dH] = min(1, exp(-dH)), and with less variance than the mean of the 0/1
    accept flags (Rao-Blackwell; for HMC-like dH ~ N(mu, 2 mu) at acceptance 0.5-0.75 the
    spread of a 10-trajectory mean is 0.6-0.75 times that of the flags). The step tuning
    reads this mean.
    """
    if delta_h is None or not math.isfinite(delta_h):
        return 0.0
    return 1.0 if delta_h <= 0.0 else math.exp(-delta_h)


def tune_steps(steps: int, acceptance: float, target: float) -> int:
    """New number of MD steps for an observed acceptance (multiplicative, bounded).

    ΔH ~ ε² on average, so 1 - acceptance ~ ε^2 roughly: the step count moves by
    at most +30 % / -15 % per window, towards the target; within
    [target - 0.05, target + 0.10] it stays.
    """
    if acceptance < target - 0.05:
        return max(steps + 1, int(math.ceil(steps * 1.3)))
    if acceptance > target + 0.10 and steps > 1:
        return max(1, int(math.floor(steps * 0.85)))
    return steps


def thermalize(ens: dict, stream: int, out: Path) -> dict:
    """Block 0 of a stream: n_therm trajectories from the start, with HMC step tuning.

    The first WARMUP HMC trajectories (at most n_therm/5) are always accepted. The tuning
    acts during the first 3/4 of the thermalisation and is then frozen:
    the production chain is a fixed Markov chain with the final step count, which
    the checkpoint carries into the production blocks.

    An SLHMC ensemble thermalises with HMC (``chain_config``); its training streams (stream 0)
    save the training configurations of the surrogate, ``out/train/config_NNNNNN.h5`` at the
    trajectories of :func:`.ensemble.training_trajectories`, before the checkpoint (written last).
    """
    out = Path(out)
    cfg = chain_config(ens, stream).validate()
    chain = Chain.start(cfg)
    chain.warmup()
    train = set(training_trajectories(ens)) if stream in training_streams(ens) else set()
    if train:
        (out / "train").mkdir(parents=True, exist_ok=True)
    target = ens.get("target_acceptance")
    tune = cfg.algorithm == "hmc" and target is not None
    rows, window, history = [], [], []
    stop_tuning = int(0.75 * cfg.n_therm)
    warmup = min(WARMUP, cfg.n_therm // 5) if cfg.algorithm == "hmc" else 0
    while chain.trajectory < cfg.n_therm:
        entry = chain.step(metropolis=chain.trajectory >= warmup)
        rows.append(log_row(entry, "therm"))
        log.info(log_line(entry, "therm") + (" (warm-up: no Metropolis)" if chain.trajectory <= warmup else ""))
        if chain.trajectory in train:
            write_config(out / "train" / f"config_{chain.trajectory:06d}.h5", chain.field, "hdf5",
                         overwrite=True, metadata={"trajectory": chain.trajectory,
                                                   "params": chain.config.to_dict()})
        if chain.trajectory <= warmup:
            continue
        window.append(expected_acceptance(entry.get("delta_h")))
        if tune and len(window) == TUNE_EVERY and chain.trajectory <= stop_tuning:
            acc = float(np.mean(window))
            steps = tune_steps(cfg.steps, acc, target)
            history.append({"trajectory": chain.trajectory, "acceptance": acc, "steps": cfg.steps,
                            "new_steps": steps})
            if steps != cfg.steps:
                log.info(f"tuning: expected acceptance {acc:.2f} over {TUNE_EVERY} trajectories, "
                         f"steps {cfg.steps} -> {steps}")
                cfg.steps = steps
                chain = Chain(cfg, chain.field, chain.rng, chain.trajectory)
            window = []
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / "trajectories.csv", _csv_bytes(rows), overwrite=True)
    tuning = {"steps": cfg.steps, "target_acceptance": target, "history": history}
    atomic_write_bytes(out / "tuning.json", json.dumps(tuning, indent=1).encode(), overwrite=True)
    chain.write_checkpoint(out / "checkpoint.h5", overwrite=True)
    return tuning


def run_block(ens: dict, block: int, previous: Path, out: Path, model: Path | None = None) -> int:
    """Production block ``block``: continue the chain of ``previous`` by ``ens['block']`` trajectories.

    Writes ``out/configs/config_NNNNNN.h5`` for the saved trajectories, then the
    block's trajectories.csv and checkpoint.h5 (all atomically; a killed block
    leaves no checkpoint and is re-run from ``previous``, bit for bit).

    SLHMC ensembles: if ``previous`` is still the HMC chain of the thermalisation, the chain
    switches to ``algorithm = "slhmc"`` with the frozen surrogate of the model file ``model``
    (its ``to_dict()`` becomes the chain's ``surrogate`` parameter; MD steps, generator state and
    links carry over). Later blocks continue the SLHMC chain of their checkpoint, whose
    parameters hold the model; ``model`` is then only compared with it (a warning if it differs).
    """
    out = Path(out)
    chain = Chain.from_checkpoint(previous)
    first = ens["n_therm"] + (block - 1) * ens["block"]
    if chain.trajectory != first:
        raise ValueError(f"{previous} is at trajectory {chain.trajectory}, block {block} starts "
                         f"after trajectory {first}")
    if is_slhmc(ens):
        chain = _slhmc_chain(chain, previous, model)
    chain.warmup()
    save = set(saved_trajectories(ens, block))
    (out / "configs").mkdir(parents=True, exist_ok=True)
    rows = []
    while chain.trajectory < first + ens["block"]:
        entry = chain.step()
        rows.append(log_row(entry, "prod"))
        log.info(log_line(entry, "prod"))
        if chain.trajectory in save:
            write_config(out / "configs" / f"config_{chain.trajectory:06d}.h5", chain.field, "hdf5",
                         overwrite=True, metadata={"trajectory": chain.trajectory,
                                                   "params": chain.config.to_dict()})
    atomic_write_bytes(out / "trajectories.csv", _csv_bytes(rows), overwrite=True)
    chain.write_checkpoint(out / "checkpoint.h5", overwrite=True)
    return chain.trajectory


def _slhmc_chain(chain: Chain, previous: Path, model: Path | None) -> Chain:
    """The chain of a production block of an SLHMC ensemble (see :func:`run_block`)."""
    from ..surrogate import load_model
    cfg = chain.config
    if cfg.algorithm == "slhmc":
        if model is not None:
            frozen = load_model(model).to_dict()
            if frozen != cfg.surrogate:
                log.warning(f"{model} differs from the surrogate frozen in {previous}; the chain "
                            "continues with the frozen one (retrained models need a new ensemble)")
        return chain
    if cfg.algorithm != "hmc":
        raise ValueError(f"{previous} holds a {cfg.algorithm} chain; an slhmc ensemble continues "
                         "from its hmc thermalisation or its slhmc blocks")
    if model is None:
        raise ValueError(f"{previous} is the HMC thermalisation of an slhmc ensemble: the first "
                         "production block needs the trained surrogate model (model=...)")
    cfg.algorithm = "slhmc"
    cfg.surrogate = load_model(model).to_dict()
    cfg.validate()
    log.info(f"switching to SLHMC with the frozen {cfg.surrogate['kind']} surrogate of {model} "
             f"(theta = {cfg.surrogate['theta']})")
    return Chain(cfg, chain.field, chain.rng, chain.trajectory)


def measure(path: Path, observables=("plaquette", "polyakov"), wilson_loops: dict | None = None,
            fermion: dict | None = None, fermion_measure: dict | None = None) -> dict:
    """Observables of one saved configuration (verified on read), by the registry
    :data:`lqcd_core.observables.MEASUREMENTS`.

    ``wilson_loops`` options: r_max, t_max, and ape_alpha/ape_levels for APE smearing of the
    spatial links (spatial staples only) of the loops.

    The fermionic measurements ``condensate`` and ``correlators``
    (:mod:`lqcd_core.observables.fermionic`, docs/fermion_measurements.md) use the quark of
    ``fermion_measure["valence"]`` if given, else the ensemble's sea quark ``fermion`` (the
    light quark of nf = 2+1, with its stout smearing), always as the full-lattice operator.
    ``fermion_measure``: n_noise and tol of the condensate, source of the correlators (default
    the origin), tol of all solves.  The condensate noise is seeded by (ensemble seed, stream,
    trajectory) of the configuration, so a measurement is reproducible and independent
    between configurations.
    """
    from ..observables import measure as measure_field
    from ..observables.fermionic import condensate, correlators
    field, info = read_config(path)
    res = {"trajectory": info.get("trajectory")}
    observables = list(observables)
    fermionic = [o for o in observables if o in ("condensate", "correlators")]  # need a quark
    gauge = [o for o in observables if o not in fermionic]
    options = {}
    if "wilson_loops" in gauge and wilson_loops:
        opts = {k: wilson_loops[k] for k in ("r_max", "t_max") if wilson_loops.get(k) is not None}
        if wilson_loops.get("ape_levels", 0) > 0:
            from ..smearing import APE
            opts["spatial"] = APE(wilson_loops["ape_alpha"], n_levels=wilson_loops["ape_levels"],
                                  spatial=True).smear(field)
        options["wilson_loops"] = opts
    res.update(measure_field(field, gauge, options))
    if fermionic:
        fm = dict(fermion_measure or {})
        quark = fm.get("valence") or fermion
        if quark is None:
            raise ValueError(f"measure: {', '.join(fermionic)} need a quark, but the ensemble is "
                             "quenched (fermion: null) and fermion_measure.valence is null; "
                             "give a valence block, e.g. {type: wilson, kappa: 0.12}")
        tol = float(fm.get("tol") or 1e-10)
        params = info.get("params") or {}
        traj = int(info.get("trajectory") or 0)
        seed = (int(params.get("seed") or 0), int(params.get("stream") or 0), traj)
        if "condensate" in fermionic:
            res.update(condensate(field, quark, n_noise=int(fm.get("n_noise") or 8), seed=seed, tol=tol))
        if "correlators" in fermionic:
            src = fm.get("source")
            res.update(correlators(field, quark, source=None if src is None else tuple(int(s) for s in src),
                                   tol=tol))
    return res


def flow_measure(path: Path, flow: dict) -> dict:
    """Gradient flow of one saved configuration: the flow history (t, E, t2E, E_clover, Q)."""
    from ..flow import flow_history
    field, info = read_config(path)
    hist = flow_history(field, kind=flow["kind"], tmax=flow.get("tmax"), eps=flow["eps"],
                        measure_every=flow.get("measure_every", 0.0))
    hist["trajectory"] = info.get("trajectory")
    return hist
