"""The stages of precision-driven production (rules target_round and target_status).

:func:`run_round` analyses the blocks of one round and writes the decision of
:func:`.target.plan_round`; :func:`write_status` writes the ensemble's final ``target.json``, the
progress table (N_indep and relative error of the target's observables against the production
trajectories per stream, at block boundaries) and its figure.  docs/adaptive.md.
"""
from __future__ import annotations

import json
import logging
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import atomic_write_bytes
from .tables import by_stream, concat_flow, concat_measurements, concat_trajectories, summarize
from .target import criteria, final_status, plan_round, remaining_text, status_line

log = logging.getLogger("lqcd.pipeline")

#: at most this many points (block boundaries) in the progress table
PROGRESS_POINTS = 25


def _json(obj) -> bytes:
    def clean(x):
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        if isinstance(x, (float, np.floating)):
            return None if not math.isfinite(float(x)) else float(x)
        if isinstance(x, (np.integer, np.bool_)):
            return x.item()
        return x
    return json.dumps(clean(obj), indent=1).encode()


def summary_of(traj: pd.DataFrame, meas: pd.DataFrame, flow: pd.DataFrame | None, ens: dict,
               S: float) -> pd.DataFrame:
    """The Γ-method summary of (a prefix of) the data; Γ-method warnings are silenced (short
    prefixes are expected to be noisy, the figures carry their errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return summarize(traj, meas, ens, S=S, flow=flow)


def run_round(logs, meas, flows, ens: dict, S: float, round_: int, out: Path) -> dict:
    """One round: aggregate the given files, summarise, decide, write ``out`` (atomically)."""
    traj = concat_trajectories(by_stream(logs))
    m = concat_measurements(by_stream(meas)) if len(meas) else pd.DataFrame(columns=["stream", "trajectory"])
    fl = concat_flow(by_stream(flows)) if len(flows) else None
    blocks = int(traj[traj["phase"] == "prod"].groupby("stream").size().max()) // int(ens["block"])
    summary = summary_of(traj, m, fl, ens, S)
    plan = plan_round(summary, ens, blocks, round_)
    atomic_write_bytes(Path(out), _json(plan), overwrite=True)
    for c in plan["criteria"]:
        log.info(f"round {round_}: {c['observable']} {c['criterion']} = {c['value']} (goal {c['goal']}, "
                 f"met {c['met']}) {c.get('note', '')}")
    log.info(f"round {round_}: {blocks} block(s) per stream -> {plan['reason']}, "
             f"{plan['blocks']} block(s) per stream")
    return plan


def progress_table(traj: pd.DataFrame, meas: pd.DataFrame, flow: pd.DataFrame | None, ens: dict,
                   S: float, points: int = PROGRESS_POINTS) -> pd.DataFrame:
    """Criteria of the target at block boundaries (at most ``points`` of them, always the last).

    Columns: traj_per_stream, observable, criterion, value (conservative estimate, as in the
    decisions), goal, met, tau_int, dtau_int.
    """
    block = int(ens["block"])
    prod = traj[traj["phase"] == "prod"]
    first = int(ens["n_therm"])
    n_blocks = int(prod.groupby("stream").size().max()) // block
    ks = sorted(set(np.unique(np.linspace(1, n_blocks, min(points, n_blocks)).round().astype(int))))
    rows = []
    for k in ks:
        last = first + k * block
        t = traj[traj["trajectory"] <= last]
        m = meas[meas["trajectory"] <= last] if len(meas) else meas
        f = flow[flow["trajectory"] <= last] if flow is not None else None
        try:
            summary = summary_of(t, m, f, ens, S)
        except ValueError as exc:  # too short a prefix for the Gamma method
            log.info(f"progress at {k * block} trajectories: {exc}")
            continue
        for c in criteria(summary, ens["target"]):
            rows.append({"traj_per_stream": k * block, "observable": c["observable"],
                         "criterion": c["criterion"], "value": c["value"], "goal": c["goal"],
                         "met": c["met"], "tau_int": c.get("tau_int", np.nan),
                         "dtau_int": c.get("dtau_int", np.nan)})
    return pd.DataFrame(rows, columns=["traj_per_stream", "observable", "criterion", "value", "goal",
                                       "met", "tau_int", "dtau_int"])


def progress_figure(table: pd.DataFrame, status: dict, path, name: str = "") -> None:
    """N_indep (left) and relative error (right) of the target's observables against the
    production trajectories per stream, with the goals, the budget and the stop reason."""
    from ..plots._common import check_path, new_figure, save
    path = check_path(path)
    kinds = [k for k in ("n_indep", "rel_error") if (table["criterion"] == k).any()] or ["n_indep"]
    fig, axes = new_figure(1, len(kinds), figsize=(5.5 * len(kinds), 4.2))
    axes = np.asarray(axes).ravel()
    for ax, kind in zip(axes, kinds):
        sub = table[table["criterion"] == kind]
        for obs, g in sub.groupby("observable"):
            line, = ax.plot(g["traj_per_stream"], g["value"], "o-", label=obs)
            ax.axhline(g["goal"].iloc[0], color=line.get_color(), ls="--", lw=1)
        ax.axvline(status["max_traj"], color="k", ls=":", lw=1, label="max_traj")
        ax.set_xlabel("production trajectories per stream")
        ax.set_ylabel("N_indep (tau_int + safety dtau_int)" if kind == "n_indep"
                      else "relative error (tau_int + safety dtau_int)")
        if kind == "rel_error":
            ax.set_yscale("log")
        ax.legend(fontsize=8)
    extra = "" if status["reason"] == "target met" else "; " + remaining_text(status["remaining"])
    fig.suptitle(f"{name}: {status['reason']} after {status['rounds']} round(s), "
                 f"{status['traj_per_stream']} x {status['streams']} trajectories{extra}", fontsize=10)
    save(fig, path)


def write_decisions(round_paths, ens: dict, out: Path, name: str = "") -> dict:
    """The final status (:func:`.target.final_status`) from the decisions of all rounds."""
    plans = [json.loads(Path(p).read_text()) for p in round_paths]
    status = final_status(plans, ens)
    atomic_write_bytes(Path(out), _json(status), overwrite=True)
    log.info(status_line(name, status))
    return status


def write_report(status_path: Path, traj: pd.DataFrame, meas: pd.DataFrame, flow: pd.DataFrame | None,
                 ens: dict, S: float, out_status: Path, out_table: Path, out_plot: Path,
                 name: str = "") -> dict:
    """target.json (the status), progress.csv and progress.png of an ensemble."""
    status = json.loads(Path(status_path).read_text())
    table = progress_table(traj, meas, flow, ens, S)
    atomic_write_bytes(Path(out_table), table.to_csv(index=False).encode(), overwrite=True)
    progress_figure(table, status, out_plot, name)
    atomic_write_bytes(Path(out_status), _json(status), overwrite=True)
    return status
