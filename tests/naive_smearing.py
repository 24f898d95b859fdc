"""Slow, obvious NumPy references for the smearing kernels (test helpers only).

Nothing here uses the package's neighbour tables, kernels or group class:

* links ``U[mu, i, a, b]`` (site index i = x_0 + L_0 (x_1 + ...), x_0 fastest) are viewed
  as a grid ``G[mu, x_{D-1}, ..., x_0, a, b]``; U(x + k mu) is ``np.roll`` along the grid
  axis D - 1 - mu;
* staples are products of rolled arrays; the exponential of an algebra element and its
  Frechet derivative come from the eigendecomposition (Daleckii-Krein formula), checked
  against ``scipy.linalg.expm`` / ``expm_frechet`` in the tests;
* the projection maximises sum_i s_i cos(theta_i) over all n - 1 free phases by a grid
  search polished with Newton's method (no reduction to one variable);
* HYP keeps its decorated links in dictionaries keyed by the literal index sets of
  Hasenfratz & Knechtli's formulas;
* the stout force is reverse-mode differentiation of the forward pass, step by step, with
  matrix cotangents K (dS = Re tr(dM K) for every intermediate matrix M).
"""
from __future__ import annotations

import numpy as np


# ---------------------------------------------------------------------------
# layout
# ---------------------------------------------------------------------------
def grid(links, extents):
    d = len(extents)
    n = links.shape[-1]
    return links.reshape((d,) + tuple(extents)[::-1] + (n, n))


def flat(g, extents):
    d = len(extents)
    n = g.shape[-1]
    return np.ascontiguousarray(g.reshape((d, int(np.prod(extents)), n, n)))


def sh(a, mu, d, steps=1):
    """b(x) = a(x + steps mu) for a site grid a (axes L_{D-1}, ..., L_0, n, n)."""
    return np.roll(a, -steps, axis=d - 1 - mu)


def dag(a):
    return np.conj(np.swapaxes(a, -1, -2))


def ta(w):
    """(w - w^dag)/2 - tr(w - w^dag)/(2n) for n > 1; i Im w for n = 1."""
    n = w.shape[-1]
    a = 0.5 * (w - dag(w))
    if n > 1:
        tr = np.trace(a, axis1=-2, axis2=-1)
        a = a - tr[..., None, None] / n * np.eye(n)
    return a


# ---------------------------------------------------------------------------
# staples: S_{mu nu}(x) = U_nu(x) U_mu(x+nu) U_nu(x+mu)^dag + U_nu(x-nu)^dag U_mu(x-nu) U_nu(x-nu+mu)
# ---------------------------------------------------------------------------
def staple(g, mu, nu, d, side=None, mid=None):
    """Staple grid; ``side`` (links along nu) and ``mid`` (links along mu) default to g[nu], g[mu]."""
    s = g[nu] if side is None else side
    m = g[mu] if mid is None else mid
    up = s @ sh(m, nu, d) @ dag(sh(s, mu, d))
    lo_start = sh(s, nu, d, -1)
    lo = dag(lo_start) @ sh(m, nu, d, -1) @ sh(sh(s, nu, d, -1), mu, d)
    return up + lo


# ---------------------------------------------------------------------------
# projection
# ---------------------------------------------------------------------------
def _max_phases_bruteforce(s, psi):
    """theta maximising sum s_i cos theta_i with sum theta = psi, over n - 1 free angles:
    the best point of a dense grid, polished by Newton's method."""
    n = len(s)
    pts = 48 if n <= 3 else 16
    axes = np.meshgrid(*[np.linspace(-np.pi, np.pi, pts, endpoint=False)] * (n - 1), indexing="ij")
    t = np.stack([a.ravel() for a in axes], axis=-1)
    obj = np.cos(t) @ s[:-1] + s[-1] * np.cos(psi - t.sum(axis=1))
    t = t[np.argmax(obj)]
    for _ in range(50):
        last = psi - t.sum()
        grad = -s[:-1] * np.sin(t) + s[-1] * np.sin(last)
        hess = -np.diag(s[:-1] * np.cos(t)) - s[-1] * np.cos(last)
        step = np.linalg.solve(hess, grad)
        t = t - step
        if np.abs(step).max() < 1e-15:
            break
    return np.append(t, psi - t.sum())


def project(w):
    """The group element maximising Re tr(w^dag v), one matrix at a time (SU(n); U(1) for n = 1)."""
    w = np.asarray(w, complex)
    out = np.empty_like(w)
    n = w.shape[-1]
    for idx in np.ndindex(w.shape[:-2]):
        m = w[idx]
        if n == 1:
            out[idx] = m / abs(m[0, 0])
            continue
        left, s, rdag = np.linalg.svd(m)
        psi = -np.angle(np.linalg.det(left) * np.linalg.det(rdag))
        theta = _max_phases_bruteforce(s, psi)
        out[idx] = (left * np.exp(1j * theta)) @ rdag
    return out


# ---------------------------------------------------------------------------
# APE and HYP
# ---------------------------------------------------------------------------
def ape(links, extents, alpha, smear_dirs, staple_dirs):
    d = len(extents)
    g = grid(links, extents)
    out = g.copy()
    for mu in smear_dirs:
        nus = [nu for nu in staple_dirs if nu != mu]
        acc = (1 - alpha) * g[mu]
        for nu in nus:
            acc = acc + alpha / (2 * len(nus)) * staple(g, mu, nu, d)
        out[mu] = project(acc)
    return flat(out, extents)


def hyp(links, extents, a1=0.75, a2=0.6, a3=0.3):
    """Hasenfratz & Knechtli, PRD 64 (2001) 034504, eqs. (2)-(4), literally (4D)."""
    d = 4
    g = grid(links, extents)
    dirs = range(4)
    vbar = {}  # (mu, frozenset{nu, rho}) -> grid
    for mu in dirs:
        for nu in dirs:
            for rho in dirs:
                if len({mu, nu, rho}) < 3 or (mu, frozenset((nu, rho))) in vbar:
                    continue
                (eta,) = set(dirs) - {mu, nu, rho}
                acc = (1 - a3) * g[mu] + a3 / 2 * staple(g, mu, eta, d)
                vbar[(mu, frozenset((nu, rho)))] = project(acc)
    vtil = {}  # (mu, nu) -> grid
    for mu in dirs:
        for nu in dirs:
            if nu == mu:
                continue
            acc = (1 - a2) * g[mu]
            for rho in dirs:
                if rho in (mu, nu):
                    continue
                side = vbar[(rho, frozenset((nu, mu)))]
                mid = vbar[(mu, frozenset((rho, nu)))]
                acc = acc + a2 / 4 * staple(g, mu, rho, d, side=side, mid=mid)
            vtil[(mu, nu)] = project(acc)
    out = g.copy()
    for mu in dirs:
        acc = (1 - a1) * g[mu]
        for nu in dirs:
            if nu == mu:
                continue
            acc = acc + a1 / 6 * staple(g, mu, nu, d, side=vtil[(nu, mu)], mid=vtil[(mu, nu)])
        out[mu] = project(acc)
    return flat(out, extents)


# ---------------------------------------------------------------------------
# stout
# ---------------------------------------------------------------------------
def _eig_alg(a):
    """a = i Q (Q Hermitian): eigenvalues lam and eigenvectors v of Q, a = v diag(i lam) v^dag."""
    return np.linalg.eigh(-1j * a)


def _expm_stack(a):
    """exp(a) for anti-Hermitian a by diagonalisation (cross-checked against scipy in the tests)."""
    lam, v = _eig_alg(a)
    return (v * np.exp(1j * lam)[..., None, :]) @ dag(v)


def expm_frechet_alg(a, e):
    """L(a, e) = int_0^1 exp(s a) e exp((1-s) a) ds for anti-Hermitian a (Daleckii-Krein):
    in the eigenbasis of a, L_ij = e_ij (exp(i l_i) - exp(i l_j)) / (i l_i - i l_j)
    = e_ij exp(i (l_i + l_j)/2) sinc((l_i - l_j)/2)."""
    lam, v = _eig_alg(a)
    et = dag(v) @ e @ v
    li = lam[..., :, None]
    lj = lam[..., None, :]
    kern = np.exp(0.5j * (li + lj)) * np.sinc((li - lj) / (2 * np.pi))
    return v @ (et * kern) @ dag(v)


def _stout_parts(g, rho, d):
    """C, Omega, iQ, exp(iQ) grids for every direction (Morningstar & Peardon's Q)."""
    n = g.shape[-1]
    parts = []
    for mu in range(d):
        c = np.zeros_like(g[mu])
        for nu in range(d):
            if nu != mu and rho[mu][nu] != 0:
                c = c + rho[mu][nu] * staple(g, mu, nu, d)
        om = c @ dag(g[mu])
        if n == 1:
            iq = 0.5 * (om - dag(om))
        else:
            # Q = (i/2)(Om^dag - Om) - (i/2N) tr(Om^dag - Om)
            diff = dag(om) - om
            q = 0.5j * diff - 0.5j / n * np.trace(diff, axis1=-2, axis2=-1)[..., None, None] * np.eye(n)
            iq = 1j * q
        parts.append((c, om, iq, _expm_stack(iq)))
    return parts


def stout(links, extents, rho):
    d = len(extents)
    g = grid(links, extents)
    out = np.empty_like(g)
    for mu, (_, _, _, e) in enumerate(_stout_parts(g, rho, d)):
        out[mu] = e @ g[mu]
    return flat(out, extents)


def stout_force(links, extents, rho, force_smeared, norm):
    """Force on the thin links from the force F' on the stout-smeared links.

    Reverse mode with matrix cotangents: dS = -(1/c) Re tr(dU' U'^dag F') = Re tr(dU' K'),
    K' = -(1/c) U'^dag F'; at the end F = -c TA(U K_U) (docs/conventions.md, "Force").
    """
    d = len(extents)
    g = grid(links, extents)
    fp = grid(force_smeared, extents)
    parts = _stout_parts(g, rho, d)
    ku = np.zeros_like(g)
    for mu, (c, om, iq, e) in enumerate(parts):
        usm = e @ g[mu]
        k_sm = -(1.0 / norm) * dag(usm) @ fp[mu]
        # U' = E U
        k_e = g[mu] @ k_sm
        ku[mu] += k_sm @ e
        # E = expm(iQ): K_A = L(A, K_E)
        k_a = expm_frechet_alg(iq, k_e)
        # A = TA(Omega)
        k_om = ta(k_a)
        # Omega = C U^dag:  Re tr(dC U^dag K) + Re tr(C dU^dag K), Re tr(dU^dag Y) = Re tr(dU Y^dag)
        k_c = dag(g[mu]) @ k_om
        ku[mu] += dag(k_om @ c)
        # C = sum_nu rho S_{mu nu}: differentiate every factor of both staples
        for nu in range(d):
            if nu == mu or rho[mu][nu] == 0:
                continue
            r = rho[mu][nu]
            a1, a2, a3 = g[nu], sh(g[mu], nu, d), sh(g[nu], mu, d)   # upper: a1 a2 a3^dag
            k = r * k_c
            ku[nu] += a2 @ dag(a3) @ k                                  # d a1
            ku[mu] += sh(dag(a3) @ k @ a1, nu, d, -1)                   # d a2 at x+nu
            ku[nu] += sh(dag(k @ a1 @ a2), mu, d, -1)                   # d a3^dag at x+mu
            b1 = sh(g[nu], nu, d, -1)                                   # lower: b1^dag b2 b3
            b2 = sh(g[mu], nu, d, -1)
            b3 = sh(b1, mu, d)
            ku[nu] += sh(dag(b2 @ b3 @ k), nu, d, 1)                    # d b1^dag at x-nu
            ku[mu] += sh(b3 @ k @ dag(b1), nu, d, 1)                    # d b2 at x-nu
            ku[nu] += sh(sh(k @ dag(b1) @ b2, nu, d, 1), mu, d, -1)     # d b3 at x-nu+mu
    f = -norm * ta(g @ ku)
    return flat(f, extents)


# ---------------------------------------------------------------------------
# misc
# ---------------------------------------------------------------------------
def plaquette(links, extents):
    """Average Re tr U_P / n over all plaquettes."""
    d = len(extents)
    g = grid(links, extents)
    n = g.shape[-1]
    tot, cnt = 0.0, 0
    for mu in range(d):
        for nu in range(mu + 1, d):
            p = g[mu] @ sh(g[nu], mu, d) @ dag(sh(g[mu], nu, d)) @ dag(g[nu])
            tot += np.trace(p, axis1=-2, axis2=-1).real.sum()
            cnt += p[..., 0, 0].size
    return tot / (cnt * n)


def random_algebra(nc, shape, rng, scale=1.0):
    """X = (H - H^dag)/2 (traceless for nc > 1) from complex Gaussians, times scale."""
    z = rng.standard_normal(tuple(shape) + (nc, nc)) + 1j * rng.standard_normal(tuple(shape) + (nc, nc))
    return scale * ta(z)


def random_group(nc, shape, rng):
    """Random SU(nc) (U(1) for nc = 1) elements via QR with det fixed (not Haar-exact needed)."""
    z = rng.standard_normal(tuple(shape) + (nc, nc)) + 1j * rng.standard_normal(tuple(shape) + (nc, nc))
    if nc == 1:
        return z / np.abs(z)
    q, r = np.linalg.qr(z)
    dg = np.diagonal(r, axis1=-2, axis2=-1)
    q = q * (dg / np.abs(dg))[..., None, :]
    det = np.linalg.det(q)
    return q * (det ** (-1.0 / nc))[..., None, None]


def gauge_transform(links, extents, g):
    """U_mu(x) -> g(x) U_mu(x) g(x+mu)^dag with g on sites (V, n, n)."""
    d = len(extents)
    n = links.shape[-1]
    gg = g.reshape(tuple(extents)[::-1] + (n, n))
    u = grid(links, extents)
    out = np.empty_like(u)
    for mu in range(d):
        out[mu] = gg @ u[mu] @ dag(sh(gg, mu, d))
    return flat(out, extents)
