"""Scale setting on an ensemble: t0 and w0 with Γ-method errors.

Every measured configuration contributes its flow history E(t) on a common grid
of flow times.  t0 and w0 are functions of the *ensemble average* <E(t)>:

    t0:  t0^2 <E(t0)> = 0.3,      w0:  t d/dt [t^2 <E(t)>] = 0.3 at t = w0^2,

so they are derived quantities of the primary observables E(t_k), and their
errors follow from the Γ method's linearised propagation over the projected
fluctuations (docs/analysis.md), autocorrelations and replicas included.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..analysis import gamma_method
from .history import FlowError, t0_from, w0_from


def _window(t, e, name, reference):
    """Restrict to the grid points around the crossing (keeps the gradient cheap)."""
    y = t * t * e.mean(axis=0)
    if name == "w0":
        y = t * np.gradient(y, t)
    idx = np.flatnonzero((y[:-1] < reference) & (y[1:] >= reference))
    if idx.size == 0:
        raise FlowError(f"{name}: the ensemble-averaged flow reaches only {np.nanmax(y):.4g} < {reference:.4g} "
                        f"up to t = {t[-1]:.4g}; flow longer or use a larger lattice")
    i = int(idx[0])
    lo, hi = max(0, i - 3), min(len(t), i + 5)
    return lo, hi


def scale_setting(t, replicas, which: str = "t0", S: float = 2.0, reference: float = 0.3):
    """t0 or w0 of an ensemble with its error.

    Parameters
    ----------
    t : array_like, shape (n_t,)
        Common flow-time grid (increasing).
    replicas : list of array_like, each of shape (N_r, n_t)
        E(t) per configuration, one array per stream (replica), in Monte Carlo order.
    which : 't0' or 'w0'
    S : float
        Γ-method windowing parameter.
    reference : float
        Value of t^2 E (resp. W) that defines the scale (0.3 for SU(3);
        see :func:`lqcd_core.flow.history.default_reference`).

    Returns
    -------
    GammaResult
        ``mean`` is t0/a^2 (or w0/a), ``error`` its Γ-method error, ``tau_int`` the
        integrated autocorrelation time of the derived quantity in units of the
        measurement spacing.
    """
    t = np.asarray(t, float)
    reps = [np.asarray(r, float) for r in replicas]
    if which not in ("t0", "w0"):
        raise ValueError(f"which must be 't0' or 'w0', got {which!r}")
    if not reps or any(r.ndim != 2 or r.shape[1] != t.size for r in reps):
        raise ValueError("replicas must be a list of (N_r, len(t)) arrays")
    lo, hi = _window(t, np.concatenate(reps), which, reference)
    if which == "t0":
        sub = t[lo:hi]
        func = lambda a: t0_from(sub, a, reference)  # noqa: E731
        data = [r[:, lo:hi] for r in reps]
    else:
        # w0 needs the derivative: keep one more point on each side for np.gradient
        lo, hi = max(0, lo - 1), min(t.size, hi + 1)
        sub = t[lo:hi]
        func = lambda a: w0_from(sub, a, reference)  # noqa: E731
        data = [r[:, lo:hi] for r in reps]
    def grad(a):
        # small central differences: a step of the size of the statistical error would move
        # the crossing across grid points and make the finite difference meaningless
        g = np.empty(a.size)
        for k in range(a.size):
            h = 1e-7 * max(abs(a[k]), 1e-12)
            up, down = a.copy(), a.copy()
            up[k] += h
            down[k] -= h
            g[k] = (func(up) - func(down)) / (2 * h)
        return g

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return gamma_method(data if len(data) > 1 else data[0], S, func=func, grad=grad)
