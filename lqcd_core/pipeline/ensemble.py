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
    s{stream}/block0000/                     thermalisation (checkpoint.h5, trajectories.csv, tuning.json)
    s{stream}/block{k:04d}/                  production block k (checkpoint.h5, trajectories.csv, configs/)
    s{stream}/meas/{trajectory:06d}.json     measurements of one saved configuration
    trajectories.csv, measurements.csv       aggregated tables (column ``stream``)
    summary.csv                              one row per observable
"""
from __future__ import annotations

import json
from pathlib import Path

from ..markov.chain import ChainConfig

#: keys whose change invalidates existing results (they define the Markov chain)
PHYSICS_KEYS = ("group", "lattice", "beta", "action", "algorithm", "integrator", "steps",
                "traj_length", "or_per_hb", "target_acceptance", "n_therm", "block",
                "save_every", "seed", "start", "fermion")


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
        chain_config(ens, 0).validate()
    except ValueError as exc:
        raise EnsembleError(f"{where}: {exc}".replace("--", "")) from None
    _check_fermion_measure(where, ens)
    return ens


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
    return ChainConfig(group=ens["group"], lattice=tuple(ens["lattice"]), beta=ens["beta"],
                       action=ens.get("action", "wilson"), algorithm=ens.get("algorithm", "hmc"),
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
    return {k: (list(ens[k]) if k == "lattice" else ens.get(k)) for k in PHYSICS_KEYS}


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
    changed = [k for k in PHYSICS_KEYS if k in old and old[k] != new[k]]
    if changed:
        k = changed[0]
        raise EnsembleError(
            f"ensembles.{name}.{k} changed from {old[k]!r} to {new[k]!r}, but {path.parent} holds "
            "results produced with the old value; restore it, or give the ensemble a new name")
