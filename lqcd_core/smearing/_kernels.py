"""Numba kernels of link smearing: the staple sums of APE, HYP and stout levels (the projection
is in _projection_kernels.py, stout and its chain rule in _stout_kernels.py; docs/smearing.md).

Layout as everywhere: links ``u[mu, x, a, b]``, neighbour tables ``fwd[mu, x]``
(x + mu) and ``bwd[mu, x]`` (x - mu).  The staples here are oriented like the
link they decorate (they run from x to x + mu):

    S_{mu nu}(x) = U_nu(x) U_mu(x+nu) U_nu(x+mu)^dag
                 + U_nu(x-nu)^dag U_mu(x-nu) U_nu(x-nu+mu),

the Hermitian conjugate of the nu-term of ``A_mu(x)`` in ``gauge/_loops.py``.
Every kernel writes into output arrays and never modifies its inputs.
"""
import numpy as np
from numba import njit, prange

from ..group._linalg import add_to, mul_dn, mul_nd, mul_nn, set_zero


# ---------------------------------------------------------------------------
# staples
# ---------------------------------------------------------------------------
@njit(inline="always", cache=True)
def add_staple(side, mid, fwd_mu, fwd_nu, bwd_nu, x, acc, t1, t2, f):
    """acc += f [side(x) mid(x+nu) side(x+mu)^dag + side(x-nu)^dag mid(x-nu) side(x-nu+mu)].

    ``side`` (V, n, n) are the links in direction nu, ``mid`` those in direction mu
    (different arrays in HYP, both slices of one field otherwise).
    """
    mul_nn(side[x], mid[fwd_nu[x]], t1)
    mul_nd(t1, side[fwd_mu[x]], t2)
    add_to(acc, t2, f)
    xm = bwd_nu[x]
    mul_dn(side[xm], mid[xm], t1)
    mul_nn(t1, side[fwd_mu[xm]], t2)
    add_to(acc, t2, f)


@njit(parallel=True, cache=True)
def fat_sum(base, src, fwd, bwd, out_mu, c_self, t_ptr, t_side, t_mid, t_dir, t_w, out):
    """The unprojected fat links of APE, HYP (each level) and the stout staple sums C:

        out[k, x] = c_self[k] base[mu, x]
                    + sum_{t in [t_ptr[k], t_ptr[k+1])} t_w[t] S_t(x),    mu = out_mu[k],

    S_t the staple in direction nu = t_dir[t] (module docstring) with side links
    src[t_side[t]] (along nu) and middle links src[t_mid[t]] (along mu).  One kernel for
    every smearing: the callers only build the small term tables.
    """
    vol, n = base.shape[1], base.shape[2]
    for k in range(out_mu.shape[0]):
        mu = out_mu[k]
        for x in prange(vol):
            t1 = np.empty((n, n), np.complex128)
            t2 = np.empty((n, n), np.complex128)
            acc = out[k, x]
            set_zero(acc)
            if c_self[k] != 0.0:
                add_to(acc, base[mu, x], c_self[k])
            for t in range(t_ptr[k], t_ptr[k + 1]):
                nu = t_dir[t]
                add_staple(src[t_side[t]], src[t_mid[t]], fwd[mu], fwd[nu], bwd[nu], x, acc, t1, t2, t_w[t])
