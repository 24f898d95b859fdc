"""Normalised autocorrelation function and τ_int(W) plots of a Γ-method result."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ._common import check_path, check_result, new_figure, save

__all__ = ["plot_rho", "plot_tau_int"]


def _t_max(result, t_max: Optional[int]) -> int:
    last = result.rho.size - 1
    if t_max is None:
        t_max = max(3 * result.window, 10)
    if int(t_max) < 1:
        raise ValueError(f"t_max must be >= 1, got {t_max}")
    return int(min(int(t_max), last))


def plot_rho(result, path, *, t_max: Optional[int] = None, title: Optional[str] = None):
    """ρ(t) with its error band (where estimated) and the window W marked."""
    check_result(result)
    path = check_path(path)
    tm = _t_max(result, t_max)
    t = np.arange(tm + 1)
    rho, drho = result.rho[: tm + 1], result.drho[: tm + 1]
    fig, ax = new_figure()
    ax = ax[0, 0]
    ax.plot(t, rho, marker=".", ms=3, lw=0.8, color="C0", label=r"$\rho(t)$")
    ok = np.isfinite(drho)
    ax.fill_between(t[ok], (rho - drho)[ok], (rho + drho)[ok], color="C0", alpha=0.25)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.axvline(result.window, color="C3", ls="--", lw=1, label=f"W = {result.window}")
    ax.set_xlabel("t")
    ax.set_ylabel(r"$\rho(t)$")
    ax.legend(loc="best", fontsize="small")
    ax.set_title(title or "normalised autocorrelation function")
    return save(fig, path)


def plot_tau_int(result, path, *, w_max: Optional[int] = None, title: Optional[str] = None):
    """τ_int(W) with its error band, the chosen W and the final τ_int."""
    check_result(result)
    path = check_path(path)
    wm = _t_max(result, w_max)
    w = np.arange(wm + 1)
    tau, dtau = result.tau_int_of_w[: wm + 1], result.dtau_int_of_w[: wm + 1]
    fig, ax = new_figure()
    ax = ax[0, 0]
    ax.plot(w, tau, color="C0", lw=1, label=r"$\tau_{\rm int}(W)$")
    ax.fill_between(w, tau - dtau, tau + dtau, color="C0", alpha=0.25)
    ax.axvline(result.window, color="C3", ls="--", lw=1, label=f"W = {result.window}")
    ax.axhline(result.tau_int, color="C1", lw=1,
               label=rf"$\tau_{{\rm int}}$ = {result.tau_int:.3g} $\pm$ {result.dtau_int:.2g}")
    ax.set_xlabel("W")
    ax.set_ylabel(r"$\tau_{\rm int}$")
    ax.legend(loc="best", fontsize="small")
    ax.set_title(title or r"integrated autocorrelation time vs window")
    return save(fig, path)
