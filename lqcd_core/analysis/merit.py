"""Figures of merit of an ensemble: errors, τ_int, acceptance, ⟨e^{−ΔH}⟩, cost.

Input is the per-trajectory table an MC run writes (one row per trajectory),
with columns such as ``trajectory``, observables, ``delta_h``, ``accepted``,
``seconds``, optionally ``stream`` (replica label) and ``dirac_applications``.
"""
from __future__ import annotations

import warnings
from typing import Mapping, Optional, Sequence, Union

import numpy as np
import pandas as pd

from .gamma import gamma_method

__all__ = ["MERIT_COLUMNS", "figures_of_merit", "compare_ensembles", "format_table"]

#: columns of the table returned by :func:`figures_of_merit` (plus ``dirac_per_indep``
#: when the input has ``dirac_applications``)
MERIT_COLUMNS = [
    "observable", "mean", "error", "tau_int", "dtau_int", "window", "n", "n_indep",
    "acceptance", "exp_mdh", "exp_mdh_error", "seconds_per_traj", "cost_per_indep_seconds",
]


def _after_cut(df: pd.DataFrame, therm_cut: int, stream_column: str) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """Drop the first ``therm_cut`` rows of every stream; return the kept rows
    and, for each stream, the positional indices of its rows in that frame."""
    if "trajectory" in df.columns:
        df = df.sort_values(["trajectory"], kind="stable")
    if stream_column in df.columns:
        groups = [g for _, g in df.groupby(stream_column, sort=False)]
    else:
        groups = [df]
    kept = [g.iloc[therm_cut:] for g in groups]
    kept = [g for g in kept if len(g)]
    if not kept:
        raise ValueError(f"the thermalization cut ({therm_cut} rows per stream) leaves no data")
    out = pd.concat(kept, ignore_index=True)
    bounds = np.cumsum([0] + [len(g) for g in kept])
    return out, [np.arange(bounds[i], bounds[i + 1]) for i in range(len(kept))]


def _column_mean(df: pd.DataFrame, name: str) -> float:
    if name not in df.columns:
        return float("nan")
    v = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


def _exp_mdh(df: pd.DataFrame, parts: list[np.ndarray], S: float) -> tuple[float, float]:
    """⟨e^{−ΔH}⟩ and its Γ-method error (NaN when ΔH is absent or empty)."""
    if "delta_h" not in df.columns:
        return float("nan"), float("nan")
    dh = pd.to_numeric(df["delta_h"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(over="ignore"):
        e = np.exp(-dh)
    reps = [e[p][np.isfinite(e[p])] for p in parts]
    reps = [r for r in reps if r.size]
    if not reps:
        return float("nan"), float("nan")
    allv = np.concatenate(reps)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = gamma_method(reps, S)
        return res.mean, res.error
    except ValueError:  # too short or constant: fall back to the naive error
        err = allv.std(ddof=1) / np.sqrt(allv.size) if allv.size > 1 else float("nan")
        return float(allv.mean()), float(err)


def figures_of_merit(
    df: pd.DataFrame,
    observables: Sequence[str],
    therm_cut: int = 0,
    *,
    S: float = 2.0,
    stream_column: str = "stream",
    tau_exp: Optional[float] = None,
) -> pd.DataFrame:
    """Tidy table of figures of merit, one row per observable.

    Parameters
    ----------
    df : pandas.DataFrame
        Per-trajectory data.
    observables : sequence of str
        Columns to analyse with :func:`~lqcd_core.analysis.gamma.gamma_method`.
    therm_cut : int, default 0
        Number of leading rows (in trajectory order) discarded from every
        stream, e.g. the result of
        :func:`~lqcd_core.analysis.thermalization.thermalization_cut`.
    S : float, default 2.0
        Γ-method windowing parameter.
    stream_column : str, default "stream"
        Replica label column; streams are combined as replicas when present.
    tau_exp : float, optional
        Passed to the Γ method (exponential tail).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MERIT_COLUMNS` (+ ``dirac_per_indep`` if the input has
        ``dirac_applications``).  ``acceptance`` = mean of ``accepted``;
        ``exp_mdh`` = ⟨e^{−ΔH}⟩ with its Γ-method error (NaN when ``delta_h`` is
        absent or empty, e.g. heatbath); ``seconds_per_traj`` = mean of
        ``seconds``; ``cost_per_indep_seconds`` = 2 τ_int · seconds_per_traj;
        ``dirac_per_indep`` = 2 τ_int · mean(``dirac_applications``).

    Raises
    ------
    ValueError
        Missing observable column, bad cut, or data the Γ method rejects
        (the message names the observable).
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError("df must be a pandas DataFrame")
    if isinstance(observables, str):
        observables = [observables]
    if len(observables) == 0:
        raise ValueError("no observables given")
    missing = [o for o in observables if o not in df.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in the data; available: {list(df.columns)}")
    if isinstance(therm_cut, bool) or not isinstance(therm_cut, (int, np.integer)) or therm_cut < 0:
        raise ValueError(f"therm_cut must be a non-negative integer, got {therm_cut!r}")

    kept, parts = _after_cut(df, int(therm_cut), stream_column)
    acceptance = _column_mean(kept, "accepted")
    exp_mdh, exp_mdh_err = _exp_mdh(kept, parts, S)
    sec = _column_mean(kept, "seconds")
    has_dirac = "dirac_applications" in kept.columns
    dirac = _column_mean(kept, "dirac_applications") if has_dirac else float("nan")

    rows = []
    for obs in observables:
        v = pd.to_numeric(kept[obs], errors="coerce").to_numpy(dtype=float)
        try:
            res = gamma_method([v[p] for p in parts], S, tau_exp=tau_exp)
        except ValueError as exc:
            raise ValueError(f"observable {obs!r}: {exc}") from None
        row = {
            "observable": obs,
            "mean": res.mean,
            "error": res.error,
            "tau_int": res.tau_int,
            "dtau_int": res.dtau_int,
            "window": res.window,
            "n": res.n,
            "n_indep": res.n_indep,
            "acceptance": acceptance,
            "exp_mdh": exp_mdh,
            "exp_mdh_error": exp_mdh_err,
            "seconds_per_traj": sec,
            "cost_per_indep_seconds": 2.0 * res.tau_int * sec,
        }
        if has_dirac:
            row["dirac_per_indep"] = 2.0 * res.tau_int * dirac
        rows.append(row)
    cols = MERIT_COLUMNS + (["dirac_per_indep"] if has_dirac else [])
    return pd.DataFrame(rows, columns=cols)


def compare_ensembles(
    datasets: Mapping[str, pd.DataFrame],
    observables: Sequence[str],
    therm_cut: Union[int, Mapping[str, int]] = 0,
    *,
    label: str = "ensemble",
    S: float = 2.0,
) -> pd.DataFrame:
    """:func:`figures_of_merit` for several ensembles/algorithms, stacked.

    ``therm_cut`` is one integer for all, or a mapping label → cut.  The
    result has a leading column ``label`` (default ``"ensemble"``).
    """
    frames = []
    for name, df in datasets.items():
        cut = therm_cut[name] if isinstance(therm_cut, Mapping) else therm_cut
        t = figures_of_merit(df, observables, cut, S=S)
        t.insert(0, label, name)
        frames.append(t)
    if not frames:
        raise ValueError("no datasets given")
    return pd.concat(frames, ignore_index=True)


def format_table(table: pd.DataFrame, digits: int = 6) -> str:
    """Human-readable fixed-width rendering of a figures-of-merit table."""
    fmt = {c: (lambda x, d=digits: f"{x:.{d}g}") for c in table.columns
           if pd.api.types.is_float_dtype(table[c])}
    return table.to_string(index=False, formatters=fmt)
