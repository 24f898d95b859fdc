"""Projection of arbitrary n x n complex matrices onto the gauge group.

Proj(W) is the group element V that maximises Re tr(W^dag V) (docs/smearing.md,
"Projection"):

* U(1): V = W / |W|;
* SU(2): V = W_q / sqrt(det W_q), W_q = (W + s2 W^* s2) / 2 the quaternion part;
* SU(N >= 3): from the singular value decomposition W = L diag(s) R^dag,
  V = L diag(exp(i theta)) R^dag with the phases theta that maximise sum_i s_i cos theta_i
  under sum_i theta_i = -arg det(L R^dag) (a one-dimensional root problem).

All three are the exact (global) maximum, and Proj(g W h^dag) = g Proj(W) h^dag for g, h in
the group, which makes APE and HYP smearing gauge covariant.  (The popular alternatives,
unitarisation followed by a few Cabibbo-Marinari SU(2)-subgroup sweeps, or the polar factor
with the determinant phase divided out, are only approximately the maximum and only
approximately covariant.)
"""
from __future__ import annotations

import numpy as np

from . import _projection_kernels as K


def project(w: np.ndarray) -> np.ndarray:
    """Project matrices ``w`` of shape (..., n, n) onto U(1) (n = 1) or SU(n); a new array.

    Zero matrices project to the identity (no element is preferred); non-finite matrices
    (n >= 3) to NaN.
    """
    w = np.ascontiguousarray(w, dtype=np.complex128)
    if w.ndim < 2 or w.shape[-1] != w.shape[-2]:
        raise ValueError(f"expected square matrices (..., n, n), got shape {w.shape}")
    n = w.shape[-1]
    out = np.empty_like(w)
    K.project_stack(w.reshape(-1, n, n), out.reshape(-1, n, n))
    return out
