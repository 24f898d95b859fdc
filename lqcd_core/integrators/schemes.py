"""Symmetric symplectic splitting schemes as data.

A scheme for H = K(P) + S(U) with step e is the sequence

    P(p_0 e) U(u_0 e) P(p_1 e) U(u_1 e) ... U(u_{m-1} e) P(p_m e)

where P(h) is the momentum update P -= h F(U) and U(h) the link update
U <- exp(h P) U (or, on an outer level of a nested integrator, the integration
of the next level over the time h).  Consistency: sum p = sum u = 1.  Symmetric
schemes (p and u palindromic) are time-reversible, hence second order.

References
----------
* leapfrog: Duane, Kennedy, Pendleton, Roweth, PLB 195 (1987) 216.
* omelyan (2MN, "minimum norm"): Omelyan, Mryglod, Folk, Comput. Phys. Commun.
  151 (2003) 272, eq. (31); lambda = 0.1931833275037836; Takaishi & de Forcrand,
  PRE 73 (2006) 036706 (lattice QCD).  docs/conventions.md, "Integrators".
"""
from __future__ import annotations

from dataclasses import dataclass

OMELYAN_LAMBDA = 0.1931833275037836

@dataclass(frozen=True)
class Scheme:
    """Coefficients of one step: ``p`` (len m+1) for momenta, ``u`` (len m) for links."""

    name: str
    p: tuple
    u: tuple
    order: int
    reference: str

    def __post_init__(self):
        if len(self.p) != len(self.u) + 1:
            raise ValueError(f"scheme {self.name}: need len(p) == len(u) + 1")
        if abs(sum(self.p) - 1) > 1e-12 or abs(sum(self.u) - 1) > 1e-12:
            raise ValueError(f"scheme {self.name}: coefficients must sum to 1")

    @property
    def force_evaluations(self) -> int:
        """Force evaluations per step once the last P of a step merges with the next first."""
        return len(self.p) - 1


SCHEMES = {
    "leapfrog": Scheme("leapfrog", (0.5, 0.5), (1.0,), 2, "Duane et al. 1987"),
    "omelyan": Scheme(
        "omelyan", (OMELYAN_LAMBDA, 1 - 2 * OMELYAN_LAMBDA, OMELYAN_LAMBDA), (0.5, 0.5), 2,
        "Omelyan, Mryglod, Folk 2003, eq. (31); lambda = 0.1931833275037836"),
}


def get_scheme(name) -> Scheme:
    if isinstance(name, Scheme):
        return name
    key = str(name).lower()
    if key not in SCHEMES:
        raise ValueError(f"unknown integrator {name!r}; choose one of {', '.join(SCHEMES)}")
    return SCHEMES[key]
