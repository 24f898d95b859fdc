"""Gauge-invariant observables measured on configurations (docs/observables.md).

``MEASUREMENTS`` maps a measurement name to a function ``f(field, **kw) -> dict``
of scalar results (float values):

==============  =====================================================================
name            keys (keyword arguments)
==============  =====================================================================
plaquette       plaquette, plaquette_s, plaquette_t
rectangle       rectangle
polyakov        polyakov_re/_im/_abs (time), polyakov{mu}_re/_im/_abs (every mu)
wilson_loops    W_R_T for 1 <= R <= r_max, 1 <= T <= t_max
                (r_max=, t_max= default min(4, L/2); spatial= smeared field or callable)
topology        4D: Q_clover, Q_5li; 2D U(1): Q_geometric, Q_field; else {}
energy          E_plaq, E_clover (per site, a^4 E, Lüscher's normalisation)
condensate      pbp, pbp_err (fermion=, n_noise=, seed=; docs/fermion_measurements.md)
correlators     pion_tNN, rho_tNN (fermion=, source=); {} without a fermion
==============  =====================================================================

Ensemble quantities take series: ``polyakov_susceptibility(values, volume)``,
``static_potential(w, t)``, ``effective_potential_table(w)``.
"""
from .fermionic import chiral_condensate, condensate, correlators, meson_correlators
from .clover import (clover_field_strength, energy, energy_density_clover,
                     energy_density_clover_sites, energy_density_plaquette,
                     energy_density_plaquette_sites, planes)
from .loops import (plaquette, plaquette_spatial, plaquette_temporal, plaquettes, rectangle,
                    rectangles)
from .polyakov import (polyakov, polyakov_loop, polyakov_loop_directions, polyakov_loops,
                       polyakov_susceptibility)
from .topology import (FIVE_LOOP_COEFFS, FIVE_LOOP_SHAPES, plaquette_angles, topological_charge,
                       topological_charge_clover, topological_charge_density,
                       topological_charge_field_theoretic, topological_charge_geometric,
                       topological_charge_improved, topology)
from .wilson_loops import (effective_potential_table, static_potential, table_from_results,
                           wilson_loop, wilson_loop_table, wilson_loops)

MEASUREMENTS = {
    "plaquette": plaquettes,
    "rectangle": rectangles,
    "polyakov": polyakov,
    "wilson_loops": wilson_loops,
    "topology": topology,
    "energy": energy,
    "condensate": condensate,
    "correlators": correlators,
}


def measure(field, names=None, options=None) -> dict:
    """Run the named measurements (default: all) and merge their results into one dict.

    ``options`` maps a measurement name to its keyword arguments.
    """
    names = list(MEASUREMENTS) if names is None else list(names)
    options = options or {}
    unknown = [n for n in names if n not in MEASUREMENTS]
    if unknown:
        raise ValueError(f"unknown measurement(s) {', '.join(map(repr, unknown))}; "
                         f"available: {', '.join(MEASUREMENTS)}")
    res = {}
    for n in names:
        res.update(MEASUREMENTS[n](field, **options.get(n, {})))
    return res


__all__ = [
    "MEASUREMENTS", "measure", "chiral_condensate", "meson_correlators", "condensate", "correlators",
    "plaquette", "plaquette_spatial", "plaquette_temporal", "plaquettes", "rectangle", "rectangles",
    "polyakov", "polyakov_loop", "polyakov_loops", "polyakov_loop_directions",
    "polyakov_susceptibility",
    "wilson_loop", "wilson_loop_table", "wilson_loops", "static_potential",
    "effective_potential_table", "table_from_results",
    "clover_field_strength", "planes", "energy", "energy_density_clover",
    "energy_density_clover_sites", "energy_density_plaquette", "energy_density_plaquette_sites",
    "topology", "topological_charge", "topological_charge_density", "topological_charge_clover",
    "topological_charge_improved", "topological_charge_geometric",
    "topological_charge_field_theoretic", "plaquette_angles",
    "FIVE_LOOP_SHAPES", "FIVE_LOOP_COEFFS",
]
