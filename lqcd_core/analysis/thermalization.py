"""Start of equilibrium in a Monte Carlo history: the MSER-b rule.

MSER (Marginal Standard Error Rule, K.P. White, Simulation 69 (1997) 323;
White, Cobb, Spratt, Proc. Winter Simulation Conf. 2000) chooses the
truncation point that minimises the squared standard error of the mean of the
*remaining* series, computed on batch means:

    z(d) = Σ_{j ≥ d} (y_j − ȳ_d)² / (B − d)²,      d* = argmin_{0 ≤ d ≤ d_max} z(d),

where y_j are means of consecutive batches of b samples (b = 5: "MSER-5"),
B is the number of batches, ȳ_d the mean of batches d … B−1 and
d_max = ⌊f · B⌋ (f = 1/2).  Discarding an initial transient lowers z
because the transient inflates the spread about the mean; discarding
equilibrium data raises it through the 1/(B − d)² factor.  The cut is the
sample index d* · b.  See ``docs/analysis.md``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["mser_statistic", "thermalization_cut"]


def _validate(series, batch_size: int) -> np.ndarray:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    try:
        x = np.asarray(series, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"series is not numeric: {exc}") from None
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"series must be 1-D or (samples, observables), got shape {x.shape}")
    if x.shape[0] < 4 * batch_size:
        raise ValueError(
            f"series too short: {x.shape[0]} samples, the thermalization rule needs at least "
            f"{4 * batch_size} (4 batches of {batch_size})"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError("series contains non-finite values (NaN or inf)")
    return x


def mser_statistic(series, batch_size: int = 5, max_fraction: float = 0.5) -> np.ndarray:
    """MSER statistic z(d) for d = 0 … d_max (in units of batches).

    Parameters
    ----------
    series : array_like
        1-D Monte Carlo history, or ``(N, k)`` (each column standardised, z
        summed over columns).
    batch_size : int, default 5
    max_fraction : float, default 0.5
        Largest fraction of the batches that may be discarded.
    """
    if not 0 < max_fraction < 1:
        raise ValueError(f"max_fraction must be in (0, 1), got {max_fraction}")
    x = _validate(series, batch_size)
    n_b = x.shape[0] // batch_size
    y = x[: n_b * batch_size].reshape(n_b, batch_size, x.shape[1]).mean(axis=1)
    sd = y.std(axis=0)
    y = y / np.where(sd > 0, sd, 1.0)
    d_max = int(np.floor(max_fraction * n_b))
    # suffix sums over batches j >= d
    s1 = np.cumsum(y[::-1], axis=0)[::-1]
    s2 = np.cumsum((y**2)[::-1], axis=0)[::-1]
    m = (n_b - np.arange(n_b))[:, None].astype(float)
    ss = np.clip(s2 - s1**2 / m, 0.0, None)
    z = (ss / m**2).sum(axis=1)
    return z[: d_max + 1]


def thermalization_cut(series, batch_size: int = 5, max_fraction: float = 0.5) -> int:
    """Index of the first sample considered to be in equilibrium (MSER-b rule).

    Parameters
    ----------
    series : array_like
        Monte Carlo history of shape ``(N,)``; for ``(N, k)`` the columns are
        standardised and their z(d) summed, giving one common cut.
    batch_size : int, default 5
        Samples per batch (b in MSER-b).
    max_fraction : float, default 0.5
        The cut never discards more than this fraction of the series.

    Returns
    -------
    int
        Cut index: samples ``[cut:]`` are kept.  A multiple of ``batch_size``.

    Raises
    ------
    ValueError
        Fewer than 4 batches, non-finite values, bad parameters.
    """
    z = mser_statistic(series, batch_size, max_fraction)
    return int(np.argmin(z)) * int(batch_size)
