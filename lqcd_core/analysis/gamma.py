"""Γ-method error analysis (U. Wolff, Comput. Phys. Commun. 156 (2004) 143,
hep-lat/0306017, "Monte Carlo errors with less errors").

See ``docs/analysis.md`` for the formulas and conventions.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from ._inputs import as_replicas, evaluate, gradient
from .autocorrelation import autocovariance, rho_error

__all__ = ["GammaResult", "gamma_method", "split_replicas"]

#: τ used in the windowing criterion when τ_int(W) ≤ 1/2 (makes g(W) < 0 at once)
_TINY_TAU = 1e-12
#: at most this many lags get a δρ(t) estimate
_DRHO_MAX_LAGS = 2000


@dataclass(frozen=True, eq=False)
class GammaResult:
    """Result of :func:`gamma_method`.

    Attributes
    ----------
    mean : float
        F = f(ā), the primary mean or the derived quantity at the means.
    error : float
        σ_F = sqrt(C_F(W) / N) with the bias-corrected C_F.
    dvalue_error : float
        Error of the error, σ_F · sqrt((W + 1/2) / N) (Wolff eq. (42)).
    tau_int, dtau_int : float
        Integrated autocorrelation time (in units of the sampling interval)
        and its Madras–Sokal error τ_int · sqrt(2 (2W + 1) / N).
    window : int
        Summation window W (0 for S = 0).
    n : int
        Total number of samples Σ_r N_r.
    n_indep : float
        N / (2 τ_int).
    rho, drho : ndarray
        Normalised ρ(t) = Γ(t)/Γ(0) (bias-corrected) for t = 0 … W_max, and its
        error (NaN where not computed).
    gamma : ndarray
        Bias-corrected Γ_F(t).
    tau_int_of_w, dtau_int_of_w : ndarray
        τ_int(W) = 1/2 + Σ_{t=1}^W ρ(t) for W = 0 … W_max, and its error.
    S : float
        Windowing parameter.
    n_replicas : int
    window_converged : bool
        False when no W ≤ W_max satisfied g(W) < 0 (W = W_max was used).
    tau_exp : float or None
        Exponential autocorrelation time used for the tail (None = no tail).
    tail_window : int or None
        W_u where the exponential tail was attached.
    """

    mean: float
    error: float
    dvalue_error: float
    tau_int: float
    dtau_int: float
    window: int
    n: int
    n_indep: float
    rho: np.ndarray = field(repr=False)
    drho: np.ndarray = field(repr=False)
    gamma: np.ndarray = field(repr=False)
    tau_int_of_w: np.ndarray = field(repr=False)
    dtau_int_of_w: np.ndarray = field(repr=False)
    S: float = 2.0
    n_replicas: int = 1
    window_converged: bool = True
    tau_exp: Optional[float] = None
    tail_window: Optional[int] = None

    def summary(self) -> dict:
        """Scalar fields as a plain dict (JSON-serialisable)."""
        return {
            "mean": self.mean,
            "error": self.error,
            "dvalue_error": self.dvalue_error,
            "tau_int": self.tau_int,
            "dtau_int": self.dtau_int,
            "window": self.window,
            "n": self.n,
            "n_indep": self.n_indep,
            "S": self.S,
            "n_replicas": self.n_replicas,
            "window_converged": self.window_converged,
            "tau_exp": self.tau_exp,
            "tail_window": self.tail_window,
        }

    def __str__(self) -> str:
        return (
            f"{self.mean:.10g} +- {self.error:.3g} (tau_int = {self.tau_int:.4g} +- {self.dtau_int:.2g}, "
            f"W = {self.window}, N = {self.n})"
        )


def split_replicas(values, labels) -> list[np.ndarray]:
    """Split ``values`` (shape ``(N,)`` or ``(N, k)``) into replicas by ``labels``.

    Replicas appear in the order of the first occurrence of their label; the
    order of rows inside a replica is kept.
    """
    values = np.asarray(values)
    labels = np.asarray(labels)
    if labels.shape[0] != values.shape[0]:
        raise ValueError(f"{labels.shape[0]} replica labels for {values.shape[0]} samples")
    _, first = np.unique(labels, return_index=True)
    return [values[labels == labels[i]] for i in np.sort(first)]


def _auto_window(rho: np.ndarray, n: int, S: float) -> tuple[int, bool]:
    """Wolff's automatic window: the first W ≥ 1 with g(W) < 0.

    τ(W) = S / ln[(2τ_int(W) + 1)/(2τ_int(W) − 1)] (τ → 0⁺ when τ_int(W) ≤ 1/2),
    g(W) = exp(−W/τ(W)) − τ(W)/sqrt(W N).
    """
    if S == 0.0 or rho.size < 2:
        return 0, True
    w = np.arange(1, rho.size)
    tint = 0.5 + np.cumsum(rho[1:])
    with np.errstate(all="ignore"):
        tau = np.where(tint > 0.5, S / np.log((2.0 * tint + 1.0) / (2.0 * tint - 1.0)), _TINY_TAU)
        g = np.exp(-w / tau) - tau / np.sqrt(w * n)
    neg = np.flatnonzero(g < 0)
    if neg.size:
        return int(w[neg[0]]), True
    return int(w[-1]), False


def gamma_method(
    data,
    S: float = 2.0,
    *,
    func: Optional[Callable] = None,
    grad: Optional[Callable] = None,
    replica_lengths: Optional[Sequence[int]] = None,
    tau_exp: Optional[float] = None,
    tail_nsigma: float = 2.0,
) -> GammaResult:
    """Mean, error and integrated autocorrelation time by Wolff's Γ method.

    Parameters
    ----------
    data : array_like or sequence of array_like
        Shape ``(N,)`` or ``(N, k)`` (k primary observables), or a list of such
        arrays, one per replica of the same ensemble.
    S : float, default 2.0
        Windowing parameter (S ≈ τ/τ_int).  ``S = 0`` means W = 0, τ_int = 1/2
        and the naive error sqrt(var(ddof=1)/N).
    func : callable, optional
        Derived quantity F = f(a), called with the 1-D array of the k primary
        means (``a[0], a[1], ...``).  Required when k > 1.
    grad : callable, optional
        Gradient ∂f/∂a_α at the means; default: central finite differences with
        step ½ σ_α/√N.
    replica_lengths : sequence of int, optional
        Split a concatenated ``data`` array into replicas of these lengths.
    tau_exp : float, optional
        Exponential autocorrelation time.  If given, the tail τ_exp ρ(W_u) is
        added at the last lag W_u where ρ is still ``tail_nsigma`` standard
        deviations above zero (Schaefer, Sommer, Virotta, Nucl. Phys. B845
        (2011) 93, arXiv:1009.5228).
    tail_nsigma : float, default 2.0
        Significance used to choose W_u.

    Returns
    -------
    GammaResult

    Notes
    -----
    With replicas r = 1 … R of lengths N_r (N = Σ N_r) and the global means ā_α,
    the projected fluctuations are δ_i^r = Σ_α f_α (a_{α,i}^r − ā_α),

    Γ_F(t) = Σ_r Σ_{i ≤ N_r − t} δ_i^r δ_{i+t}^r / Σ_r (N_r − t),
    C_F(W) = Γ_F(0) + 2 Σ_{t=1}^{W} Γ_F(t),  τ_int = C_F / (2 Γ_F(0)),
    σ_F² = C_F(W)/N.

    The bias of Γ_F is removed by solving Wolff's eq. (49) self-consistently:
    Γ_F(t) → Γ_F(t) + C_F'/N with C_F' = C_F(W) · N/(N − 2W − 1), which equals
    Wolff's C_F (1 + (2W+1)/N) to O(1/N) and is exact for W = 0 (the usual
    ddof = 1 variance).  δτ_int = τ_int sqrt(2(2W + 1)/N) (Madras–Sokal),
    δσ_F = σ_F sqrt((W + 1/2)/N).

    Raises
    ------
    ValueError
        Bad ``S`` or ``tau_exp``, too short / constant / non-finite series,
        mismatched replicas, a non-positive estimate of C_F.
    """
    try:
        S = float(S)
    except (TypeError, ValueError):
        raise ValueError(f"S must be a number >= 0, got {S!r}") from None
    if not np.isfinite(S) or S < 0:
        raise ValueError(f"S must be a finite number >= 0, got {S}")
    if tau_exp is not None:
        tau_exp = float(tau_exp)
        if not np.isfinite(tau_exp) or tau_exp <= 0:
            raise ValueError(f"tau_exp must be a positive number, got {tau_exp}")

    reps = as_replicas(data, replica_lengths)
    lengths = np.array([a.shape[0] for a in reps])
    n = int(lengths.sum())
    rows = np.concatenate(reps)
    means = rows.mean(axis=0)
    value = evaluate(func, means)
    col_var = rows.var(axis=0)
    if func is None and np.ptp(rows[:, 0]) == 0:
        raise ValueError("the series is constant (zero variance): error and tau_int are undefined")
    steps = np.where(col_var > 0, 0.5 * np.sqrt(col_var / n), 1e-8 * np.maximum(1.0, np.abs(means)))
    g = gradient(func, grad, means, steps)

    fluct = [(a - means) @ g for a in reps]
    w_max = int(min(lengths.max() // 2, (n - 2) // 2))
    gam = autocovariance(fluct, w_max)
    scale = float(np.sum(np.abs(g) * np.maximum(np.abs(means), np.sqrt(col_var))))
    if not gam[0] > (1e-14 * scale) ** 2:
        raise ValueError("the (derived) quantity has zero variance: error and tau_int are undefined")

    window, converged = _auto_window(gam / gam[0], n, S)
    if not converged:
        warnings.warn(
            f"automatic windowing found no W <= {w_max} with g(W) < 0; using W = {w_max}. "
            "The series is probably too short compared with its autocorrelation time.",
            RuntimeWarning,
            stacklevel=2,
        )
    c_f = gam[0] + 2.0 * gam[1 : window + 1].sum()
    if not c_f > 0:
        raise ValueError("the estimated integrated autocorrelation C_F(W) is not positive; the data are unusable")
    c_f *= n / (n - 2 * window - 1)
    gam = gam + c_f / n
    rho = gam / gam[0]
    w = np.arange(rho.size)
    tau_w = 0.5 + np.concatenate(([0.0], np.cumsum(rho[1:])))
    dtau_w = np.abs(tau_w) * np.sqrt(2.0 * (2.0 * w + 1.0) / n)

    t_stop = min(rho.size - 1, max(4 * window, 50), _DRHO_MAX_LAGS)
    drho = np.full(rho.size, np.nan)
    drho[: t_stop + 1] = rho_error(rho, n, max(window, 10), t_stop)

    tau = float(tau_w[window])
    dtau = float(dtau_w[window])
    error = float(np.sqrt(c_f / n))
    derror = error * np.sqrt((window + 0.5) / n)
    tail_window = None
    if tau_exp is not None:
        lost = np.flatnonzero(rho[1 : t_stop + 1] < tail_nsigma * drho[1 : t_stop + 1])
        tail_window = int(max(1, lost[0] if lost.size else t_stop))
        tail_window = min(tail_window, rho.size - 1)
        tau = float(tau_w[tail_window] + tau_exp * rho[tail_window])
        dtau = float(np.hypot(dtau_w[tail_window], tau_exp * drho[tail_window]))
        if not tau > 0:
            raise ValueError("tau_int with the exponential tail is not positive")
        error = float(np.sqrt(2.0 * tau * gam[0] / n))
        derror = error * dtau / (2.0 * tau)

    return GammaResult(
        mean=value,
        error=error,
        dvalue_error=float(derror),
        tau_int=tau,
        dtau_int=dtau,
        window=int(window),
        n=n,
        n_indep=n / (2.0 * tau),
        rho=rho,
        drho=drho,
        gamma=gam,
        tau_int_of_w=tau_w,
        dtau_int_of_w=dtau_w,
        S=S,
        n_replicas=len(reps),
        window_converged=converged,
        tau_exp=tau_exp,
        tail_window=tail_window,
    )
