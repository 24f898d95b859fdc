"""Binned (blocked) jackknife for primary and derived quantities.

An independent cross-check of the Γ method: autocorrelations are handled by
binning, not by summing Γ(t).  See ``docs/analysis.md``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from ._inputs import as_replicas, call_vectorised, evaluate

__all__ = ["JackknifeResult", "jackknife", "jackknife_bin_scan"]


@dataclass(frozen=True, eq=False)
class JackknifeResult:
    """Result of :func:`jackknife`.

    Attributes
    ----------
    mean : float
        F = f(ā) on the data that entered the bins.
    error : float
        sqrt((B−1)/B · Σ_b (F_(b) − F_(·))²).
    bias : float
        Jackknife bias estimate (B−1)(F_(·) − F); the bias-corrected value is
        ``mean - bias``.
    bin_size, n_bins, n : int
        Bin length, number of bins B and number of samples used (B · bin_size).
    samples : ndarray
        The B leave-one-bin-out estimates F_(b).
    """

    mean: float
    error: float
    bias: float
    bin_size: int
    n_bins: int
    n: int
    samples: np.ndarray = field(repr=False)


def _bin_sums(reps: list[np.ndarray], bin_size: int) -> np.ndarray:
    """Sums over consecutive bins of each replica (bins never cross replicas;
    the trailing remainder of each replica is dropped)."""
    blocks = []
    for a in reps:
        nb = a.shape[0] // bin_size
        if nb:
            blocks.append(a[: nb * bin_size].reshape(nb, bin_size, a.shape[1]).sum(axis=1))
    if not blocks:
        return np.empty((0, reps[0].shape[1]))
    return np.concatenate(blocks)


def jackknife(
    data,
    bin_size: int = 1,
    *,
    func: Optional[Callable] = None,
    replica_lengths: Optional[Sequence[int]] = None,
) -> JackknifeResult:
    """Binned jackknife estimate of f(⟨a_1⟩, …, ⟨a_k⟩) and its error.

    Parameters
    ----------
    data : array_like or sequence of array_like
        As for :func:`~lqcd_core.analysis.gamma.gamma_method`: ``(N,)``,
        ``(N, k)`` or a list of replicas.
    bin_size : int, default 1
        Number of consecutive samples per bin; choose it ≫ τ_int.
    func : callable, optional
        Derived quantity of the 1-D array of the k means (required if k > 1).
        A function written with element-wise numpy operations is evaluated on
        all jackknife samples in one call.
    replica_lengths : sequence of int, optional
        Split a concatenated array into replicas.

    Notes
    -----
    With B bins and bin sums s_b, the leave-one-out means are
    ā_(b) = (Σ_c s_c − s_b)/(n − bin_size), F_(b) = f(ā_(b)),
    σ_F² = (B − 1)/B Σ_b (F_(b) − F_(·))², F_(·) = mean of F_(b).

    Raises
    ------
    ValueError
        Bad ``bin_size``, fewer than 2 bins, bad data (see
        :func:`~lqcd_core.analysis._inputs.as_replicas`).
    """
    if isinstance(bin_size, bool) or not isinstance(bin_size, (int, np.integer)) or bin_size < 1:
        raise ValueError(f"bin_size must be a positive integer, got {bin_size!r}")
    reps = as_replicas(data, replica_lengths)
    sums = _bin_sums(reps, int(bin_size))
    n_bins = sums.shape[0]
    if n_bins < 2:
        raise ValueError(
            f"bin_size {bin_size} leaves {n_bins} bin(s); the jackknife needs at least 2 "
            "(use smaller bins or more data)"
        )
    n_used = n_bins * int(bin_size)
    total = sums.sum(axis=0)
    means = total / n_used
    value = evaluate(func, means)
    loo = (total[None, :] - sums) / (n_used - bin_size)
    if func is None:
        samples = loo[:, 0]
    else:
        samples = call_vectorised(func, loo)
    if not np.all(np.isfinite(samples)):
        raise ValueError("func is not finite on some jackknife sample")
    centre = samples.mean()
    error = float(np.sqrt((n_bins - 1) / n_bins * np.sum((samples - centre) ** 2)))
    return JackknifeResult(
        mean=value,
        error=error,
        bias=float((n_bins - 1) * (centre - value)),
        bin_size=int(bin_size),
        n_bins=n_bins,
        n=n_used,
        samples=samples,
    )


def jackknife_bin_scan(
    data, bin_sizes: Sequence[int], *, func: Optional[Callable] = None
) -> np.ndarray:
    """Jackknife errors for several bin sizes (look for a plateau).

    Returns
    -------
    ndarray
        ``errors[i]`` for ``bin_sizes[i]``.
    """
    return np.array([jackknife(data, int(b), func=func).error for b in bin_sizes])
