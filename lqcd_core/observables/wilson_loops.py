"""On-axis rectangular Wilson loops W(R, T) and the static potential.

    W(R, T) = < (1/n) Re tr [ S_k^R(x) T^T(x + R k) S_k^R(x + T t)^dag T^T(x)^dag ] >,

averaged over all sites x and the D-1 spatial directions k, with the straight lines

    S_k^R(x) = U_k(x) U_k(x+k) ... U_k(x+(R-1)k),    T^T(x) = U_t(x) ... U_t(x+(T-1)t),

t = D-1 the time direction.  W(1, 1) is the average temporal plaquette (the loop is
U_{k t}(x) of docs/conventions.md).

Cost: the temporal lines T^T for T = 1..T_max are built once (one product per site
and T, kept in memory: T_max V n^2 complex numbers); for each direction k the
spatial line is extended R -> R+1 in place (one product per site), and each loop
costs two products and a trace per site.  Everything runs in Numba kernels over
sites.

The spatial lines may come from a smeared copy of the field (APE/HYP/stout with
spatial directions only leave the transfer matrix intact): pass ``spatial=`` as
a GaugeField, or a callable that returns one from the field.  The temporal links
are always the unsmeared ones.

Static potential (ensemble averages W): aV_eff(R, T) = ln(W(R,T) / W(R,T+1)),
which tends to aV(R) as T grows (the plateau of the effective mass in T).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..group._linalg import mul_nn, retr_nd


@njit(parallel=True, cache=True)
def _extend_line(line, ud, idx, out):
    """out[x] = line[x] ud[idx[x]]  (idx[x] = the site after the end of the line)."""
    vol, n = line.shape[0], line.shape[1]
    for x in prange(vol):
        mul_nn(line[x], ud[idx[x]], out[x])


@njit(parallel=True, cache=True)
def _loop_sum(s_line, t_line, x_r, x_t):
    """sum_x Re tr[S(x) T(x+Rk) (T(x) S(x+Tt))^dag] (x_r[x] = x+Rk, x_t[x] = x+Tt)."""
    vol, n = s_line.shape[0], s_line.shape[1]
    acc = 0.0
    for x in prange(vol):
        a = np.empty((n, n), np.complex128)
        b = np.empty((n, n), np.complex128)
        mul_nn(s_line[x], t_line[x_r[x]], a)
        mul_nn(t_line[x], s_line[x_t[x]], b)
        acc += retr_nd(a, b)
    return acc


def _spatial_links(field, spatial):
    if spatial is None:
        return field.links
    if callable(spatial):
        spatial = spatial(field)
    links = np.asarray(spatial.links if hasattr(spatial, "links") else spatial)
    if links.shape != field.links.shape:
        raise ValueError(f"smeared field has link shape {links.shape}, expected {field.links.shape}")
    return np.ascontiguousarray(links, dtype=np.complex128)


def wilson_loop_table(field, r_max: int, t_max: int, spatial=None) -> np.ndarray:
    """(r_max, t_max) array: entry [R-1, T-1] = W(R, T) (module docstring).

    Parameters
    ----------
    r_max : int
        Largest spatial extent, at most the smallest spatial lattice extent.
    t_max : int
        Largest temporal extent, at most L_{D-1}.
    spatial : GaugeField or callable, optional
        Field (e.g. spatially smeared) whose links build the spatial lines.
    """
    lat = field.lattice
    d = lat.ndim
    t = d - 1
    r_max, t_max = int(r_max), int(t_max)
    lmin = min(lat.extents[:t])
    if not 1 <= r_max <= lmin:
        raise ValueError(f"r_max = {r_max} must lie in 1..{lmin} (smallest spatial extent)")
    if not 1 <= t_max <= lat.extents[t]:
        raise ValueError(f"t_max = {t_max} must lie in 1..{lat.extents[t]} (temporal extent)")
    u = field.links
    us = _spatial_links(field, spatial)
    fwd = lat.fwd
    n = field.group.nc
    vol = lat.volume

    # temporal lines T^T(x) and the shifted sites x + T t
    t_lines = np.empty((t_max, vol, n, n), np.complex128)
    t_lines[0] = u[t]
    x_t = [fwd[t]]
    for tt in range(1, t_max):
        _extend_line(t_lines[tt - 1], u[t], x_t[-1], t_lines[tt])
        x_t.append(fwd[t][x_t[-1]])

    out = np.zeros((r_max, t_max))
    s_line = np.empty((vol, n, n), np.complex128)
    s_next = np.empty_like(s_line)
    for k in range(t):
        s_line[...] = us[k]
        x_r = fwd[k]
        for r in range(r_max):
            if r > 0:
                _extend_line(s_line, us[k], x_r, s_next)
                s_line, s_next = s_next, s_line
                x_r = fwd[k][x_r]
            for tt in range(t_max):
                out[r, tt] += _loop_sum(s_line, t_lines[tt], x_r, x_t[tt])
    return out / (t * vol * n)


def wilson_loop(field, r: int, t: int, spatial=None) -> float:
    """W(R, T) for one size."""
    return float(wilson_loop_table(field, r, t, spatial)[r - 1, t - 1])


def default_sizes(field) -> tuple[int, int]:
    """Default (r_max, t_max): half the smallest spatial extent and half L_t, at most 4."""
    lat = field.lattice
    return (min(4, max(1, min(lat.extents[:-1]) // 2)), min(4, max(1, lat.extents[-1] // 2)))


def wilson_loops(field, r_max: int | None = None, t_max: int | None = None, spatial=None) -> dict:
    """Wilson loops W_R_T for R <= r_max, T <= t_max (default min(4, L/2); spatial= smeared field)."""
    dr, dt = default_sizes(field)
    r_max = dr if r_max is None else int(r_max)
    t_max = dt if t_max is None else int(t_max)
    w = wilson_loop_table(field, r_max, t_max, spatial)
    return {f"W_{r + 1}_{tt + 1}": float(w[r, tt]) for r in range(r_max) for tt in range(t_max)}


def table_from_results(results: dict) -> np.ndarray:
    """Inverse of :func:`wilson_loops`: the (r_max, t_max) table from 'W_R_T' keys (nan if missing)."""
    sizes = [tuple(int(v) for v in key.split("_")[1:]) for key in results if key.startswith("W_")]
    if not sizes:
        raise ValueError("no W_R_T entries")
    r_max = max(s[0] for s in sizes)
    t_max = max(s[1] for s in sizes)
    w = np.full((r_max, t_max), np.nan)
    for r, tt in sizes:
        w[r - 1, tt - 1] = results[f"W_{r}_{tt}"]
    return w


def effective_potential_table(w) -> np.ndarray:
    """(r_max, t_max-1) array aV_eff(R, T) = ln(W(R,T)/W(R,T+1)), [R-1, T-1]; nan if not positive.

    ``w`` is a table of (ensemble-averaged) loops as from :func:`wilson_loop_table`.
    """
    w = np.asarray(w, float)
    if w.ndim != 2 or w.shape[1] < 2:
        raise ValueError(f"need a (r_max, t_max >= 2) table of W(R, T), got shape {w.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = w[:, :-1] / w[:, 1:]
        return np.where(ratio > 0, np.log(np.where(ratio > 0, ratio, 1.0)), np.nan)


def static_potential(w, t: int) -> np.ndarray:
    """aV(R) = ln(W(R,T)/W(R,T+1)) at the given T, for R = 1..r_max (array)."""
    w = np.asarray(w, float)
    t = int(t)
    if not 1 <= t < w.shape[1]:
        raise ValueError(f"T = {t} needs W(R, T+1): T must lie in 1..{w.shape[1] - 1}")
    return effective_potential_table(w)[:, t - 1]
