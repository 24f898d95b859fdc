"""The pipeline's figures of one observable of one ensemble, from the aggregated tables."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..analysis import gamma_method
from ..plots import plot_delta_h, plot_histogram, plot_history, plot_rho, plot_tau_int


def observable_series(traj: pd.DataFrame, meas: pd.DataFrame, obs: str):
    """(table, column, is_trajectory_level) holding ``obs``."""
    if obs in traj.columns:
        return traj, True
    if obs in meas.columns:
        return meas, False
    raise ValueError(f"observable {obs!r} is in neither table; available: "
                     f"{sorted(set(traj.columns) | set(meas.columns))}")


def observable_figures(traj: pd.DataFrame, meas: pd.DataFrame, summary: pd.DataFrame, obs: str,
                       paths: dict, S: float = 2.0) -> None:
    """History (stream 0, thermalisation and cut marked), rho(t), tau_int(W), histogram."""
    table, traj_level = observable_series(traj, meas, obs)
    row = summary[summary["observable"] == obs]
    cut = int(row["therm_cut"].iloc[0]) if len(row) else 0
    s0 = table[table["stream"] == table["stream"].min()]
    if traj_level:
        n_th = int((s0["phase"] == "therm").sum())
        mcut = n_th + cut
        prod = table[table["phase"] == "prod"]
        per_stream_cut = cut
    else:
        n_th = 0
        every = int(np.diff(s0["trajectory"].to_numpy()).min()) if len(s0) > 1 else 1
        mcut = cut // max(every, 1)
        prod = table
        per_stream_cut = mcut
    x = s0["trajectory"].to_numpy()
    v = s0[obs].to_numpy(float)
    plot_history(v, paths["history"], cut=min(mcut, len(v) - 1) if mcut else None, x=x, label=obs,
                 title=f"{obs}: history of stream 0 (shaded: thermalisation and MSER cut)")
    reps = [g[obs].to_numpy(float)[per_stream_cut:] for _, g in prod.groupby("stream")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = gamma_method(reps, S)
    unit = "trajectories" if traj_level else "measurements"
    plot_rho(res, paths["rho"], title=f"{obs}: normalised autocorrelation (lag in {unit})")
    plot_tau_int(res, paths["tauint"], title=f"{obs}: tau_int(W) (in {unit})")
    plot_histogram(np.concatenate(reps), paths["hist"], label=obs, title=f"{obs}: distribution")


def delta_h_figure(traj: pd.DataFrame, path) -> None:
    """ΔH and running acceptance of the production trajectories (all streams in order)."""
    prod = traj[traj["phase"] == "prod"].sort_values(["stream", "trajectory"])
    plot_delta_h(prod["delta_h"].to_numpy(float), path, accepted=prod["accepted"].to_numpy(float))
