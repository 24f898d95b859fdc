"""Comparison panel of several ensembles / algorithms."""
from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from ._common import check_path, new_figure, save

__all__ = ["plot_comparison"]


def plot_comparison(
    table: pd.DataFrame,
    path,
    *,
    label_column: str = "algorithm",
    cost_column: str = "cost_per_indep_seconds",
    title: Optional[str] = None,
):
    """Bars of τ_int (with δτ_int) and of the cost per independent
    configuration, grouped by ``label_column`` with one bar per observable.

    Parameters
    ----------
    table : pandas.DataFrame
        E.g. from :func:`lqcd_core.analysis.compare_ensembles`; needs
        ``label_column``, ``tau_int`` and ``cost_column``; ``dtau_int`` and
        ``observable`` are used when present.
    """
    if not isinstance(table, pd.DataFrame) or table.empty:
        raise ValueError("table must be a non-empty pandas DataFrame")
    missing = [c for c in (label_column, "tau_int", cost_column) if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks column(s) {missing}")
    path = check_path(path)
    tab = table.copy()
    if "observable" not in tab.columns:
        tab["observable"] = ""
    labels = list(dict.fromkeys(tab[label_column].astype(str)))
    observables = list(dict.fromkeys(tab["observable"].astype(str)))
    xs = np.arange(len(labels))
    width = 0.8 / len(observables)
    fig, ax = new_figure(1, 2, figsize=(10.0, 3.8))
    for j, obs in enumerate(observables):
        sub = tab[tab["observable"].astype(str) == obs]
        sub = sub.set_index(sub[label_column].astype(str))
        sub = sub[~sub.index.duplicated()].reindex(labels)
        pos = xs - 0.4 + width * (j + 0.5)
        err = sub["dtau_int"].to_numpy(float) if "dtau_int" in sub.columns else None
        ax[0, 0].bar(pos, sub["tau_int"].to_numpy(float), width, yerr=err, capsize=3, label=obs or None)
        ax[0, 1].bar(pos, sub[cost_column].to_numpy(float), width, label=obs or None)
    for a, ylab in ((ax[0, 0], r"$\tau_{\rm int}$ [trajectories]"),
                    (ax[0, 1], "cost per independent config [s]")):
        a.set_xticks(xs)
        a.set_xticklabels(labels, rotation=20)
        a.set_ylabel(ylab)
        if any(observables):
            a.legend(fontsize="small")
    fig.suptitle(title or f"comparison by {label_column}")
    return save(fig, path)
