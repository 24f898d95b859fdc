"""Numba kernels of the gradient flow: the Zeuthen correction and the RK update."""
import numpy as np
from numba import njit, prange

from ..group._kernels import exp_matrix
from ..group._linalg import add_to, copy_to, mul_dn, mul_nd, mul_nn


@njit(parallel=True, cache=True)
def zeuthen_correction(u, f, fwd, bwd, out):
    """out = f + (1/12) nabla*_mu nabla_mu f, per direction mu (Ramos & Sint 2016):

    nabla*_mu nabla_mu f_mu(x) = V_mu(x) f_mu(x+mu) V_mu(x)^dag - 2 f_mu(x)
                                + V_mu(x-mu)^dag f_mu(x-mu) V_mu(x-mu).
    """
    nd, vol, n = u.shape[0], u.shape[1], u.shape[2]
    for mu in range(nd):
        for x in prange(vol):
            t1 = np.empty((n, n), np.complex128)
            t2 = np.empty((n, n), np.complex128)
            o = out[mu, x]
            copy_to(o, f[mu, x])
            for i in range(n):
                for j in range(n):
                    o[i, j] *= 1.0 - 2.0 / 12.0
            xp = fwd[mu, x]
            mul_nn(u[mu, x], f[mu, xp], t1)
            mul_nd(t1, u[mu, x], t2)
            add_to(o, t2, 1.0 / 12.0)
            xm = bwd[mu, x]
            mul_dn(u[mu, xm], f[mu, xm], t1)
            mul_nn(t1, u[mu, xm], t2)
            add_to(o, t2, 1.0 / 12.0)


@njit(parallel=True, cache=True)
def exp_update(u, z):
    """u[k] <- exp(z[k]) u[k] for stacks of links and algebra elements."""
    m, n = u.shape[0], u.shape[1]
    for k in prange(m):
        e = np.empty((n, n), np.complex128)
        t = np.empty((n, n), np.complex128)
        t2 = np.empty((n, n), np.complex128)
        exp_matrix(z[k], e, t, t2)
        mul_nn(e, u[k], t)
        copy_to(u[k], t)
