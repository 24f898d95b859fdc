"""Monte Carlo history, histogram and ΔH / acceptance plots."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ._common import check_path, new_figure, save, series

__all__ = ["plot_history", "plot_histogram", "plot_delta_h"]


def plot_history(
    values,
    path,
    *,
    cut: Optional[int] = None,
    x=None,
    label: str = "observable",
    title: Optional[str] = None,
):
    """Monte Carlo history with the thermalization cut marked.

    Parameters
    ----------
    values : array_like, shape (N,)
    path : str or Path
        Output file, ``.png`` or ``.svg``.
    cut : int, optional
        Index of the first equilibrium sample; the discarded part is shaded
        and the mean of ``values[cut:]`` drawn.
    x : array_like, optional
        Abscissa (e.g. trajectory numbers), default 0 … N−1.
    """
    v = series(values, "values", min_len=1)
    xs = np.arange(v.size) if x is None else series(x, "x")
    if xs.size != v.size:
        raise ValueError(f"x has {xs.size} entries but values has {v.size}")
    if cut is not None and not (0 <= int(cut) < v.size):
        raise ValueError(f"cut must be in [0, {v.size}), got {cut}")
    path = check_path(path)
    fig, ax = new_figure()
    ax = ax[0, 0]
    ax.plot(xs, v, lw=0.7, color="C0")
    if cut is not None:
        c = int(cut)
        ax.axvspan(xs[0], xs[c], color="0.85", label="thermalization")
        ax.axvline(xs[c], color="C3", ls="--", lw=1, label=f"cut = {c}")
        ax.axhline(v[c:].mean(), color="C1", lw=1, label="mean after cut")
        ax.legend(loc="best", fontsize="small")
    ax.set_xlabel("trajectory" if x is not None else "index")
    ax.set_ylabel(label)
    ax.set_title(title or f"Monte Carlo history of {label}")
    return save(fig, path)


def plot_histogram(values, path, *, bins="auto", label: str = "observable", title: Optional[str] = None):
    """Histogram (density) of ``values`` with the mean marked."""
    v = series(values, "values", min_len=2)
    path = check_path(path)
    fig, ax = new_figure()
    ax = ax[0, 0]
    ax.hist(v, bins=bins, density=True, color="C0", alpha=0.7)
    ax.axvline(v.mean(), color="C3", lw=1, label=f"mean = {v.mean():.6g}")
    ax.legend(loc="best", fontsize="small")
    ax.set_xlabel(label)
    ax.set_ylabel("density")
    ax.set_title(title or f"distribution of {label}")
    return save(fig, path)


def plot_delta_h(delta_h, path, *, accepted=None, x=None, title: Optional[str] = None):
    """ΔH history (top) and running acceptance / ⟨e^{−ΔH}⟩ (bottom).

    ``delta_h`` may contain NaN (rows without a Metropolis step) but needs at
    least one finite value; ``accepted`` is a 0/1 or boolean series.
    """
    dh = series(delta_h, "delta_h", min_len=1, allow_nan=True)
    xs = np.arange(dh.size) if x is None else series(x, "x")
    if xs.size != dh.size:
        raise ValueError(f"x has {xs.size} entries but delta_h has {dh.size}")
    acc = None
    if accepted is not None:
        acc = series(np.asarray(accepted, dtype=float), "accepted", min_len=1)
        if acc.size != dh.size:
            raise ValueError(f"accepted has {acc.size} entries but delta_h has {dh.size}")
    path = check_path(path)
    fig, ax = new_figure(2, 1, sharex=True)
    ok = np.isfinite(dh)
    ax[0, 0].plot(xs[ok], dh[ok], lw=0.7, color="C0")
    ax[0, 0].axhline(0.0, color="0.5", lw=0.8)
    ax[0, 0].set_ylabel(r"$\Delta H$")
    ax[0, 0].set_title(title or r"$\Delta H$ history and acceptance")
    count = np.arange(1, ok.sum() + 1)
    ax[1, 0].plot(xs[ok], np.cumsum(np.exp(-dh[ok])) / count, color="C2", label=r"running $\langle e^{-\Delta H}\rangle$")
    if acc is not None:
        ax[1, 0].plot(xs, np.cumsum(acc) / np.arange(1, acc.size + 1), color="C1", label="running acceptance")
    ax[1, 0].axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax[1, 0].legend(loc="best", fontsize="small")
    ax[1, 0].set_xlabel("trajectory" if x is not None else "index")
    return save(fig, path)
