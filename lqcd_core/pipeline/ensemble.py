"""Ensembles of the production pipeline: paths, blocks, streams and the physics guard.

An ensemble (one entry of ``ensembles:`` in config/config.yaml, validated by
workflow/schemas/config.schema.yaml) is produced as ``streams`` independent
Markov chains.  Stream s thermalises (``n_therm`` trajectories, with step-size
tuning for HMC) and then runs ``n_traj / block`` production blocks; block k
reads the checkpoint of block k-1 (block 0 is the thermalisation) and writes
its own.  Configurations are saved after production trajectories
t = n_therm + j * save_every.

Layout under ``results/{ensemble}/``::

    params.json                              physics parameters the results belong to
    s{stream}/block0000/                     thermalisation (checkpoint.h5, trajectories.csv, tuning.json;
                                             SLHMC, stream 0: train/config_NNNNNN.h5, training configurations)
    s{stream}/block{k:04d}/                  production block k (checkpoint.h5, trajectories.csv, configs/)
    s{stream}/meas/{trajectory:06d}.json     measurements of one saved configuration
    trajectories.csv, measurements.csv       aggregated tables (column ``stream``)
    summary.csv                              one row per observable
    surrogate/model.h5, training.csv, summary.json   SLHMC: the frozen surrogate and its training

SLHMC ensembles (``algorithm: slhmc``, a ``surrogate:`` block) thermalise with HMC; stream 0
saves training configurations during the thermalisation (:func:`training_trajectories`); the rule
train_surrogate trains the surrogate on them, and the production blocks run SLHMC with the
frozen model (block 1 switches the chain of the HMC checkpoint to SLHMC; the model is stored in
the checkpoints' parameters from then on).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from ..markov.chain import ChainConfig

#: keys whose change invalidates existing results (they define the Markov chain)
PHYSICS_KEYS = ("group", "lattice", "beta", "action", "algorithm", "integrator", "steps",
                "traj_length", "or_per_hb", "target_acceptance", "n_therm", "block",
                "save_every", "seed", "start", "fermion", "surrogate")

#: physics keys recorded only when set: an ensemble without them keeps the physics record (and
#: the rules' params, a rerun trigger) it had before the key existed
OPTIONAL_PHYSICS_KEYS = ("surrogate",)

#: surrogate kinds of SLHMC (lqcd_core.surrogate.stage.KINDS)
SURROGATE_KINDS = ("loops", "heavy", "neural", "truncated")

#: training needs at least this many configurations (lqcd_core.surrogate.stage.train_surrogate)
MIN_TRAINING_CONFIGS = 4


class EnsembleError(ValueError):
    """An ensemble definition cannot be used (message names the key)."""


def validate_ensemble(name: str, ens: dict) -> dict:
    """Checks beyond the schema: divisibility of n_traj/block/save_every, physics values."""
    where = f"ensembles.{name}"
    if ens["n_traj"] % ens["block"]:
        raise EnsembleError(f"{where}.n_traj ({ens['n_traj']}) must be a multiple of "
                            f"{where}.block ({ens['block']})")
    if ens["block"] % ens["save_every"]:
        raise EnsembleError(f"{where}.block ({ens['block']}) must be a multiple of "
                            f"{where}.save_every ({ens['save_every']})")
    try:
        cfg = chain_config(ens, 0).validate()
    except ValueError as exc:
        raise EnsembleError(f"{where}: {exc}".replace("--", "")) from None
    _check_surrogate(where, ens, cfg)
    _check_fermion_measure(where, ens)
    from .target import validate_target
    try:
        validate_target(where, ens)
    except ValueError as exc:
        raise EnsembleError(str(exc)) from None
    return ens


def is_slhmc(ens: dict) -> bool:
    return str(ens.get("algorithm", "hmc")).lower() == "slhmc"


def _check_surrogate(where: str, ens: dict, cfg: ChainConfig) -> None:
    """SLHMC needs dynamical fermions of a single two-flavour pseudofermion action, a surrogate
    block (kind; heavy for heavy/neural, optional for truncated; iterations >= 1 for truncated)
    and enough training configurations.

    A truncated block gets ``iterations`` filled in here (default 8), not by the schema: a
    schema default would enter the surrogate block of every kind, changing the physics record
    (params.json, the rules' params) of existing heavy/loops/neural ensembles."""
    sur = ens.get("surrogate")
    if not is_slhmc(ens):
        if sur is not None:
            raise EnsembleError(f"{where}.surrogate applies to algorithm slhmc, not "
                                f"{ens.get('algorithm', 'hmc')!r}; remove it or set {where}.algorithm: slhmc")
        return
    if cfg.fermion is None:
        raise EnsembleError(f"{where}.fermion: algorithm slhmc needs dynamical fermions (a fermion "
                            "block, e.g. {type: wilson, kappa: 0.2})")
    if not isinstance(sur, dict):
        raise EnsembleError(f"{where}.surrogate: algorithm slhmc needs a surrogate block, e.g. "
                            "{kind: heavy, heavy: 0.15} (kinds: " + ", ".join(SURROGATE_KINDS) + ")")
    kind = sur.get("kind")
    if kind not in SURROGATE_KINDS:
        raise EnsembleError(f"{where}.surrogate.kind must be one of {', '.join(SURROGATE_KINDS)}, "
                            f"got {kind!r}")
    f = cfg.fermion
    per_det = 2 if f["type"] == "wilson" else (4 if f["even_odd"] else 8)
    if f["nf"] != per_det or f["hasenbusch"]:
        raise EnsembleError(
            f"{where}.fermion: the surrogate is trained against a single two-flavour pseudofermion "
            f"action (wilson nf 2 without hasenbusch, staggered nf 4 with even_odd), not "
            f"{f['type']} nf {f['nf']}" + (" with hasenbusch" if f["hasenbusch"] else ""))
    if kind == "truncated":
        from ..surrogate.stage import DEFAULT_ITERATIONS
        k = sur.setdefault("iterations", DEFAULT_ITERATIONS)
        if (isinstance(k, bool) or not isinstance(k, (int, float)) or not math.isfinite(k)
                or k != int(k) or k < 1):
            raise EnsembleError(f"{where}.surrogate.iterations: the CG iterations of the truncated "
                                f"force must be an integer >= 1, got {k!r}")
        sur["iterations"] = int(k)
    if kind in ("heavy", "neural") or (kind == "truncated" and sur.get("heavy") is not None):
        heavy = sur.get("heavy")
        if heavy is None:
            raise EnsembleError(f"{where}.surrogate.heavy: the {kind} surrogate needs the heavier quark "
                                f"(kappa below fermion.kappa for wilson, mass above fermion.mass for "
                                f"staggered)")
        heavy = float(heavy)
        if f["type"] == "wilson":
            light = f.get("kappa")
            if light is None:
                light = 1.0 / (2.0 * f["mass"] + 2.0 * len(cfg.lattice))
            if not 0 < heavy < light:
                raise EnsembleError(f"{where}.surrogate.heavy: the heavier quark's kappa must be "
                                    f"positive and below the light kappa {light:g}, got {heavy:g}")
        elif not heavy > f["mass"]:
            raise EnsembleError(f"{where}.surrogate.heavy: the heavier quark's mass must exceed the "
                                f"light mass {f['mass']:g}, got {heavy:g}")
    if sur.get("fit", "forces") not in ("forces", "logdet"):
        raise EnsembleError(f"{where}.surrogate.fit must be forces or logdet, got {sur.get('fit')!r}")
    if kind == "loops" and sur.get("terms"):
        from ..surrogate.loops import LoopAction
        try:
            LoopAction(tuple(sur["terms"]), ndim=len(cfg.lattice), nc=1)
        except (ValueError, KeyError) as exc:
            raise EnsembleError(f"{where}.surrogate.terms: {exc}") from None
    n = len(training_trajectories(ens)) * len(training_streams(ens))
    if n < MIN_TRAINING_CONFIGS:
        raise EnsembleError(
            f"{where}.surrogate.train_every: n_therm = {ens['n_therm']}, train_from = "
            f"{sur.get('train_from', 0.5)} and train_every = {sur.get('train_every', 2)} give {n} "
            f"training configuration(s); training needs at least {MIN_TRAINING_CONFIGS}: lower "
            f"train_every or train_from, or raise n_therm")


def training_streams(ens: dict) -> list[int]:
    """Streams whose thermalisation provides the training configurations of an SLHMC ensemble:
    stream 0 only, so that raising ``streams`` later adds chains without retraining the
    surrogate (and re-running every production block that uses it)."""
    return [0] if is_slhmc(ens) and isinstance(ens.get("surrogate"), dict) else []


def training_trajectories(ens: dict) -> list[int]:
    """Thermalisation trajectories of the training streams of an SLHMC ensemble saved as
    training configurations (``block0000/train/config_NNNNNN.h5``): t = t0 + k * train_every,
    k >= 1, up to n_therm, with t0 = floor(train_from * n_therm).  Empty for other ensembles."""
    sur = ens.get("surrogate")
    if not is_slhmc(ens) or not isinstance(sur, dict):
        return []
    every = int(sur.get("train_every", 2))
    t0 = int(math.floor(float(sur.get("train_from", 0.5)) * int(ens["n_therm"])))
    return list(range(t0 + every, int(ens["n_therm"]) + 1, every))


def _check_fermion_measure(where: str, ens: dict) -> None:
    """The fermionic measurements need a quark (sea or valence) and a source on the lattice."""
    fermionic = [m for m in ens.get("measure", []) if m in ("condensate", "correlators")]
    if not fermionic:
        return
    fm = ens.get("fermion_measure") or {}
    valence = fm.get("valence")
    if valence is None and ens.get("fermion") is None:
        raise EnsembleError(f"{where}.measure: {', '.join(fermionic)} need a quark, but the ensemble is "
                            f"quenched; give {where}.fermion_measure.valence, e.g. {{type: wilson, kappa: 0.12}}")
    if valence is not None:
        from ..actions.fermion_spec import validate_fermion
        try:
            validate_fermion(valence, len(ens["lattice"]))
        except ValueError as exc:
            raise EnsembleError(f"{where}.fermion_measure.valence: {exc}") from None
    src = fm.get("source")
    if src is not None:
        ext = ens["lattice"]
        if len(src) != len(ext) or any(not 0 <= int(x) < e for x, e in zip(src, ext)):
            raise EnsembleError(f"{where}.fermion_measure.source {list(src)} must have {len(ext)} "
                                f"coordinates inside the lattice {list(ext)}")


def chain_config(ens: dict, stream: int) -> ChainConfig:
    """The chain of stream ``stream`` as it starts (the thermalisation, block 0).

    An SLHMC ensemble thermalises with HMC (its surrogate is trained on the thermalisation); the
    production blocks switch to SLHMC with the trained model (:func:`.stages.run_block`).
    """
    algorithm = ens.get("algorithm", "hmc")
    if is_slhmc(ens):
        algorithm = "hmc"
    return ChainConfig(group=ens["group"], lattice=tuple(ens["lattice"]), beta=ens["beta"],
                       action=ens.get("action", "wilson"), algorithm=algorithm,
                       integrator=ens.get("integrator", "omelyan"), steps=ens.get("steps", 10),
                       traj_length=ens.get("traj_length", 1.0), or_per_hb=ens.get("or_per_hb", 4),
                       seed=ens["seed"], stream=int(stream), start=ens.get("start", "cold"),
                       n_therm=ens["n_therm"], fermion=ens.get("fermion"))


def flowed_trajectories(ens: dict, block: int) -> list[int]:
    """Saved trajectories of block ``block`` that are also flowed (every k-th saved one)."""
    flow = ens.get("flow")
    if not flow:
        return []
    k = int(flow["every"])
    per_block = ens["block"] // ens["save_every"]
    saved = saved_trajectories(ens, block)
    return [t for j, t in enumerate(saved, start=(block - 1) * per_block + 1) if j % k == 0]


def n_blocks(ens: dict) -> int:
    return ens["n_traj"] // ens["block"]


def saved_trajectories(ens: dict, block: int) -> list[int]:
    """Trajectory numbers saved (and measured) in production block ``block`` (>= 1)."""
    first = ens["n_therm"] + (block - 1) * ens["block"]
    return [first + j for j in range(ens["save_every"], ens["block"] + 1, ens["save_every"])]


def block_of(ens: dict, trajectory: int) -> int:
    """The production block that produced ``trajectory``."""
    return (int(trajectory) - ens["n_therm"] - 1) // ens["block"] + 1


def physics(ens: dict) -> dict:
    """The physics keys of an ensemble (the record in params.json and the generation rules'
    params); an optional key that is not set (``surrogate: null``) is left out."""
    out = {k: (list(ens[k]) if k == "lattice" else ens.get(k)) for k in PHYSICS_KEYS}
    for k in OPTIONAL_PHYSICS_KEYS:
        if out[k] is None:
            del out[k]
    return out


def check_physics(name: str, ens: dict, results: Path) -> None:
    """Stop if existing results of ``name`` were produced with other physics parameters."""
    path = Path(results) / name / "params.json"
    if not path.is_file():
        return
    try:
        old = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise EnsembleError(f"{path}: unreadable ({exc}); remove it only if the results are void") from None
    new = physics(ens)
    changed = [k for k in PHYSICS_KEYS if k in old and old[k] != new.get(k)]
    if changed:
        k = changed[0]
        raise EnsembleError(
            f"ensembles.{name}.{k} changed from {old[k]!r} to {new.get(k)!r}, but {path.parent} holds "
            "results produced with the old value; restore it, or give the ensemble a new name")
