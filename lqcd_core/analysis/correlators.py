"""Effective masses of two-point correlators, with Γ-method or jackknife errors.

See ``docs/fermion_measurements.md`` ("Effective masses") for the formulas.

A zero-momentum meson correlator on a lattice periodic in time with T slices is, for
large t and T − t, a single hyperbolic cosine

    C(t) = A [exp(−m t) + exp(−m (T − t))] = 2 A exp(−m T/2) cosh(m (T/2 − t)),

(fermion fields antiperiodic in time still give periodic meson correlators: the sign
of a quark crossing the boundary appears once in S and once in S†).  The effective
mass at t is the m that a single state would need to produce the ratio C(t)/C(t+1):

* ``kind="log"``:  m_eff(t) = ln[C(t)/C(t+1)]  (exact for C(t) = A e^{−m t}),
* ``kind="cosh"``: the solution m ≥ 0 of
  C(t)/C(t+1) = cosh(m (T/2 − t)) / cosh(m (T/2 − t − 1))
  (exact for a pure cosh; valid on both halves of the lattice).
"""
from __future__ import annotations

import warnings
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from ._inputs import as_replicas

__all__ = ["effective_mass", "effective_mass_table", "KINDS", "METHODS"]

#: effective-mass definitions
KINDS = ("log", "cosh")
#: error methods of :func:`effective_mass_table`
METHODS = ("gamma", "jackknife")

#: bisection steps of the cosh solver (the bracket shrinks by 2^-BISECT_STEPS)
_BISECT_STEPS = 200
#: largest mass the cosh solver looks for (lattice units)
_M_MAX = 50.0


def _check_kind(kind) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, KINDS))}, got {kind!r}")
    return kind


def _check_T(T, n: int) -> int:
    if T is None:
        return n
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)):
        raise ValueError(f"T must be an integer (the time extent), got {T!r}")
    T = int(T)
    if T < 2 or T < n - 1:
        raise ValueError(f"T = {T} is too small for a correlator with {n} time slices "
                         "(need T >= 2 and T >= len(c) - 1)")
    return T


def _log_cosh(x: np.ndarray) -> np.ndarray:
    """ln cosh x without overflow."""
    ax = np.abs(x)
    return ax + np.log1p(np.exp(-2.0 * ax)) - np.log(2.0)


def _cosh_mass(ratio: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Solve cosh(m a)/cosh(m (a − 1)) = ratio for m ≥ 0 (element-wise; NaN if impossible).

    With a = T/2 − t: for a ≥ 1 the left side rises monotonically from 1 (m = 0) to
    infinity, so a solution exists iff ratio > 1; for a ≤ 0 it falls from 1 to 0 and a
    solution exists iff 0 < ratio < 1; for 0 < a < 1 (the middle of an odd T) it is not
    monotonic and the point is skipped (NaN).  The root of
    g(m) = ln cosh(m a) − ln cosh(m (a − 1)) − ln(ratio) is bracketed in [0, M_MAX] and
    found by vectorised bisection to machine precision.
    """
    ratio = np.asarray(ratio, dtype=float)
    a = np.broadcast_to(np.asarray(a, dtype=float), ratio.shape)
    out = np.full(ratio.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = np.log(ratio)
    up = (a >= 1) & np.isfinite(lr) & (lr > 0)       # g increasing
    down = (a <= 0) & np.isfinite(lr) & (lr < 0)     # g decreasing
    ok = up | down
    if not ok.any():
        return out
    aa, target, sgn = a[ok], lr[ok], np.where(up[ok], 1.0, -1.0)

    def g(m):
        return sgn * (_log_cosh(m * aa) - _log_cosh(m * (aa - 1.0)) - target)

    lo = np.zeros_like(target)
    hi = np.full_like(target, _M_MAX)
    reach = g(hi) >= 0
    for _ in range(_BISECT_STEPS):
        mid = 0.5 * (lo + hi)
        pos = g(mid) >= 0
        hi = np.where(pos, mid, hi)
        lo = np.where(pos, lo, mid)
        if np.all(hi - lo <= 4 * np.finfo(float).eps * np.maximum(hi, 1e-300)):
            break
    res = 0.5 * (lo + hi)
    res[~reach] = np.nan
    out[ok] = res
    return out


def effective_mass(c, kind: str = "cosh", T: Optional[int] = None) -> np.ndarray:
    """Effective mass m_eff(t), t = 0 … len(c) − 2, of a (mean) correlator.

    Parameters
    ----------
    c : array_like, shape (n_t,)
        Correlator C(t) on consecutive time slices t = 0, 1, …, n_t − 1 (relative to the
        source), real.
    kind : {"cosh", "log"}, default "cosh"
        ``"log"``: m_eff(t) = ln[C(t)/C(t+1)], exact for a single exponential
        C(t) = A e^{−m t}.
        ``"cosh"``: the m ≥ 0 with

            C(t) / C(t+1) = cosh(m (T/2 − t)) / cosh(m (T/2 − t − 1)),

        exact for a periodic single-state correlator C(t) = A cosh(m (T/2 − t)), the
        correct form for meson correlators on a lattice periodic (or, for the quarks,
        antiperiodic) in time.  Solved by bisection on ln cosh differences.
    T : int, optional
        Time extent of the lattice (default ``len(c)``, the full correlator).  Only used
        by ``kind="cosh"``.

    Returns
    -------
    ndarray, shape (n_t − 1,)
        m_eff(t); NaN where it is undefined (C(t)/C(t+1) ≤ 0, for "cosh" a ratio on the
        wrong side of 1 for its half of the lattice (C(t)/C(t+1) > 1 for t < T/2,
        < 1 for t ≥ T/2), or a mass beyond 50).

    Raises
    ------
    ValueError
        ``c`` not a finite real 1-D array of at least 2 entries, unknown ``kind``, bad ``T``.

    Examples
    --------
    >>> t = np.arange(16)
    >>> m = effective_mass(np.cosh(0.4 * (8 - t)), kind="cosh")
    >>> bool(np.allclose(m, 0.4))
    True
    """
    kind = _check_kind(kind)
    if np.iscomplexobj(c):
        raise ValueError("c must be real, got complex values (take .real of the correlator)")
    try:
        arr = np.asarray(c, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"c must be a numeric 1-D array: {exc}") from None
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"c must be a 1-D correlator with at least 2 time slices, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("c contains non-finite values (NaN or inf)")
    T = _check_T(T, arr.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = arr[:-1] / arr[1:]
    if kind == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(ratio > 0, np.log(np.where(ratio > 0, ratio, 1.0)), np.nan)
    t = np.arange(arr.size - 1, dtype=float)
    return _cosh_mass(ratio, T / 2.0 - t)


def _pair_mass(kind: str, t: int, T: int):
    """The derived quantity m_eff(C(t), C(t+1)) for the error analysis (vectorised)."""
    a = T / 2.0 - t

    def func(x):
        c0, c1 = np.asarray(x[0], dtype=float), np.asarray(x[1], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = c0 / c1
        if kind == "log":
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(r > 0, np.log(np.where(r > 0, r, 1.0)), np.nan)
        return _cosh_mass(np.atleast_1d(r), a).reshape(np.shape(r))

    return func


def effective_mass_table(samples, S: float = 2.0, kind: str = "cosh", *, method: str = "gamma",
                         T: Optional[int] = None, bin_size: int = 1,
                         replica_lengths: Optional[Sequence[int]] = None) -> pd.DataFrame:
    """Mean correlator and effective mass per time slice with statistical errors.

    Parameters
    ----------
    samples : array_like, shape (n_cfg, n_t), or a list of such arrays (one per replica)
        The correlator C_i(t) measured on each configuration i (Monte Carlo order;
        replicas are independent Markov chains of the same ensemble).
    S : float, default 2.0
        Wolff's windowing parameter of the Γ method (``method="gamma"``).
    kind : {"cosh", "log"}, default "cosh"
        Effective-mass definition (:func:`effective_mass`).
    method : {"gamma", "jackknife"}, default "gamma"
        Error of m_eff(t) as a derived quantity f(⟨C(t)⟩, ⟨C(t+1)⟩):
        ``"gamma"``: :func:`~lqcd_core.analysis.gamma_method` with ``func`` (linearised
        error propagation with autocorrelations summed up to Wolff's window);
        ``"jackknife"``: binned jackknife with ``bin_size`` (choose it ≫ τ_int).
    T : int, optional
        Time extent (default n_t).
    bin_size : int, default 1
        Jackknife bin length.
    replica_lengths : sequence of int, optional
        Split a concatenated ``samples`` array into replicas.

    Returns
    -------
    pandas.DataFrame
        One row per t = 0 … n_t − 1 with columns ``t``, ``C``, ``C_err`` (error of the
        mean correlator), ``m_eff``, ``m_eff_err`` and ``tau_int`` (of m_eff, Γ method;
        NaN for the jackknife) — m_eff is NaN at the last slice and wherever it is
        undefined; its error is NaN where the error analysis fails (e.g. a quantity
        without fluctuations), the reason being in the column ``note``.

    Notes
    -----
    The mean is f(C̄(t), C̄(t+1)) (the effective mass of the mean correlator), not the
    mean of per-configuration effective masses, which would be biased and often
    undefined.  With the Γ method, σ²(m_eff) = C_F(W)/N, where the projected fluctuation
    is δ_i = Σ_α ∂f/∂C̄_α (C_{α,i} − C̄_α), α ∈ {t, t+1}.

    Raises
    ------
    ValueError
        Bad ``samples`` (not 2-D, fewer than 4 configurations, fewer than 2 time slices,
        non-finite values), ``kind``, ``method``, ``S``, ``T`` or ``bin_size``.
    """
    from .gamma import gamma_method
    from .jackknife import jackknife

    kind = _check_kind(kind)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
    try:
        S = float(S)
    except (TypeError, ValueError):
        raise ValueError(f"S must be a number >= 0, got {S!r}") from None
    if not np.isfinite(S) or S < 0:
        raise ValueError(f"S must be a finite number >= 0, got {S}")
    if isinstance(bin_size, bool) or not isinstance(bin_size, (int, np.integer)) or bin_size < 1:
        raise ValueError(f"bin_size must be a positive integer, got {bin_size!r}")
    if not isinstance(samples, (list, tuple)) and np.ndim(samples) != 2:
        raise ValueError(f"samples must be a (n_cfg, n_t) array or a list of them, "
                         f"got shape {np.shape(samples)}")
    reps = as_replicas(samples, replica_lengths)
    n_t = reps[0].shape[1]
    if n_t < 2:
        raise ValueError(f"samples need at least 2 time slices, got {n_t}")
    T = _check_T(T, n_t)
    data = reps if len(reps) > 1 else reps[0]

    def analyse(cols, func):
        sub = [r[:, cols] for r in reps] if len(reps) > 1 else data[:, cols]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if method == "gamma":
                res = gamma_method(sub, S, func=func)
                return res.mean, res.error, res.tau_int
            res = jackknife(sub, int(bin_size), func=func)
            return res.mean, res.error, np.nan

    allrows = np.concatenate(reps)
    cbar = allrows.mean(axis=0)
    m_mean = effective_mass(cbar, kind=kind, T=T)
    rows = []
    for t in range(n_t):
        row = {"t": t, "C": float(cbar[t]), "C_err": np.nan, "m_eff": np.nan, "m_eff_err": np.nan,
               "tau_int": np.nan, "note": ""}
        try:
            row["C_err"] = analyse([t], None)[1]
        except ValueError as exc:
            row["note"] = f"C: {exc}"
        if t < n_t - 1 and np.isfinite(m_mean[t]):
            row["m_eff"] = float(m_mean[t])
            try:
                _, err, tau = analyse([t, t + 1], _pair_mass(kind, t, T))
                row["m_eff_err"], row["tau_int"] = float(err), float(tau)
            except ValueError as exc:
                row["note"] = (row["note"] + "; " if row["note"] else "") + f"m_eff: {exc}"
        rows.append(row)
    return pd.DataFrame(rows, columns=["t", "C", "C_err", "m_eff", "m_eff_err", "tau_int", "note"])
