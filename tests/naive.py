"""Slow, obvious NumPy reference implementations for the heatbath and RNG tests.

Nothing here is fast or clever on purpose: plaquettes and staples by np.roll on
the (L_{D-1}, ..., L_0) grid, exact one-plaquette and 2D expectation values from
Bessel functions or the Weyl integration formula, a grid-inversion SU(2) sampler,
a pure-Python-integer Philox, and a blocked error of the mean.
"""
from __future__ import annotations

import numpy as np
from scipy import special


# ---------------------------------------------------------------------------
# lattice fields on the coordinate grid
# ---------------------------------------------------------------------------
def as_grid(links, extents):
    """(D, V, n, n) links -> (D, L_{D-1}, ..., L_0, n, n) (x_0 runs fastest)."""
    d = len(extents)
    return links.reshape((d,) + tuple(extents[::-1]) + links.shape[-2:])


def shift(f, mu, d, step=1):
    """g(x) = f(x + step * mu-hat) for f on the (L_{D-1}, ..., L_0) grid."""
    return np.roll(f, -step, axis=d - 1 - mu)


def dag(m):
    return np.conj(np.swapaxes(m, -1, -2))


def plaquette_field(links, extents, mu, nu):
    """U_mu(x) U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag on the grid."""
    d = len(extents)
    g = as_grid(links, extents)
    return g[mu] @ shift(g[nu], mu, d) @ dag(shift(g[mu], nu, d)) @ dag(g[nu])


def plaquette(links, extents):
    """Average Re tr U_P / n over all x and mu < nu."""
    d = len(extents)
    n = links.shape[-1]
    vals = [np.trace(plaquette_field(links, extents, mu, nu), axis1=-2, axis2=-1).real.mean()
            for mu in range(d) for nu in range(mu + 1, d)]
    return float(np.mean(vals)) / n


def wilson_action(links, extents, beta):
    """S = beta sum_P (1 - Re tr U_P / n)."""
    d = len(extents)
    n = links.shape[-1]
    s = 0.0
    for mu in range(d):
        for nu in range(mu + 1, d):
            tr = np.trace(plaquette_field(links, extents, mu, nu), axis1=-2, axis2=-1).real
            s += np.sum(1.0 - tr / n)
    return beta * s


def staple(links, extents, mu):
    """A_mu(x), shape (V, n, n), with sum of the 2(D-1) plaquettes through U_mu(x)
    = Re tr(U_mu(x) A_mu(x))."""
    d = len(extents)
    g = as_grid(links, extents)
    a = np.zeros_like(g[mu])
    for nu in range(d):
        if nu == mu:
            continue
        a += shift(g[nu], mu, d) @ dag(shift(g[mu], nu, d)) @ dag(g[nu])
        gm = shift(g[nu], nu, d, -1)                       # U_nu(x - nu)
        a += dag(shift(gm, mu, d)) @ dag(shift(g[mu], nu, d, -1)) @ gm
    return a.reshape(links.shape[1:])


# ---------------------------------------------------------------------------
# exact expectation values
# ---------------------------------------------------------------------------
def u1_2d_plaquette(beta, L, nmax=200):
    """<cos theta_P> for 2D U(1) on a periodic L x L torus (V = L^2 plaquettes):

        Z = sum_n I_n(beta)^V,   <cos theta_P> = sum_n I_n^{V-1} I_n' / sum_n I_n^V,

    I_n' = (I_{n-1} + I_{n+1}) / 2; ratios to I_0 with the scaled Bessel ive."""
    v = L * L
    n = np.arange(-nmax, nmax + 1)
    i0 = special.ive(0, beta)
    r = special.ive(n, beta) / i0
    rp = 0.5 * (special.ive(n - 1, beta) + special.ive(n + 1, beta)) / i0
    with np.errstate(under="ignore"):
        num = np.sum(r ** (v - 1) * rp)
        den = np.sum(r ** v)
    return float(num / den)


def weyl_suN_average(nc, f, beta, m=240):
    """<f(U)>  under  Haar x exp((beta/nc) Re tr U)  for SU(nc), nc = 2 or 3,
    by the Weyl integration formula on an m^(nc-1) periodic grid of eigenphases.
    f receives the eigenvalue array (..., nc)."""
    th = 2 * np.pi * np.arange(m) / m
    if nc == 2:
        t = th[:, None]
        ev = np.concatenate([np.exp(1j * t), np.exp(-1j * t)], axis=1)
    elif nc == 3:
        t1, t2 = np.meshgrid(th, th, indexing="ij")
        t1, t2 = t1.ravel(), t2.ravel()
        ev = np.stack([np.exp(1j * t1), np.exp(1j * t2), np.exp(-1j * (t1 + t2))], axis=1)
    else:
        raise ValueError("nc must be 2 or 3")
    vdm = np.ones(len(ev))
    for i in range(nc):
        for j in range(i + 1, nc):
            vdm *= np.abs(ev[:, i] - ev[:, j]) ** 2
    retr = ev.sum(axis=1).real
    w = vdm * np.exp(beta / nc * (retr - nc))
    return np.sum(w * f(ev)) / np.sum(w)


def single_plaquette(beta, nc):
    """u(beta) = <Re tr U / n> for one plaquette with weight exp((beta/n) Re tr U):
    the strong-coupling / 2D infinite-volume plaquette.
    U(1): I1/I0; SU(2): I2/I1; SU(3): Weyl integral."""
    if nc == 1:
        return float(special.ive(1, beta) / special.ive(0, beta))
    if nc == 2:
        return float(special.ive(2, beta) / special.ive(1, beta))
    return float(weyl_suN_average(nc, lambda ev: ev.sum(axis=1).real / nc, beta))


def strong_coupling_leading(beta, nc):
    """Leading strong-coupling term of <P>: (beta/n^2) <(Re tr U)^2>_Haar:
    beta/2 (U(1)), beta/4 (SU(2)), beta/(2 n^2) (SU(n >= 3))."""
    if nc == 1:
        return beta / 2
    if nc == 2:
        return beta / 4
    return beta / (2 * nc * nc)


def su2_x0_cdf(k, m=200001):
    """CDF of x0 with density ~ sqrt(1 - x0^2) e^{k x0} on [-1, 1], tabulated:
    substitute x0 = cos t, density in t ~ sin^2 t e^{k (cos t - 1)}."""
    t = np.linspace(0.0, np.pi, m)
    dens = np.sin(t) ** 2 * np.exp(k * (np.cos(t) - 1.0))
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(t))])
    cum /= cum[-1]
    x = np.cos(t)[::-1]
    c = 1.0 - cum[::-1]            # P(X <= cos t) = P(T >= t)
    return lambda v: np.interp(v, x, c)


# ---------------------------------------------------------------------------
# SU(2) samples by an obviously correct method: grid inversion of the x0 CDF
# ---------------------------------------------------------------------------
def quat_to_su2(a):
    """(..., 4) unit quaternions (x0, x1, x2, x3) -> x0 + i x.sigma."""
    x0, x1, x2, x3 = np.moveaxis(a, -1, 0)
    m = np.empty(a.shape[:-1] + (2, 2), complex)
    m[..., 0, 0] = x0 + 1j * x3
    m[..., 0, 1] = x2 + 1j * x1
    m[..., 1, 0] = -x2 + 1j * x1
    m[..., 1, 1] = x0 - 1j * x3
    return m


def su2_heatbath_numpy(staple_sum, cf, rng, size):
    """``size`` independent SU(2) links from exp(cf Re tr(U A)) for one staple A
    (a sum of SU(2) matrices): x0 by inverting the tabulated CDF, x isotropic,
    U = X V^dag with A = a V."""
    a = np.sqrt(np.linalg.det(staple_sum).real)
    v = staple_sum / a
    k = 2 * cf * a
    t = np.linspace(0.0, np.pi, 200001)
    dens = np.sin(t) ** 2 * np.exp(k * (np.cos(t) - 1.0))
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(t))])
    cum /= cum[-1]
    # x0 = cos t with P(T <= t) = cum
    tt = np.interp(rng.random(size), cum, t)
    x0 = np.cos(tt)
    d = rng.standard_normal((size, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    q = np.concatenate([x0[:, None], np.sin(tt)[:, None] * d], axis=1)
    return quat_to_su2(q) @ dag(v)


# ---------------------------------------------------------------------------
# Philox-4x32 with Python integers (Salmon et al. 2011)
# ---------------------------------------------------------------------------
def philox4x32_py(ctr, key, rounds=10):
    m0, m1 = 0xD2511F53, 0xCD9E8D57
    w0, w1 = 0x9E3779B9, 0xBB67AE85
    c = [int(x) for x in ctr]
    k = [int(x) for x in key]
    for _ in range(rounds):
        p0 = m0 * c[0]
        p1 = m1 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k[0], p1 & 0xFFFFFFFF, (p0 >> 32) ^ c[3] ^ k[1], p0 & 0xFFFFFFFF]
        k = [(k[0] + w0) & 0xFFFFFFFF, (k[1] + w1) & 0xFFFFFFFF]
    return c


# ---------------------------------------------------------------------------
# statistics
# ---------------------------------------------------------------------------
def blocked_mean_error(x, n_blocks=20):
    """Mean and its standard error from n_blocks equal blocks of the series."""
    x = np.asarray(x, float)
    b = len(x) // n_blocks
    means = x[: b * n_blocks].reshape(n_blocks, b).mean(axis=1)
    return float(x.mean()), float(means.std(ddof=1) / np.sqrt(n_blocks))
