"""Input normalisation shared by the Γ method and the jackknife.

Data for one ensemble are given either as

* one array of shape ``(N,)`` (one primary observable) or ``(N, k)``
  (``k`` primary observables measured on the same configurations), or
* a list/tuple of such arrays, one per replica (independent Markov chain /
  stream of the same ensemble), or
* one concatenated array plus ``replica_lengths``.

Everything is converted to a list of float arrays of shape ``(N_r, k)``.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np

#: the smallest total number of samples accepted by the analysis routines
MIN_SAMPLES = 4


def _is_replica_sequence(data) -> bool:
    if isinstance(data, (list, tuple)) and len(data) > 0:
        return all(np.ndim(x) >= 1 for x in data)
    return False


def as_replicas(data, replica_lengths: Optional[Sequence[int]] = None) -> list[np.ndarray]:
    """Validate ``data`` and return a list of ``(N_r, k)`` float arrays.

    Raises
    ------
    ValueError
        For ragged/ill-shaped input, empty replicas, replicas with different
        numbers of columns, ``replica_lengths`` that do not add up to the
        number of rows, fewer than :data:`MIN_SAMPLES` samples in total, and
        non-finite values (NaN or inf).
    """
    if _is_replica_sequence(data):
        if replica_lengths is not None:
            raise ValueError("give either a sequence of replica arrays or replica_lengths, not both")
        try:
            arrays = [np.asarray(x, dtype=float) for x in data]
        except (TypeError, ValueError) as exc:
            raise ValueError(f"replica data are not numeric arrays: {exc}") from None
    else:
        try:
            arr = np.asarray(data, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"data are not a numeric array: {exc}") from None
        if arr.ndim == 0:
            raise ValueError("data must be a series (1-D) or a (samples, observables) array, got a scalar")
        if replica_lengths is None:
            arrays = [arr]
        else:
            lengths = np.asarray(replica_lengths)
            if lengths.ndim != 1 or lengths.size == 0 or not np.issubdtype(lengths.dtype, np.integer):
                raise ValueError("replica_lengths must be a non-empty sequence of integers")
            if np.any(lengths <= 0):
                raise ValueError(f"replica_lengths must all be positive, got {lengths.tolist()}")
            if int(lengths.sum()) != arr.shape[0]:
                raise ValueError(
                    f"mismatched replica lengths: replica_lengths sum to {int(lengths.sum())} "
                    f"but the data have {arr.shape[0]} rows"
                )
            arrays = np.split(arr, np.cumsum(lengths)[:-1])

    out = []
    for r, a in enumerate(arrays):
        if a.ndim == 1:
            a = a[:, None]
        elif a.ndim != 2:
            raise ValueError(
                f"replica {r}: expected a 1-D series or a 2-D (samples, observables) array, got shape {a.shape}"
            )
        out.append(a)
    n = sum(a.shape[0] for a in out)
    if n < MIN_SAMPLES:
        raise ValueError(f"series too short: {n} samples, need at least {MIN_SAMPLES}")
    for r, a in enumerate(out):
        if a.shape[0] == 0:
            raise ValueError(f"replica {r} is empty")
    k = out[0].shape[1]
    if k == 0:
        raise ValueError("data have no observable columns")
    for r, a in enumerate(out):
        if a.shape[1] != k:
            raise ValueError(f"mismatched replicas: replica {r} has {a.shape[1]} columns but replica 0 has {k}")
    for r, a in enumerate(out):
        bad = ~np.isfinite(a)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"non-finite value (NaN or inf) in replica {r}, row {row}, column {col}; "
                "remove or repair it before the analysis"
            )
    return out


def evaluate(func: Optional[Callable], means: np.ndarray) -> float:
    """Value of the derived quantity ``func(means)`` (or the single primary mean)."""
    if func is None:
        if means.size != 1:
            raise ValueError(
                f"the data have {means.size} observable columns: pass func= to combine them "
                "into one derived quantity"
            )
        return float(means[0])
    val = np.asarray(func(means), dtype=float)
    if val.size != 1:
        raise ValueError(f"func must return a scalar, got an array of shape {val.shape}")
    val = float(val.reshape(()))
    if not np.isfinite(val):
        raise ValueError("func returned a non-finite value at the mean of the data")
    return val


def gradient(
    func: Optional[Callable],
    grad: Optional[Callable],
    means: np.ndarray,
    steps: np.ndarray,
) -> np.ndarray:
    """Gradient ∂f/∂a_α at the means: user-supplied or central finite differences.

    The finite-difference step for column α is ``steps[α]`` (of the order of
    the statistical error of ā_α, so that the linearisation is probed on the
    scale that matters).
    """
    k = means.size
    if func is None:
        return np.ones(1)
    if grad is not None:
        g = np.asarray(grad(means), dtype=float).reshape(-1)
        if g.size != k:
            raise ValueError(f"grad must return {k} derivatives, got {g.size}")
    else:
        g = np.empty(k)
        for a in range(k):
            e = np.zeros(k)
            e[a] = steps[a]
            up = evaluate(func, means + e)
            down = evaluate(func, means - e)
            g[a] = (up - down) / (2.0 * steps[a])
    if not np.all(np.isfinite(g)):
        raise ValueError("the gradient of func at the mean is not finite")
    return g


def call_vectorised(func: Callable, points: np.ndarray) -> np.ndarray:
    """Evaluate ``func`` on each row of ``points`` (shape ``(m, k)``).

    First tries one vectorised call ``func(points.T)`` (works for functions
    written with element-wise numpy operations on ``a[0], a[1], ...``), and
    falls back to one call per row.
    """
    m = points.shape[0]
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(func(points.T), dtype=float)
        if out.shape == (m,):
            return out
    except Exception:  # noqa: BLE001 - any failure means "not vectorisable"
        pass
    return np.array([evaluate(func, p) for p in points])
