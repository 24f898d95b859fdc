"""Slow NumPy references for the closed-path kernels of lqcd_core.surrogate (test helpers).

Nothing here uses the package's neighbour tables, path lists or kernels:

* links ``U[mu, i]`` are reshaped to the grid ``G[mu, x_{D-1}, ..., x_0]`` (direction mu is grid
  axis D-1-mu) and a path product is a product of ``np.roll``-shifted link grids: the step k
  of a path from x uses the link at x + d_k, d_k the displacement after the first k steps;
* the loop types are found by brute force: every self-avoiding closed walk of the given
  length on the infinite lattice Z^D from the origin, classified by shape and reduced modulo
  translation, cyclic order and orientation to its set of undirected edges;
* symmetry maps (axis permutations, reflections) act on the grid.
"""
from __future__ import annotations

import itertools

import numpy as np


def link_grid(links, extents):
    extents = tuple(extents)
    return links.reshape((len(extents),) + extents[::-1] + links.shape[-2:])


def dag(a):
    return np.conj(np.swapaxes(a, -1, -2))


def roll_to(a, disp, d):
    """b(x) = a(x + disp) on a site grid (L_{D-1}, ..., L_0, ...)."""
    for mu, s in enumerate(disp):
        if s:
            a = np.roll(a, -s, axis=d - 1 - mu)
    return a


def path_field(links, extents, steps):
    """(V, n, n): W(x) = ordered product of the links along ``steps`` (+-(mu+1)) from every x,
    in the package's site order."""
    extents = tuple(extents)
    d = len(extents)
    g = link_grid(links, extents)
    n = links.shape[-1]
    disp = [0] * d
    out = np.broadcast_to(np.eye(n, dtype=complex), extents[::-1] + (n, n)).copy()
    for s in steps:
        mu = abs(s) - 1
        if s > 0:
            m = roll_to(g[mu], disp, d)
            disp[mu] += 1
        else:
            disp[mu] -= 1
            m = dag(roll_to(g[mu], disp, d))
        out = out @ m
    return out.reshape((-1, n, n))


def trace_sum(links, extents, steps) -> float:
    """sum_x Re tr W(x)."""
    return float(np.trace(path_field(links, extents, steps), axis1=-2, axis2=-1).real.sum())


# ---------------------------------------------------------------------------
# brute-force loop enumeration
# ---------------------------------------------------------------------------
def _vertices(steps, d):
    v = [0] * d
    out = [tuple(v)]
    for s in steps:
        v[abs(s) - 1] += 1 if s > 0 else -1
        out.append(tuple(v))
    return out


def shape_key(steps, d):
    """The loop as a set of undirected edges, translated so its smallest vertex is 0:
    equal for paths that differ by start point, orientation or translation."""
    vs = _vertices(steps, d)
    lo = min(vs)
    vs = [tuple(a - b for a, b in zip(v, lo)) for v in vs]
    return frozenset(tuple(sorted((vs[i], vs[i + 1]))) for i in range(len(steps)))


def classify(steps, d):
    axes = {abs(s) - 1 for s in steps}
    n = len(steps)
    if n == 4:
        return "plaquette"
    if n == 6 and len(axes) == 2:
        return "rectangle"
    if n == 6 and len(axes) == 3:
        # cyclic distance between the +a and -a step of each axis: 3 for all three axes in the
        # skew hexagon ("twisted"), 2, 3, 2 for the chair
        dist = []
        for a in axes:
            i = [k for k, s in enumerate(steps) if abs(s) - 1 == a]
            dist.append(min((i[1] - i[0]) % n, (i[0] - i[1]) % n))
        return "twisted" if all(x == 3 for x in dist) else "chair"
    return "other"


def enumerate_loops(d, length):
    """{type: [one step list per distinct loop shape]} for all self-avoiding closed walks."""
    found = {}
    letters = [s * (mu + 1) for mu in range(d) for s in (1, -1)]

    def dfs(path, pos, seen):
        left = length - len(path)
        if sum(abs(c) for c in pos) > left:
            return
        if left == 0:
            if not any(pos):
                key = shape_key(path, d)
                found.setdefault(key, list(path))
            return
        for s in letters:
            mu = abs(s) - 1
            nxt = list(pos)
            nxt[mu] += 1 if s > 0 else -1
            nxt = tuple(nxt)
            closing = left == 1 and not any(nxt)
            if nxt in seen and not closing:
                continue
            path.append(s)
            if not closing:
                seen.add(nxt)
            dfs(path, nxt, seen)
            if not closing:
                seen.discard(nxt)
            path.pop()

    origin = (0,) * d
    dfs([], origin, {origin})
    out = {}
    for steps in found.values():
        out.setdefault(classify(steps, d), []).append(steps)
    return out


def loop_type_sum(links, extents, kind) -> float:
    """sum over all distinct loops of a type (brute-force list) of sum_x Re tr W."""
    d = len(extents)
    if kind == "polyakov":
        return trace_sum(links, extents, [d] * extents[-1])
    if kind == "polyakov_spatial":
        return sum(trace_sum(links, extents, [mu + 1] * extents[mu]) for mu in range(d - 1))
    length = 4 if kind == "plaquette" else 6
    return sum(trace_sum(links, extents, p) for p in enumerate_loops(d, length).get(kind, []))


# ---------------------------------------------------------------------------
# lattice symmetries
# ---------------------------------------------------------------------------
def permute_axes(links, extents, perm):
    """The field with new direction i = old direction perm[i]:
    U'_i(x') = U_{perm[i]}(x) with x'_i = x_{perm[i]}.  Returns (links', extents')."""
    extents = tuple(extents)
    d = len(extents)
    g = link_grid(links, extents)
    new_ext = tuple(extents[p] for p in perm)
    # new grid axis a (direction D-1-a) is old grid axis of direction perm[D-1-a]
    axes = [d - 1 - perm[d - 1 - a] for a in range(d)] + [d, d + 1]
    out = np.stack([np.transpose(g[perm[i]], axes) for i in range(d)])
    return np.ascontiguousarray(out.reshape(links.shape)), new_ext


def reflect(links, extents, mu):
    """The field reflected x_mu -> -x_mu: U'_nu(x') = U_nu(x) for nu != mu and
    U'_mu(x') = U_mu(x - mu)^dag, x = R x'."""
    extents = tuple(extents)
    d = len(extents)
    g = link_grid(links, extents)
    ax = d - 1 - mu
    out = np.empty_like(g)
    for nu in range(d):
        if nu == mu:
            out[nu] = dag(np.flip(g[nu], axis=ax))                  # index -x' - 1
        else:
            out[nu] = np.roll(np.flip(g[nu], axis=ax), 1, axis=ax)  # index -x'
    return np.ascontiguousarray(out.reshape(links.shape))


def all_permutations(d, fixed_last=False):
    k = d - 1 if fixed_last else d
    for p in itertools.permutations(range(k)):
        yield tuple(p) + ((d - 1,) if fixed_last else ())
