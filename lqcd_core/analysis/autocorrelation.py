"""Autocorrelation function Γ(t) via FFT and the statistical error of ρ(t)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.fft


def autocovariance(fluctuations: Sequence[np.ndarray], t_max: int) -> np.ndarray:
    """Autocorrelation function of one or several replicas, t = 0 … t_max.

    .. math::

        \\Gamma(t) = \\frac{\\sum_r \\sum_{i=1}^{N_r - t} \\delta^r_i\\, \\delta^r_{i+t}}
                          {\\sum_r \\max(N_r - t, 0)}

    where ``δ^r_i`` are the fluctuations of replica ``r`` about the *global*
    mean (Wolff 2004, eq. (31) with replicas).  Each replica's sum is computed
    with a zero-padded FFT (Wiener–Khinchin), so the cost is O(N log N).

    Parameters
    ----------
    fluctuations : sequence of 1-D arrays
        ``δ^r`` for each replica (already centred).
    t_max : int
        Largest lag; must be smaller than the longest replica.
    """
    t = np.arange(t_max + 1)
    num = np.zeros(t_max + 1)
    den = np.zeros(t_max + 1)
    for d in fluctuations:
        n = d.size
        size = scipy.fft.next_fast_len(2 * n, real=True)  # ≥ n + t_max: no wrap-around
        f = scipy.fft.rfft(d, size)
        acf = scipy.fft.irfft(f.real**2 + f.imag**2, size)
        m = min(t_max + 1, n)
        num[:m] += acf[:m]
        den += np.maximum(n - t, 0)
    if np.any(den <= 0):
        raise ValueError("t_max must be smaller than the longest replica")
    return num / den


def rho_error(rho: np.ndarray, n: int, lam: int, t_stop: int) -> np.ndarray:
    """Statistical error of the normalised autocorrelation function.

    Madras–Sokal / Lüscher formula (Wolff 2004, eq. (E.11)):

    .. math::

        \\delta\\rho(t)^2 \\approx \\frac1N \\sum_{k=1}^{t+\\Lambda}
            \\left[\\rho(k+t) + \\rho(|k-t|) - 2\\rho(k)\\rho(t)\\right]^2

    with ρ(t) taken as zero beyond the last computed lag.

    Returns
    -------
    ndarray
        δρ(t) for t = 0 … ``t_stop`` (δρ(0) = 0).
    """
    t_stop = int(max(0, t_stop))
    lam = int(max(1, lam))
    kmax = t_stop + lam
    ext = np.zeros(2 * t_stop + lam + 1)
    m = min(rho.size, ext.size)
    ext[:m] = rho[:m]
    out = np.zeros(t_stop + 1)
    k = np.arange(1, kmax + 1)[None, :]
    chunk = max(1, 2_000_000 // max(kmax, 1))  # bound the size of the 2-D work array
    for start in range(0, t_stop + 1, chunk):
        t = np.arange(start, min(start + chunk, t_stop + 1))[:, None]
        terms = ext[k + t] + ext[np.abs(k - t)] - 2.0 * ext[k] * ext[t]
        terms = np.where(k <= t + lam, terms, 0.0)
        out[t[:, 0]] = np.sqrt(np.sum(terms**2, axis=1) / n)
    return out
