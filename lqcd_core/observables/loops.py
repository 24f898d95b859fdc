"""Small Wilson loops: plaquettes (all, spatial, temporal) and 2x1 rectangles.

Normalisations (docs/conventions.md, "Gauge actions"): averages of Re tr W / n, so
every loop is 1 on the unit field.

* plaquette: over all V D(D-1)/2 plaquettes U_{mu nu}(x), mu < nu;
* spatial / temporal plaquette: planes without / with the time direction D-1;
* rectangle: over all V D(D-1) rectangles R_{mu nu}(x) (two steps along mu, one along
  nu, every ordered pair mu != nu), from ``lqcd_core.gauge._rectangles.rectangle_sum``.
"""
from __future__ import annotations

from ..gauge._rectangles import rectangle_sum


def plaquette(field) -> float:
    """<P> = average Re tr U_P / n over all plaquettes."""
    return field.plaquette()


def plaquette_spatial(field) -> float:
    """Average over the planes without the time direction (nan in 2D)."""
    return field.plaquette_st()[0]


def plaquette_temporal(field) -> float:
    """Average over the planes (k, D-1)."""
    return field.plaquette_st()[1]


def rectangle(field) -> float:
    """Average Re tr R / n over all V D(D-1) 2x1 rectangles."""
    lat = field.lattice
    s = rectangle_sum(field.links, lat.fwd)
    return float(s / (lat.volume * lat.ndim * (lat.ndim - 1) * field.group.nc))


def plaquettes(field) -> dict:
    """Average plaquette: all, spatial, temporal (plaquette, plaquette_s, plaquette_t)."""
    ps, pt = field.plaquette_st()
    return {"plaquette": field.plaquette(), "plaquette_s": ps, "plaquette_t": pt}


def rectangles(field) -> dict:
    """Average 2x1 rectangle Re tr R / n (rectangle)."""
    return {"rectangle": rectangle(field)}
