"""Small complex-matrix products for Numba kernels.

Every function works on 2-D (n x n) array views and dispatches on n: the
SU(3) and SU(2) products are written out element by element so that LLVM keeps
the operands in registers (docs/performance.md); other n fall back to loops.
All are ``inline='always'`` so they cost no call inside a site loop.
"""
from numba import njit


@njit(inline="always", cache=True)
def mul_nn(a, b, c):
    """c = a b."""
    n = a.shape[0]
    if n == 3:
        for i in range(3):
            a0 = a[i, 0]
            a1 = a[i, 1]
            a2 = a[i, 2]
            c[i, 0] = a0 * b[0, 0] + a1 * b[1, 0] + a2 * b[2, 0]
            c[i, 1] = a0 * b[0, 1] + a1 * b[1, 1] + a2 * b[2, 1]
            c[i, 2] = a0 * b[0, 2] + a1 * b[1, 2] + a2 * b[2, 2]
    elif n == 2:
        a00 = a[0, 0]
        a01 = a[0, 1]
        a10 = a[1, 0]
        a11 = a[1, 1]
        b00 = b[0, 0]
        b01 = b[0, 1]
        b10 = b[1, 0]
        b11 = b[1, 1]
        c[0, 0] = a00 * b00 + a01 * b10
        c[0, 1] = a00 * b01 + a01 * b11
        c[1, 0] = a10 * b00 + a11 * b10
        c[1, 1] = a10 * b01 + a11 * b11
    elif n == 1:
        c[0, 0] = a[0, 0] * b[0, 0]
    else:
        for i in range(n):
            for j in range(n):
                s = 0j
                for k in range(n):
                    s += a[i, k] * b[k, j]
                c[i, j] = s


@njit(inline="always", cache=True)
def mul_nd(a, b, c):
    """c = a b^dagger."""
    n = a.shape[0]
    if n == 3:
        for i in range(3):
            a0 = a[i, 0]
            a1 = a[i, 1]
            a2 = a[i, 2]
            for j in range(3):
                c[i, j] = (a0 * b[j, 0].conjugate() + a1 * b[j, 1].conjugate()
                           + a2 * b[j, 2].conjugate())
    elif n == 1:
        c[0, 0] = a[0, 0] * b[0, 0].conjugate()
    else:
        for i in range(n):
            for j in range(n):
                s = 0j
                for k in range(n):
                    s += a[i, k] * b[j, k].conjugate()
                c[i, j] = s


@njit(inline="always", cache=True)
def mul_dn(a, b, c):
    """c = a^dagger b."""
    n = a.shape[0]
    if n == 3:
        for i in range(3):
            a0 = a[0, i].conjugate()
            a1 = a[1, i].conjugate()
            a2 = a[2, i].conjugate()
            c[i, 0] = a0 * b[0, 0] + a1 * b[1, 0] + a2 * b[2, 0]
            c[i, 1] = a0 * b[0, 1] + a1 * b[1, 1] + a2 * b[2, 1]
            c[i, 2] = a0 * b[0, 2] + a1 * b[1, 2] + a2 * b[2, 2]
    elif n == 1:
        c[0, 0] = a[0, 0].conjugate() * b[0, 0]
    else:
        for i in range(n):
            for j in range(n):
                s = 0j
                for k in range(n):
                    s += a[k, i].conjugate() * b[k, j]
                c[i, j] = s


@njit(inline="always", cache=True)
def mul_dd(a, b, c):
    """c = a^dagger b^dagger = (b a)^dagger."""
    n = a.shape[0]
    if n == 3:
        for i in range(3):
            a0 = a[0, i]
            a1 = a[1, i]
            a2 = a[2, i]
            for j in range(3):
                c[i, j] = (a0 * b[j, 0] + a1 * b[j, 1] + a2 * b[j, 2]).conjugate()
        return
    for i in range(n):
        for j in range(n):
            s = 0j
            for k in range(n):
                s += a[k, i] * b[j, k]
            c[i, j] = s.conjugate()


@njit(inline="always", cache=True)
def retr_nd(a, b):
    """Re tr(a b^dagger) = Re sum_ij a_ij conj(b_ij)."""
    n = a.shape[0]
    s = 0.0
    for i in range(n):
        for j in range(n):
            s += a[i, j].real * b[i, j].real + a[i, j].imag * b[i, j].imag
    return s


@njit(inline="always", cache=True)
def retr_nn(a, b):
    """Re tr(a b)."""
    n = a.shape[0]
    s = 0.0
    for i in range(n):
        for k in range(n):
            s += (a[i, k] * b[k, i]).real
    return s


@njit(inline="always", cache=True)
def retr(a):
    n = a.shape[0]
    s = 0.0
    for i in range(n):
        s += a[i, i].real
    return s


@njit(inline="always", cache=True)
def add_to(acc, a, f):
    """acc += f a (f real or complex)."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            acc[i, j] += f * a[i, j]


@njit(inline="always", cache=True)
def set_zero(a):
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            a[i, j] = 0j


@njit(inline="always", cache=True)
def copy_to(dst, src):
    n = src.shape[0]
    for i in range(n):
        for j in range(n):
            dst[i, j] = src[i, j]


@njit(inline="always", cache=True)
def ta_to(w, out, f):
    """out = f * TA(w), TA(w) = (w - w^dag)/2 - tr(w - w^dag)/(2n) (for n > 1).

    For n = 1 (U(1)) TA(w) = i Im w: the algebra u(1) has no trace condition.
    See docs/conventions.md, "Algebra projection".
    """
    n = w.shape[0]
    tr = 0.0
    if n > 1:
        for i in range(n):
            tr += w[i, i].imag
        tr /= n
    for i in range(n):
        for j in range(i + 1, n):
            z = 0.5 * (w[i, j] - w[j, i].conjugate())
            out[i, j] = f * z
            out[j, i] = -f * z.conjugate()
        out[i, i] = f * 1j * (w[i, i].imag - tr)


@njit(inline="always", cache=True)
def acc_nd(a, b, c):
    """c += a b^dagger."""
    n = a.shape[0]
    if n == 3:
        for i in range(3):
            a0 = a[i, 0]
            a1 = a[i, 1]
            a2 = a[i, 2]
            for j in range(3):
                c[i, j] += (a0 * b[j, 0].conjugate() + a1 * b[j, 1].conjugate()
                            + a2 * b[j, 2].conjugate())
    else:
        for i in range(n):
            for j in range(n):
                s = 0j
                for k in range(n):
                    s += a[i, k] * b[j, k].conjugate()
                c[i, j] += s


@njit(inline="always", cache=True)
def acc_dn(a, b, c):
    """c += a^dagger b."""
    n = a.shape[0]
    if n == 3:
        for i in range(3):
            a0 = a[0, i].conjugate()
            a1 = a[1, i].conjugate()
            a2 = a[2, i].conjugate()
            for j in range(3):
                c[i, j] += a0 * b[0, j] + a1 * b[1, j] + a2 * b[2, j]
    else:
        for i in range(n):
            for j in range(n):
                s = 0j
                for k in range(n):
                    s += a[k, i].conjugate() * b[k, j]
                c[i, j] += s
