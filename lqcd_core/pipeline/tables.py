"""Aggregation of blocks and measurements into tidy tables, and the ensemble summary.

Tables (pandas, written as CSV):

* trajectories: one row per trajectory and stream (``stream`` column, ``phase``
  therm/prod), the concatenation of the blocks' logs;
* measurements: one row per saved configuration and stream.

The summary has one row per observable: trajectory-level observables
(``plaquette``, ``exp_mdh``-related columns) from the trajectory table,
configuration-level ones (``polyakov_*``, ``plaquette_s/t``) from the
measurement table.  τ_int is reported in units of trajectories: for
measurements spaced ``save_every`` trajectories apart, τ_int(traj) =
save_every · τ_int(meas) (docs/analysis.md).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis import figures_of_merit, thermalization_cut

SUMMARY_COLUMNS = ["observable", "source", "mean", "error", "tau_int", "dtau_int", "window", "n",
                   "n_indep", "acceptance", "exp_mdh", "exp_mdh_error", "seconds_per_traj",
                   "cost_per_indep_seconds", "therm_cut"]


def concat_trajectories(paths_by_stream: dict) -> pd.DataFrame:
    """{stream: [csv paths of block0, block1, ...]} -> one table with a ``stream`` column."""
    frames = []
    for stream, paths in sorted(paths_by_stream.items()):
        for p in paths:
            df = pd.read_csv(p)
            df.insert(0, "stream", int(stream))
            frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["stream", "trajectory"], kind="stable").reset_index(drop=True)


def concat_measurements(paths_by_stream: dict) -> pd.DataFrame:
    rows = []
    for stream, paths in sorted(paths_by_stream.items()):
        for p in paths:
            rec = json.loads(Path(p).read_text())
            rec["stream"] = int(stream)
            rows.append(rec)
    df = pd.DataFrame(rows)
    cols = ["stream", "trajectory"] + [c for c in df.columns if c not in ("stream", "trajectory")]
    return df[cols].sort_values(["stream", "trajectory"], kind="stable").reset_index(drop=True)


def production_cut(traj: pd.DataFrame, column: str = "plaquette") -> int:
    """Thermalisation cut (rows per stream) of the production part, by the MSER rule.

    The largest cut over the streams is applied to all of them (conservative).
    """
    cuts = []
    for _, g in traj[traj["phase"] == "prod"].groupby("stream"):
        v = g[column].to_numpy(float)
        cuts.append(thermalization_cut(v) if len(v) >= 20 else 0)
    return int(max(cuts)) if cuts else 0


def summarize(traj: pd.DataFrame, meas: pd.DataFrame, ens: dict, S: float = 2.0) -> pd.DataFrame:
    """Figures of merit of every observable of one ensemble (SUMMARY_COLUMNS)."""
    prod = traj[traj["phase"] == "prod"].copy()
    cut = production_cut(traj)
    obs_t = ["plaquette"]
    t_tab = figures_of_merit(prod, obs_t, cut, S=S)
    t_tab.insert(1, "source", "trajectories")
    t_tab["therm_cut"] = cut
    every = int(ens["save_every"])
    mcut = int(np.ceil(cut / every))
    obs_m = [c for c in meas.columns if c not in ("stream", "trajectory", "plaquette")]
    obs_m = [c for c in obs_m if meas[c].nunique() > 1]  # e.g. polyakov_im is 0 for SU(2)
    frames = [t_tab]
    if obs_m:
        m = meas.copy()
        m["accepted"] = np.nan
        m_tab = figures_of_merit(m, obs_m, mcut, S=S)
        for c in ("tau_int", "dtau_int", "window"):
            m_tab[c] = m_tab[c] * every
        for c in ("acceptance", "exp_mdh", "exp_mdh_error"):
            m_tab[c] = t_tab[c].iloc[0]
        m_tab["seconds_per_traj"] = t_tab["seconds_per_traj"].iloc[0]
        m_tab["cost_per_indep_seconds"] = 2 * m_tab["tau_int"] * m_tab["seconds_per_traj"]
        m_tab.insert(1, "source", "measurements")
        m_tab["therm_cut"] = mcut * every
        frames.append(m_tab)
    out = pd.concat(frames, ignore_index=True)
    return out[SUMMARY_COLUMNS]
