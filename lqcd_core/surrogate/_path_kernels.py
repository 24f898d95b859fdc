"""Generic closed lattice paths: products, traced sums and forces (Numba kernels).

A *path* is a sequence of steps, each ``+(mu+1)`` (forward along mu: multiply by U_mu(y),
y -> y + mu) or ``-(mu+1)`` (backward: y -> y - mu, multiply by U_mu(y - mu)^dag).  Its
path-ordered product from the site x is

    W_path(x) = prod_{k=0}^{L-1} V_k,   V_k = U_mu(y_k) or U_mu(y_k - mu)^dag,

with y_0 = x and y_{k+1} = y_k +- mu.  The paths used here are *closed on the torus*: either
contractible loops (plaquette, rectangle, chair, twisted) or loops that wind once around
the lattice (the Polyakov line, L_t steps along time), so W_path(x) is a closed loop for
every x and Re tr W_path(x) is gauge invariant.

A *path set* is stored as a padded int64 array ``paths[P, Lmax]`` with the true lengths in
``lengths[P]`` (entries beyond a path's length are ignored), and real coefficients
``coefs[P]``.  Site tables: ``fwd[mu, x]`` = x + mu, ``bwd[mu, x]`` = x - mu
(:mod:`lqcd_core.lattice.geometry`).

Generalised staples and the force
---------------------------------
Let s[U] = sum_p coef_p sum_x Re tr W_p(x).  The link U_mu(y) occurs in W_p(x) once for every
step k of p along +-mu and for exactly one start x (the map x -> link is a bijection for a
fixed (p, k)).  Cyclicity of the trace lets every such occurrence start at the link:

* forward step  (+mu at y):          Re tr W = Re tr(U_mu(y) R),   R the product of the
  other L - 1 steps, walked from y + mu (steps k+1, ..., L-1, 0, ..., k-1) back to y;
* backward step (-mu from y + mu to y): Re tr W = Re tr(U_mu(y)^dag R) = Re tr(U_mu(y) R^dag),
  R walked from y (steps k+1, ..., k-1) back to y + mu.

So s = Re tr(U_mu(y) Sigma_mu(y)) + (terms without U_mu(y)) for *each single occurrence*, and by
the product rule the derivative is carried by the generalised staple

    Sigma_mu(y) = sum_p coef_p sum_{k: |step_k| = mu+1} (R_{p,k}  or  R_{p,k}^dag),

computed here by a gather over the links (no write conflicts, ``prange`` over y).  Under
U_mu(y) -> exp(e T) U_mu(y):  d/de s = Re tr(T U_mu(y) Sigma_mu(y)) = tr(T TA(U Sigma)), so for
S = -(1/n) s the gradient (docs/conventions.md, "Momenta" and "Force") is

    F_mu(y) = (c / n) TA(U_mu(y) Sigma_mu(y)),    c = tr(T_a T_a) (1/2 for SU(n), 1 for U(1)),

the same formula as the Wilson force with Sigma the plaquette staple sum times beta.
"""
import numpy as np
from numba import njit, prange

from ..group._linalg import add_to, copy_to, mul_nd, mul_nn, retr, set_zero, ta_to


@njit(inline="always", cache=True)
def _step(u, fwd, bwd, s, y, acc, t, first):
    """acc <- acc * V (or V if first) for the step s from site y; returns the new site."""
    n = acc.shape[0]
    if s > 0:
        mu = s - 1
        if first:
            copy_to(acc, u[mu, y])
        else:
            mul_nn(acc, u[mu, y], t)
            copy_to(acc, t)
        return fwd[mu, y]
    mu = -s - 1
    z = bwd[mu, y]
    if first:
        for i in range(n):
            for j in range(n):
                acc[i, j] = u[mu, z][j, i].conjugate()
    else:
        mul_nd(acc, u[mu, z], t)
        copy_to(acc, t)
    return z


@njit(cache=True)
def _walk(u, fwd, bwd, path, length, k0, count, y, acc, t):
    """acc = product of ``count`` steps of a closed path, starting with step k0 (cyclically)
    at site y; returns the end site."""
    site = y + 0  # a new variable: y may be the parallel loop index
    for j in range(count):
        s = path[(k0 + j) % length]
        site = _step(u, fwd, bwd, s, site, acc, t, j == 0)
    return site


@njit(parallel=True, cache=True)
def path_products(u, fwd, bwd, paths, lengths, out):
    """out[p, x] = W_p(x), the ordered product along path p from every site x."""
    npath, vol, n = paths.shape[0], u.shape[1], u.shape[2]
    for p in range(npath):
        for x in prange(vol):
            t = np.empty((n, n), np.complex128)
            _walk(u, fwd, bwd, paths[p], lengths[p], 0, lengths[p], x, out[p, x], t)


@njit(parallel=True, cache=True)
def path_trace_sums(u, fwd, bwd, paths, lengths):
    """(P,) array: sum_x Re tr W_p(x) for every path p."""
    npath, vol, n = paths.shape[0], u.shape[1], u.shape[2]
    out = np.zeros(npath)
    for p in range(npath):
        acc = 0.0
        for x in prange(vol):
            w = np.empty((n, n), np.complex128)
            t = np.empty((n, n), np.complex128)
            _walk(u, fwd, bwd, paths[p], lengths[p], 0, lengths[p], x, w, t)
            acc += retr(w)
        out[p] = acc
    return out


@njit(cache=True)
def _add_staples(u, fwd, bwd, paths, lengths, coefs, mu, y, a, r, t):
    """a += sum_p coef_p sum_{k along mu} (R or R^dag): the generalised staple of U_mu(y)."""
    n = a.shape[0]
    for p in range(paths.shape[0]):
        c = coefs[p]
        if c == 0.0:
            continue
        length = lengths[p]
        for k in range(length):
            s = paths[p, k]
            if s == mu + 1:
                # forward step at y: walk the rest of the loop from y + mu back to y
                _walk(u, fwd, bwd, paths[p], length, k + 1, length - 1, fwd[mu, y], r, t)
                add_to(a, r, c)
            elif s == -(mu + 1):
                # backward step from y + mu to y: walk from y back to y + mu, add R^dag
                _walk(u, fwd, bwd, paths[p], length, k + 1, length - 1, y, r, t)
                for i in range(n):
                    for j in range(n):
                        a[i, j] += c * r[j, i].conjugate()


@njit(parallel=True, cache=True)
def path_staples(u, fwd, bwd, paths, lengths, coefs, out):
    """out[mu, y] = Sigma_mu(y), the generalised staple sum (module docstring)."""
    nd, vol, n = u.shape[0], u.shape[1], u.shape[2]
    for mu in range(nd):
        for y in prange(vol):
            r = np.empty((n, n), np.complex128)
            t = np.empty((n, n), np.complex128)
            set_zero(out[mu, y])
            _add_staples(u, fwd, bwd, paths, lengths, coefs, mu, y, out[mu, y], r, t)


@njit(parallel=True, cache=True)
def path_force(u, fwd, bwd, paths, lengths, coefs, out, f):
    """out[mu, y] = f TA(U_mu(y) Sigma_mu(y)); f = c/n gives the force of
    S = -(1/n) sum_p coef_p sum_x Re tr W_p(x)."""
    nd, vol, n = u.shape[0], u.shape[1], u.shape[2]
    for mu in range(nd):
        for y in prange(vol):
            a = np.zeros((n, n), np.complex128)
            r = np.empty((n, n), np.complex128)
            t = np.empty((n, n), np.complex128)
            _add_staples(u, fwd, bwd, paths, lengths, coefs, mu, y, a, r, t)
            mul_nn(u[mu, y], a, t)
            ta_to(t, out[mu, y], f)


# ---------------------------------------------------------------------------
# path sets of the loop types
# ---------------------------------------------------------------------------
# Steps are +-(mu + 1).  Each list holds one representative path per distinct loop "per
# site": sum_x over the representatives counts every geometric loop of the type on the
# lattice exactly once (orientation and starting point do not matter for Re tr W).
#
#   type        shape                                   loops per site       D=2 D=3 D=4
#   plaquette   1x1 square in the plane (mu, nu)         D(D-1)/2              1   3   6
#   rectangle   2x1, long side mu, short side nu         D(D-1)                2   6  12
#   chair       two unit squares at a right angle,       2D(D-1)(D-2)          0  12  48
#               sharing one edge (the "hinge")             (= 12 per 3-cube x C(D,3) cubes)
#   twisted     skew hexagon around a unit 3-cube         4 C(D,3)              0   4  16
#               ("parallelogram"), 3 directions            (4 per cube, one per body diagonal
#                                                          it avoids)
#   polyakov    straight line winding once around time   1 (sum_x counts each  1   1   1
#               (direction D-1), L_t steps               line L_t times)
#   polyakov_   straight lines winding once around each  D-1 (one per          1   2   3
#   spatial     spatial direction mu < D-1, L_mu steps   direction)
#
# The winding lines are not contractible: on a small torus they are as short as the local
# loops (4 links on a 4^D lattice) and the fermion determinant depends on them at the same
# order of the hopping expansion as on the plaquette (with a sign -1 for the temporal one
# under antiperiodic fermion boundary conditions).
#
# Chair (hinge along nu at x, wings in the half-planes s1*mu and s2*rho, mu < rho, both != nu):
#     (s1 mu, +nu, -s1 mu, s2 rho, -nu, -s2 rho)
#     x -> x+s1 mu -> x+s1 mu+nu -> x+nu -> x+nu+s2 rho -> x+s2 rho -> x;
#     D choices of nu x C(D-1, 2) pairs x 4 signs = 2D(D-1)(D-2)  (48 in 4D, 12 in 3D).
#     The hinge is the one edge of the two squares that the path does not traverse; it and
#     the unordered pair of wings identify the chair, so these are all distinct.  s1 = -s2
#     with mu = rho would be the planar rectangle, excluded by mu < rho.
# Twisted (axes mu < nu < rho, s2, s3 = +-1):
#     (+mu, s2 nu, s3 rho, -mu, -s2 nu, -s3 rho)
#     C(D,3) triples x 4 signs = 4 C(D,3)  (16 in 4D, 4 in 3D).  Flipping all three signs
#     gives the reversed loop, so s1 = +1 loses nothing; the four sign choices avoid the four
#     different body diagonals of the cube.
# The lists are checked against a brute-force enumeration of all self-avoiding closed paths
# (tests/naive_loops.py).

LOOP_TYPES = ("plaquette", "rectangle", "chair", "twisted", "polyakov", "polyakov_spatial")


def plaquette_paths(ndim):
    return [[mu + 1, nu + 1, -(mu + 1), -(nu + 1)]
            for mu in range(ndim) for nu in range(mu + 1, ndim)]


def rectangle_paths(ndim):
    return [[mu + 1, mu + 1, nu + 1, -(mu + 1), -(mu + 1), -(nu + 1)]
            for mu in range(ndim) for nu in range(ndim) if nu != mu]


def chair_paths(ndim):
    out = []
    for nu in range(ndim):
        others = [d for d in range(ndim) if d != nu]
        for i, mu in enumerate(others):
            for rho in others[i + 1:]:
                for s1 in (1, -1):
                    for s2 in (1, -1):
                        a, b, h = s1 * (mu + 1), s2 * (rho + 1), nu + 1
                        out.append([a, h, -a, b, -h, -b])
    return out


def twisted_paths(ndim):
    out = []
    for mu in range(ndim):
        for nu in range(mu + 1, ndim):
            for rho in range(nu + 1, ndim):
                for s2 in (1, -1):
                    for s3 in (1, -1):
                        a, b, c = mu + 1, s2 * (nu + 1), s3 * (rho + 1)
                        out.append([a, b, c, -a, -b, -c])
    return out


def polyakov_paths(ndim, lt):
    return [[ndim] * int(lt)]


def polyakov_spatial_paths(extents):
    return [[mu + 1] * int(extents[mu]) for mu in range(len(extents) - 1)]


def expected_count(kind, ndim):
    """Number of loops per site of a type (the table above)."""
    d = int(ndim)
    return {"plaquette": d * (d - 1) // 2, "rectangle": d * (d - 1),
            "chair": 2 * d * (d - 1) * (d - 2), "twisted": 2 * d * (d - 1) * (d - 2) // 3,
            "polyakov": 1, "polyakov_spatial": d - 1}[kind]


def paths_for(kind, extents):
    """List of step lists of one loop type on a lattice with these extents."""
    ndim = len(extents)
    if kind == "plaquette":
        return plaquette_paths(ndim)
    if kind == "rectangle":
        return rectangle_paths(ndim)
    if kind == "chair":
        return chair_paths(ndim)
    if kind == "twisted":
        return twisted_paths(ndim)
    if kind == "polyakov":
        return polyakov_paths(ndim, extents[-1])
    if kind == "polyakov_spatial":
        return polyakov_spatial_paths(extents)
    raise ValueError(f"unknown loop type {kind!r}; choose from {', '.join(LOOP_TYPES)}")


def pack(path_lists):
    """(paths[P, Lmax] int64 zero-padded, lengths[P] int64) from lists of steps."""
    npath = len(path_lists)
    lmax = max((len(p) for p in path_lists), default=1)
    paths = np.zeros((npath, max(lmax, 1)), np.int64)
    lengths = np.zeros(npath, np.int64)
    for i, p in enumerate(path_lists):
        paths[i, :len(p)] = p
        lengths[i] = len(p)
    return paths, lengths
