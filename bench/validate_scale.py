"""Validation against published physics: quenched SU(3), Wilson action, beta = 6.0.

Generates a 16^4 ensemble with heatbath + overrelaxation, measures the plaquette and flows
every saved configuration with the Wilson flow; t0/a^2 (t^2 <E_clover> = 0.3) with its
Gamma-method error is compared with the literature. Prints JSON; writes docs/validation.md
figures by hand from its output.

    python bench/validate_scale.py [--lattice 16] [--therm 200] [--configs 12] [--sep 20]

References: <P> = 0.59368 at beta = 6.0 (e.g. Boyd et al., NPB 469 (1996) 419: 0.593683(4));
t0/a^2 = 2.7854(62) at beta = 5.96 (Lüscher, JHEP 08 (2010) 071), about 3.18 at beta = 6.0
by interpolation of the published t0/a^2 values between beta = 5.96 and 6.17.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numba
import numpy as np

from lqcd_core.actions import GaugeAction
from lqcd_core.analysis import gamma_method
from lqcd_core.flow import flow_history, scale_setting
from lqcd_core.gauge import GaugeField
from lqcd_core.markov import Heatbath

PLAQ_REF, PLAQ_REF_ERR = 0.593683, 0.000004
T0_REF, T0_REF_ERR = 3.18, 0.03  # interpolated; uncertainty of the interpolation


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lattice", type=int, default=16)
    p.add_argument("--beta", type=float, default=6.0)
    p.add_argument("--therm", type=int, default=200)
    p.add_argument("--configs", type=int, default=12)
    p.add_argument("--sep", type=int, default=20, help="sweeps between flowed configurations")
    p.add_argument("--eps", type=float, default=0.02)
    p.add_argument("--tmax", type=float, default=3.6)
    p.add_argument("--seed", type=int, default=2010)
    a = p.parse_args(argv)
    L = a.lattice
    field = GaugeField.cold((L, L, L, L), "su3")
    hb = Heatbath(GaugeAction(a.beta), or_per_hb=4, seed_key=a.seed)
    t_start = time.perf_counter()
    plaq, counter = [], 0
    for _ in range(a.therm):
        hb.sweep(field, counter)
        counter += 1
    print(f"thermalised in {time.perf_counter() - t_start:.0f} s, plaquette {field.plaquette():.6f}",
          file=sys.stderr)
    t_grid, e_rows, flow_sec = None, [], 0.0
    for c in range(a.configs):
        for _ in range(a.sep):
            info = hb.sweep(field, counter)
            counter += 1
            plaq.append(info["plaquette"])
        t0 = time.perf_counter()
        hist = flow_history(field, kind="wilson", tmax=a.tmax, eps=a.eps, charge=False)
        flow_sec += time.perf_counter() - t0
        t_grid = np.array(hist["t"])
        e_rows.append(hist["E_clover"])
        print(f"config {c + 1}/{a.configs}: plaquette {field.plaquette():.6f}, "
              f"t2E_clover(tmax) {hist['t2E_clover'][-1]:.4f}", file=sys.stderr)
    plaq = np.array(plaq)
    rp = gamma_method(plaq)
    rt = scale_setting(t_grid, [np.array(e_rows)], "t0")
    out = {
        "lattice": [L] * 4, "beta": a.beta, "sweeps_therm": a.therm, "configs": a.configs,
        "sweeps_between": a.sep, "numba_threads": numba.get_num_threads(),
        "plaquette": {"mean": rp.mean, "error": rp.error, "tau_int_sweeps": rp.tau_int,
                      "reference": PLAQ_REF, "sigma": (rp.mean - PLAQ_REF) / np.hypot(rp.error, PLAQ_REF_ERR)},
        "t0": {"mean": rt.mean, "error": rt.error, "reference": T0_REF,
               "sigma": (rt.mean - T0_REF) / np.hypot(rt.error, T0_REF_ERR)},
        "seconds": {"total": time.perf_counter() - t_start, "flow": flow_sec},
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
