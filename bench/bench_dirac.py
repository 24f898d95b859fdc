"""Dirac operators and CG of lqcd_core (SU(3), D = 4, double precision), one JSON document.

    python bench/bench_dirac.py --out bench/results/dirac.json   # full: 8^4 and 16^4, ~4 min idle
    python bench/bench_dirac.py --quick                          # 8^4 only, 1 round, ~1 min
    python bench/bench_dirac.py --report bench/results/dirac.json   # markdown tables

Progress goes to stderr, the JSON to stdout (and to ``--out``).  Measured in one process,
with 1 thread and all Numba threads (``numba.set_num_threads``), on a hot (random) field:

* operators: ``op.apply(x)`` of plain Wilson M, Wilson-clover M (csw = 1), Wilson and
  Wilson-clover even-odd M_hat, staggered M and even-odd A = m^2 - D_eo D_oe; applications
  per second, ns per *full-lattice* site (an even-odd operator, acting on V/2 sites, is
  two half-lattice hops: the work of one full-lattice hop, so time / V makes it comparable
  with M), GFLOP/s, GB/s of a byte model, fraction of the bandwidth roofline
  (bytes / STREAM-triad bandwidth of the same run) and of the FMA peaks;
* access-pattern ceilings: Numba kernels that read and write the same bytes through the same
  neighbour tables as the Wilson and staggered operators but only add (no products);
* CG: one iteration of ``lqcd_core.solvers.cg`` on the normal equations (Wilson even-odd
  M_hat^dag M_hat, plain and clover; staggered even-odd A), split into the operator and the
  linear algebra (timed inside the solve), plus the fused BLAS kernels alone;
* trajectories: dynamical HMC (``Chain``) on 8^4 at beta = 5.6 for Wilson-clover nf = 2 and
  staggered nf = 4 (1 thread unless --traj-threads): seconds per trajectory, solver seconds,
  Dirac applications x measured time per application, their shares, and the pieces of one
  fermion force evaluation (bind, hermitian_deriv, log_det_extra_force) timed alone;
* machine limits of bench/bandwidth.py and the anchors (openQCD, MILC, roofline) with ratios.

The headline of every timing is the best (minimum) of repeats within a round and of the
rounds spread over the run (``--rounds``; all rounds kept as ``*_rounds``, medians as
``*_median``), compilation excluded; the machine limits are measured at the start and at the
end and the better is used.  docs/performance.md ("Dirac operators and solvers") explains it.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit, prange

_HERE = Path(__file__).resolve().parent
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

from bench.bandwidth import machine_limits  # noqa: E402
from bench.bench_gauge import (OtherLoad, _cpu_busy_fraction, _git_commit, log,  # noqa: E402
                               machine_info, thread_counts, threads, time_fn, wait_idle)
from bench.report_dirac import render_markdown  # noqa: E402
from lqcd_core.actions.gauge import GaugeAction  # noqa: E402
from lqcd_core.dirac import Staggered, Wilson  # noqa: E402
from lqcd_core.gauge.field import GaugeField  # noqa: E402
from lqcd_core.lattice import Lattice  # noqa: E402
from lqcd_core.solvers import SolverError, cg  # noqa: E402

KAPPA, CSW, STAG_MASS = 0.13, 1.0, 0.05
BUSY_LIMIT = 0.10

# --------------------------------------------------------------------------
# anchors (as given to the project; not re-measured here)
# --------------------------------------------------------------------------
REFERENCES = {
    "description": "Anchors given to the project for a 2-core machine of this kind, double precision.",
    "openqcd_wilson_clover_ns_per_site": {
        "8^4": {"threads": 1, "ns": [205.0, 205.0]},
        "16^4": {"threads": 2, "ns": [216.0, 231.0]},
        "note": "openQCD Dw_dble (full-lattice Wilson-clover operator), time per lattice point"},
    "milc_staggered_cg_iteration_ns_per_site": {
        "ns": [100.0, 190.0],
        "note": "MILC naive staggered CG, one iteration per lattice site"},
    "wilson_roofline": {
        "triad_gbytes_per_s": 22.0, "bytes_per_site": 2880, "ns": 130.0, "threads": 2,
        "note": "2880 B/site (hopping term) / ~22 GB/s triad on two cores"},
    "targets": {
        "wilson_clover_vs_openqcd": "our time / openQCD <= 1.3 (like for like: 8^4 1 thread, 16^4 2 threads)",
        "wilson_fraction_of_roofline": ">= 0.70 (plain Wilson M, roofline time = bytes / triad of this run)"},
}


# --------------------------------------------------------------------------
# flop and byte models, per full-lattice site (docs/performance.md)
# --------------------------------------------------------------------------
def counts(clover_block_bytes: float = 2 * 21 * 16) -> dict:
    """Flop and byte models per full-lattice site; ``clover_block_bytes``: the two clover
    blocks of a site as the operator stores them (packed Hermitian 2 x 21 complex: 672 B)."""
    link, spinor, cvec = 18 * 8, 24 * 8, 6 * 8          # bytes: SU(3) link, Wilson spinor, colour vector
    block = clover_block_bytes
    hop_w, hop_s = 1320, 570                             # standard hopping-term flop counts
    clov = 2 * (6 * 2 + 30 * 6 + 30 * 2)                 # two Hermitian 6x6 mat-vecs: 504
    wb = 8 * link + 8 * spinor + spinor                  # hop: links + neighbours + output: 2880
    sb = 8 * link + 8 * cvec + cvec                      # staggered hop: 1584
    k = {
        "wilson": {"flops": hop_w + 48, "bytes": wb + spinor},
        "wilson_clover": {"flops": hop_w + 48 + clov, "bytes": wb + spinor + block},
        "wilson_eo": {"flops": (hop_w + 24 + hop_w + 48) / 2, "bytes": (wb + wb + spinor) / 2},
        "wilson_clover_eo": {"flops": (hop_w + 24 + clov + hop_w + 48 + clov) / 2,
                             "bytes": (wb + block + wb + spinor + block) / 2},
        "staggered": {"flops": hop_s + 18, "bytes": sb + cvec},
        "staggered_eo": {"flops": (hop_s + 6 + hop_s + 18) / 2, "bytes": (sb + sb + cvec) / 2},
    }
    # CG iteration: op + rdot (2R) + cg_update (4R 2W) + xpay (2R 1W) = 11 vector passes,
    # 20 flops per complex number; vectors live on V/2 sites
    cgk = {
        "wilson_eo_normal": ("wilson_eo", 2, 6),          # (operator, applications, complex per full site)
        "wilson_clover_eo_normal": ("wilson_clover_eo", 2, 6),
        "staggered_eo": ("staggered_eo", 1, 1.5),
    }
    k["cg"] = {}
    for name, (op, napp, ncplx) in cgk.items():
        c = {"operator": op, "applications": napp, "linalg_flops": 20 * ncplx, "linalg_bytes": 11 * 16 * ncplx,
             "operator_flops": napp * k[op]["flops"], "operator_bytes": napp * k[op]["bytes"]}
        c["flops"] = c["operator_flops"] + c["linalg_flops"]
        c["bytes"] = c["operator_bytes"] + c["linalg_bytes"]
        k["cg"][name] = c
    k["notes"] = (
        "Per full-lattice site, double precision. Flops: standard hopping counts (Wilson 1320 = 8 x "
        "(12 projection + 2 x 66 SU(3) mat-vec + 24 reconstruct/accumulate) - 24; staggered 570 = "
        "8 x 66 + 7 x 6), plus what the kernels add: scaling by kappa 24, adding the diagonal 24, "
        "two Hermitian 6x6 clover mat-vecs 2 x (6 x 2 + 30 x 6 + 30 x 2) = 504 (staggered: a x + b Dx 18, b Dx 6); the boundary/eta "
        "sign multiplications are not counted. Bytes: no-reuse model (every operand read from "
        "memory once per use): 8 links x 144 B + 8 neighbour spinors x 192 B (staggered 48 B) + "
        "output 192 B (48 B) = 2880 B (1584 B) for the hop, + 192 B (48 B) for the diagonal input, "
        f"+ {block:.0f} B for the two clover blocks as the operator stores them (packed Hermitian "
        "2 x 21 complex: 672 B; full complex 6x6: 1152 B; openQCD's 2 x 36 reals: 576 B); "
        "index and sign tables (Wilson 64 B: the signs are folded into the per-site links; staggered "
        "116 B per site) and write-allocate reads are "
        "not counted. Even-odd: the mean of the two half-lattice passes (odd output without, even "
        "output with the diagonal term). CG: operator x applications + 11 vector passes (8 reads, "
        "3 writes) of 20 flops per complex number.")
    return k


# --------------------------------------------------------------------------
# access-pattern ceilings: the operators' loads and stores through the same tables, adds only
# --------------------------------------------------------------------------
@njit(parallel=True, fastmath=True, cache=True)
def gather_add(out, psi, u, fwd, bwd, dpsi):
    """out[x] = dpsi[x] + sum_mu psi[x+mu] + psi[x-mu] + (sum of the 8 links' entries):
    the bytes of M = 1 - kappa H (out (V, n), psi, dpsi (V, n), u (4, V, 9)) with adds only."""
    n, m = out.shape[0], out.shape[1]
    for x in prange(n):
        s = 0j
        for mu in range(4):
            y = bwd[mu, x]
            for k in range(9):
                s += u[mu, x, k] + u[mu, y, k]
        for k in range(m):
            a = dpsi[x, k] + s
            for mu in range(4):
                a += psi[fwd[mu, x], k] + psi[bwd[mu, x], k]
            out[x, k] = a


def clover_block_bytes(field) -> tuple[float, str]:
    """Bytes per site of the clover blocks the full Wilson-clover kernel reads (from the bound
    operator's kernel array ``_blocks`` if present, else the packed-Hermitian 672 B)."""
    try:
        b = Wilson(kappa=KAPPA, csw=CSW).bind(field)._blocks
        if isinstance(b, np.ndarray) and b.shape[0] == field.lattice.volume:
            return float(b[0].nbytes), f"WilsonOperator._blocks: {b.shape[1:]} {b.dtype} per site"
    except Exception:                                          # noqa: BLE001  private layout changed
        pass
    return 672.0, "assumed: packed Hermitian 2 x 21 complex128"


def source_digest() -> dict:
    """sha256 (12 hex digits) of the kernel and solver sources timed here (they may be
    uncommitted: the git commit alone does not identify them)."""
    import hashlib
    root = _HERE.parent / "lqcd_core"
    out = {}
    for sub in ("dirac", "solvers"):
        for f in sorted((root / sub).glob("*.py")):
            out[f"{sub}/{f.name}"] = hashlib.sha256(f.read_bytes()).hexdigest()[:12]
    return out


def merge_best(dst: dict, src: dict, metric: str = "ns_per_site") -> None:
    """Keep, per kernel and thread count, the round with the smallest ``metric``; the values
    of all rounds are kept in ``<metric>_rounds``."""
    for name, res in src.items():
        if not isinstance(res, dict):
            dst.setdefault(name, res)
            continue
        old = dst.setdefault(name, {k: v for k, v in res.items() if not isinstance(v, dict)})
        for nt, e in res.items():
            if not isinstance(e, dict):
                continue
            hist = (old[nt][f"{metric}_rounds"] if nt in old else []) + [e[metric]]
            if nt not in old or e[metric] < old[nt][metric]:
                old[nt] = e
            old[nt][f"{metric}_rounds"] = hist


def _best_attempt(measure, metric, retries):
    best = None
    for attempt in range(retries + 1):
        if attempt:
            log("  busy machine: waiting for idle CPUs, then again")
            wait_idle(30.0)
        r = measure()
        if best is None or r[metric] < best[metric]:
            best = r
        if r.get("others_cpu_fraction") is None or r["others_cpu_fraction"] < BUSY_LIMIT:
            break
    best["attempts"] = attempt + 1
    return best


def _rates(r, flops, nbytes, limits, nt, ns):
    bw = limits["triad"][str(nt)]["gbytes_per_s_stream"]
    fma = limits["fma"][str(nt)]
    r.update({"gflops": flops / ns, "gbytes_per_s": nbytes / ns,
              "roofline_ns_per_site": nbytes / bw, "fraction_of_roofline": nbytes / bw / ns,
              "fraction_of_fma_peak": flops / ns / fma["gflops"],
              "fraction_of_scalar_fma_peak": flops / ns / fma["gflops_scalar"]})
    return r


def add_rates(doc, C) -> None:
    """GFLOP/s, GB/s and the fractions of the machine limits, for every timed entry (after
    the limits are final: the best of the measurements at the start and at the end)."""
    lim = doc["machine"]["limits"]
    for ops in doc["operators"].values():
        for name, res in ops.items():
            for nt, e in res.items():
                if isinstance(e, dict):
                    _rates(e, C[name]["flops"], C[name]["bytes"], lim, nt, e["ns_per_site"])
    for ks in doc["access_pattern"].values():
        for res in ks.values():
            for nt, e in res.items():
                if isinstance(e, dict):
                    _rates(e, 0.0, res["bytes_per_site"], lim, nt, e["ns_per_site"])
    for cgs in doc["cg"].values():
        for name, res in cgs.items():
            if not isinstance(res, dict):
                continue
            c = C["cg"][name]
            for nt, e in res.items():
                if not isinstance(e, dict):
                    continue
                bw = lim["triad"][nt]["gbytes_per_s_stream"]
                op_ns, la_ns, bl_ns = (e["operator_ns_per_site"], e["linalg_ns_per_site"],
                                       e["blas_kernels_ns_per_site"])
                e.update({"operator_gbytes_per_s": c["operator_bytes"] / op_ns,
                          "linalg_gbytes_per_s": c["linalg_bytes"] / la_ns if la_ns > 0 else None,
                          "blas_kernels_gbytes_per_s": c["linalg_bytes"] / bl_ns,
                          "operator_fraction_of_roofline": c["operator_bytes"] / bw / op_ns,
                          "linalg_fraction_of_roofline": c["linalg_bytes"] / bw / la_ns if la_ns > 0 else None,
                          "blas_kernels_fraction_of_roofline": c["linalg_bytes"] / bw / bl_ns})
                _rates(e, c["flops"], c["bytes"], lim, nt, e["ns_per_site"])


def merge_limits(runs: list) -> dict:
    """The best of several bandwidth.machine_limits() results: the largest triad bandwidth and
    FMA rates per thread count (other processes can only lower them)."""
    out = {"triad": {}, "fma": {}, "notes": runs[0]["notes"],
           "measurements": [{"others_cpu_fraction": r.get("others_cpu_fraction"),
                             "triad_gbytes_per_s": {k: v["gbytes_per_s_stream"] for k, v in r["triad"].items()},
                             "fma_gflops": {k: v["gflops"] for k, v in r["fma"].items()},
                             "fma_gflops_scalar": {k: v["gflops_scalar"] for k, v in r["fma"].items()}}
                            for r in runs],
           "statistic": "best over the measurements at the start and at the end of the run"}
    for nt in runs[0]["triad"]:
        out["triad"][nt] = dict(max((r["triad"][nt] for r in runs), key=lambda t: t["gbytes_per_s_stream"]))
        f = dict(max((r["fma"][nt] for r in runs), key=lambda t: t["gflops"]))
        f["gflops_scalar"] = max(r["fma"][nt]["gflops_scalar"] for r in runs)
        out["fma"][nt] = f
    return out


# --------------------------------------------------------------------------
# operators
# --------------------------------------------------------------------------
def fermions() -> dict:
    return {
        "wilson": Wilson(kappa=KAPPA),
        "wilson_clover": Wilson(kappa=KAPPA, csw=CSW),
        "wilson_eo": Wilson(kappa=KAPPA, even_odd=True),
        "wilson_clover_eo": Wilson(kappa=KAPPA, csw=CSW, even_odd=True),
        "staggered": Staggered(STAG_MASS, even_odd=False),
        "staggered_eo": Staggered(STAG_MASS, even_odd=True),
    }


def bench_operators(field, reps, nts, C, retries, min_sample) -> dict:
    vol = field.lattice.volume
    rng = np.random.default_rng(11)
    out = {}
    for name, ferm in fermions().items():
        op = ferm.bind(field)
        x = op.gaussian(rng, op.shape)
        op.apply(x)                                       # compile / warm up
        res = {"shape": list(op.shape)}

        def measure(nt):
            with threads(nt), OtherLoad() as load:
                op.apply(x)
                t = time_fn(lambda: op.apply(x), reps, min_sample)
            return {"threads": nt, "others_cpu_fraction": load.fraction,
                    "seconds_per_application": t["best"], "applications_per_second": 1.0 / t["best"],
                    "ns_per_site": t["best"] / vol * 1e9, "ns_per_site_median": t["median"] / vol * 1e9}

        for nt in nts:
            res[str(nt)] = _best_attempt(lambda: measure(nt), "ns_per_site", retries)
            e = res[str(nt)]
            log(f"  {name:17s} {nt} thr: {e['ns_per_site']:7.1f} ns/site, "
                f"{C[name]['flops'] / e['ns_per_site']:5.1f} GFLOP/s, {C[name]['bytes'] / e['ns_per_site']:5.1f} GB/s"
                + (f"  [others {100 * e['others_cpu_fraction']:.0f}%]"
                   if (e["others_cpu_fraction"] or 0) > 0.05 else ""))
        out[name] = res
    return out


def bench_access(field, reps, nts, C, retries, min_sample) -> dict:
    """gather_add with the Wilson (n = 12) and staggered (n = 3) byte counts of M."""
    lat = field.lattice
    vol = lat.volume
    u = np.ascontiguousarray(field.links.reshape(4, vol, 9))
    rng = np.random.default_rng(5)
    out = {}
    for name, n, ref in (("wilson_access", 12, "wilson"), ("staggered_access", 3, "staggered")):
        psi = rng.standard_normal((vol, n)) + 1j * rng.standard_normal((vol, n))
        dst = np.empty_like(psi)
        gather_add(dst, psi, u, lat.fwd, lat.bwd, psi)
        res = {"bytes_per_site": C[ref]["bytes"], "same_bytes_as": ref}

        def measure(nt):
            with threads(nt), OtherLoad() as load:
                t = time_fn(lambda: gather_add(dst, psi, u, lat.fwd, lat.bwd, psi), reps, min_sample)
            return {"threads": nt, "others_cpu_fraction": load.fraction, "ns_per_site": t["best"] / vol * 1e9,
                    "ns_per_site_median": t["median"] / vol * 1e9}

        for nt in nts:
            res[str(nt)] = _best_attempt(lambda: measure(nt), "ns_per_site", retries)
            log(f"  {name:17s} {nt} thr: {res[str(nt)]['ns_per_site']:7.1f} ns/site, "
                f"{C[ref]['bytes'] / res[str(nt)]['ns_per_site']:5.1f} GB/s")
        out[name] = res
    return out


# --------------------------------------------------------------------------
# CG iterations
# --------------------------------------------------------------------------
def cg_window(apply, b, n_iter) -> dict:
    """Run cg for n_iter iterations (tol 1e-30: it cannot converge) and time the iterations
    between the first and the last callback: total, inside the operator, the rest."""
    calls, marks = [], []

    def timed(v):
        t0 = time.perf_counter()
        y = apply(v)
        calls.append((t0, time.perf_counter()))
        return y

    def cb(it, rel, x):
        marks.append((it, time.perf_counter()))

    try:
        cg(timed, b, tol=1e-30, maxiter=n_iter, callback=cb)
    except SolverError:
        pass
    (i0, t0), (i1, t1) = marks[0], marks[-1]
    n = i1 - i0
    if n < 1:
        raise RuntimeError("cg stopped after one iteration; increase --cg-iterations")
    op = sum(b_ - a for a, b_ in calls if a >= t0 and b_ <= t1)
    return {"iterations_timed": n, "total": (t1 - t0) / n, "operator": op / n, "linalg": (t1 - t0 - op) / n}


def bench_cg(field, reps, nts, C, n_iter, retries) -> dict:
    from lqcd_core.solvers import _blas
    vol = field.lattice.volume
    rng = np.random.default_rng(17)
    ops = {"wilson_eo_normal": fermions()["wilson_eo"], "wilson_clover_eo_normal": fermions()["wilson_clover_eo"],
           "staggered_eo": fermions()["staggered_eo"]}
    out = {"iterations_per_sample": n_iter,
           "method": "cg(apply, b, tol=1e-30, maxiter=N) with a timing wrapper around apply and a "
                     "callback time stamp per iteration; per iteration = (last - first stamp) / "
                     "iterations between them; linalg = total - time inside apply"}
    for name, ferm in ops.items():
        op = ferm.bind(field)
        b = op.gaussian(rng, op.shape)
        c = C["cg"][name]
        cg_window(op.hermitian, b, 3)                    # compile everything
        pf, apf = op.gaussian(rng, op.shape).reshape(-1), op.gaussian(rng, op.shape).reshape(-1)
        xf, rf = np.zeros_like(pf), op.gaussian(rng, op.shape).reshape(-1)

        def blas():
            _blas.rdot(pf, apf)
            _blas.cg_update_f(1e-9, pf, apf, xf, rf)
            _blas.xpay_f(rf, 0.5, pf)
        blas()
        res = {"operator": c["operator"], "applications_per_iteration": c["applications"]}

        def measure(nt):
            with threads(nt), OtherLoad() as load:
                runs = [cg_window(op.hermitian, b, n_iter) for _ in range(reps)]
                tb = time_fn(blas, reps, 0.02)
            best = min(runs, key=lambda r: r["total"])
            ns = best["total"] / vol * 1e9
            op_ns, la_ns, bl_ns = best["operator"] / vol * 1e9, best["linalg"] / vol * 1e9, tb["best"] / vol * 1e9
            return {"threads": nt, "others_cpu_fraction": load.fraction, "ns_per_site": ns,
                    "ns_per_site_median": float(np.median([q["total"] for q in runs])) / vol * 1e9,
                    "operator_ns_per_site": op_ns, "linalg_ns_per_site": la_ns,
                    "linalg_share": la_ns / ns, "blas_kernels_ns_per_site": bl_ns,
                    "python_overhead_ns_per_site": la_ns - bl_ns,
                    "iterations_timed": best["iterations_timed"]}

        for nt in nts:
            res[str(nt)] = _best_attempt(lambda: measure(nt), "ns_per_site", retries)
            e = res[str(nt)]
            log(f"  CG {name:23s} {nt} thr: {e['ns_per_site']:7.1f} ns/site/iter = operator "
                f"{e['operator_ns_per_site']:.1f} + linalg {e['linalg_ns_per_site']:.1f} "
                f"(BLAS kernels {e['blas_kernels_ns_per_site']:.1f})")
        out[name] = res
    return out


# --------------------------------------------------------------------------
# dynamical HMC trajectories: where the time goes
# --------------------------------------------------------------------------
#: (fermion block, operator it binds, Omelyan steps per unit trajectory); staggered m = 0.05
#: needs 20 steps on 8^4 (10 steps: |dH| ~ 1e3, every trajectory rejected)
TRAJ_SPECS = {
    "wilson_clover_nf2": ({"type": "wilson", "kappa": 0.13, "csw": 1.0, "nf": 2}, "wilson_clover_eo", 10),
    "staggered_nf4": ({"type": "staggered", "mass": 0.05, "nf": 4}, "staggered_eo", 20),
}


def force_components(op, x, reps) -> dict:
    """Seconds per call of the pieces of one fermion force evaluation on this field:
    bind, apply, hermitian_deriv (and log_det_extra_force for clover)."""
    out = {"apply": time_fn(lambda: op.apply(x), reps, 0.02)["best"],
           "hermitian_deriv": time_fn(lambda: op.hermitian_deriv(x, x), max(2, reps // 2), 0.02)["best"]}
    if op.log_det_extra() != 0.0:
        out["log_det_extra_force"] = time_fn(op.log_det_extra_force, max(2, reps // 2), 0.02)["best"]
    return out


def thermalised(L, beta, sweeps) -> GaugeField:
    from lqcd_core.markov.heatbath import Heatbath
    f = GaugeField.cold(Lattice((L,) * 4), "su3")
    hb = Heatbath(GaugeAction(beta), or_per_hb=4, seed_key=4242)
    for i in range(sweeps):
        hb.sweep(f, i)
    return f


def _wrap(obj, name, acc, key):
    inner = getattr(obj, name)

    def timed(*a, **kw):
        t0 = time.perf_counter()
        try:
            return inner(*a, **kw)
        finally:
            acc[key] += time.perf_counter() - t0
    setattr(obj, name, timed)                    # instance attribute: our objects only


def bench_trajectories(L, nts, n_warm, n_traj, sweeps, steps, reps) -> dict:
    from lqcd_core.actions.fermion_spec import make_fermion, validate_fermion
    from lqcd_core.markov.chain import Chain, ChainConfig
    beta = 5.6
    t0 = time.perf_counter()
    start = thermalised(L, beta, sweeps)
    out = {"lattice": f"{L}^4", "beta": beta, "integrator": "omelyan",
           "inner_steps": "fermion.inner_steps default (4 gauge steps per fermion step)",
           "start": f"pure-gauge heatbath, {sweeps} x (1 HB + 4 OR) from cold, plaquette "
                    f"{start.plaquette():.4f}",
           "warmup_trajectories": n_warm}
    log(f"trajectories: {L}^4 start field, plaquette {start.plaquette():.4f} "
        f"({time.perf_counter() - t0:.1f} s)")
    for key, (spec, opname, n_steps) in TRAJ_SPECS.items():
        n_steps = steps or n_steps
        res = {"fermion": spec, "operator": opname, "steps": n_steps}
        for nt in nts:
            with threads(nt), OtherLoad() as load:
                cfg = ChainConfig(group="su3", lattice=(L,) * 4, beta=beta, steps=n_steps, seed=7,
                                  fermion=dict(spec)).validate()
                chain = Chain(cfg, start.copy(), np.random.default_rng(99))
                chain.warmup()
                acc = {"bind": 0.0, "fermion": 0.0}
                for a in chain.fermion_actions:
                    _wrap(a, "bind", acc, "bind")
                    for m in ("refresh", "value", "force"):
                        _wrap(a, m, acc, "fermion")
                for _ in range(n_warm):
                    chain.step()
                entries = []
                for _ in range(n_traj):
                    acc["bind"] = acc["fermion"] = 0.0
                    e = chain.step()
                    e["bind_seconds"], e["fermion_seconds"] = acc["bind"], acc["fermion"]
                    entries.append(e)
                # the time per application of this operator on this field (like for like)
                ferm = make_fermion(validate_fermion(dict(spec), 4))
                op = ferm.bind(chain.field)
                x = op.gaussian(np.random.default_rng(3), op.shape)
                op.apply(x)
                op.hermitian_deriv(x, x)
                comp = force_components(op, x, reps)
                comp["bind"] = time_fn(lambda: ferm.bind(chain.field), max(2, reps // 2), 0.02)["best"]
                t_app = comp["apply"]
            best = min(entries, key=lambda q: q["seconds"])
            med = lambda k: float(np.median([q[k] for q in entries]))  # noqa: E731
            secs, solver, apps = med("seconds"), med("solver_seconds"), med("dirac_applications")
            dirac = apps * t_app
            napp = 2 if spec["type"] == "wilson" else 1      # applications per CG matvec (A = M^dag M or A)
            r = {"threads": nt, "others_cpu_fraction": load.fraction, "trajectories": len(entries),
                 "seconds_per_trajectory": secs, "seconds_per_trajectory_best": best["seconds"],
                 "solver_seconds": solver, "solves": med("solves"),
                 "solver_iterations": med("solver_iterations"), "dirac_applications": apps,
                 "seconds_per_application": t_app, "dirac_seconds_estimate": dirac,
                 "fermion_action_seconds": med("fermion_seconds"), "bind_seconds": med("bind_seconds"),
                 "solver_share": solver / secs, "dirac_share": dirac / secs,
                 "dirac_in_solver_seconds_estimate": napp * (med("solver_iterations") + med("solves")) * t_app,
                 "dirac_share_of_solver_estimate":
                     napp * (med("solver_iterations") + med("solves")) * t_app / solver if solver else None,
                 "fermion_outside_solver_share": (med("fermion_seconds") - solver) / secs,
                 "bind_share": med("bind_seconds") / secs,
                 "outside_fermion_share": 1.0 - med("fermion_seconds") / secs,
                 "acceptance": float(np.mean([q["accepted"] for q in entries])),
                 "mean_abs_delta_h": float(np.mean([abs(q["delta_h"]) for q in entries])),
                 "force_evaluations_per_trajectory": 2 * n_steps + 1,
                 "seconds_per_call": comp,
                 "per_force_evaluation_seconds": {
                     "solve": solver / med("solves"),
                     "outside_solver": (med("fermion_seconds") - solver) / (2 * n_steps + 1)},
                 "statistic": "median over the timed trajectories (best also given); seconds_per_call: "
                              "best of repeats on the final field"}
            log(f"  {key} {nt} thr: {secs:.2f} s/traj, solver {100 * r['solver_share']:.0f}%, "
                f"Dirac {100 * r['dirac_share']:.0f}%, bind {100 * r['bind_share']:.0f}%, "
                f"{apps:.0f} applications, {r['solver_iterations']:.0f} CG iterations")
            res[str(nt)] = r
        out[key] = res
    return out


# --------------------------------------------------------------------------
# comparison with the anchors
# --------------------------------------------------------------------------
def compare(doc) -> dict:
    ops, cgs, refs = doc["operators"], doc["cg"], REFERENCES
    nmax = str(max(int(t) for t in doc["settings"]["threads"]))
    c = {"ratio_definition": "our time / anchor time (< 1: we are faster); roofline fraction = "
                             "roofline time / our time"}
    oq = refs["openqcd_wilson_clover_ns_per_site"]
    for key in ("8^4", "16^4"):
        a = oq.get(key)
        nt = str(a["threads"]) if a else None
        if key in ops and nt in ops[key]["wilson_clover"]:
            ours = ops[key]["wilson_clover"][nt]["ns_per_site"]
            c[f"wilson_clover_{key}_{nt}thr_vs_openqcd"] = [ours / a["ns"][1], ours / a["ns"][0]]
            c[f"target_wilson_clover_{key}_within_1.3x_openqcd"] = ours / a["ns"][1] <= 1.3
    for key in ops:
        for nt in doc["settings"]["threads"]:
            e = ops[key]["wilson"].get(str(nt))
            if e:
                c[f"wilson_{key}_{nt}thr_fraction_of_roofline"] = e["fraction_of_roofline"]
    if "16^4" in ops and nmax in ops["16^4"]["wilson"]:
        e = ops["16^4"]["wilson"][nmax]
        c["target_wilson_16^4_70pct_of_roofline"] = e["fraction_of_roofline"] >= 0.7
        rl = refs["wilson_roofline"]
        c[f"wilson_16^4_{nmax}thr_vs_anchor_roofline_130ns"] = e["ns_per_site"] / rl["ns"]
    lo, hi = refs["milc_staggered_cg_iteration_ns_per_site"]["ns"]
    for key in cgs:
        for nt in doc["settings"]["threads"]:
            e = cgs[key]["staggered_eo"].get(str(nt))
            if e:
                c[f"staggered_cg_{key}_{nt}thr_vs_milc"] = [e["ns_per_site"] / hi, e["ns_per_site"] / lo]
    return c


# --------------------------------------------------------------------------
def _lattices(args):
    if args.lattice:
        out = []
        for s in args.lattice:
            ext = tuple(int(v) for v in s.split(","))
            if len(ext) != 4 or len(set(ext)) != 1:
                raise SystemExit(f"--lattice {s}: give L,L,L,L (hypercubic, D = 4)")
            out.append(ext[0])
        return out
    return [8] if args.quick else [8, 16]


def main(argv=None):
    ap = argparse.ArgumentParser(description="lqcd_core Dirac-operator and CG benchmark (JSON on stdout)")
    ap.add_argument("--quick", action="store_true", help="8^4 only, fewer repeats, 1 trajectory")
    ap.add_argument("--lattice", action="append", metavar="L,L,L,L",
                    help="lattice (repeatable; default 8^4 and 16^4, --quick 8^4); the first one "
                         "is also used for the trajectories (default 8^4)")
    ap.add_argument("--threads", default=None, help="thread counts, e.g. 1,2 (default 1 and all)")
    ap.add_argument("--rounds", type=int, default=None,
                    help="measure operators, access patterns and CG this many times, spread over the "
                         "run, keeping the best round (quick 1, full 3)")
    ap.add_argument("--reps", type=int, default=None, help="timing repeats (quick 3, full 7)")
    ap.add_argument("--cg-iterations", type=int, default=None, help="CG iterations per sample (quick 12, full 40)")
    ap.add_argument("--trajectories", type=int, default=None, help="timed trajectories (quick 1, full 3)")
    ap.add_argument("--steps", type=int, default=None,
                    help="Omelyan steps per trajectory (default: Wilson 10, staggered 20)")
    ap.add_argument("--traj-threads", default=None,
                    help="thread counts for the trajectories, e.g. 1,2 (default 1: robust on shared cores)")
    ap.add_argument("--skip-trajectories", action="store_true")
    ap.add_argument("--retries", type=int, default=None,
                    help="re-measure a block up to N times while others use > 10%% of the CPUs (quick 0, full 1)")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                    help="first wait up to SECONDS for idle CPUs")
    ap.add_argument("--out", metavar="FILE", help="also write the JSON to FILE")
    ap.add_argument("--report", metavar="JSON", help="print markdown tables of a saved result and exit")
    args = ap.parse_args(argv)
    if args.report:
        with open(args.report) as fh:
            print(render_markdown(json.load(fh)), end="")
        return

    t_start = time.perf_counter()
    quick = args.quick
    sizes = _lattices(args)
    reps = args.reps or (3 if quick else 7)
    rounds = args.rounds or (1 if quick else 3)
    n_cg = args.cg_iterations or (12 if quick else 40)
    n_traj = args.trajectories or (1 if quick else 3)
    retries = args.retries if args.retries is not None else (0 if quick else 1)
    min_sample = 0.02 if quick else 0.05
    nts = [int(t) for t in args.threads.split(",")] if args.threads else thread_counts()
    traj_nts = [int(t) for t in args.traj_threads.split(",")] if args.traj_threads else [1]
    if args.wait_idle > 0:
        wait_idle(args.wait_idle)
    busy_start, load_start = _cpu_busy_fraction(), os.getloadavg()
    doc = {"benchmark": "lqcd_core Dirac operators and CG, SU(3), D = 4, double precision",
           "mode": "quick" if quick else "full",
           "date": _dt.datetime.now().isoformat(timespec="seconds"), "git": _git_commit(),
           "sources_sha256": source_digest(),
           "machine": machine_info(),
           "settings": {"lattices": [f"{L}^4" for L in sizes], "threads": nts, "repeats": reps, "rounds": rounds,
                        "cg_iterations_per_sample": n_cg, "kappa": KAPPA, "csw": CSW,
                        "staggered_mass": STAG_MASS, "field": "hot (random SU(3)) for operators and CG",
                        "retries_when_busy": retries, "min_sample_seconds": min_sample,
                        "statistic": "best (minimum) of repeats within a round and of the rounds "
                                     "(all rounds in *_rounds), medians of the best round as *_median; "
                                     "compilation excluded",
                        "per_site": "full-lattice volume V for every operator (even-odd ones included)"}}
    def limits_now():
        with OtherLoad() as load:
            lim = machine_limits(quick=quick, log=log)
        lim["others_cpu_fraction"] = load.fraction
        return lim
    limit_runs = [limits_now()]
    try:
        doc["machine"]["numba_threading_layer"] = numba.threading_layer()
    except ValueError:
        doc["machine"]["numba_threading_layer"] = None
    doc["machine"]["env"] = {k: os.environ.get(k) for k in (
        "NUMBA_NUM_THREADS", "NUMBA_THREADING_LAYER", "OMP_WAIT_POLICY")}
    cbytes, csrc = clover_block_bytes(GaugeField.hot(Lattice((4,) * 4), "su3", np.random.default_rng(0)))
    C = counts(cbytes)
    C["clover_block_bytes_per_site"], C["clover_block_layout"] = cbytes, csrc
    doc["counts"] = C
    doc["operators"], doc["access_pattern"], doc["cg"] = {}, {}, {}
    fields = {L: GaugeField.hot(Lattice((L,) * 4), "su3", np.random.default_rng(2024 + L)) for L in sizes}
    for rnd in range(rounds):
        for L, field in fields.items():
            key = f"{L}^4"
            log(f"round {rnd + 1}/{rounds}: operators {key}")
            merge_best(doc["operators"].setdefault(key, {}),
                       bench_operators(field, reps, nts, C, retries, min_sample))
            log(f"round {rnd + 1}/{rounds}: access-pattern ceilings {key}")
            merge_best(doc["access_pattern"].setdefault(key, {}),
                       bench_access(field, reps, nts, C, retries, min_sample))
            log(f"round {rnd + 1}/{rounds}: CG {key}")
            merge_best(doc["cg"].setdefault(key, {}), bench_cg(field, max(2, reps // 2), nts, C, n_cg, retries))
    if args.skip_trajectories:
        doc["trajectory"] = {"skipped": "--skip-trajectories"}
    else:
        L = sizes[0] if args.lattice else 8
        doc["trajectory"] = bench_trajectories(L, traj_nts, 1, n_traj, 4 if quick else 30,
                                               args.steps, reps)
    log("machine limits again (the best of start and end is kept)")
    limit_runs.append(limits_now())
    doc["machine"]["limits"] = merge_limits(limit_runs)
    add_rates(doc, C)
    doc["references"] = REFERENCES
    doc["comparison"] = compare(doc)
    doc["contention"] = {"cpu_busy_fraction_before": busy_start, "cpu_busy_fraction_after": _cpu_busy_fraction(),
                         "loadavg_before": load_start, "loadavg_after": os.getloadavg(),
                         "note": "others_cpu_fraction in every block: share of the CPUs used by other "
                                 "processes meanwhile (> 0.05: shared cores, pessimistic figures)"}
    doc["wall_seconds"] = time.perf_counter() - t_start
    text = json.dumps(doc, indent=2, default=float)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    log(f"done in {doc['wall_seconds']:.0f} s")


if __name__ == "__main__":
    main()
