"""Adam (Kingma & Ba, "Adam: a method for stochastic optimization", ICLR 2015) on NumPy vectors.

With the gradient g_t of step t = 1, 2, ...:

    m_t = beta1 m_{t-1} + (1 - beta1) g_t              (first moment, m_0 = 0)
    v_t = beta2 v_{t-1} + (1 - beta2) g_t^2            (second moment, elementwise, v_0 = 0)
    mhat_t = m_t / (1 - beta1^t),  vhat_t = v_t / (1 - beta2^t)     (bias correction)
    theta_t = theta_{t-1} - lr * mhat_t / (sqrt(vhat_t) + eps)

The bias correction undoes the pull of the zero initial moments towards 0 in the first
steps (E[m_t] = (1 - beta1^t) E[g] for a stationary gradient).  The step of every component
is bounded by about lr (|mhat| <= sqrt(vhat)), whatever the scale of the gradient, which is
why the rho weights (O(0.1)) and the offset c0 (O(S)) can share one learning rate.

Optional bounds (lo, hi): after each step theta is clipped into [lo, hi] (projected Adam);
the surrogates keep their stout weights in [0, 0.25] this way, where the smearing is a
small, stable deformation of the links.
"""
from __future__ import annotations

import numpy as np


class Adam:
    """Adam optimiser state for one parameter vector.

    ``step(theta, grad)`` returns the updated vector (a new array); ``reset()`` forgets the
    moments.  ``bounds`` is None or a pair of arrays (or numbers) (lo, hi); use +-inf for
    unbounded components.
    """

    def __init__(self, lr: float = 1e-2, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, bounds=None):
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr}")
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"beta1, beta2 must be in [0, 1), got {beta1}, {beta2}")
        if not eps > 0:
            raise ValueError(f"eps must be positive, got {eps}")
        self.lr = float(lr)
        self.beta1 = float(beta1)
        self.beta2 = float(beta2)
        self.eps = float(eps)
        self.bounds = None
        if bounds is not None:
            lo, hi = bounds
            lo, hi = np.asarray(lo, float), np.asarray(hi, float)
            if np.any(lo > hi):
                raise ValueError(f"bounds: lo must not exceed hi, got {lo}, {hi}")
            self.bounds = (lo, hi)
        self.reset()

    def reset(self) -> None:
        self.t = 0
        self.m = None
        self.v = None

    def clip(self, theta) -> np.ndarray:
        theta = np.asarray(theta, float)
        if self.bounds is None:
            return theta.copy()
        return np.clip(theta, self.bounds[0], self.bounds[1])

    def step(self, theta, grad) -> np.ndarray:
        """One Adam update of ``theta`` with gradient ``grad``; returns the new vector."""
        theta = np.asarray(theta, float)
        g = np.asarray(grad, float)
        if g.shape != theta.shape:
            raise ValueError(f"gradient shape {g.shape} != parameter shape {theta.shape}")
        if not np.all(np.isfinite(g)):
            raise FloatingPointError(f"non-finite gradient {g}")
        if self.m is None:
            self.m = np.zeros_like(theta)
            self.v = np.zeros_like(theta)
        self.t += 1
        self.m = self.beta1 * self.m + (1.0 - self.beta1) * g
        self.v = self.beta2 * self.v + (1.0 - self.beta2) * g * g
        mhat = self.m / (1.0 - self.beta1 ** self.t)
        vhat = self.v / (1.0 - self.beta2 ** self.t)
        return self.clip(theta - self.lr * mhat / (np.sqrt(vhat) + self.eps))

    def minimize(self, fun_grad, theta0, steps: int, gtol: float = 0.0):
        """Run ``steps`` updates on ``fun_grad(theta) -> (f, grad)`` from ``theta0``;
        stop early when |grad| < gtol.  Returns (theta, f at theta, steps taken)."""
        theta = self.clip(theta0)
        f, g = fun_grad(theta)
        n = 0
        for n in range(1, int(steps) + 1):
            theta = self.step(theta, g)
            f, g = fun_grad(theta)
            if gtol > 0 and np.linalg.norm(g) < gtol:
                break
        return theta, f, n
