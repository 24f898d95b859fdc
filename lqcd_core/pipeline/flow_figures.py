"""Figures of the gradient flow of one ensemble: t^2 E(t) with t0, W(t) with w0, and Q."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..flow import default_reference
from ..group import get_group
from ..plots import plot_flow_scale, plot_histogram, plot_history
from .tables import flow_arrays


def flow_figures(flow: pd.DataFrame, summary: pd.DataFrame, ens: dict, paths: dict) -> None:
    column = "E_clover" if ens["flow"].get("definition", "clover") == "clover" else "E"
    t, reps = flow_arrays(flow, column)
    reference = ens["flow"].get("reference") or default_reference(get_group(ens["group"]))
    e = np.concatenate(reps)
    n = e.shape[0]
    y = t * t * e
    w = t * np.gradient(y, t, axis=1)
    s = summary.set_index("observable")

    def scale(name, square=False):
        if name not in s.index or not np.isfinite(s.loc[name, "mean"]):
            return None, None
        m, err = float(s.loc[name, "mean"]), float(s.loc[name, "error"])
        return (m * m, 2 * m * err) if square else (m, err)

    t0, dt0 = scale("t0")
    plot_flow_scale(t, y.mean(0), paths["t2e"], y_err=y.std(0, ddof=1) / np.sqrt(n), scale=t0,
                    scale_err=dt0, reference=reference, ylabel=f"t^2 E(t) ({column})", scale_label="t0/a^2",
                    title="t^2 E(t): ensemble average (naive error band) and t0")
    w0sq, dw0sq = scale("w0", square=True)
    plot_flow_scale(t, w.mean(0), paths["w"], y_err=w.std(0, ddof=1) / np.sqrt(n), scale=w0sq,
                    scale_err=dw0sq, reference=reference, ylabel="W(t) = t d/dt t^2 E", scale_label="w0^2/a^2",
                    title="W(t) and w0")


def topology_figures(flow: pd.DataFrame, paths: dict) -> None:
    """History and histogram of Q at the end of the flow (all streams in Monte Carlo order)."""
    if "Q" not in flow.columns:
        raise ValueError("the flow table has no topological charge (not defined for this group/dimension)")
    last = flow[flow["t"] == flow["t"].max()].sort_values(["stream", "trajectory"])
    q = last["Q"].to_numpy(float)
    plot_history(q, paths["q_history"], x=np.arange(q.size), label="Q (end of flow)",
                 title="topological charge after the flow (all streams in order)")
    plot_histogram(q, paths["q_hist"], label="Q (end of flow)", title="distribution of Q")
