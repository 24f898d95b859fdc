"""Topological charge: clover and 5Li-improved in 4D, geometric and field-theoretic in 2D U(1).

4D (docs/observables.md, "Topological charge").  With the anti-Hermitian clover
field strength F = a^2 G of :mod:`.clover` (G = i g F^a T_a),

    q(x) = (1/32 pi^2) eps_{mu nu rho sigma} tr(F^H_{mu nu} F^H_{rho sigma}),   F^H = -i F,
         = -(1/32 pi^2) eps tr(F_{mu nu} F_{rho sigma})
         = -(1/4 pi^2) [tr F01 F23 - tr F02 F13 + tr F03 F12],

eps_{0123} = +1 with (0, 1, 2, 3) = (x, y, z, t).  Since F^H = a^2 g F^a T_a + O(a^4) and
tr T_a T_b = delta_ab / 2, q(x) -> a^4 (g^2/64 pi^2) eps F^a_{mu nu} F^a_{rho sigma}
= a^4 (g^2/32 pi^2) F^a_{mu nu} Ftilde^a_{mu nu}, Ftilde_{mu nu} = (1/2) eps_{mu nu rho sigma} F_{rho sigma},
the standard density (self-dual fields, F = Ftilde, have Q > 0).  Q = sum_x q(x).
Positive abelian fluxes in the (0,1) and (2,3) planes along generators H_a, H_b give
Q = n_01 n_23 tr(H_a H_b) > 0 for tr(H_a H_b) > 0 (docs/observables.md).

Improved ("5Li") charge: de Forcrand, Garcia Perez and Stamatescu, Nucl. Phys. B 499
(1997) 409, five clover sizes (1x1, 2x2, 1x2, 1x3, 3x3) with

    c = (19 - 55 c5)/9, (1 - 64 c5)/9, (-64 + 640 c5)/45, 1/5 - 2 c5, c5,  c5 = 1/20,

    q_5Li(x) = sum_i c_i q[F^{(m_i, k_i)}](x),

F^{(m,k)} the area-normalised m x k clover (both orientations).  At tree level
F^{(m,k)} = F + a^2 (m^2+k^2)/12 (d_mu^2 + d_nu^2) F + a^4 [(m^4+k^4)/240 (d_mu^4 + d_nu^4)
+ m^2 k^2/36 d_mu^2 d_nu^2] F + ..., so q[F^{(m,k)}] has a^2 corrections proportional to
m^2+k^2 and a^4 corrections to m^4+k^4 and m^2 k^2; the coefficients satisfy
sum c = 1, sum c (m^2+k^2) = 0, sum c (m^4+k^4) = 0, sum c m^2 k^2 = 0, which removes
both orders (tests check the four sums).

2D U(1): with theta_P(x) = arg U_{01}(x) in (-pi, pi],

    Q_geom  = (1/2 pi) sum_x theta_P(x)   (an integer on every periodic configuration:
              every link phase enters two plaquettes with opposite signs),
    Q_field = (1/2 pi) sum_x sin theta_P(x) = (1/2 pi) sum_x Im U_{01}(x).

Both -> (g/2 pi) integral F_{01}.
"""
from __future__ import annotations

import numpy as np

from .clover import _densities

# de Forcrand, Garcia Perez, Stamatescu (1997): 5Li with c5 = 1/20
C5 = 1.0 / 20.0
FIVE_LOOP_SHAPES = ((1, 1), (2, 2), (1, 2), (1, 3), (3, 3))
FIVE_LOOP_COEFFS = ((19.0 - 55.0 * C5) / 9.0, (1.0 - 64.0 * C5) / 9.0, (-64.0 + 640.0 * C5) / 45.0,
                    1.0 / 5.0 - 2.0 * C5, C5)

KINDS_4D = ("clover", "5li")
KINDS_2D = ("geometric", "field")


def _require_4d(field):
    if field.lattice.ndim != 4:
        raise ValueError(f"the clover topological charge needs a 4D lattice, got {field.lattice}")


def _require_2d_u1(field):
    if field.lattice.ndim != 2 or field.group.nc != 1:
        raise ValueError("the geometric / field-theoretic charge is defined here for 2D U(1), "
                         f"got {field.group.name} on {field.lattice}")


# ---------------------------------------------------------------------------
# 4D
# ---------------------------------------------------------------------------
def topological_charge_density(field, kind: str | None = None) -> np.ndarray:
    """(V,) charge density q(x).

    kind: 'clover' (default in 4D) or '5li' (improved) in 4D; 'geometric' (default in 2D)
    or 'field' for 2D U(1).
    """
    kind = _default_kind(field) if kind is None else str(kind).lower()
    if kind == "clover":
        _require_4d(field)
        return _densities(field)[1]
    if kind == "5li":
        _require_4d(field)
        return _densities(field, FIVE_LOOP_SHAPES, FIVE_LOOP_COEFFS)[1]
    if kind == "geometric":
        _require_2d_u1(field)
        return plaquette_angles(field) / (2.0 * np.pi)
    if kind == "field":
        _require_2d_u1(field)
        return np.sin(plaquette_angles(field)) / (2.0 * np.pi)
    raise ValueError(f"unknown topological charge {kind!r}; choose one of "
                     f"{', '.join(KINDS_4D + KINDS_2D)}")


def _default_kind(field) -> str:
    if field.lattice.ndim == 4:
        return "clover"
    if field.lattice.ndim == 2 and field.group.nc == 1:
        return "geometric"
    raise ValueError(f"no topological charge for {field.group.name} on {field.lattice} "
                     "(defined in 4D and for 2D U(1))")


def topological_charge(field, kind: str | None = None) -> float:
    """Q = sum_x q(x); default clover in 4D, geometric in 2D U(1)."""
    return float(topological_charge_density(field, kind).sum())


def topological_charge_clover(field) -> float:
    return topological_charge(field, "clover")


def topological_charge_improved(field) -> float:
    """5Li-improved charge (de Forcrand, Garcia Perez, Stamatescu 1997)."""
    return topological_charge(field, "5li")


# ---------------------------------------------------------------------------
# 2D U(1)
# ---------------------------------------------------------------------------
def plaquette_angles(field) -> np.ndarray:
    """(V,) theta_P(x) = arg U_{01}(x) in (-pi, pi] (2D U(1))."""
    _require_2d_u1(field)
    u = field.links[:, :, 0, 0]
    fwd = field.lattice.fwd
    up = u[0] * u[1][fwd[0]] * np.conj(u[0][fwd[1]]) * np.conj(u[1])
    theta = np.angle(up)
    theta[theta <= -np.pi] += 2.0 * np.pi
    return theta


def topological_charge_geometric(field) -> float:
    """(1/2 pi) sum_x arg U_P(x), arg in (-pi, pi] (an integer up to rounding)."""
    return topological_charge(field, "geometric")


def topological_charge_field_theoretic(field) -> float:
    """(1/2 pi) sum_x sin theta_P(x) (2D U(1))."""
    return topological_charge(field, "field")


# ---------------------------------------------------------------------------
# registry entry
# ---------------------------------------------------------------------------
def topology(field) -> dict:
    """Topological charge: Q_clover, Q_5li (4D); Q_geometric, Q_field (2D U(1)); else nothing."""
    lat = field.lattice
    if lat.ndim == 4:
        return {"Q_clover": topological_charge(field, "clover"),
                "Q_5li": topological_charge(field, "5li")}
    if lat.ndim == 2 and field.group.nc == 1:
        return {"Q_geometric": topological_charge(field, "geometric"),
                "Q_field": topological_charge(field, "field")}
    return {}
