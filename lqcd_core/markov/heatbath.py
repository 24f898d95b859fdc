"""Heatbath + overrelaxation for the Wilson plaquette action (docs/heatbath.md).

    hb = Heatbath(GaugeAction(beta=5.7), or_per_hb=4, seed_key=1234)
    for counter in range(n_sweeps):
        info = hb.sweep(field, counter)     # in place on field.links

One ``sweep`` = one heatbath sweep (U(1): von Mises; SU(2): Kennedy-Pendleton /
Creutz; SU(n >= 3): Cabibbo-Marinari over the n(n-1)/2 SU(2) subgroups) followed
by ``or_per_hb`` overrelaxation sweeps.  The random numbers are a pure function
of (seed_key, counter, link, draw) (Philox-4x32-10), so the same key and
counters give bit-identical links for any number of threads, and a run restarted
from a saved field and counter continues the same chain bit-exactly.
"""
from __future__ import annotations

import numba
import numpy as np

from . import _heatbath_kernels as K
from .rng import STREAM_HEATBATH, counter_words, key_words

#: lattices with fewer links per (direction, parity) than this run single-threaded
PARALLEL_MIN_SITES = 1024


def _check_action(action):
    from ..actions.gauge import GaugeAction

    if not isinstance(action, GaugeAction) or action.c1 != 0.0 or action.c0 != 1.0:
        raise ValueError("heatbath supports only the Wilson plaquette action; use hmc")


class Heatbath:
    """Heatbath + overrelaxation updater.

    Parameters
    ----------
    action : GaugeAction
        Must be the Wilson plaquette action (c1 = 0).
    or_per_hb : int
        Overrelaxation sweeps after each heatbath sweep (>= 0).
    seed_key : int
        64-bit Philox key in [0, 2^64); the ensemble's identity.
    parallel : bool or None
        None: threads for lattices with >= PARALLEL_MIN_SITES sites per parity;
        True / False: force.  The numbers do not depend on this choice.
    """

    def __init__(self, action, or_per_hb: int = 4, seed_key: int = 0, parallel=None):
        _check_action(action)
        or_per_hb = int(or_per_hb)
        if or_per_hb < 0:
            raise ValueError(f"or_per_hb must be >= 0, got {or_per_hb}")
        self.action = action
        self.beta = float(action.beta)
        self.or_per_hb = or_per_hb
        self.seed_key = int(seed_key)
        self._k0, self._k1 = key_words(self.seed_key)
        self.parallel = parallel

    def __repr__(self):
        return (f"Heatbath(beta={self.beta}, or_per_hb={self.or_per_hb}, "
                f"seed_key={self.seed_key})")

    # ------------------------------------------------------------------
    def _run(self, field, counter, n_hb, n_or):
        lat = field.lattice
        u = field.links
        n = field.group.nc
        if u.dtype != np.complex128 or not u.flags.c_contiguous:
            raise ValueError("field.links must be a C-contiguous complex128 array")
        c2, c3 = counter_words(counter, STREAM_HEATBATH)
        cf = self.beta / n
        even, odd = lat.even_sites, lat.odd_sites
        par = self.parallel
        if par is None:
            par = len(even) >= PARALLEL_MIN_SITES and numba.get_num_threads() > 1
        kern = K.sweep_parallel if par else K.sweep_serial
        trials = int(kern(u, lat.fwd, lat.bwd, even, odd, cf, n_hb, n_or,
                          self._k0, self._k1, c2, c3))
        return trials, par

    def _info(self, field, counter, run, n_hb, n_or):
        trials, par = run
        if par:
            plaq = field.plaquette()
        else:
            lat = field.lattice
            plaq = K.plaquette_sum_serial(field.links, lat.fwd) / (lat.n_plaquettes * field.group.nc)
        if not np.isfinite(plaq):
            raise FloatingPointError("heatbath produced non-finite links (non-finite input field?)")
        n_links = field.lattice.ndim * field.lattice.volume
        n_sub = 1 if field.group.nc <= 2 else field.group.nc * (field.group.nc - 1) // 2
        eff = (n_hb * n_links * n_sub / trials) if trials else float("nan")
        return {"counter": int(counter), "plaquette": float(plaq), "n_hb": n_hb, "n_or": n_or,
                "hb_acceptance": eff}

    def sweep(self, field, counter: int) -> dict:
        """One heatbath sweep and ``or_per_hb`` overrelaxation sweeps, in place.

        ``counter`` (0 <= counter < 2^56) labels the sweep; never reuse a counter
        with the same key within one chain.  Returns {"counter", "plaquette",
        "n_hb", "n_or", "hb_acceptance"} (hb_acceptance: accepted / proposed in
        the rejection samplers)."""
        return self._info(field, counter, self._run(field, counter, 1, self.or_per_hb),
                          1, self.or_per_hb)

    def heatbath(self, field, counter: int) -> dict:
        """One heatbath sweep only."""
        return self._info(field, counter, self._run(field, counter, 1, 0), 1, 0)

    def overrelax(self, field, n: int = 1) -> dict:
        """``n`` overrelaxation sweeps only (deterministic, no random numbers)."""
        n = int(n)
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        return self._info(field, 0, self._run(field, 0, 0, n), 0, n)

    def run(self, field, n_sweeps: int, first_counter: int = 0) -> np.ndarray:
        """``n_sweeps`` sweeps with counters first_counter, first_counter + 1, ...;
        returns the plaquette after each sweep."""
        out = np.empty(int(n_sweeps))
        for i in range(int(n_sweeps)):
            out[i] = self.sweep(field, first_counter + i)["plaquette"]
        return out
