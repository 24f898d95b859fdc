"""Numba kernels of the heatbath and overrelaxation updates (docs/heatbath.md).

Local weight.  For the Wilson action S = beta sum_P (1 - Re tr U_P / n) the
link U = U_mu(x) appears only in exp(cf Re tr(U A)), cf = beta / n, with A the
plaquette staple sum of :func:`lqcd_core.gauge._loops.add_plaquette_staples`
(recomputed here by :func:`staple_sum` with fused SU(3) products).

* U(1):  U A = |A| e^{i phi}; phi ~ exp(kappa cos phi), kappa = cf |A|
  (von Mises, Best & Fisher 1979), U = e^{i phi} A* / |A|.
* SU(2): A = a V with a = sqrt(det A), V in SU(2); X = U V has Haar density
  ~ exp(k x0), k = 2 cf a, so x0 ~ sqrt(1 - x0^2) e^{k x0} (Kennedy-Pendleton
  1985 for k > KP_MIN_K, Creutz 1980 below), x-vector isotropic, U = X V^dag.
* SU(n >= 3): Cabibbo-Marinari 1982: left-multiply U by SU(2) matrices r
  embedded in the rows/columns (p, q) for every pair p < q; r is drawn from
  exp(cf Re tr(r w)) with w the (p, q) block of W = U A, i.e. the SU(2) rule
  applied to the quaternion projection of w.
* Overrelaxation (microcanonical): U(1): phi -> -phi;  SU(2): U -> V^dag U^dag V^dag;
  SU(n): r = V^dag V^dag in each subgroup.  All keep Re tr(U A) fixed.

SU(2) elements are handled as pairs (alpha, beta) of complex numbers for the
matrix [[alpha, beta], [-conj(beta), conj(alpha)]]; the quaternion projection of a
general 2 x 2 matrix m is alpha = (m00 + conj m11) / 2, beta = (m01 - conj m10) / 2,
and Re tr(r m) = Re tr(r proj(m)) for every r in SU(2).

Random numbers: Philox-4x32-10 (:mod:`lqcd_core.markov.rng`), index = mu V + x
(the link), draw j counted from 0 for each link, so the result does not depend
on the order in which the links of one parity are visited (threads).
"""
import math

import numpy as np
from numba import njit, prange

from ..group._kernels import reunitarize_matrix
from ..group._linalg import acc_dn, acc_nd, mul_nd, mul_nn, retr_nd, set_zero
from .rng import uniform_pair

#: below this k the SU(2) sampler uses Creutz's method, above it Kennedy-Pendleton
KP_MIN_K = 3.0
#: number of sites per task in the parallel loops (fixed: results do not depend on it)
CHUNK = 16
_TWO_PI = 2.0 * math.pi
_TINY = 1e-150


# ---------------------------------------------------------------------------
# staple sum (the same A_mu(x) as lqcd_core.gauge._loops.add_plaquette_staples,
# written with the fused multiply-accumulate products acc_nd, acc_dn of group._linalg)
# ---------------------------------------------------------------------------
@njit(inline="always", cache=True)
def staple_sum(u, fwd, bwd, mu, x, a, t1):
    """a = A_mu(x) = sum_{nu != mu} [ U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag
    + (U_mu(x-nu) U_nu(x+mu-nu))^dag U_nu(x-nu) ]  (t1: n x n scratch)."""
    nd = u.shape[0]
    xp = fwd[mu, x]
    set_zero(a)
    for nu in range(nd):
        if nu == mu:
            continue
        mul_nd(u[nu, xp], u[mu, fwd[nu, x]], t1)
        acc_nd(t1, u[nu, x], a)
        xm = bwd[nu, x]
        mul_nn(u[mu, xm], u[nu, bwd[nu, xp]], t1)
        acc_dn(t1, u[nu, xm], a)


@njit(parallel=True, cache=True)
def staple_field(u, fwd, bwd, mu):
    """(V, n, n) array of A_mu(x) for all x (for tests)."""
    vol, n = u.shape[1], u.shape[2]
    out = np.empty((vol, n, n), np.complex128)
    for x in prange(vol):
        t1 = np.empty((n, n), np.complex128)
        staple_sum(u, fwd, bwd, mu, x, out[x], t1)
    return out


# ---------------------------------------------------------------------------
# one-dimensional samplers
# ---------------------------------------------------------------------------
@njit(cache=True)
def von_mises(kappa, k0, k1, c2, c3, idx, j):
    """phi in (-pi, pi] with density ~ exp(kappa cos phi): Best & Fisher (1979).

    Wrapped-Cauchy proposal, acceptance c e^{1-c} with c = kappa (r - cos phi),
    which is exact for any r >= 1 (only the efficiency depends on r).
    Returns (phi, next draw index, number of proposals)."""
    if not (kappa >= 0.0 and kappa < math.inf):
        return math.nan, j, 1
    if kappa < _TINY:
        u1, u2 = uniform_pair(k0, k1, c2, c3, idx, j)
        return math.pi * (2.0 * u1 - 1.0), j + 1, 1
    s = math.sqrt(1.0 + 4.0 * kappa * kappa)
    tau = 1.0 + s
    # rho = (tau - sqrt(2 tau)) / (2 kappa), rewritten without cancellation
    rho = 2.0 * kappa * tau / ((s + 1.0) * (tau + math.sqrt(2.0 * tau)))
    r = (1.0 + rho * rho) / (2.0 * rho)
    trials = 0
    while True:
        u1, u2 = uniform_pair(k0, k1, c2, c3, idx, j)
        j += 1
        trials += 1
        v = 2.0 * u1 - 1.0          # |v| uniform in (0, 1), sign independent
        z = math.cos(math.pi * abs(v))
        f = (1.0 + r * z) / (r + z)
        c = kappa * (r - f)
        if c * (2.0 - c) > u2 or math.log(c / u2) + 1.0 - c >= 0.0:
            if f > 1.0:
                f = 1.0
            elif f < -1.0:
                f = -1.0
            phi = math.acos(f)
            if v < 0.0:
                phi = -phi
            return phi, j, trials


@njit(cache=True)
def su2_x0(k, k0, k1, c2, c3, idx, j):
    """x0 in [-1, 1] with density ~ sqrt(1 - x0^2) exp(k x0).

    k > KP_MIN_K: Kennedy & Pendleton (1985): delta = 1 - x0 from the Gamma(3/2)
    density sqrt(delta) e^{-k delta} (sum of an exponential and half a squared
    normal, divided by k), accepted with probability sqrt(1 - delta/2).
    k <= KP_MIN_K: Creutz (1980): x0 from e^{k x0} on [-1, 1] by inversion,
    accepted with probability sqrt(1 - x0^2).
    Returns (x0, next draw index, number of proposals)."""
    if not (k >= 0.0 and k < math.inf):
        return math.nan, j, 1
    trials = 0
    if k > KP_MIN_K:
        while True:
            u1, u2 = uniform_pair(k0, k1, c2, c3, idx, j)
            u3, u4 = uniform_pair(k0, k1, c2, c3, idx, j + 1)
            j += 2
            trials += 1
            cs = math.cos(_TWO_PI * u2)
            delta = -(math.log(u1) + cs * cs * math.log(u3)) / k
            if u4 * u4 <= 1.0 - 0.5 * delta:
                return 1.0 - delta, j, trials
    elif k > 1e-12:
        e = math.expm1(2.0 * k)
        while True:
            u1, u2 = uniform_pair(k0, k1, c2, c3, idx, j)
            j += 1
            trials += 1
            x = math.log1p(u1 * e) / k - 1.0
            if u2 * u2 <= 1.0 - x * x:
                return x, j, trials
    else:  # e^{k x0} = 1 to double precision
        while True:
            u1, u2 = uniform_pair(k0, k1, c2, c3, idx, j)
            j += 1
            trials += 1
            x = 2.0 * u1 - 1.0
            if u2 * u2 <= 1.0 - x * x:
                return x, j, trials


@njit(cache=True)
def su2_sample(k, k0, k1, c2, c3, idx, j):
    """X in SU(2) with Haar density ~ exp(k Re tr X / 2) as (alpha, beta, j, trials)."""
    x0, j, trials = su2_x0(k, k0, k1, c2, c3, idx, j)
    u1, u2 = uniform_pair(k0, k1, c2, c3, idx, j)
    j += 1
    ct = 2.0 * u1 - 1.0
    st = math.sqrt(max(0.0, 1.0 - ct * ct))
    ph = _TWO_PI * u2
    rr = math.sqrt(max(0.0, 1.0 - x0 * x0))
    x1 = rr * st * math.cos(ph)
    x2 = rr * st * math.sin(ph)
    x3 = rr * ct
    return complex(x0, x3), complex(x2, x1), j, trials


# ---------------------------------------------------------------------------
# quaternion helpers:  q = (alpha, beta) <-> [[alpha, beta], [-beta*, alpha*]]
# ---------------------------------------------------------------------------
@njit(inline="always", cache=True)
def q_mul(a1, b1, a2, b2):
    return a1 * a2 - b1 * b2.conjugate(), a1 * b2 + b1 * a2.conjugate()


@njit(cache=True)
def su2_subgroup_update(sa, sb, hb, cf, k0, k1, c2, c3, idx, j):
    """SU(2) matrix r for the weight exp(cf Re tr(r s)), s = (sa, sb) quaternion.

    hb: heatbath r = X V^dag, X ~ exp(k x0), k = 2 cf a, V = s / a.
    not hb: overrelaxation r = V^dag V^dag (keeps Re tr(r s) = Re tr s).
    Returns (ra, rb, j, trials)."""
    a = math.sqrt(sa.real * sa.real + sa.imag * sa.imag + sb.real * sb.real + sb.imag * sb.imag)
    if hb:
        xa, xb, j, trials = su2_sample(2.0 * cf * a, k0, k1, c2, c3, idx, j)
        if a < _TINY:
            return xa, xb, j, trials
        ia = 1.0 / a
        va = sa * ia
        vb = sb * ia
        ra, rb = q_mul(xa, xb, va.conjugate(), -vb)
        return ra, rb, j, trials
    if a < _TINY:
        return complex(1.0, 0.0), complex(0.0, 0.0), j, 0
    ia = 1.0 / a
    va = sa * ia
    vb = sb * ia
    return va.conjugate() ** 2 - (vb.real * vb.real + vb.imag * vb.imag), -2.0 * va.real * vb, j, 0


# ---------------------------------------------------------------------------
# one link with a given staple sum
# ---------------------------------------------------------------------------
@njit(cache=True)
def update_link(ul, a, hb, cf, k0, k1, c2, c3, idx, w):
    """Heatbath (hb=True) or overrelaxation of the link ul (n x n, in place)
    under exp(cf Re tr(ul a)); w is n x n scratch.  Returns the number of
    proposals of the accept/reject steps (0 for overrelaxation)."""
    n = ul.shape[0]
    j = 0
    trials = 0
    if n == 1:
        s = a[0, 0]
        m = abs(s)
        if hb:
            phi, j, trials = von_mises(cf * m, k0, k1, c2, c3, idx, j)
            if m < _TINY:
                ul[0, 0] = complex(math.cos(phi), math.sin(phi))
            else:
                ul[0, 0] = complex(math.cos(phi), math.sin(phi)) * (s.conjugate() / m)
        elif m >= _TINY:
            e = s.conjugate() / m
            z = ul[0, 0].conjugate() * e * e
            ul[0, 0] = z / abs(z)
    elif n == 2:
        sa = 0.5 * (a[0, 0] + a[1, 1].conjugate())
        sb = 0.5 * (a[0, 1] - a[1, 0].conjugate())
        if hb:
            ra, rb, j, trials = su2_subgroup_update(sa, sb, True, cf, k0, k1, c2, c3, idx, j)
        else:
            m = math.sqrt(abs(sa) ** 2 + abs(sb) ** 2)
            if m < _TINY:
                return 0
            va = sa / m
            vb = sb / m
            # U' = V^dag U^dag V^dag
            ua = 0.5 * (ul[0, 0] + ul[1, 1].conjugate())
            ub = 0.5 * (ul[0, 1] - ul[1, 0].conjugate())
            ta, tb = q_mul(va.conjugate(), -vb, ua.conjugate(), -ub)
            ra, rb = q_mul(ta, tb, va.conjugate(), -vb)
        nrm = 1.0 / math.sqrt(ra.real * ra.real + ra.imag * ra.imag + rb.real * rb.real + rb.imag * rb.imag)
        ra *= nrm
        rb *= nrm
        ul[0, 0] = ra
        ul[0, 1] = rb
        ul[1, 0] = -rb.conjugate()
        ul[1, 1] = ra.conjugate()
    else:
        mul_nn(ul, a, w)  # W = U A
        for p in range(n - 1):
            for q in range(p + 1, n):
                sa = 0.5 * (w[p, p] + w[q, q].conjugate())
                sb = 0.5 * (w[p, q] - w[q, p].conjugate())
                ra, rb, j, t = su2_subgroup_update(sa, sb, hb, cf, k0, k1, c2, c3, idx, j)
                trials += t
                rbc = -rb.conjugate()
                rac = ra.conjugate()
                for col in range(n):
                    x = ul[p, col]
                    y = ul[q, col]
                    ul[p, col] = ra * x + rb * y
                    ul[q, col] = rbc * x + rac * y
                    x = w[p, col]
                    y = w[q, col]
                    w[p, col] = ra * x + rb * y
                    w[q, col] = rbc * x + rac * y
        reunitarize_matrix(ul)
    return trials


@njit(parallel=True, cache=True)
def update_links(u, staples, indices, hb, cf, k0, k1, c2, c3):
    """Update every matrix u[m] (stack (M, n, n)) with its own fixed staple
    staples[m]: one heatbath (hb) or overrelaxation step with RNG index
    indices[m] (a sweep uses mu V + x for the link (mu, x)).  Returns the
    total number of proposals."""
    m_tot = u.shape[0]
    n = u.shape[1]
    tot = 0
    for m in prange(m_tot):
        w = np.empty((n, n), np.complex128)
        tot += update_link(u[m], staples[m], hb, cf, k0, k1, c2, c3, indices[m], w)
    return tot


# ---------------------------------------------------------------------------
# lattice sweeps
# ---------------------------------------------------------------------------
@njit(cache=True)
def _chunk(u, fwd, bwd, sites, ch, mu, hb, cf, k0, k1, c2, c3):
    """Update the links (mu, sites[s]) for s in chunk ch; returns #proposals."""
    n = u.shape[2]
    vol = u.shape[1]
    a = np.empty((n, n), np.complex128)
    t1 = np.empty((n, n), np.complex128)
    w = np.empty((n, n), np.complex128)
    start = ch * CHUNK
    stop = min(start + CHUNK, sites.shape[0])
    tot = 0
    for s in range(start, stop):
        x = sites[s]
        staple_sum(u, fwd, bwd, mu, x, a, t1)
        tot += update_link(u[mu, x], a, hb, cf, k0, k1, c2, c3, mu * vol + x, w)
    return tot


@njit(parallel=True, cache=True)
def sweep_parallel(u, fwd, bwd, even, odd, cf, n_hb, n_or, k0, k1, c2, c3):
    """n_hb (0 or 1) heatbath sweeps then n_or overrelaxation sweeps, in place.

    Each sweep visits mu = 0..D-1 and, for each, the even then the odd sites
    (links of one direction and parity are independent for the plaquette
    action); the sites of one parity are processed in parallel.  Returns the
    number of heatbath proposals."""
    nd = u.shape[0]
    tot = 0
    for it in range(n_hb + n_or):
        hb = it < n_hb
        for mu in range(nd):
            for par in range(2):
                sites = even if par == 0 else odd
                nch = (sites.shape[0] + CHUNK - 1) // CHUNK
                for ch in prange(nch):
                    tot += _chunk(u, fwd, bwd, sites, ch, mu, hb, cf, k0, k1, c2, c3)
    return tot


@njit(cache=True)
def sweep_serial(u, fwd, bwd, even, odd, cf, n_hb, n_or, k0, k1, c2, c3):
    """Single-threaded twin of :func:`sweep_parallel` (same numbers, bit for bit);
    used for small lattices where starting threads costs more than the work."""
    nd = u.shape[0]
    tot = 0
    for it in range(n_hb + n_or):
        hb = it < n_hb
        for mu in range(nd):
            for par in range(2):
                sites = even if par == 0 else odd
                nch = (sites.shape[0] + CHUNK - 1) // CHUNK
                for ch in range(nch):
                    tot += _chunk(u, fwd, bwd, sites, ch, mu, hb, cf, k0, k1, c2, c3)
    return tot


@njit(cache=True)
def plaquette_sum_serial(u, fwd):
    """sum_{x, mu < nu} Re tr U_{mu nu}(x), single-threaded (for small lattices)."""
    nd, vol, n = u.shape[0], u.shape[1], u.shape[2]
    t1 = np.empty((n, n), np.complex128)
    t2 = np.empty((n, n), np.complex128)
    acc = 0.0
    for mu in range(nd):
        for nu in range(mu + 1, nd):
            for x in range(vol):
                mul_nn(u[mu, x], u[nu, fwd[mu, x]], t1)
                mul_nn(u[nu, x], u[mu, fwd[nu, x]], t2)
                acc += retr_nd(t1, t2)
    return acc
