r"""Minimax rational approximations r(x) ~ x^power for RHMC (Remez exchange algorithm).

    r(x) = a0 + sum_{i=1}^{n} a_i / (x + b_i)  ~  x^power   on [lo, hi],  0 < lo < hi,

of degree (n, n), minimising the maximal *relative* error |r(x) / x^power - 1| (Clark &
Kennedy's AlgRemez problem).  The shifts b_i (``poles``: r has its poles at x = -b_i) are
the shifts of one multi-shift CG, so that r(A) b = a0 b + sum a_i (A + b_i)^{-1} b.

Method (in the scaled variable y = x / sqrt(lo hi), y in [k^-1/2, k^1/2], k = hi / lo; the
problem only depends on k, and x^p = sqrt(lo hi)^p y^p):

1. *Reference.*  2n + 2 points y_j, started at Zolotarev's extremal points for x^-1/2,
   x_j = 1 / dn^2(j K / (2n + 1), m = 1 - 1/k) on [1, k] (exact for power -1/2 and within a
   fraction of a percent in log x of the optimum for the other powers).
2. *Levelled error.*  P(y) / Q(y) = y^p (1 + (-1)^j E) at the reference is the generalised
   eigenproblem  [V_P / f, -V_Q] c = E [0, S V_Q] c  for the coefficients c = (p, q)
   (monomials, rows and columns equilibrated) in mpmath at ``dps`` = max(40 + n log10(k) / 4,
   30 - log10(predicted error)) digits.  Its n + 1 eigenvalues E come from the
   (n+1) x (n+1) block of A^-1 B (in double); the one of smallest |E| whose Q has no zero in
   the interval is taken (the others are spurious solutions with a pole-zero pair inside;
   a fixed-point iteration on E, as in AlgRemez, can converge to them) and refined by
   inverse iteration in mpmath.
3. *Exchange.*  The error e(y) = P / (Q y^p) - 1 is evaluated in double-double arithmetic
   (Horner, y^p from mpmath) on a log grid between the reference points; its sign runs
   give the 2n + 2 alternating local extrema, each refined by a golden-section search in
   log y.  They become the new reference.
4. *Stop* when the extrema are equal to a relative ``REMEZ_SPREAD`` = 1e-4
   ((max|e_j| - min|e_j|) / max|e_j|; by de la Vallee Poussin the minimax error then lies
   between |E| and max|e_j|), at most ``MAX_REMEZ_ITERATIONS`` exchanges (RemezError ->
   ValueError beyond).  From Zolotarev's reference this takes 1 exchange for x^-1/2 and
   2-3 for the other powers.  Levelled errors below 1e-26 (far below double precision;
   narrow intervals at high order) are accepted without exchange.

Partial fractions: the n zeros -B_i of Q (all real and negative for the powers of RHMC)
are bracketed by sign changes of Q(-u) on a log grid and refined by safeguarded Newton in
mpmath; the residues are P(-B_i) / Q'(-B_i), a0 the leading coefficient of P.  An
approximation whose poles are not all real and negative raises ValueError.

Check: ``error`` is the maximal relative error of the final *double-precision* partial
fractions on 4000 log-spaced points plus the Remez extrema; ``bound`` is the levelled
Remez error |E|.  They must agree (within 5 % plus the rounding of the double evaluation),
otherwise RuntimeError.  power = -1 is exact at order 1 (a0 = 0, a1 = 1, b1 = 0).

Limitation: for positive powers the residues are negative and the partial fractions cancel
at small x, so the double-precision error cannot go below ~ eps x (condition of the sum):
on [1e-4, 64] x^1/4 reaches ~1e-12, x^1/2 only ~6e-12.  A tol below that raises ValueError
("... the double-precision evaluation of the partial fractions limits it").
"""
from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np

from .multishift import multishift_cg

#: the Remez exchange stops when (max|e_j| - min|e_j|) / max|e_j| <= REMEZ_SPREAD
REMEZ_SPREAD = 1e-4
MAX_REMEZ_ITERATIONS = 40
#: log-spaced points of the double-precision check (plus the Remez extrema)
CHECK_POINTS = 4000
#: levelled errors below this are beyond the double-double error function (no exchange needed)
DD_RESOLUTION = 1e-26
#: smallest tolerance a double-precision check can confirm
MIN_TOL = 1e-15


def _fmt_power(p: float) -> str:
    f = Fraction(p).limit_denominator(1000)
    return str(f) if abs(float(f) - p) <= 1e-12 * max(1.0, abs(p)) else f"{p:g}"


def _describe(power, lo, hi, order=None) -> str:
    s = f"the rational approximation of x^{_fmt_power(power)} on [{lo:g}, {hi:g}]"
    return s + (f" of order {order}" if order is not None else "")


# -- double-double arithmetic (vectorised; for the error function in the exchange step) ----
_SPLITTER = 134217729.0  # 2^27 + 1


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _quick_two_sum(a, b):
    s = a + b
    return s, b - (s - a)


def _split(a):
    t = _SPLITTER * a
    hi = t - (t - a)
    return hi, a - hi


def _two_prod(a, b):
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _dd_horner(ch, cl, y):
    """sum_k c_k y^k with double-double coefficients (ch, cl) at double points y."""
    sh = np.full_like(y, ch[-1])
    sl = np.full_like(y, cl[-1])
    for k in range(len(ch) - 2, -1, -1):
        p, e = _two_prod(sh, y)
        e = e + sl * y
        s1, s2 = _two_sum(p, ch[k])
        s2 = s2 + e + cl[k]
        sh, sl = _quick_two_sum(s1, s2)
    return sh, sl


def _dd_div(ah, al, bh, bl):
    q1 = ah / bh
    p, e = _two_prod(q1, bh)
    r = ((ah - p) - e + al - q1 * bl)
    return _quick_two_sum(q1, r / bh)


def _to_dd(ctx, cs):
    hi = np.array([float(c) for c in cs])
    lo = np.array([float(c - ctx.mpf(h)) for c, h in zip(cs, hi)])
    return hi, lo


class _ErrorFunction:
    """e(y) = P(y) / (Q(y) y^p) - 1 to ~30 digits (double-double Horner, y^-p by mpmath)."""

    def __init__(self, ctx, P, Q, p):
        self.ph, self.pl = _to_dd(ctx, P)
        self.qh, self.ql = _to_dd(ctx, Q)
        self.gctx = mpmath.MPContext()
        self.gctx.dps = 34
        self.mp_minus_p = -self.gctx.mpf(p)

    def q_values(self, y):
        return _dd_horner(self.qh, self.ql, y)[0]

    def __call__(self, y):
        y = np.asarray(y, dtype=np.float64)
        ph, pl = _dd_horner(self.ph, self.pl, y)
        qh, ql = _dd_horner(self.qh, self.ql, y)
        rh, rl = _dd_div(ph, pl, qh, ql)
        mpf, mp_p = self.gctx.mpf, self.mp_minus_p
        g = [mpf(float(v)) ** mp_p for v in y.ravel()]
        gh = np.array([float(v) for v in g]).reshape(y.shape)
        gl = np.array([float(v - mpf(h)) for v, h in zip(g, gh.ravel())]).reshape(y.shape)
        p, e = _two_prod(rh, gh)
        e = e + rh * gl + rl * gh
        return (p - 1.0) + e


# -- mpmath linear algebra on lists (faster than mpmath.matrix for these sizes) -----------
def _lu_factor(A):
    n = len(A)
    M = [list(r) for r in A]
    perm = list(range(n))
    for k in range(n):
        piv = max(range(k, n), key=lambda i: abs(M[i][k]))
        if not M[piv][k]:
            raise ZeroDivisionError("singular matrix")
        if piv != k:
            M[k], M[piv] = M[piv], M[k]
            perm[k], perm[piv] = perm[piv], perm[k]
        pk = M[k]
        inv = 1 / pk[k]
        for i in range(k + 1, n):
            Mi = M[i]
            f = Mi[k] * inv
            Mi[k] = f
            if f:
                for j in range(k + 1, n):
                    Mi[j] -= f * pk[j]
    return M, perm


def _lu_solve(lu, b):
    M, perm = lu
    n = len(M)
    y = [b[perm[i]] for i in range(n)]
    for i in range(n):
        Mi = M[i]
        s = y[i]
        for j in range(i):
            s -= Mi[j] * y[j]
        y[i] = s
    for i in range(n - 1, -1, -1):
        Mi = M[i]
        s = y[i]
        for j in range(i + 1, n):
            s -= Mi[j] * y[j]
        y[i] = s / Mi[i]
    return y


class RemezError(ArithmeticError):
    """The Remez iteration failed (no pole-free levelled solution, no convergence)."""


# -- the Remez algorithm ----------------------------------------------------------------------
def _log_rate(kappa: float) -> float:
    """Zolotarev's asymptotics for x^-1/2: error ~ 2 exp(-n rate), rate = 2 pi K(1/k) / K(1 - 1/k)."""
    ctx = mpmath.MPContext()
    ctx.dps = 20
    return float(2 * ctx.pi * ctx.ellipk(1 / ctx.mpf(kappa)) / ctx.ellipk(1 - 1 / ctx.mpf(kappa)))


def _dps(n: int, kappa: float) -> int:
    """Working digits: the monomial basis loses ~ n log10(k) / 4 digits, and the levelled
    error (predicted by Zolotarev's asymptotics) must be resolved with 30 digits to spare."""
    predicted = (n * _log_rate(kappa) - math.log(2.0)) / math.log(10.0)
    return int(max(40 + math.ceil(0.25 * n * math.log10(kappa)), math.ceil(predicted) + 30))


def _zolotarev_reference(n: int, kappa: float) -> np.ndarray:
    """Extremal points of Zolotarev's best relative approximation of x^-1/2 on [1, kappa],
    x_j = 1 / dn^2(j K / (2n+1) | 1 - 1/kappa), mapped to y = x / sqrt(kappa)."""
    ctx = mpmath.MPContext()
    ctx.dps = 30
    m2 = 1 - 1 / ctx.mpf(kappa)
    K = ctx.ellipk(m2)
    x = [1 / ctx.ellipfun("dn", j * K / (2 * n + 1), m=m2) ** 2 for j in range(2 * n + 2)]
    y = np.array([float(v / ctx.sqrt(kappa)) for v in x])
    y[0], y[-1] = 1.0 / math.sqrt(kappa), math.sqrt(kappa)
    return np.maximum.accumulate(y)


def _levelled_solution(ctx, p, n, ref, ylo, yhi):
    """Coefficients (P, Q monic, in y) and E with P/Q = y^p (1 + (-1)^j E) at the reference,
    the pole-free solution of smallest |E| (module docstring, step 2)."""
    m = 2 * n + 2
    A, B = [], []
    for j, yv in enumerate(ref):
        y = ctx.mpf(float(yv))
        f = y ** p
        z = 1 if j % 2 == 0 else -1
        pw = [ctx.one]
        for _ in range(n):
            pw.append(pw[-1] * y)
        sc = 1 / pw[n] if yv > 1.0 else ctx.one          # row equilibration
        A.append([pw[k] / f * sc for k in range(n + 1)] + [-pw[k] * sc for k in range(n + 1)])
        B.append([z * pw[k] * sc for k in range(n + 1)])   # the q-columns of B (p-columns are 0)
    cs = []
    for c in range(m):                                       # column equilibration
        s = 1 / max(abs(A[j][c]) for j in range(m))
        cs.append(s)
        for j in range(m):
            A[j][c] *= s
        if c > n:
            for j in range(m):
                B[j][c - n - 1] *= s
    lu = _lu_factor(A)
    C2 = np.empty((n + 1, n + 1))
    for c in range(n + 1):
        col = _lu_solve(lu, [B[j][c] for j in range(m)])
        C2[:, c] = [float(v) for v in col[n + 1:]]
    if not np.all(np.isfinite(C2)):
        raise RemezError("the levelled-error eigenproblem is not finite")
    mu, V = np.linalg.eig(C2)
    qscale = np.array([float(s) for s in cs[n + 1:]])
    grid = np.geomspace(ylo, yhi, 64 * (n + 1))
    tried = []
    for i in np.argsort(-np.abs(mu)):
        if mu[i] == 0 or abs(mu[i].imag) > 1e-6 * abs(mu[i]):
            continue
        v = V[:, i].real
        q = v * qscale
        roots = np.roots(q[::-1] / np.max(np.abs(q)))
        inside = [r for r in roots if abs(r.imag) <= 1e-6 * abs(r) and 0.99 * ylo <= r.real <= 1.01 * yhi]
        tried.append(1 / mu[i].real)
        if inside:
            continue
        sol = _inverse_iteration(ctx, A, B, n, 1 / mu[i].real, v, cs)
        if sol is None:
            continue
        P, Q, E = sol
        qv = _ErrorFunction(ctx, P, Q, p).q_values(np.concatenate([grid, np.asarray(ref, float)]))
        if np.all(qv > 0) or np.all(qv < 0):
            return P, Q, E
    raise RemezError(f"no pole-free levelled solution (candidate errors {[f'{e:.2e}' for e in tried]})")


def _inverse_iteration(ctx, A, B, n, E0, v, cs):
    """Refine the eigenpair (E0, q = v) of A c = E B c in mpmath; returns (P, Q monic, E)."""
    m = 2 * n + 2
    sigma = ctx.mpf(E0)
    try:
        lu = _lu_factor([[A[j][k] - (sigma * B[j][k - n - 1] if k > n else 0) for k in range(m)]
                         for j in range(m)])
    except ZeroDivisionError:  # sigma is an eigenvalue to working precision
        sigma *= 1 + ctx.mpf(10) ** (-ctx.dps // 2)
        lu = _lu_factor([[A[j][k] - (sigma * B[j][k - n - 1] if k > n else 0) for k in range(m)]
                         for j in range(m)])
    q = [ctx.mpf(float(x)) for x in v]
    c = None
    E = None
    eps = ctx.mpf(10) ** (-(ctx.dps // 2))
    for _ in range(12):
        rhs = [ctx.fsum(B[j][k] * q[k] for k in range(n + 1)) for j in range(m)]
        w = _lu_solve(lu, rhs)
        if c is not None:
            k = max(range(m), key=lambda i: abs(c[i]))
            E_new = sigma + c[k] / w[k]          # w = c / (E - sigma)
            if E is not None and abs(E_new - E) <= eps * abs(E_new):
                E = E_new
                c = w
                break
            E = E_new
        nrm = max(abs(x) for x in w)
        c = [x / nrm for x in w]
        q = c[n + 1:]
    else:
        return None
    coef = [c[k] * cs[k] for k in range(m)]
    lead = coef[-1]
    if not lead:
        return None
    P = [x / lead for x in coef[:n + 1]]
    Q = [x / lead for x in coef[n + 1:]]
    return P, Q, E


def _extrema(err, ref, ylo, yhi, m, per_gap=12, golden=24):
    """The m alternating local extrema of err (module docstring, step 3): (points, values)."""
    pts = np.unique(np.concatenate([[ylo], np.asarray(ref, float), [yhi]]))
    lp = np.log(pts)
    g = np.concatenate([np.linspace(lp[i], lp[i + 1], per_gap, endpoint=False) for i in range(len(lp) - 1)]
                       + [lp[-1:]])
    e = err(np.exp(g))
    if not np.all(np.isfinite(e)):
        raise RemezError("the error function has a pole in the interval")
    sg = np.sign(e)
    for i in range(len(sg)):
        if sg[i] == 0:
            sg[i] = sg[i - 1] if i else 1.0
    runs = []
    start = 0
    for i in range(1, len(g) + 1):
        if i == len(g) or sg[i] != sg[start]:
            k = start + int(np.argmax(np.abs(e[start:i])))
            runs.append([sg[start], k, abs(e[k])])
            start = i
    while len(runs) > m:   # keep m alternating extrema with the largest values
        if len(runs) == m + 1:
            runs.pop(0 if runs[0][2] < runs[-1][2] else -1)
            continue
        k = min(range(len(runs)), key=lambda i: runs[i][2])
        if k == 0 or k == len(runs) - 1:
            runs.pop(k)
        else:
            a, b = runs[k - 1], runs[k + 1]
            runs[k - 1:k + 2] = [a if a[2] >= b[2] else b]
    if len(runs) < m:
        raise RemezError(f"the error alternates only {len(runs)} times, {m} needed")
    idx = np.array([r[1] for r in runs])
    s = np.array([r[0] for r in runs])
    a = g[np.maximum(idx - 1, 0)]
    b = g[np.minimum(idx + 1, len(g) - 1)]
    gr = (math.sqrt(5.0) - 1.0) / 2.0
    c = b - gr * (b - a)
    d = a + gr * (b - a)
    fc = s * err(np.exp(c))
    fd = s * err(np.exp(d))
    for _ in range(golden):
        left = fc > fd                      # maximum in [a, d]
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        newx = np.where(left, b - gr * (b - a), a + gr * (b - a))
        fnew = s * err(np.exp(newx))
        c, d = np.where(left, newx, d), np.where(left, c, newx)
        fc, fd = np.where(left, fnew, fd), np.where(left, fc, fnew)
    xm = np.where(fc > fd, c, d)
    fm = np.maximum(fc, fd)
    fg = s * e[idx]
    grid_better = fg >= fm
    xm = np.where(grid_better, g[idx], xm)
    fm = np.where(grid_better, fg, fm)
    return np.exp(xm), s * fm


@dataclass(frozen=True)
class _Remez:
    P: tuple
    Q: tuple
    E: float
    extrema: tuple        # in y
    values: tuple         # e(y) at the extrema
    iterations: int
    spread: float
    dps: int
    ctx: object


def _remez(p: float, n: int, kappa: float) -> _Remez:
    ctx = mpmath.MPContext()
    ctx.dps = _dps(n, kappa)
    m = 2 * n + 2
    ylo, yhi = 1.0 / math.sqrt(kappa), math.sqrt(kappa)
    ref = _zolotarev_reference(n, kappa)
    spread = math.inf
    for it in range(1, MAX_REMEZ_ITERATIONS + 1):
        P, Q, E = _levelled_solution(ctx, p, n, ref, ylo, yhi)
        ext, vals = _extrema(_ErrorFunction(ctx, P, Q, p), ref, ylo, yhi, m)
        amax, amin = float(np.max(np.abs(vals))), float(np.min(np.abs(vals)))
        spread = (amax - amin) / amax if amax > 0 else 0.0
        # below DD_RESOLUTION the extrema cannot be resolved in double-double, and the
        # approximation is exact to double precision anyway
        if spread <= REMEZ_SPREAD or abs(E) < DD_RESOLUTION:
            return _Remez(tuple(P), tuple(Q), float(abs(E)), tuple(ext), tuple(vals), it, spread,
                          ctx.dps, ctx)
        ref = ext
    raise RemezError(f"no convergence in {MAX_REMEZ_ITERATIONS} exchanges (spread of the extrema "
                     f"{spread:.2e} > {REMEZ_SPREAD:g})")


def _negative_roots(ctx, Q, ylo, yhi):
    """The roots -B_i of the monic Q, all real and negative: B_i > 0 ascending, or None."""
    n = len(Q) - 1
    dQ = [k * Q[k] for k in range(1, n + 1)]

    def q_at(u):  # Q(-u)
        s = ctx.zero
        t = -u
        for cf in reversed(Q):
            s = s * t + cf
        return s

    def dq_at(u):  # d/du Q(-u) = -Q'(-u)
        s = ctx.zero
        t = -u
        for cf in reversed(dQ):
            s = s * t + cf
        return -s

    for per_decade, pad in ((8, 10), (40, 16)):
        lo_, hi_ = math.log10(ylo) - pad, math.log10(yhi) + pad
        us = [ctx.mpf(10) ** ctx.mpf(v) for v in np.linspace(lo_, hi_, int((hi_ - lo_) * per_decade) + 1)]
        vals = [q_at(u) for u in us]
        brackets = [(us[i], us[i + 1], vals[i]) for i in range(len(us) - 1)
                    if vals[i] == 0 or ctx.sign(vals[i]) != ctx.sign(vals[i + 1])]
        if len(brackets) == n:
            break
    else:
        return None
    roots = []
    eps = ctx.mpf(10) ** (-ctx.dps + 5)
    for a, b, fa in brackets:
        if fa == 0:
            roots.append(a)
            continue
        x = ctx.sqrt(a * b)
        for _ in range(400):
            fx = q_at(x)
            if fx == 0:
                break
            if ctx.sign(fx) == ctx.sign(fa):
                a, fa = x, fx
            else:
                b = x
            d = dq_at(x)
            xn = x - fx / d if d else (a + b) / 2
            if not (a < xn < b):
                xn = (a + b) / 2
            if abs(xn - x) <= eps * abs(x):
                x = xn
                break
            x = xn
        roots.append(x)
    return roots


@dataclass(frozen=True)
class _Result:
    power: float
    lo: float
    hi: float
    order: int
    a0: float
    residues: tuple
    poles: tuple
    bound: float
    error: float
    extrema: tuple
    iterations: int
    spread: float
    dps: int
    seconds: float
    rounding: float


def _evaluate(a0, residues, poles, x):
    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.shape, a0, dtype=np.float64)
    for a, b in zip(residues, poles):
        out += a / (x + b)
    return out


def _measure(power, lo, hi, a0, residues, poles, extra=()):
    """Max relative error of the double-precision partial fractions on the check grid and
    an estimate of its rounding (eps x condition of the sum)."""
    x = np.unique(np.concatenate([np.geomspace(lo, hi, CHECK_POINTS), np.asarray(extra, float),
                                  [lo, hi]]))
    x = x[(x >= lo) & (x <= hi)]
    r = _evaluate(a0, residues, poles, x)
    absum = np.full(x.shape, abs(a0))
    for a, b in zip(residues, poles):
        absum += abs(a) / (x + b)
    err = np.abs(r / x ** power - 1.0)
    rounding = float(np.max((len(poles) + 2) * np.finfo(float).eps * absum / np.abs(r)))
    return float(np.max(err)), rounding


@functools.lru_cache(maxsize=256)
def _approximation(power: float, lo: float, hi: float, order: int) -> _Result:
    t0 = time.perf_counter()
    if power == -1.0:
        return _Result(power, lo, hi, 1, 0.0, (1.0,), (0.0,), 0.0, 0.0, (lo, hi), 0, 0.0, 0,
                       time.perf_counter() - t0, 0.0)
    kappa = hi / lo
    n = order
    try:
        rz = _remez(power, n, kappa)
    except RemezError as e:
        raise ValueError(f"{_describe(power, lo, hi, order)}: the Remez algorithm failed: {e}") from None
    ctx = rz.ctx
    ylo, yhi = 1.0 / math.sqrt(kappa), math.sqrt(kappa)
    B = _negative_roots(ctx, list(rz.Q), ylo, yhi)
    if B is None:
        raise ValueError(f"{_describe(power, lo, hi, order)}: the denominator does not have {n} real "
                         f"negative zeros (poles); x^{_fmt_power(power)} cannot be written as "
                         f"a0 + sum a_i / (x + b_i) at this order")
    P = list(rz.P)
    Q = list(rz.Q)
    dQ = [k * Q[k] for k in range(1, n + 1)]
    A = [ctx.polyval(P[::-1], -b) / ctx.polyval(dQ[::-1], -b) for b in B]
    s = ctx.sqrt(ctx.mpf(lo) * ctx.mpf(hi))
    sp = s ** ctx.mpf(power)
    a0 = float(sp * P[-1])
    residues = tuple(float(sp * s * a) for a in A)
    poles = tuple(float(s * b) for b in B)
    if not all(b > 0 for b in poles):
        raise ValueError(f"{_describe(power, lo, hi, order)}: a shift b_i <= 0 ({min(poles):g})")
    extrema = tuple(float(v) * float(s) for v in rz.extrema)
    error, rounding = _measure(power, lo, hi, a0, residues, poles, extrema)
    slack = 4.0 * rounding + 1e-15
    if not (0.95 * rz.E - slack <= error <= 1.05 * rz.E + slack):
        raise RuntimeError(f"{_describe(power, lo, hi, order)}: the measured relative error {error:.3e} "
                           f"disagrees with the Remez bound {rz.E:.3e}")
    return _Result(power, lo, hi, n, a0, residues, poles, rz.E, error, extrema, rz.iterations, rz.spread,
                   rz.dps, time.perf_counter() - t0, rounding)


def _predicted_order(kappa: float, tol: float) -> int:
    """The order at which Zolotarev's asymptotics 2 exp(-n rate) reaches tol."""
    return max(1, int(math.ceil(math.log(2.0 / tol) / _log_rate(kappa))))


def _minimal_order(power, lo, hi, tol, max_order) -> int:
    if power == -1.0:
        return 1
    n = min(max(_predicted_order(hi / lo, tol), 1), max_order)
    if _approximation(power, lo, hi, n).error <= tol:
        while n > 1 and _approximation(power, lo, hi, n - 1).error <= tol:
            n -= 1
        return n
    while n < max_order:
        res = _approximation(power, lo, hi, n)
        if res.bound <= 0.1 * tol:  # the Remez error is far below tol: rounding limits the error
            raise ValueError(f"{_describe(power, lo, hi, n)} has relative error {res.error:.3g} > tol "
                             f"{tol:g}: the double-precision evaluation of the partial fractions limits "
                             f"it (Remez bound {res.bound:.2g}); ask for a larger tol")
        n += 1
        if _approximation(power, lo, hi, n).error <= tol:
            return n
    res = _approximation(power, lo, hi, max_order)
    raise ValueError(f"{_describe(power, lo, hi, max_order)} has relative error {res.error:.3g} > tol "
                     f"{tol:g} (max_order = {max_order} reached)")


class RationalApproximation:
    """r(x) = a0 + sum_i a_i / (x + b_i), the minimax relative approximation of x^power on [lo, hi].

    Parameters
    ----------
    power : non-zero real (RHMC: -1/2, -1/4, 1/4, 1/8, -3/4, ...; -1 is exact at order 1).
    lo, hi : the interval, 0 < lo < hi (the spectral bounds of A).
    order : degree n of numerator and denominator; None chooses the smallest n whose error
        is <= tol.
    tol : required maximal relative error (checked: ValueError if the approximation of the
        given order misses it).
    max_order : cap of the automatic order.

    Attributes: ``power, lo, hi, order, a0, residues (a_i), poles (the shifts b_i > 0; r has
    its poles at -b_i), error`` (measured maximal relative error in double precision),
    ``bound`` (the Remez levelled error), ``extrema`` (the equioscillation points),
    ``iterations`` (Remez exchanges), ``seconds``.  Results are cached per
    (power, lo, hi, order).
    """

    def __init__(self, power, lo, hi, order=None, tol=None, max_order=40):
        power, lo, hi = float(power), float(lo), float(hi)
        if not math.isfinite(power) or power == 0.0:
            raise ValueError(f"power must be a non-zero finite number, got {power}")
        if not (math.isfinite(lo) and math.isfinite(hi) and 0.0 < lo < hi):
            raise ValueError(f"the interval must satisfy 0 < lo < hi, got [{lo:g}, {hi:g}]")
        max_order = int(max_order)
        if tol is not None:
            tol = float(tol)
            if not (tol > 0 and math.isfinite(tol)):
                raise ValueError(f"tol must be positive, got {tol}")
        if order is None:
            if tol is None:
                raise ValueError("give the order or the tolerance tol of the rational approximation")
            if tol < MIN_TOL and power != -1.0:
                raise ValueError(f"{_describe(power, lo, hi)}: tol {tol:g} is below what a double-precision "
                                 f"check can confirm ({MIN_TOL:g})")
            order = _minimal_order(power, lo, hi, tol, max_order)
        else:
            if int(order) != order or int(order) < 1:
                raise ValueError(f"order must be a positive integer, got {order}")
            order = int(order)
            if order > max_order:
                raise ValueError(f"order {order} exceeds max_order = {max_order}")
        res = _approximation(power, lo, hi, 1 if power == -1.0 else order)
        self._set(res)
        self.tol = tol
        if tol is not None and res.error > tol:
            raise ValueError(f"{_describe(power, lo, hi, res.order)} has relative error {res.error:.3g} "
                             f"> tol {tol:g}")

    def _set(self, res: _Result) -> None:
        self.power, self.lo, self.hi, self.order = res.power, res.lo, res.hi, res.order
        self.a0 = res.a0
        self.residues = np.array(res.residues)
        self.poles = np.array(res.poles)
        self.error, self.bound = res.error, res.bound
        self.extrema = np.array(res.extrema)
        self.iterations, self.seconds, self.dps = res.iterations, res.seconds, res.dps
        self.rounding = res.rounding

    # -- evaluation ----------------------------------------------------------------------
    def __call__(self, x):
        """r(x) for scalars or arrays (float)."""
        out = _evaluate(self.a0, self.residues, self.poles, x)
        return float(out) if out.ndim == 0 else out

    def relative_error(self, x):
        """r(x) / x^power - 1."""
        x = np.asarray(x, dtype=np.float64)
        return _evaluate(self.a0, self.residues, self.poles, x) / x ** self.power - 1.0

    def apply(self, apply_op, b, tol=1e-10, solver=multishift_cg, maxiter=None):
        """r(A) b = a0 b + sum_i a_i (A + b_i)^{-1} b by one multi-shift solve; returns (y, info).

        ``tol`` is the relative residual of each shifted system; ``solver`` has the signature
        of :func:`multishift_cg`, ``solver(apply, b, shifts, tol=, maxiter=)``.
        """
        b = np.asarray(b)
        xs, info = solver(apply_op, b, list(self.poles), tol=tol, maxiter=maxiter)
        y = self.a0 * b
        for a, x in zip(self.residues, xs):
            y = y + a * x
        return np.ascontiguousarray(y, dtype=xs[0].dtype if len(xs) else b.dtype), info

    # -- (de)serialisation ---------------------------------------------------------------
    def params(self) -> dict:
        return {"power": self.power, "lo": self.lo, "hi": self.hi, "order": self.order,
                "error": self.error, "bound": self.bound, "a0": self.a0,
                "residues": [float(a) for a in self.residues], "poles": [float(b) for b in self.poles],
                "method": "remez"}

    @classmethod
    def from_params(cls, d: dict) -> "RationalApproximation":
        """Rebuild from :meth:`params` without running Remez; the error is re-measured and must
        not exceed the stored one (ValueError otherwise)."""
        power, lo, hi = float(d["power"]), float(d["lo"]), float(d["hi"])
        a0 = float(d["a0"])
        residues = tuple(float(a) for a in d["residues"])
        poles = tuple(float(b) for b in d["poles"])
        if len(residues) != len(poles) or len(poles) != int(d["order"]):
            raise ValueError(f"inconsistent rational approximation parameters: order {d['order']}, "
                             f"{len(residues)} residues, {len(poles)} poles")
        error, rounding = _measure(power, lo, hi, a0, residues, poles)
        stored = float(d.get("error", error))
        if error > 1.05 * stored + 4 * rounding + 1e-15:
            raise ValueError(f"{_describe(power, lo, hi, len(poles))}: the stored parameters give relative "
                             f"error {error:.3g}, more than the recorded {stored:.3g}")
        self = cls.__new__(cls)
        self._set(_Result(power, lo, hi, len(poles), a0, residues, poles, float(d.get("bound", stored)),
                          error, (), 0, 0.0, 0, 0.0, rounding))
        self.tol = None
        return self

    def __repr__(self) -> str:
        return (f"RationalApproximation(power={_fmt_power(self.power)}, lo={self.lo:g}, hi={self.hi:g}, "
                f"order={self.order}, error={self.error:.2e})")
