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
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis import MERIT_COLUMNS, figures_of_merit, thermalization_cut

#: measurement columns that are not observables of the summary: correlator time slices (analysed
#: in correlators.csv), noise errors and the cost of the fermionic measurements
_NOT_SUMMARISED = re.compile(r"^(pion|rho)_t\d+$|_err$|_solver_iterations$|_dirac_applications$")

SUMMARY_COLUMNS = ["observable", "source", "mean", "error", "tau_int", "dtau_int", "window", "n",
                   "n_indep", "acceptance", "exp_mdh", "exp_mdh_error", "seconds_per_traj",
                   "cost_per_indep_seconds", "dirac_per_traj", "dirac_per_indep", "therm_cut"]


def by_stream(paths) -> dict:
    """{stream: [paths in the given order]} from paths containing ``/s<stream>/``."""
    out: dict = {}
    for p in paths:
        m = re.search(r"/s(\d+)/", str(p))
        if m is None:
            raise ValueError(f"{p}: no /s<stream>/ component in the path")
        out.setdefault(int(m.group(1)), []).append(p)
    return out


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


def concat_flow(paths_by_stream: dict) -> pd.DataFrame:
    """Flow histories (JSON per configuration) as one long table:
    stream, trajectory, t, E, t2E[, E_clover, t2E_clover, Q]."""
    frames = []
    for stream, paths in sorted(paths_by_stream.items()):
        for p in paths:
            rec = json.loads(Path(p).read_text())
            cols = {k: rec[k] for k in ("t", "E", "t2E", "E_clover", "t2E_clover", "Q") if k in rec}
            df = pd.DataFrame(cols)
            df.insert(0, "trajectory", rec["trajectory"])
            df.insert(0, "stream", int(stream))
            frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["stream", "trajectory", "t"], kind="stable").reset_index(drop=True)


def flow_arrays(flow: pd.DataFrame, column: str):
    """(t grid, [per-stream arrays (N_r, n_t)]) of ``column`` from the long flow table."""
    t = np.sort(flow["t"].unique())
    reps = []
    for _, g in flow.groupby("stream"):
        wide = g.pivot(index="trajectory", columns="t", values=column).reindex(columns=t)
        if wide.isna().any().any():
            raise ValueError(f"flow histories of stream {g['stream'].iloc[0]} are on different t grids")
        reps.append(wide.to_numpy(float))
    return t, reps


def flow_summary(flow: pd.DataFrame, ens: dict, S: float = 2.0) -> pd.DataFrame:
    """Rows t0, w0 (Gamma-method errors of derived quantities) and Q at the end of the flow."""
    from ..flow import default_reference, scale_setting
    from ..group import get_group
    reference = ens["flow"].get("reference") or default_reference(get_group(ens["group"]))
    column = "E_clover" if ens["flow"].get("definition", "clover") == "clover" else "E"
    t, reps = flow_arrays(flow, column)
    spacing = ens["save_every"] * ens["flow"]["every"]
    rows = []
    for which in ("t0", "w0"):
        try:
            r = scale_setting(t, reps, which, S=S, reference=reference)
        except ValueError as exc:
            rows.append({"observable": which, "source": "flow", "mean": np.nan, "error": np.nan,
                         "note": str(exc)})
            continue
        rows.append({"observable": which, "source": "flow", "mean": r.mean, "error": r.error,
                     "tau_int": r.tau_int * spacing, "dtau_int": r.dtau_int * spacing,
                     "window": r.window * spacing, "n": r.n, "n_indep": r.n_indep})
    if "Q" in flow.columns:
        last = flow[flow["t"] == t[-1]].copy()
        last["accepted"] = np.nan
        q = _robust_merit(last.rename(columns={"Q": "Q_flow"}), ["Q_flow"], 0, S)
        for c in ("tau_int", "dtau_int", "window"):
            q[c] = q[c] * spacing
        q.insert(1, "source", "flow")
        rows.extend(q.reindex(columns=["observable", "source", "mean", "error", "tau_int", "dtau_int",
                                       "window", "n", "n_indep", "note"]).to_dict("records"))
    return pd.DataFrame(rows)


def production_cut(traj: pd.DataFrame, column: str = "plaquette") -> int:
    """Thermalisation cut (rows per stream) of the production part, by the MSER rule.

    The largest cut over the streams is applied to all of them (conservative).
    """
    cuts = []
    for _, g in traj[traj["phase"] == "prod"].groupby("stream"):
        v = g[column].to_numpy(float)
        cuts.append(thermalization_cut(v) if len(v) >= 20 else 0)
    return int(max(cuts)) if cuts else 0


def _robust_merit(df: pd.DataFrame, observables, cut: int, S: float) -> pd.DataFrame:
    """figures_of_merit per observable; one the Gamma method rejects (too short, constant, an
    unusable autocorrelation estimate) gets NaN figures and the reason in ``note``."""
    rows = []
    for obs in observables:
        try:
            rows.append(figures_of_merit(df, [obs], cut, S=S))
        except ValueError as exc:
            rows.append(pd.DataFrame([{"observable": obs, "note": str(exc)}]))
    return pd.concat(rows, ignore_index=True).reindex(columns=MERIT_COLUMNS + ["note"])


def potential_rows(meas: pd.DataFrame, ens: dict, S: float = 2.0) -> pd.DataFrame | None:
    """Static potential aV(R) = ln(<W(R,T)> / <W(R,T+1)>) at T = ``wilson_loops.potential_t``,
    one row ``V_R`` per R, as Gamma-method derived quantities of the two loop averages."""
    import warnings

    from ..analysis import gamma_method
    T = int(ens.get("wilson_loops", {}).get("potential_t", 1))
    rows = []
    r = 1
    while f"W_{r}_{T}" in meas.columns and f"W_{r}_{T + 1}" in meas.columns:
        cols = [f"W_{r}_{T}", f"W_{r}_{T + 1}"]
        reps = [g[cols].to_numpy(float) for _, g in meas.groupby("stream")]
        row = {"observable": f"V_{r}", "source": "measurements"}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                res = gamma_method(reps if len(reps) > 1 else reps[0], S,
                                   func=lambda a: np.log(a[0] / a[1]))
            row.update({"mean": res.mean, "error": res.error, "tau_int": res.tau_int * ens["save_every"],
                        "dtau_int": res.dtau_int * ens["save_every"], "window": res.window * ens["save_every"],
                        "n": res.n, "n_indep": res.n_indep})
        except ValueError as exc:
            row["note"] = f"V({r}) at T={T}: {exc}"
        rows.append(row)
        r += 1
    return pd.DataFrame(rows) if rows else None


def summarize(traj: pd.DataFrame, meas: pd.DataFrame, ens: dict, S: float = 2.0,
              flow: pd.DataFrame | None = None) -> pd.DataFrame:
    """Figures of merit of every observable of one ensemble (SUMMARY_COLUMNS).

    With a flow table, rows ``t0``, ``w0`` (in lattice units, t0/a^2 and w0/a) and
    ``Q_flow`` (the topological charge at the end of the flow) are added.
    """
    prod = traj[traj["phase"] == "prod"].copy()
    cut = production_cut(traj)
    obs_t = ["plaquette"]
    t_tab = figures_of_merit(prod, obs_t, cut, S=S)
    t_tab.insert(1, "source", "trajectories")
    # Dirac-operator applications per trajectory (dynamical fermions; NaN when quenched)
    dirac = pd.to_numeric(prod.get("dirac_applications", pd.Series(dtype=float)), errors="coerce")
    dirac_per_traj = float(dirac.mean()) if dirac.notna().any() else float("nan")
    t_tab["dirac_per_traj"] = dirac_per_traj
    t_tab["dirac_per_indep"] = 2 * t_tab["tau_int"] * dirac_per_traj
    t_tab["therm_cut"] = cut
    every = int(ens["save_every"])
    mcut = int(np.ceil(cut / every))
    obs_m = [c for c in meas.columns if c not in ("stream", "trajectory", "plaquette")
             and not _NOT_SUMMARISED.search(c)]
    obs_m = [c for c in obs_m if meas[c].nunique() > 1]  # e.g. polyakov_im is 0 for SU(2)
    frames = [t_tab]
    if obs_m:
        m = meas.copy()
        m["accepted"] = np.nan
        m_tab = _robust_merit(m, obs_m, mcut, S)
        for c in ("tau_int", "dtau_int", "window"):
            m_tab[c] = m_tab[c] * every
        for c in ("acceptance", "exp_mdh", "exp_mdh_error"):
            m_tab[c] = t_tab[c].iloc[0]
        m_tab["seconds_per_traj"] = t_tab["seconds_per_traj"].iloc[0]
        m_tab["dirac_per_traj"] = dirac_per_traj
        m_tab["cost_per_indep_seconds"] = 2 * m_tab["tau_int"] * m_tab["seconds_per_traj"]
        m_tab["dirac_per_indep"] = 2 * m_tab["tau_int"] * dirac_per_traj
        m_tab.insert(1, "source", "measurements")
        m_tab["therm_cut"] = mcut * every
        frames.append(m_tab)
    pot = potential_rows(meas, ens, S)
    if pot is not None:
        pot["seconds_per_traj"] = t_tab["seconds_per_traj"].iloc[0]
        pot["therm_cut"] = mcut * every
        frames.append(pot)
    if flow is not None and len(flow):
        fl = flow_summary(flow, ens, S=S)
        fl["seconds_per_traj"] = t_tab["seconds_per_traj"].iloc[0]
        fl["cost_per_indep_seconds"] = 2 * fl.get("tau_int", np.nan) * fl["seconds_per_traj"]
        fl["therm_cut"] = 0
        frames.append(fl)
    out = pd.concat(frames, ignore_index=True)
    return out.reindex(columns=SUMMARY_COLUMNS + (["note"] if "note" in out.columns else []))
