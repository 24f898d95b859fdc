"""Gradient-flow figures: t^2 E(t) with t0, t d/dt t^2 E(t) with w0."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ._common import check_path, new_figure, save, series

__all__ = ["plot_flow_scale"]


def plot_flow_scale(t, y, path, *, y_err=None, scale: Optional[float] = None,
                    scale_err: Optional[float] = None, reference: float = 0.3,
                    ylabel: str = "t^2 E(t)", scale_label: str = "t0", title: Optional[str] = None):
    """A flow-time curve with its error band, the reference line and the scale marked.

    Parameters
    ----------
    t, y : array_like
        Flow times and the ensemble average (e.g. t^2 <E> or t d/dt t^2 <E>).
    y_err : array_like, optional
        Error band of ``y``.
    scale : float, optional
        Flow time where ``y`` crosses ``reference`` (t0, or w0^2), with ``scale_err``.
    """
    tt = series(t, "t", min_len=2)
    yy = series(y, "y", min_len=2)
    if tt.size != yy.size:
        raise ValueError(f"t has {tt.size} entries but y has {yy.size}")
    path = check_path(path)
    fig, ax = new_figure()
    ax = ax[0, 0]
    ax.plot(tt, yy, color="C0", lw=1.2, label=ylabel)
    if y_err is not None:
        e = series(y_err, "y_err")
        ax.fill_between(tt, yy - e, yy + e, color="C0", alpha=0.3, lw=0)
    ax.axhline(reference, color="0.4", ls=":", lw=1, label=f"reference {reference}")
    if scale is not None and np.isfinite(scale):
        ax.axvline(scale, color="C3", ls="--", lw=1,
                   label=f"{scale_label} = {scale:.4f}" + (f" ± {scale_err:.4f}" if scale_err else ""))
        if scale_err:
            ax.axvspan(scale - scale_err, scale + scale_err, color="C3", alpha=0.2, lw=0)
    ax.set_xlabel("flow time t / a^2")
    ax.set_ylabel(ylabel)
    ax.legend(loc="best", fontsize="small")
    ax.set_title(title or ylabel)
    return save(fig, path)
