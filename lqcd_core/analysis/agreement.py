"""Do several algorithms sampling the same physics agree?  A χ² test of their estimates.

Exact algorithms (heatbath, HMC with any integrator, SLHMC with any surrogate) sample the same
distribution, so their estimates of one observable differ only by statistical errors.  Given
independent estimates x_i ± σ_i (i = 1..k, e.g. from the Γ method of k separate productions),
the test statistic

    χ² = Σ_i (x_i − x̄)² / σ_i²,    x̄ = Σ_i w_i x_i / Σ_i w_i,   w_i = 1/σ_i²,

follows a χ² distribution with k − 1 degrees of freedom if they agree; p = Q((k−1)/2, χ²/2)
(the upper regularised incomplete gamma function).  The pull of estimate i,

    pull_i = (x_i − x̄) / sqrt(σ_i² − σ_x̄²),   σ_x̄² = 1 / Σ_j w_j,

is standard normal under agreement (x_i and x̄ are correlated, hence the subtraction) and names
the estimate that is off.  docs/adaptive.md, "Algorithm comparison".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2 as _chi2

__all__ = ["AgreementResult", "agreement_test"]


@dataclass
class AgreementResult:
    """Result of :func:`agreement_test`."""

    mean: float        #: weighted mean x̄
    error: float       #: its error σ_x̄
    chi2: float        #: χ² of the k estimates around x̄
    dof: int           #: k − 1
    p_value: float     #: probability of a χ² at least this large under agreement
    pulls: np.ndarray  #: pull of each estimate
    alpha: float       #: significance level of the verdict
    agree: bool        #: p_value >= alpha

    def summary(self) -> dict:
        return {"weighted_mean": self.mean, "weighted_error": self.error, "chi2": self.chi2,
                "dof": self.dof, "p_value": self.p_value, "alpha": self.alpha, "agree": self.agree}


def agreement_test(means, errors, alpha: float = 0.01) -> AgreementResult:
    """χ² test that independent estimates of one quantity agree within their errors.

    Parameters
    ----------
    means : array_like, shape (k,)
        Estimates x_i, k >= 2.
    errors : array_like, shape (k,)
        Their standard errors σ_i > 0 (finite).
    alpha : float, default 0.01
        Significance level: the estimates are flagged (``agree`` False) if p < alpha.  Testing
        several observables at once, divide alpha by their number (Bonferroni), as the pipeline
        does.

    Returns
    -------
    AgreementResult
        Weighted mean and error, χ², dof = k − 1, p-value, pulls, verdict.

    Raises
    ------
    ValueError
        Fewer than two estimates, shapes that differ, non-finite values, non-positive errors,
        or alpha outside (0, 1).
    """
    x = np.asarray(means, dtype=float).ravel()
    s = np.asarray(errors, dtype=float).ravel()
    if x.size != s.size:
        raise ValueError(f"means ({x.size}) and errors ({s.size}) differ in length")
    if x.size < 2:
        raise ValueError(f"an agreement test needs at least two estimates, got {x.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(s))):
        raise ValueError("means and errors must be finite")
    if np.any(s <= 0):
        raise ValueError(f"errors must be positive, got {s.tolist()}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    w = 1.0 / s**2
    mean = float(np.sum(w * x) / np.sum(w))
    var_mean = 1.0 / float(np.sum(w))
    chi2 = float(np.sum(w * (x - mean) ** 2))
    dof = x.size - 1
    p = float(_chi2.sf(chi2, dof))
    pulls = (x - mean) / np.sqrt(np.maximum(s**2 - var_mean, 1e-300))
    return AgreementResult(mean=mean, error=float(np.sqrt(var_mean)), chi2=chi2, dof=dof, p_value=p,
                           pulls=pulls, alpha=float(alpha), agree=bool(p >= alpha))
