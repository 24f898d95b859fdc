"""The SLHMC surrogate in the pipeline: the training stage, its table and its figure.

An SLHMC ensemble (``algorithm: slhmc``, docs/slhmc.md) thermalises with HMC and saves training
configurations (``s{stream}/block0000/train/config_NNNNNN.h5``,
:func:`lqcd_core.pipeline.ensemble.training_trajectories`).  :func:`train_stage` (rule
train_surrogate) trains the surrogate of the ensemble's ``surrogate:`` block on the
configurations of all streams with :func:`lqcd_core.surrogate.stage.train_surrogate` and writes

* ``model.h5``       the frozen model (:func:`lqcd_core.surrogate.io.save_model`; metadata: the
                     training summary, the configurations used, beta and the fermion block),
* ``training.csv``   the training record (:func:`training_table`): per epoch ``train_loss`` and
                     ``val_loss`` (neural); the fit's ``quantity, value`` rows (loops: one
                     coefficient per term, rms, r2, validation_rms, validation_r2, offset, ...);
                     the residual RMS of Delta S_f - Delta S_eff ``before``/``after`` (heavy);
                     the ``quantity, value`` rows of the operator (truncated: iterations, kappa
                     or mass, true_quark, a; nothing is trained, no curve),
* ``summary.json``   the summary of ``train_surrogate`` plus the configurations and settings.

:func:`training_figure` draws the training curve (rule plot_surrogate_training); for truncated,
which has none, a panel with the parameters of the frozen force.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import atomic_write_bytes
from .ensemble import training_trajectories

__all__ = ["training_files", "train_stage", "training_table", "training_figure"]

log = logging.getLogger("lqcd.pipeline")


def training_files(ens: dict, block0_dirs) -> list[Path]:
    """The training configurations of an SLHMC ensemble in the given block-0 directories
    (one per stream), in stream and trajectory order; a missing file raises
    FileNotFoundError naming it."""
    traj = training_trajectories(ens)
    if not traj:
        raise ValueError("the ensemble has no training configurations (algorithm slhmc with a "
                         "surrogate block needed)")
    files = [Path(d) / "train" / f"config_{t:06d}.h5" for d in block0_dirs for t in traj]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"training configuration(s) missing: {', '.join(missing)} "
                                "(written by the thermalisation; re-run it)")
    return files


def train_stage(ens: dict, block0_dirs, model_path, table_path, summary_path) -> dict:
    """Train the surrogate of an SLHMC ensemble on its training configurations; write the
    model, the training table and the JSON summary (atomically, replacing old files).

    The random numbers (pseudofermions, MD partners, validation split, mini-batches) come from
    ``numpy.random.default_rng(seed)`` with the ensemble seed, a stream of its own (the chains
    use ``SeedSequence(seed, spawn_key=(stream,))``).  The MD partner trajectories of the
    heavy/neural training use the MD steps of stream 0 at the end of the thermalisation (the
    production's steps) and ``fermion.inner_steps``.  Returns the summary.
    """
    from ..actions.fermion_spec import validate_fermion
    from ..io import read_checkpoint, read_config
    from ..surrogate.io import save_model
    from ..surrogate.stage import DEFAULT_ITERATIONS, train_surrogate
    block0_dirs = [Path(d) for d in block0_dirs]
    sur = ens["surrogate"]
    files = training_files(ens, block0_dirs)
    fields = [read_config(p)[0] for p in files]
    fermion = validate_fermion(ens["fermion"], len(ens["lattice"]))
    ck0 = block0_dirs[0] / "checkpoint.h5"
    steps = int(read_checkpoint(ck0).params.get("steps") or ens.get("steps", 10)) if ck0.is_file() \
        else int(ens.get("steps", 10))
    terms = tuple(sur["terms"]) if sur.get("terms") else None
    log.info(f"training a {sur['kind']} surrogate on {len(fields)} configurations "
             f"({len(block0_dirs)} stream(s)), MD steps {steps}")
    model, summary, result = train_surrogate(
        sur["kind"], fields, fermion, float(ens["beta"]), heavy=sur.get("heavy"),
        layers=int(sur.get("layers", 2)), rect=bool(sur.get("rect", False)),
        epochs=int(sur.get("epochs", 20)), lr=float(sur.get("lr", 0.02)),
        fit=sur.get("fit", "forces"), terms=terms, steps=steps,
        inner_steps=int(fermion["inner_steps"]), seed=int(ens["seed"]),
        n_phi=int(sur.get("n_phi", 8)), iterations=int(sur.get("iterations", DEFAULT_ITERATIONS)))
    summary.update({"beta": float(ens["beta"]), "fermion": fermion, "surrogate": dict(sur),
                    "seed": int(ens["seed"]), "steps": steps,
                    "configs": [str(p) for p in files]})
    for p in (model_path, table_path, summary_path):
        Path(p).parent.mkdir(parents=True, exist_ok=True)
    save_model(model_path, model, training=result, metadata=summary, overwrite=True)
    table = training_table(summary, result)
    atomic_write_bytes(table_path, table.to_csv(index=False).encode(), overwrite=True)
    atomic_write_bytes(summary_path, (json.dumps(summary, indent=1, default=_json_default)
                                      + "\n").encode(), overwrite=True)
    log.info(f"{sur['kind']} surrogate: theta = {summary['theta']}")
    return summary


def _json_default(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError(f"not JSON-serialisable: {type(v).__name__}")


def training_table(summary: dict, result=None) -> pd.DataFrame:
    """The training record of :func:`train_stage` as a table (see the module docstring)."""
    kind = summary["kind"]
    if kind == "neural":
        if result is None:
            raise ValueError("the neural surrogate's table needs its TrainingResult")
        return pd.DataFrame({"epoch": result.epochs, "train_loss": result.train_loss,
                             "val_loss": result.val_loss})
    if kind == "loops":
        fit = summary["fit"]
        rows = [{"quantity": f"c_{t}", "value": float(c)}
                for t, c in zip(fit["terms"], fit["coefficients"])]
        rows += [{"quantity": k, "value": float(fit[k])}
                 for k in ("offset", "rms", "r2", "validation_rms", "validation_r2", "n_train",
                           "n_validation", "ridge")]
        return pd.DataFrame(rows, columns=["quantity", "value"])
    if kind == "truncated":
        op = summary["operator"]
        quark = "kappa" if op["type"] == "wilson" and op.get("kappa") is not None else "mass"
        rows = [{"quantity": "iterations", "value": float(summary["iterations"])},
                {"quantity": quark, "value": float(op[quark])},
                {"quantity": "true_quark", "value": float(summary.get("heavy") is None)},
                {"quantity": "a", "value": float(summary["theta"][0])}]
        return pd.DataFrame(rows, columns=["quantity", "value"])
    rows = [{"stage": s, **{k: summary[s][k] for k in ("rms", "mean", "std", "n")}}
            for s in ("before", "after")]
    return pd.DataFrame(rows, columns=["stage", "rms", "mean", "std", "n"])


def training_figure(table: pd.DataFrame, summary: dict, path, title: str | None = None) -> Path:
    """The training curve: train and validation loss per epoch (neural, best epoch marked); the
    fitted coefficients and R^2 on the training and held-out configurations (loops); the RMS
    of Delta S_f - Delta S_eff over the MD partner pairs before and after (heavy); the
    parameters of the frozen force (truncated: nothing trained, no curve)."""
    from ..plots._common import check_path, new_figure, save
    path = check_path(path)
    kind = summary["kind"]
    head = title or f"{kind} surrogate"
    if kind == "neural":
        fig, ax = new_figure()
        a = ax[0, 0]
        a.plot(table["epoch"], table["train_loss"], "o-", ms=3, color="C0", label="training")
        val = table["val_loss"].to_numpy(float)
        if np.isfinite(val).any():
            a.plot(table["epoch"], val, "s-", ms=3, color="C1", label="validation")
        best = (summary.get("training") or {}).get("best_epoch")
        if best is not None:
            a.axvline(best, color="C3", ls="--", lw=1, label=f"kept: epoch {best}")
        losses = np.concatenate([table["train_loss"].to_numpy(float), val])
        if np.all(losses[np.isfinite(losses)] > 0):
            a.set_yscale("log")
        from matplotlib.ticker import MaxNLocator
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
        a.set_xlabel("epoch")
        a.set_ylabel(r"loss $\langle(\Delta S_f - \Delta S_{\rm eff})^2\rangle$")
        a.legend(loc="best", fontsize="small")
        a.set_title(f"{head}: training curve" + _rms_note(summary))
        return save(fig, path)
    if kind == "loops":
        vals = dict(zip(table["quantity"], table["value"].astype(float)))
        coef = {q[2:]: v for q, v in vals.items() if q.startswith("c_")}
        fig, ax = new_figure(1, 2, figsize=(9.0, 3.4))
        a = ax[0, 0]
        a.bar(range(len(coef)), list(coef.values()), color="C0")
        a.set_xticks(range(len(coef)))
        a.set_xticklabels(list(coef), rotation=30, ha="right", fontsize="small")
        a.axhline(0.0, color="0.5", lw=0.8)
        a.set_ylabel("coefficient $c_i$")
        a.set_title("fitted loop coefficients", fontsize="medium")
        b = ax[0, 1]
        r2 = [vals.get("r2", np.nan), vals.get("validation_r2", np.nan)]
        b.bar([0, 1], r2, color=["C0", "C1"])
        for x, v in zip((0, 1), r2):
            if np.isfinite(v):
                b.text(x, v, f"{v:.3f}", ha="center", va="bottom" if v >= 0 else "top",
                       fontsize="small")
        b.set_xticks([0, 1])
        b.set_xticklabels([f"training ({int(vals.get('n_train', 0))})",
                           f"held out ({int(vals.get('n_validation', 0))})"])
        b.axhline(0.0, color="0.5", lw=0.8)
        b.axhline(1.0, color="0.5", lw=0.8, ls=":")
        b.set_ylabel("$R^2$")
        fit = (summary.get("fit") or {}).get("method", "")
        b.set_title(f"{fit} fit: explained fraction".strip(), fontsize="medium")
        fig.suptitle(f"{head}: fit on {summary.get('n_configs', '?')} configurations")
        return save(fig, path)
    if kind == "truncated":
        vals = dict(zip(table["quantity"], table["value"].astype(float)))
        quark = "kappa" if "kappa" in vals else "mass"
        where = "the true quark" if vals.get("true_quark", 1.0) else "a heavier quark"
        shared = (" (the Metropolis solves continue these iterations)"
                  if summary.get("shares_solves") else "")
        fig, ax = new_figure(figsize=(7.0, 2.2))
        a = ax[0, 0]
        a.axis("off")
        a.text(0.0, 0.5,
               f"force from k = {int(vals['iterations'])} CG iterations from zero\n"
               f"at {where}, {quark} = {vals[quark]:g}{shared};  a = {vals.get('a', 1.0):g}\n"
               "nothing trained (not a gradient; the Metropolis test keeps the chain exact):\n"
               "see the Delta H plot and the acceptance of the summary",
               va="center", ha="left", fontsize="medium", transform=a.transAxes)
        a.set_title(f"{head}: frozen truncated-CG force (no training curve)")
        return save(fig, path)
    fig, ax = new_figure()
    a = ax[0, 0]
    rms = table["rms"].to_numpy(float)
    a.bar(range(len(table)), rms, color=["C0", "C2"][:len(table)])
    for x, v in enumerate(rms):
        a.text(x, v, f"{v:.4g}", ha="center", va="bottom", fontsize="small")
    a.set_xticks(range(len(table)))
    a.set_xticklabels([f"{s} (n = {int(n)})" for s, n in zip(table["stage"], table["n"])])
    a.set_ylabel(r"RMS of $\Delta S_f - \Delta S_{\rm eff}$")
    a.set_title(f"{head}: residual over MD pairs (nothing trained)")
    return save(fig, path)


def _rms_note(summary: dict) -> str:
    b, a = summary.get("before"), summary.get("after")
    if not b or not a:
        return ""
    return f"\nRMS($\\Delta S_f - \\Delta S_{{eff}}$) {b['rms']:.3g} -> {a['rms']:.3g}"
