"""Meson correlators of one ensemble: the effective-mass table and its figure.

The measurement table holds one column per time slice and channel (``pion_t00``, …,
``rho_t00``, …; :func:`lqcd_core.observables.fermionic.correlators`).  The table
``results/{ens}/correlators.csv`` has one row per channel and t with the mean correlator,
the effective mass m_eff(t) (cosh form, docs/fermion_measurements.md) and their Γ-method
errors (streams as replicas, the summary's thermalisation cut applied); the figure shows
C(t) on a log scale and m_eff(t).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..analysis.correlators import effective_mass, effective_mass_table

__all__ = ["CORRELATOR_COLUMNS", "correlator_columns", "correlator_table", "correlator_figure",
           "measurement_cut"]

CORRELATOR_COLUMNS = ["channel", "t", "C", "C_err", "m_eff", "m_eff_err", "tau_int", "kind", "n", "note"]

_KEY = re.compile(r"^(?P<channel>[a-z]+)_t(?P<t>\d+)$")


def correlator_columns(meas: pd.DataFrame) -> dict:
    """{channel: [column names ordered by t]} of the correlator columns of a measurement table."""
    found: dict = {}
    for col in meas.columns:
        m = _KEY.match(str(col))
        if m:
            found.setdefault(m["channel"], []).append((int(m["t"]), col))
    out = {}
    for ch, items in found.items():
        items.sort()
        ts = [t for t, _ in items]
        if ts != list(range(len(ts))):
            raise ValueError(f"correlator columns of {ch!r} are not t = 0 … {len(ts) - 1}: {ts}")
        out[ch] = [c for _, c in items]
    return out


def measurement_cut(summary: pd.DataFrame | None, save_every: int) -> int:
    """Rows per stream the summary dropped from the measurements (its MSER cut, in trajectories,
    divided by ``save_every``); 0 without a summary."""
    if summary is None or "therm_cut" not in summary.columns:
        return 0
    rows = summary[summary["source"] == "measurements"] if "source" in summary.columns else summary
    rows = rows["therm_cut"].dropna()
    if not len(rows):
        return 0
    return int(rows.max()) // max(int(save_every), 1)


def correlator_table(meas: pd.DataFrame, S: float = 2.0, cut: int = 0, kind: str = "cosh") -> pd.DataFrame:
    """Effective-mass table of every channel (CORRELATOR_COLUMNS).

    Parameters
    ----------
    meas : DataFrame
        Measurement table with ``stream`` and the correlator columns.
    S : float
        Γ-method windowing parameter.
    cut : int
        Rows dropped at the start of every stream (thermalisation).
    kind : {"cosh", "log"}
        Effective-mass definition.
    """
    cols = correlator_columns(meas)
    if not cols:
        raise ValueError("the measurement table has no correlator columns (pion_t00, ...): "
                         "add 'correlators' to the ensemble's measure list")
    if "stream" not in meas.columns:
        meas = meas.assign(stream=0)
    frames = []
    for ch, names in cols.items():
        reps = [(g.sort_values("trajectory") if "trajectory" in g.columns else g)[names]
                .to_numpy(float)[int(cut):] for _, g in meas.groupby("stream")]
        reps = [r[np.all(np.isfinite(r), axis=1)] for r in reps]
        reps = [r for r in reps if len(r)]
        n = int(sum(len(r) for r in reps))
        try:
            tab = effective_mass_table(reps if len(reps) > 1 else reps[0], S=S, kind=kind)
        except (ValueError, IndexError) as exc:      # too few measurements for errors
            c = np.concatenate(reps).mean(axis=0) if n else np.full(len(names), np.nan)
            m = effective_mass(c, kind=kind) if n else np.full(len(names) - 1, np.nan)
            tab = pd.DataFrame({"t": np.arange(len(names)), "C": c, "C_err": np.nan,
                                "m_eff": np.append(m, np.nan), "m_eff_err": np.nan, "tau_int": np.nan,
                                "note": f"no errors: {exc}"})
        tab.insert(0, "channel", ch)
        tab["kind"] = kind
        tab["n"] = n
        frames.append(tab)
    return pd.concat(frames, ignore_index=True).reindex(columns=CORRELATOR_COLUMNS)


def correlator_figure(table: pd.DataFrame, path, title: str | None = None):
    """Two panels: C(t) on a log scale (|C|, open symbols where C < 0) and m_eff(t), with errors."""
    from ..plots._common import check_path, new_figure, save
    path = check_path(path)
    fig, axes = new_figure(1, 2, figsize=(10.0, 3.8))
    ax_c, ax_m = axes[0, 0], axes[0, 1]
    for i, (ch, g) in enumerate(table.groupby("channel", sort=False)):
        colour = f"C{i}"
        t = g["t"].to_numpy(int)
        c = g["C"].to_numpy(float)
        dc = np.nan_to_num(g["C_err"].to_numpy(float))
        pos = c > 0
        ax_c.errorbar(t[pos], c[pos], yerr=dc[pos], fmt="o", ms=4, color=colour, capsize=2, label=ch)
        if (~pos).any():
            ax_c.errorbar(t[~pos], -c[~pos], yerr=dc[~pos], fmt="o", ms=4, mfc="none", color=colour,
                          capsize=2, label=f"{ch} (C < 0: |C|)")
        m = g["m_eff"].to_numpy(float)
        dm = g["m_eff_err"].to_numpy(float)
        ok = np.isfinite(m)
        if ok.any():
            ax_m.errorbar(t[ok] + 0.5, m[ok], yerr=np.nan_to_num(dm[ok]), fmt="s", ms=4, color=colour,
                          capsize=2, label=ch)
    if (table["C"].abs() > 0).any():
        ax_c.set_yscale("log")
    ax_c.set_xlabel("t / a (from the source)")
    ax_c.set_ylabel("C(t)")
    ax_c.set_title("zero-momentum correlators")
    ax_c.legend(loc="best", fontsize="small")
    kind = str(table["kind"].iloc[0]) if "kind" in table.columns and len(table) else "cosh"
    ax_m.set_xlabel("t / a (m_eff(t) plotted at t + 1/2)")
    ax_m.set_ylabel(f"a m_eff(t) ({kind})")
    ax_m.set_title("effective masses (Gamma-method errors)")
    if ax_m.get_legend_handles_labels()[0]:
        ax_m.legend(loc="best", fontsize="small")
        fin = table["m_eff"].to_numpy(float)
        fin = fin[np.isfinite(fin)]
        if fin.size:
            lo, hi = np.percentile(fin, [5, 95])
            pad = 0.5 * max(hi - lo, 0.05 * max(abs(hi), 1e-3))
            ax_m.set_ylim(max(lo - pad, 0.0) if lo >= 0 else lo - pad, hi + pad)
    if title:
        fig.suptitle(title)
    return save(fig, path)
