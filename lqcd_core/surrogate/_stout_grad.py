"""One trainable stout layer: forward, thin-link force and the gradient w.r.t. its weights.

A layer (docs/_draft_slhmc_neural.md, "Trainable stout layers") maps U to

    U'_mu(x) = exp(iQ_mu(x)) U_mu(x),    iQ = TA(Omega),   Omega = C U^dag,
    C_mu(x)  = rho_plaq P_mu(x) + rho_rect R_mu(x),

with P_mu(x) the sum of the 2(D-1) plaquette staples and R_mu(x) the sum of the 6(D-1)
rectangle staples of U_mu(x), all oriented like U_mu(x) (paths from x to x + mu).  With
rho_rect = 0 this is exactly :func:`lqcd_core.smearing.stout.stout_step` with the isotropic
weight rho_plaq.

Backward.  Given F' = grad S at U' the first pass of the smearing package's chain rule,
``_stout_kernels.stout_prepare``, returns r0 = E^dag F' E - Lambda Omega and Z = U^dag Lambda,
where Lambda is the algebra form of Morningstar & Peardon's Lambda: for every variation,
the part of dS that passes through Omega is

    dS = -(1/c) Re sum_{mu,x} tr(d Omega_mu(x) Lambda_mu(x))        (docs/smearing.md, step 3).

* Thin-link force: the plaquette-staple terms are added by ``stout_chain`` (with the
  isotropic rho_plaq matrix), the rectangle-staple terms by :func:`_path_backward` below
  (the same product rule, written for any closed-path staple), then TA.
* Weights: Omega is linear in rho, d Omega / d rho_plaq = P U^dag, so

      dS/d rho_plaq = -(1/c) Re sum tr(P U^dag Lambda) = -(1/c) Re sum_{mu,x} tr(P_mu(x) Z_mu(x)),
      dS/d rho_rect = -(1/c) Re sum_{mu,x} tr(R_mu(x) Z_mu(x)).

  This is the Morningstar-Peardon Lambda contracted with dQ/d rho (docs/_draft_slhmc_neural.md
  derives it from  dU'U'^dag/d rho = int_0^1 e^{s iQ} (d iQ/d rho) e^{-s iQ} ds).

Every direction is treated as active (also at rho = 0, where Lambda still is non-zero and
the weight gradient is needed); the smearing package is not modified, its kernels are
called with their documented arguments.
"""
from __future__ import annotations

import numpy as np

from ..gauge import GaugeField
from ..smearing import _stout_kernels as K
from ..smearing.stout import _staple_sums

LOOP_TYPES = ("plaq", "rect")


# ---------------------------------------------------------------------------
# staple paths (lists of (direction, +1 | -1) steps from x to x + mu)
# ---------------------------------------------------------------------------
def plaquette_paths(mu: int, nu: int) -> list:
    """The two plaquette staples of U_mu(x) in the mu-nu plane."""
    return [[(nu, 1), (mu, 1), (nu, -1)],
            [(nu, -1), (mu, 1), (nu, 1)]]


def rectangle_paths(mu: int, nu: int) -> list:
    """The six 2x1 rectangle staples of U_mu(x) in the mu-nu plane (the same six loops as
    lqcd_core/gauge/_rectangles.py, traversed from x to x + mu)."""
    return [[(nu, 1), (mu, 1), (mu, 1), (nu, -1), (mu, -1)],    # long side mu, link first, above
            [(mu, -1), (nu, 1), (mu, 1), (mu, 1), (nu, -1)],    # long side mu, link second, above
            [(nu, -1), (mu, 1), (mu, 1), (nu, 1), (mu, -1)],    # link first, below
            [(mu, -1), (nu, -1), (mu, 1), (mu, 1), (nu, 1)],    # link second, below
            [(nu, 1), (nu, 1), (mu, 1), (nu, -1), (nu, -1)],    # long side nu, above
            [(nu, -1), (nu, -1), (mu, 1), (nu, 1), (nu, 1)]]    # long side nu, below


_TABLES: dict = {}


def _path_tables(lattice, kind: str) -> list:
    """Per mu: list of paths, each a list of (direction, sign, link sites (V,)) for the
    paths starting at every site x (cached per lattice)."""
    key = (tuple(lattice.extents), kind)
    if key in _TABLES:
        return _TABLES[key]
    fwd, bwd = lattice.fwd, lattice.bwd
    make = plaquette_paths if kind == "plaq" else rectangle_paths
    out = []
    for mu in range(lattice.ndim):
        paths = []
        for nu in range(lattice.ndim):
            if nu == mu:
                continue
            for path in make(mu, nu):
                y = np.arange(lattice.volume)
                steps = []
                for d, s in path:
                    if s > 0:
                        steps.append((d, 1, y))
                        y = fwd[d, y]
                    else:
                        y = bwd[d, y]
                        steps.append((d, -1, y))
                assert np.array_equal(y, fwd[mu]), "a staple path must end at x + mu"
                paths.append(steps)
        out.append(paths)
    _TABLES[key] = out
    return out


def _dag(a):
    return np.conj(np.swapaxes(a, -1, -2))


def _links(u, steps):
    return [u[d, sites] if s > 0 else _dag(u[d, sites]) for d, s, sites in steps]


def path_staples(field, kind: str) -> np.ndarray:
    """Unit-weight staple sums (D, V, n, n) of ``kind`` ('plaq' or 'rect'), oriented like U."""
    u = field.links
    out = np.zeros_like(u)
    for mu, paths in enumerate(_path_tables(field.lattice, kind)):
        for steps in paths:
            links = _links(u, steps)
            p = links[0]
            for lk in links[1:]:
                p = p @ lk
            out[mu] += p
    return out


def _path_backward(u, z, weight, tables, raw):
    """raw += the matrices R with  delta W = -(1/c) Re sum tr(X R)  for
    W = -(1/c) Re sum_{mu,x} tr(weight * C_mu(x) Z_mu(x)), C the staple sum of ``tables``.

    For a staple P = A L B (A, B: the links before and after L):
    L = U_d(y)  (step +d at y):      delta P = A X L B,   R_d(y) += L B Z A;
    L = U_d(y)^dag (step -d, link at y): delta P = -A L X B,  R_d(y) -= B Z A L.
    """
    for mu, paths in enumerate(tables):
        zm = z[mu]
        for steps in paths:
            links = _links(u, steps)
            k = len(links)
            prefix = [None] * k          # A_j = L_0 ... L_{j-1}
            acc = None
            for j in range(k):
                prefix[j] = acc
                acc = links[j] if acc is None else acc @ links[j]
            acc = None                   # B_j = L_{j+1} ... L_{k-1}
            for j in reversed(range(k)):
                m = zm if acc is None else acc @ zm
                if prefix[j] is not None:
                    m = m @ prefix[j]    # B_j Z A_j
                d, s, sites = steps[j]
                if s > 0:
                    raw[d, sites] += weight * (links[j] @ m)
                else:
                    raw[d, sites] -= weight * (m @ links[j])
                acc = links[j] if acc is None else links[j] @ acc


def _rho_plaq_matrix(ndim: int, rho_plaq: float) -> np.ndarray:
    m = np.full((ndim, ndim), float(rho_plaq))
    np.fill_diagonal(m, 0.0)
    return np.ascontiguousarray(m)


def _unit_plaquette_staples(field) -> np.ndarray:
    c, _ = _staple_sums(field, _rho_plaq_matrix(field.lattice.ndim, 1.0))
    return c


def staple_sum(field, rho_plaq: float, rho_rect: float = 0.0) -> np.ndarray:
    """C = rho_plaq P + rho_rect R (rectangles only computed if rho_rect != 0)."""
    c = _unit_plaquette_staples(field) * float(rho_plaq)
    if rho_rect != 0.0:
        c += float(rho_rect) * path_staples(field, "rect")
    return np.ascontiguousarray(c)


def layer_forward(field, rho_plaq: float, rho_rect: float = 0.0) -> GaugeField:
    """U' = exp(TA(C U^dag)) U for every link (a new field)."""
    u = field.links
    c = staple_sum(field, rho_plaq, rho_rect)
    out = np.empty_like(u)
    K.stout_apply(u, c, np.ones(field.lattice.ndim, np.bool_), out)
    return GaugeField(field.lattice, field.group, out)


def layer_backward(field, force_on_smeared, rho_plaq: float, rho_rect: float = 0.0,
                   use_rect: bool = False, want_grad: bool = True):
    """(F, g): F = grad (S o layer) at ``field`` (the layer's input) from F' = grad S at the
    layer's output, and g = (dS/d rho_plaq, dS/d rho_rect) (g[1] = 0 unless ``use_rect``;
    None if not ``want_grad``)."""
    lat, group = field.lattice, field.group
    u = field.links
    fp = np.ascontiguousarray(force_on_smeared, dtype=np.complex128)
    if fp.shape != u.shape:
        raise ValueError(f"force has shape {fp.shape}, expected the links' shape {u.shape}")
    c_plaq = _unit_plaquette_staples(field)
    c_rect = path_staples(field, "rect") if use_rect else None
    c = c_plaq * float(rho_plaq)
    if use_rect and rho_rect != 0.0:
        c = c + float(rho_rect) * c_rect
    c = np.ascontiguousarray(c)
    r0 = np.empty_like(u)
    z = np.empty_like(u)
    K.stout_prepare(u, c, fp, np.ones(lat.ndim, np.bool_), r0, z)
    out = np.empty_like(u)
    K.stout_chain(u, lat.fwd, lat.bwd, _rho_plaq_matrix(lat.ndim, rho_plaq), r0, z, out)
    if use_rect and rho_rect != 0.0:
        raw = np.zeros_like(u)
        _path_backward(u, z, float(rho_rect), _path_tables(lat, "rect"), raw)
        out += group.ta(raw)
    grad = None
    if want_grad:
        inv_c = 1.0 / group.norm
        g_plaq = -inv_c * float(np.einsum("mxij,mxji->", c_plaq, z).real)
        g_rect = -inv_c * float(np.einsum("mxij,mxji->", c_rect, z).real) if use_rect else 0.0
        grad = np.array([g_plaq, g_rect])
    return out, grad


def path_force(field, force_on_smeared, rho_plaq: float, rho_rect: float = 0.0):
    """Reference: the same thin-link force with *both* staple types through
    :func:`_path_backward` (no ``stout_chain``); used by the tests as a cross-check."""
    lat, group = field.lattice, field.group
    u = field.links
    fp = np.ascontiguousarray(force_on_smeared, dtype=np.complex128)
    c = staple_sum(field, rho_plaq, rho_rect)
    r0 = np.empty_like(u)
    z = np.empty_like(u)
    K.stout_prepare(u, c, fp, np.ones(lat.ndim, np.bool_), r0, z)
    raw = r0.copy()
    _path_backward(u, z, float(rho_plaq), _path_tables(lat, "plaq"), raw)
    if rho_rect != 0.0:
        _path_backward(u, z, float(rho_rect), _path_tables(lat, "rect"), raw)
    return group.ta(raw)
