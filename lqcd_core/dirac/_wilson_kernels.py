"""Numba kernels of the Wilson hopping term (docs/conventions.md, "Wilson fermions").

All kernels compute, for every output site x (``prange``),

    acc(x) = sum_mu [ s_f(mu, x) (1 + g gamma_mu) U_mu(x) psi(x + mu)
                    + s_b(mu, x) (1 - g gamma_mu) U_mu(x - mu)^dag psi(x - mu) ]

with g = -1 (the hopping matrix H of M = 1 - kappa H) or g = +1 for ``dagger``
(H^dag = gamma5 H gamma5 swaps the projectors), and then one of

    mode 0:  out = coef acc
    mode 1:  out = dpsi + coef acc
    mode 2:  out = B dpsi + coef acc          (B: per-site clover blocks)
    mode 3:  out = B (coef acc)

Spin projection.  gamma_mu = [[0, A], [A^dag, 0]] with a monomial A (lqcd_core.dirac.gamma),
so (1 + g gamma_mu) psi = (h, g A^dag h) with the half-spinor h = psi_up + g A psi_down:
only ns/2 colour vectors are multiplied by each link.

Sites.  ``fwd[mu, k]`` / ``bwd[mu, k]`` index ``psi`` (the input parity, or the whole lattice);
the forward link is ``u_here[mu, k]`` (links leaving the output sites), the backward link
``u_there[mu, bwd[mu, k]]``; ``sf[mu, k]`` / ``sb[mu, k]`` are the boundary signs of those two
links (-1 across the antiperiodic time boundary, else +1).  For the full lattice
u_here = u_there = U; for even-odd operators they are the links of the two parities.

Clover blocks ``blocks[k, chi]`` are the (ns/2 nc) x (ns/2 nc) chirality blocks of the
(Hermitian) spin-colour matrix at site k, row index s * nc + a for spin chi * ns/2 + s,
colour a: full matrices (n, 2, m, m) for ``hop_generic`` and ``apply_blocks``, packed
(n, 2, 21) for ``hop_su3`` (``pack_hermitian``: the 6 diagonal entries, then the upper
triangle row by row; 672 instead of 1152 bytes per site in double precision).

``hop_su3`` is the D = 4, nc = 3 kernel written out on scalars (the four directions are
unrolled with literal mu, so the projections by +-1 and +-i cost additions only);
``hop_generic`` serves every other case from the tables (perm, phase) of
lqcd_core.dirac.gamma.projection_tables.  Both are dtype-generic (complex64 / complex128).
The operators run D = 4, nc = 3 through ``_wilson_site_kernels.hop_site``, the same arithmetic
(the helpers below) on per-site link arrays; ``hop_su3`` stays as its reference in the tests.
"""
import numpy as np
from numba import njit, prange


def pack_hermitian(blocks: np.ndarray) -> np.ndarray:
    """(n, 2, m, m) Hermitian blocks -> (n, 2, m (m + 1) / 2): diagonal, then the upper triangle
    row by row (the layout of ``hop_su3``, m = 6)."""
    m = blocks.shape[-1]
    iu = np.triu_indices(m, 1)
    diag = np.diagonal(blocks, axis1=-2, axis2=-1)
    return np.ascontiguousarray(np.concatenate([diag, blocks[..., iu[0], iu[1]]], axis=-1))


# ---------------------------------------------------------------------------
# scalar helpers (D = 4, nc = 3)
# ---------------------------------------------------------------------------
@njit(inline="always", cache=True)
def _load(p, y):
    """The spinor p[y] as a 12-tuple (spin 0 colours 0..2, spin 1, spin 2, spin 3)."""
    return (p[y, 0, 0], p[y, 0, 1], p[y, 0, 2], p[y, 1, 0], p[y, 1, 1], p[y, 1, 2],
            p[y, 2, 0], p[y, 2, 1], p[y, 2, 2], p[y, 3, 0], p[y, 3, 1], p[y, 3, 2])


@njit(inline="always", cache=True)
def _sign(h, s):
    """s h for s = +-1: a branch taken only across the antiperiodic boundary."""
    if s < 0:
        return (-h[0], -h[1], -h[2], -h[3], -h[4], -h[5])
    return h


@njit(inline="always", cache=True)
def _umul(u, mu, x, h):
    """(U h0, U h1) for U = u[mu, x] and a half-spinor h (6-tuple)."""
    u00 = u[mu, x, 0, 0]
    u01 = u[mu, x, 0, 1]
    u02 = u[mu, x, 0, 2]
    u10 = u[mu, x, 1, 0]
    u11 = u[mu, x, 1, 1]
    u12 = u[mu, x, 1, 2]
    u20 = u[mu, x, 2, 0]
    u21 = u[mu, x, 2, 1]
    u22 = u[mu, x, 2, 2]
    return (u00 * h[0] + u01 * h[1] + u02 * h[2],
            u10 * h[0] + u11 * h[1] + u12 * h[2],
            u20 * h[0] + u21 * h[1] + u22 * h[2],
            u00 * h[3] + u01 * h[4] + u02 * h[5],
            u10 * h[3] + u11 * h[4] + u12 * h[5],
            u20 * h[3] + u21 * h[4] + u22 * h[5])


@njit(inline="always", cache=True)
def _udmul(u, mu, x, h):
    """(U^dag h0, U^dag h1) for U = u[mu, x]."""
    u00 = u[mu, x, 0, 0].conjugate()
    u01 = u[mu, x, 0, 1].conjugate()
    u02 = u[mu, x, 0, 2].conjugate()
    u10 = u[mu, x, 1, 0].conjugate()
    u11 = u[mu, x, 1, 1].conjugate()
    u12 = u[mu, x, 1, 2].conjugate()
    u20 = u[mu, x, 2, 0].conjugate()
    u21 = u[mu, x, 2, 1].conjugate()
    u22 = u[mu, x, 2, 2].conjugate()
    return (u00 * h[0] + u10 * h[1] + u20 * h[2],
            u01 * h[0] + u11 * h[1] + u21 * h[2],
            u02 * h[0] + u12 * h[1] + u22 * h[2],
            u00 * h[3] + u10 * h[4] + u20 * h[5],
            u01 * h[3] + u11 * h[4] + u21 * h[5],
            u02 * h[3] + u12 * h[4] + u22 * h[5])


# The projections and reconstructions below are written out per direction from
# lqcd_core.dirac.gamma.projection_tables (i z costs no multiplication); one small function
# per mu keeps every inlined copy small, which is what Numba's compile time depends on.
@njit(inline="always", cache=True)
def _proj0(g, q):
    """psi_up + g A_0 psi_down for the spinor q (``_load``), A_0 = -i s1."""
    if g < 0:
        return (complex(q[0].real - q[9].imag, q[0].imag + q[9].real),
                complex(q[1].real - q[10].imag, q[1].imag + q[10].real),
                complex(q[2].real - q[11].imag, q[2].imag + q[11].real),
                complex(q[3].real - q[6].imag, q[3].imag + q[6].real),
                complex(q[4].real - q[7].imag, q[4].imag + q[7].real),
                complex(q[5].real - q[8].imag, q[5].imag + q[8].real))
    return (complex(q[0].real + q[9].imag, q[0].imag - q[9].real),
            complex(q[1].real + q[10].imag, q[1].imag - q[10].real),
            complex(q[2].real + q[11].imag, q[2].imag - q[11].real),
            complex(q[3].real + q[6].imag, q[3].imag - q[6].real),
            complex(q[4].real + q[7].imag, q[4].imag - q[7].real),
            complex(q[5].real + q[8].imag, q[5].imag - q[8].real))


@njit(inline="always", cache=True)
def _proj1(g, q):
    """psi_up + g A_1 psi_down for the spinor q (``_load``), A_1 = -i s2."""
    if g < 0:
        return (q[0] + q[9], q[1] + q[10], q[2] + q[11], q[3] - q[6], q[4] - q[7], q[5] - q[8])
    return (q[0] - q[9], q[1] - q[10], q[2] - q[11], q[3] + q[6], q[4] + q[7], q[5] + q[8])


@njit(inline="always", cache=True)
def _proj2(g, q):
    """psi_up + g A_2 psi_down for the spinor q (``_load``), A_2 = -i s3."""
    if g < 0:
        return (complex(q[0].real - q[6].imag, q[0].imag + q[6].real),
                complex(q[1].real - q[7].imag, q[1].imag + q[7].real),
                complex(q[2].real - q[8].imag, q[2].imag + q[8].real),
                complex(q[3].real + q[9].imag, q[3].imag - q[9].real),
                complex(q[4].real + q[10].imag, q[4].imag - q[10].real),
                complex(q[5].real + q[11].imag, q[5].imag - q[11].real))
    return (complex(q[0].real + q[6].imag, q[0].imag - q[6].real),
            complex(q[1].real + q[7].imag, q[1].imag - q[7].real),
            complex(q[2].real + q[8].imag, q[2].imag - q[8].real),
            complex(q[3].real - q[9].imag, q[3].imag + q[9].real),
            complex(q[4].real - q[10].imag, q[4].imag + q[10].real),
            complex(q[5].real - q[11].imag, q[5].imag + q[11].real))


@njit(inline="always", cache=True)
def _proj3(g, q):
    """psi_up + g A_3 psi_down for the spinor q (``_load``), A_3 = 1."""
    if g < 0:
        return (q[0] - q[6], q[1] - q[7], q[2] - q[8], q[3] - q[9], q[4] - q[10], q[5] - q[11])
    return (q[0] + q[6], q[1] + q[7], q[2] + q[8], q[3] + q[9], q[4] + q[10], q[5] + q[11])


@njit(inline="always", cache=True)
def _recon0(g, a, k):
    """a + (k, g A_0^dag k): a 12-tuple spinor plus the reconstructed half-spinor k."""
    if g < 0:
        return (a[0] + k[0], a[1] + k[1], a[2] + k[2], a[3] + k[3], a[4] + k[4], a[5] + k[5],
                complex(a[6].real + k[3].imag, a[6].imag - k[3].real),
                complex(a[7].real + k[4].imag, a[7].imag - k[4].real),
                complex(a[8].real + k[5].imag, a[8].imag - k[5].real),
                complex(a[9].real + k[0].imag, a[9].imag - k[0].real),
                complex(a[10].real + k[1].imag, a[10].imag - k[1].real),
                complex(a[11].real + k[2].imag, a[11].imag - k[2].real))
    return (a[0] + k[0], a[1] + k[1], a[2] + k[2], a[3] + k[3], a[4] + k[4], a[5] + k[5],
            complex(a[6].real - k[3].imag, a[6].imag + k[3].real),
            complex(a[7].real - k[4].imag, a[7].imag + k[4].real),
            complex(a[8].real - k[5].imag, a[8].imag + k[5].real),
            complex(a[9].real - k[0].imag, a[9].imag + k[0].real),
            complex(a[10].real - k[1].imag, a[10].imag + k[1].real),
            complex(a[11].real - k[2].imag, a[11].imag + k[2].real))


@njit(inline="always", cache=True)
def _recon1(g, a, k):
    """a + (k, g A_1^dag k): a 12-tuple spinor plus the reconstructed half-spinor k."""
    if g < 0:
        return (a[0] + k[0], a[1] + k[1], a[2] + k[2], a[3] + k[3], a[4] + k[4], a[5] + k[5],
                a[6] - k[3], a[7] - k[4], a[8] - k[5], a[9] + k[0], a[10] + k[1], a[11] + k[2])
    return (a[0] + k[0], a[1] + k[1], a[2] + k[2], a[3] + k[3], a[4] + k[4], a[5] + k[5],
            a[6] + k[3], a[7] + k[4], a[8] + k[5], a[9] - k[0], a[10] - k[1], a[11] - k[2])


@njit(inline="always", cache=True)
def _recon2(g, a, k):
    """a + (k, g A_2^dag k): a 12-tuple spinor plus the reconstructed half-spinor k."""
    if g < 0:
        return (a[0] + k[0], a[1] + k[1], a[2] + k[2], a[3] + k[3], a[4] + k[4], a[5] + k[5],
                complex(a[6].real + k[0].imag, a[6].imag - k[0].real),
                complex(a[7].real + k[1].imag, a[7].imag - k[1].real),
                complex(a[8].real + k[2].imag, a[8].imag - k[2].real),
                complex(a[9].real - k[3].imag, a[9].imag + k[3].real),
                complex(a[10].real - k[4].imag, a[10].imag + k[4].real),
                complex(a[11].real - k[5].imag, a[11].imag + k[5].real))
    return (a[0] + k[0], a[1] + k[1], a[2] + k[2], a[3] + k[3], a[4] + k[4], a[5] + k[5],
            complex(a[6].real - k[0].imag, a[6].imag + k[0].real),
            complex(a[7].real - k[1].imag, a[7].imag + k[1].real),
            complex(a[8].real - k[2].imag, a[8].imag + k[2].real),
            complex(a[9].real + k[3].imag, a[9].imag - k[3].real),
            complex(a[10].real + k[4].imag, a[10].imag - k[4].real),
            complex(a[11].real + k[5].imag, a[11].imag - k[5].real))


@njit(inline="always", cache=True)
def _recon3(g, a, k):
    """a + (k, g A_3^dag k): a 12-tuple spinor plus the reconstructed half-spinor k."""
    if g < 0:
        return (a[0] + k[0], a[1] + k[1], a[2] + k[2], a[3] + k[3], a[4] + k[4], a[5] + k[5],
                a[6] - k[0], a[7] - k[1], a[8] - k[2], a[9] - k[3], a[10] - k[4], a[11] - k[5])
    return (a[0] + k[0], a[1] + k[1], a[2] + k[2], a[3] + k[3], a[4] + k[4], a[5] + k[5],
            a[6] + k[0], a[7] + k[1], a[8] + k[2], a[9] + k[3], a[10] + k[4], a[11] + k[5])


@njit(inline="always", cache=True)
def _dir0(gf, gb, psi, u_here, u_there, fwd, bwd, sf, sb, x, a):
    """a + the hops along mu = 0: forward with 1 + gf gamma_0, backward with 1 + gb gamma_0."""
    y = fwd[0, x]
    h = _sign(_proj0(gf, _load(psi, y)), sf[0, x])
    a = _recon0(gf, a, _umul(u_here, 0, x, h))
    y = bwd[0, x]
    h = _sign(_proj0(gb, _load(psi, y)), sb[0, x])
    return _recon0(gb, a, _udmul(u_there, 0, y, h))


@njit(inline="always", cache=True)
def _dir1(gf, gb, psi, u_here, u_there, fwd, bwd, sf, sb, x, a):
    """a + the hops along mu = 1: forward with 1 + gf gamma_1, backward with 1 + gb gamma_1."""
    y = fwd[1, x]
    h = _sign(_proj1(gf, _load(psi, y)), sf[1, x])
    a = _recon1(gf, a, _umul(u_here, 1, x, h))
    y = bwd[1, x]
    h = _sign(_proj1(gb, _load(psi, y)), sb[1, x])
    return _recon1(gb, a, _udmul(u_there, 1, y, h))


@njit(inline="always", cache=True)
def _dir2(gf, gb, psi, u_here, u_there, fwd, bwd, sf, sb, x, a):
    """a + the hops along mu = 2: forward with 1 + gf gamma_2, backward with 1 + gb gamma_2."""
    y = fwd[2, x]
    h = _sign(_proj2(gf, _load(psi, y)), sf[2, x])
    a = _recon2(gf, a, _umul(u_here, 2, x, h))
    y = bwd[2, x]
    h = _sign(_proj2(gb, _load(psi, y)), sb[2, x])
    return _recon2(gb, a, _udmul(u_there, 2, y, h))


@njit(inline="always", cache=True)
def _dir3(gf, gb, psi, u_here, u_there, fwd, bwd, sf, sb, x, a):
    """a + the hops along mu = 3: forward with 1 + gf gamma_3, backward with 1 + gb gamma_3."""
    y = fwd[3, x]
    h = _sign(_proj3(gf, _load(psi, y)), sf[3, x])
    a = _recon3(gf, a, _umul(u_here, 3, x, h))
    y = bwd[3, x]
    h = _sign(_proj3(gb, _load(psi, y)), sb[3, x])
    return _recon3(gb, a, _udmul(u_there, 3, y, h))

@njit(inline="always", cache=True)
def _blk6(b, x, c, v):
    """B v for the packed Hermitian 6 x 6 chirality block b[x, c] (``pack_hermitian``)
    and a 6-tuple v."""
    d0 = b[x, c, 0].real
    d1 = b[x, c, 1].real
    d2 = b[x, c, 2].real
    d3 = b[x, c, 3].real
    d4 = b[x, c, 4].real
    d5 = b[x, c, 5].real
    e01 = b[x, c, 6]
    e02 = b[x, c, 7]
    e03 = b[x, c, 8]
    e04 = b[x, c, 9]
    e05 = b[x, c, 10]
    e12 = b[x, c, 11]
    e13 = b[x, c, 12]
    e14 = b[x, c, 13]
    e15 = b[x, c, 14]
    e23 = b[x, c, 15]
    e24 = b[x, c, 16]
    e25 = b[x, c, 17]
    e34 = b[x, c, 18]
    e35 = b[x, c, 19]
    e45 = b[x, c, 20]
    r0 = d0 * v[0] + e01 * v[1] + e02 * v[2] + e03 * v[3] + e04 * v[4] + e05 * v[5]
    r1 = d1 * v[1] + e01.conjugate() * v[0] + e12 * v[2] + e13 * v[3] + e14 * v[4] + e15 * v[5]
    r2 = d2 * v[2] + e02.conjugate() * v[0] + e12.conjugate() * v[1] + e23 * v[3] + e24 * v[4] \
        + e25 * v[5]
    r3 = d3 * v[3] + e03.conjugate() * v[0] + e13.conjugate() * v[1] + e23.conjugate() * v[2] \
        + e34 * v[4] + e35 * v[5]
    r4 = d4 * v[4] + e04.conjugate() * v[0] + e14.conjugate() * v[1] + e24.conjugate() * v[2] \
        + e34.conjugate() * v[3] + e45 * v[5]
    r5 = d5 * v[5] + e05.conjugate() * v[0] + e15.conjugate() * v[1] + e25.conjugate() * v[2] \
        + e35.conjugate() * v[3] + e45.conjugate() * v[4]
    return (r0, r1, r2, r3, r4, r5)


@njit(inline="always", cache=True)
def _site6(p, x, c):
    """The 6 spin-colour components of chirality c of p[x]."""
    s = 2 * c
    return (p[x, s, 0], p[x, s, 1], p[x, s, 2], p[x, s + 1, 0], p[x, s + 1, 1], p[x, s + 1, 2])


@njit(inline="always", cache=True)
def _store6(out, x, c, v):
    s = 2 * c
    out[x, s, 0] = v[0]
    out[x, s, 1] = v[1]
    out[x, s, 2] = v[2]
    out[x, s + 1, 0] = v[3]
    out[x, s + 1, 1] = v[4]
    out[x, s + 1, 2] = v[5]


@njit(inline="always", cache=True)
def _finish(out, x, a, coef, dagger, dpsi, blocks, mode):
    """Store site x of the result from the accumulated hops ``a`` (12-tuple): out = coef a
    (mode 0), dpsi + coef a (1), B dpsi + coef a (2) or B (coef a) (3); with ``dagger`` the
    lower chirality gets -coef (gamma5 on the sum)."""
    c5 = -coef if dagger else coef
    lo = (coef * a[0], coef * a[1], coef * a[2], coef * a[3], coef * a[4], coef * a[5])
    hi = (c5 * a[6], c5 * a[7], c5 * a[8], c5 * a[9], c5 * a[10], c5 * a[11])
    if mode == 0:
        _store6(out, x, 0, lo)
        _store6(out, x, 1, hi)
    elif mode == 1:
        d = _site6(dpsi, x, 0)
        _store6(out, x, 0, (d[0] + lo[0], d[1] + lo[1], d[2] + lo[2],
                            d[3] + lo[3], d[4] + lo[4], d[5] + lo[5]))
        d = _site6(dpsi, x, 1)
        _store6(out, x, 1, (d[0] + hi[0], d[1] + hi[1], d[2] + hi[2],
                            d[3] + hi[3], d[4] + hi[4], d[5] + hi[5]))
    else:
        # mode 2: B dpsi + coef acc;  mode 3: B (coef acc)  (one copy of the block products)
        if mode == 2:
            v0 = _site6(dpsi, x, 0)
            v1 = _site6(dpsi, x, 1)
        else:
            v0 = lo
            v1 = hi
        r0 = _blk6(blocks, x, 0, v0)
        r1 = _blk6(blocks, x, 1, v1)
        if mode == 2:
            r0 = (r0[0] + lo[0], r0[1] + lo[1], r0[2] + lo[2],
                  r0[3] + lo[3], r0[4] + lo[4], r0[5] + lo[5])
            r1 = (r1[0] + hi[0], r1[1] + hi[1], r1[2] + hi[2],
                  r1[3] + hi[3], r1[4] + hi[4], r1[5] + hi[5])
        _store6(out, x, 0, r0)
        _store6(out, x, 1, r1)


@njit(parallel=True, cache=True)
def hop_su3(out, psi, u_here, u_there, fwd, bwd, sf, sb, coef, dagger, dpsi, blocks, mode):
    """The hopping kernel for D = 4, nc = 3 (module docstring).  dagger: H^dag = gamma5 H gamma5
    with gamma5 psi in a scratch array and gamma5 on the sum, so that the hopping code exists
    once (the compile time grows with its size; a runtime sign in the loads costs 50 %)."""
    n = out.shape[0]
    if dagger:
        src = np.empty_like(psi)
        for y in prange(psi.shape[0]):
            for s in range(2):
                for c in range(3):
                    src[y, s, c] = psi[y, s, c]
                    src[y, s + 2, c] = -psi[y, s + 2, c]
    else:
        src = psi
    for x in prange(n):
        z = psi[0, 0, 0] * 0
        a = (z, z, z, z, z, z, z, z, z, z, z, z)
        a = _dir0(-1, 1, src, u_here, u_there, fwd, bwd, sf, sb, x, a)
        a = _dir1(-1, 1, src, u_here, u_there, fwd, bwd, sf, sb, x, a)
        a = _dir2(-1, 1, src, u_here, u_there, fwd, bwd, sf, sb, x, a)
        a = _dir3(-1, 1, src, u_here, u_there, fwd, bwd, sf, sb, x, a)
        _finish(out, x, a, coef, dagger, dpsi, blocks, mode)


# ---------------------------------------------------------------------------
# generic kernel (any D in {2, 4}, any nc)
# ---------------------------------------------------------------------------
@njit(inline="always", cache=True)
def _block_mv(blocks, x, v, out, nh, nc):
    """out[x] = B(x) v for a site vector v (ns, nc) (out[x] and v must not overlap)."""
    m = nh * nc
    for c in range(2):
        for i in range(m):
            acc = blocks[x, c, i, 0] * v[c * nh, 0] * 0
            for j in range(m):
                acc += blocks[x, c, i, j] * v[c * nh + j // nc, j % nc]
            out[x, c * nh + i // nc, i % nc] = acc


@njit(parallel=True, cache=True)
def hop_generic(out, psi, u_here, u_there, fwd, bwd, sf, sb, coef, dagger, dpsi, blocks, mode,
                perm, phase):
    """The hopping kernel for every D and nc (module docstring); (A_mu v)_i = phase[mu, i]
    v[perm[mu, i]]."""
    n, ns, nc = out.shape[0], out.shape[1], out.shape[2]
    nd = fwd.shape[0]
    nh = ns // 2
    g0 = 1.0 if dagger else -1.0
    for x in prange(n):
        acc = np.zeros((ns, nc), out.dtype)
        h = np.empty((nh, nc), out.dtype)
        tmp = np.empty((ns, nc), out.dtype)
        for mu in range(nd):
            for back in range(2):
                if back == 0:
                    y = fwd[mu, x]
                    s = sf[mu, x]
                    g = g0
                else:
                    y = bwd[mu, x]
                    s = sb[mu, x]
                    g = -g0
                for i in range(nh):
                    ph = g * phase[mu, i]
                    j = nh + perm[mu, i]
                    for c in range(nc):
                        h[i, c] = s * (psi[y, i, c] + ph * psi[y, j, c])
                for i in range(nh):
                    ph = g * phase[mu, i].conjugate()
                    j = nh + perm[mu, i]
                    for a in range(nc):
                        k = h[i, 0] * 0
                        if back == 0:
                            for b in range(nc):
                                k += u_here[mu, x, a, b] * h[i, b]
                        else:
                            for b in range(nc):
                                k += u_there[mu, y, b, a].conjugate() * h[i, b]
                        acc[i, a] += k
                        acc[j, a] += ph * k
        if mode == 0:
            for i in range(ns):
                for a in range(nc):
                    out[x, i, a] = coef * acc[i, a]
        elif mode == 1:
            for i in range(ns):
                for a in range(nc):
                    out[x, i, a] = dpsi[x, i, a] + coef * acc[i, a]
        elif mode == 2:
            _block_mv(blocks, x, dpsi[x], out, nh, nc)
            for i in range(ns):
                for a in range(nc):
                    out[x, i, a] += coef * acc[i, a]
        else:
            for i in range(ns):
                for a in range(nc):
                    tmp[i, a] = coef * acc[i, a]
            _block_mv(blocks, x, tmp, out, nh, nc)


@njit(parallel=True, cache=True)
def apply_blocks(out, blocks, psi):
    """out[x] = B(x) psi[x] for chirality-block matrices B (module docstring)."""
    n, ns, nc = out.shape[0], out.shape[1], out.shape[2]
    nh = ns // 2
    for x in prange(n):
        _block_mv(blocks, x, psi[x], out, nh, nc)


# ---------------------------------------------------------------------------
# the force of the hopping term
# ---------------------------------------------------------------------------
@njit(inline="always", cache=True)
def _half(v, y, g, mu, perm, phase, h, nh, nc):
    """h = v_up + g A_mu v_down at site y."""
    for i in range(nh):
        ph = g * phase[mu, i]
        j = nh + perm[mu, i]
        for c in range(nc):
            h[i, c] = v[y, i, c] + ph * v[y, j, c]


@njit(parallel=True, cache=True)
def hop_deriv(out, xv, yv, u, fwd, sgn, kappa, perm, phase):
    """out[mu, x] += U_mu(x) (-kappa s_mu(x)) sum_i [hX_i hY_i^dag + gY_i gX_i^dag], with
    hX = P-(X(x+mu)), hY = P-(Y(x)), gX = P+(X(x)), gY = P+(Y(x+mu)), P+-(v) = v_up +- A v_down:
    TA of it is the TA of the W-matrix of Re(Y^dag H-term X) (docs/conventions.md,
    "Wilson fermions", force)."""
    nd, vol, nc = u.shape[0], u.shape[1], u.shape[2]
    ns = xv.shape[1]
    nh = ns // 2
    for x in prange(vol):
        hx = np.empty((nh, nc), np.complex128)
        hy = np.empty((nh, nc), np.complex128)
        gx = np.empty((nh, nc), np.complex128)
        gy = np.empty((nh, nc), np.complex128)
        o = np.empty((nc, nc), np.complex128)
        for mu in range(nd):
            y = fwd[mu, x]
            _half(xv, y, -1.0, mu, perm, phase, hx, nh, nc)
            _half(yv, x, -1.0, mu, perm, phase, hy, nh, nc)
            _half(xv, x, 1.0, mu, perm, phase, gx, nh, nc)
            _half(yv, y, 1.0, mu, perm, phase, gy, nh, nc)
            f = -kappa * sgn[mu, x]
            for a in range(nc):
                for b in range(nc):
                    s = 0j
                    for i in range(nh):
                        s += hx[i, a] * hy[i, b].conjugate() + gy[i, a] * gx[i, b].conjugate()
                    o[a, b] = f * s
            for a in range(nc):
                for b in range(nc):
                    s = 0j
                    for c in range(nc):
                        s += u[mu, x, a, c] * o[c, b]
                    out[mu, x, a, b] += s
