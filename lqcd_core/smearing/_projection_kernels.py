"""Numba kernels of the projection onto U(1)/SU(N): exact maximisation of Re tr(W^dag V)
(docs/smearing.md, "Projection")."""
import math

import numpy as np
from numba import njit, prange

from ..group._linalg import copy_to, mul_nn, set_zero


# ---------------------------------------------------------------------------
# projection onto the group: maximise Re tr(w^dag v)
# ---------------------------------------------------------------------------
@njit(inline="always", cache=True)
def _det3(a):
    return (a[0, 0] * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1])
            - a[0, 1] * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0])
            + a[0, 2] * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0]))


@njit(cache=True)
def _det(a):
    n = a.shape[0]
    if n == 1:
        return a[0, 0]
    if n == 2:
        return a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]
    if n == 3:
        return _det3(a)
    return np.linalg.det(a)


@njit(inline="always", cache=True)
def _angle_sum(s, k, m):
    """sum_{i < m} arcsin(k / s_i)."""
    t = 0.0
    for i in range(m):
        r = k / s[i]
        if r > 1.0:
            r = 1.0
        elif r < -1.0:
            r = -1.0
        t += math.asin(r)
    return t


@njit(inline="always", cache=True)
def _stationarity(s, psi, k):
    """F(k) = s_last sin(psi - sum_{i < n-1} arcsin(k / s_i)) - k (zero at stationary points)."""
    n = s.shape[0]
    return s[n - 1] * math.sin(psi - _angle_sum(s, k, n - 1)) - k


@njit(inline="always", cache=True)
def _objective(s, psi, k):
    """sum_i s_i cos(theta_i) on the curve theta_i = arcsin(k / s_i) (i < n-1), theta_last = rest."""
    n = s.shape[0]
    o = 0.0
    for i in range(n - 1):
        o += math.sqrt(max(s[i] * s[i] - k * k, 0.0))
    return o + s[n - 1] * math.cos(psi - _angle_sum(s, k, n - 1))


@njit(cache=True)
def _root(s, psi, lo, hi, flo, fhi):
    """A root of the stationarity function F in [lo, hi] with F(lo) >= 0 >= F(hi):
    Newton steps safeguarded by bisection."""
    if flo == 0.0:
        return lo
    if fhi == 0.0:
        return hi
    n = s.shape[0]
    k = 0.5 * (lo + hi)
    for _ in range(200):
        f = _stationarity(s, psi, k)
        if f > 0.0:
            lo = k
        elif f < 0.0:
            hi = k
        else:
            return k
        if hi - lo <= 2e-16 * s[0]:
            break
        # F'(k) = -s_last cos(phi) sum_{i<n-1} 1/sqrt(s_i^2 - k^2) - 1
        d = 0.0
        ok = True
        for i in range(n - 1):
            q = s[i] * s[i] - k * k
            if q <= 0.0:
                ok = False
                break
            d += 1.0 / math.sqrt(q)
        kn = lo - 1.0  # outside: bisect
        if ok:
            fp = -s[n - 1] * math.cos(psi - _angle_sum(s, k, n - 1)) * d - 1.0
            if fp != 0.0:
                kn = k - f / fp
        if not (lo < kn < hi):
            kn = 0.5 * (lo + hi)
        if abs(kn - k) <= 1e-17 * s[0]:
            k = kn
            break
        k = kn
    return k


@njit(cache=True)
def _principal_solution(s, psi, theta):
    """Solve sum_i arcsin(k / s_i) = psi (safeguarded Newton); fill theta and return True if
    it exists and is certainly the global maximum (see max_phases)."""
    n = s.shape[0]
    lo = -s[n - 1]
    hi = s[n - 1]
    big = _angle_sum(s, hi, n)
    if not (-big <= psi <= big):
        return False
    isum = 0.0
    for i in range(n):
        isum += 1.0 / s[i]
    k = psi / isum
    if not (lo < k < hi):
        k = 0.0
    for _ in range(100):
        g = _angle_sum(s, k, n) - psi
        if g > 0.0:
            hi = k
        elif g < 0.0:
            lo = k
        else:
            break
        d = 0.0
        for i in range(n):
            q = s[i] * s[i] - k * k
            d += 1.0 / math.sqrt(q) if q > 0.0 else 1e300
        kn = k - g / d
        if not (lo <= kn <= hi):
            kn = 0.5 * (lo + hi)
        if abs(kn - k) <= 1e-16 * s[0]:
            k = kn
            break
        k = kn
    o = 0.0
    top_sum = 0.0
    for i in range(n):
        o += math.sqrt(max(s[i] * s[i] - k * k, 0.0))
        if i < n - 1:
            top_sum += s[i]
    if o < top_sum:
        return False
    rest = psi
    for i in range(n - 1):
        r = min(max(k / s[i], -1.0), 1.0)
        theta[i] = math.asin(r)
        rest -= theta[i]
    theta[n - 1] = rest
    return True


@njit(cache=True)
def max_phases(s, psi, theta):
    """theta maximising sum_i s_i cos(theta_i) subject to sum_i theta_i = psi (mod 2 pi),
    for singular values s_0 >= ... >= s_{n-1} >= 0 (docs/smearing.md, "Projection").

    At the maximum s_i sin(theta_i) = k for all i, every theta_i but the last (smallest
    s) lies in [-pi/2, pi/2] (second-order condition), so the maximum lies on the curve
    theta_i = arcsin(k / s_i) (i < n-1), theta_last = psi - sum; the objective along it
    has the derivative F(k) * (positive), F as in _stationarity, with F(-s_{n-2}) >= 0 >=
    F(s_{n-2}).  All maxima along the curve are bracketed on a grid and refined; the
    largest wins.

    Fast path (the usual case): the all-principal solution sum_i arcsin(k / s_i) = psi
    (unique, g(k) = sum arcsin(k / s_i) increases) has the objective
    O = sum_i sqrt(s_i^2 - k^2); any other stationary point has either a larger |k| (a
    different winding, smaller O) or cos(theta_last) < 0 (O < sum_{i<n-1} s_i).  So if
    O >= sum_{i<n-1} s_i it is the global maximum and the grid is skipped.
    """
    n = s.shape[0]
    top = s[n - 2]
    best_k = 0.0
    if s[n - 1] > 0.0 and _principal_solution(s, psi, theta):
        return
    if top > 0.0:
        grid = 32
        best = -1e300
        lo = -top
        flo = _stationarity(s, psi, lo)
        for m in range(1, grid + 1):
            hi = top if m == grid else -top + 2.0 * top * m / grid
            fhi = _stationarity(s, psi, hi)
            if flo >= 0.0 and fhi <= 0.0:
                k = _root(s, psi, lo, hi, flo, fhi)
                o = _objective(s, psi, k)
                if o > best:
                    best = o
                    best_k = k
            lo = hi
            flo = fhi
    rest = psi
    for i in range(n - 1):
        r = best_k / s[i] if s[i] > 0.0 else 0.0
        if r > 1.0:
            r = 1.0
        elif r < -1.0:
            r = -1.0
        theta[i] = math.asin(r)
        rest -= theta[i]
    theta[n - 1] = rest


@njit(cache=True)
def _svd_jacobi(w, left, s, rdag):
    """w = left diag(s) rdag, s descending, by one-sided (Hestenes) Jacobi rotations.

    Columns p < q of a = w V are rotated by V <- V diag(1, e^{-i phi}) [[c, s], [-s, c]]
    (phi = arg(a_p^dag a_q), the real symmetric Jacobi rotation of the 2x2 Gram matrix)
    until all columns are orthogonal to rounding; then s_j = |a_j|, left_j = a_j / s_j.
    Returns False (the caller falls back to LAPACK) if the sweeps do not converge or w is
    nearly singular, where left would lose orthogonality.
    """
    n = w.shape[0]
    a = np.empty((n, n), np.complex128)
    vv = np.empty((n, n), np.complex128)
    copy_to(a, w)
    set_zero(vv)
    for i in range(n):
        vv[i, i] = 1.0
    converged = False
    for _ in range(30):
        rotated = False
        for p in range(n - 1):
            for q in range(p + 1, n):
                al = 0.0
                be = 0.0
                ga = 0j
                for i in range(n):
                    al += a[i, p].real ** 2 + a[i, p].imag ** 2
                    be += a[i, q].real ** 2 + a[i, q].imag ** 2
                    ga += a[i, p].conjugate() * a[i, q]
                g = abs(ga)
                if g <= 1e-15 * math.sqrt(al * be) or g == 0.0:
                    continue
                rotated = True
                ph = (ga / g).conjugate()
                zeta = (be - al) / (2.0 * g)
                t = 1.0 / (abs(zeta) + math.sqrt(1.0 + zeta * zeta))
                if zeta < 0.0:
                    t = -t
                c = 1.0 / math.sqrt(1.0 + t * t)
                sn = c * t
                for i in range(n):
                    ap = a[i, p]
                    aq = a[i, q] * ph
                    a[i, p] = c * ap - sn * aq
                    a[i, q] = sn * ap + c * aq
                    vp = vv[i, p]
                    vq = vv[i, q] * ph
                    vv[i, p] = c * vp - sn * vq
                    vv[i, q] = sn * vp + c * vq
        if not rotated:
            converged = True
            break
    if not converged:
        return False
    norms = np.empty(n)
    for j in range(n):
        t = 0.0
        for i in range(n):
            t += a[i, j].real ** 2 + a[i, j].imag ** 2
        norms[j] = math.sqrt(t)
    order = np.argsort(-norms)
    if not (norms[order[n - 1]] > 1e-5 * norms[order[0]]):
        return False
    for jj in range(n):
        j = order[jj]
        s[jj] = norms[j]
        inv = 1.0 / norms[j]
        for i in range(n):
            left[i, jj] = a[i, j] * inv
            rdag[jj, i] = vv[i, j].conjugate()
    return True


@njit(cache=True)
def project_matrix(w, v):
    """v = the element of SU(n) (U(1) for n = 1) that maximises Re tr(w^dag v).

    * n = 1: v = w / |w|.
    * n = 2: v = w_q / sqrt(det w_q) with w_q = (w + s2 w^* s2) / 2 the quaternion part
      of w (Re tr(w^dag v) = Re tr(w_q^dag v) for v in SU(2)).
    * n >= 3: with the singular value decomposition w = L diag(s) R^dag (one-sided Jacobi,
      LAPACK for nearly singular w),
      Re tr(w^dag L D R^dag) = sum_i s_i Re D_ii, and the maximum over SU(n) is
      v = L diag(exp(i theta)) R^dag with theta from max_phases and
      sum theta = -arg det(L R^dag) (docs/smearing.md, "Projection").

    Every case commutes with w -> g w h^dag (g, h in the group).  A w without a preferred
    element (zero, or not finite) gives the identity, respectively NaN.
    """
    n = w.shape[0]
    if n == 1:
        a = abs(w[0, 0])
        v[0, 0] = w[0, 0] / a if a > 0.0 else 1.0 + 0.0j
        return
    if n == 2:
        a = 0.5 * (w[0, 0] + w[1, 1].conjugate())
        b = 0.5 * (w[0, 1] - w[1, 0].conjugate())
        k = math.sqrt(a.real ** 2 + a.imag ** 2 + b.real ** 2 + b.imag ** 2)
        if k == 0.0:
            a = 1.0 + 0.0j
            b = 0.0j
            k = 1.0
        k = 1.0 / k
        v[0, 0] = a * k
        v[0, 1] = b * k
        v[1, 0] = -b.conjugate() * k
        v[1, 1] = a.conjugate() * k
        return
    finite = True
    for i in range(n):
        for j in range(n):
            if not (math.isfinite(w[i, j].real) and math.isfinite(w[i, j].imag)):
                finite = False
    if not finite:
        for i in range(n):
            for j in range(n):
                v[i, j] = complex(math.nan, math.nan)
        return
    left = np.empty((n, n), np.complex128)
    rdag = np.empty((n, n), np.complex128)
    s = np.empty(n)
    if not _svd_jacobi(w, left, s, rdag):
        wc = np.empty((n, n), np.complex128)
        copy_to(wc, w)
        left, s, rdag = np.linalg.svd(wc)
    d = _det(left) * _det(rdag)
    psi = -math.atan2(d.imag, d.real)
    theta = np.empty(n)
    max_phases(s, psi, theta)
    for j in range(n):
        ph = complex(math.cos(theta[j]), math.sin(theta[j]))
        for i in range(n):
            left[i, j] *= ph
    mul_nn(left, rdag, v)


@njit(parallel=True, cache=True)
def project_stack(w, out):
    """out[k] = Proj(w[k])."""
    for k in prange(w.shape[0]):
        project_matrix(w[k], out[k])
