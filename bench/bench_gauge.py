"""Pure-gauge SU(3) performance benchmark of lqcd_core, one JSON document on stdout.

    python bench/bench_gauge.py > bench.json           # full run, several minutes
    python bench/bench_gauge.py --quick > quick.json   # small lattices, about a minute

Progress goes to stderr.  What is measured (docs/performance.md has the details):

* machine: CPU model, cores, Numba version/threads, and the machine limits of
  bench/bandwidth.py (STREAM triad bandwidth, FMA peak) measured in the same run;
* MD: ns per site for the Wilson (beta = 6) gauge force, the momentum update
  P -= h F and the link update U <- exp(h P) U, with 1 thread and all threads;
  their sum is one MD step (force + momentum + link update), the unit of the
  openQCD/MILC anchors; implied GFLOP/s and GB/s against the machine limits;
* heatbath and overrelaxation: ns per link update, separately, and for one
  sweep of 1 HB + K OR (lqcd_core.markov.heatbath.Heatbath);
* HMC: seconds per trajectory (tau = 1, Omelyan, n steps) on 4^4, 8^4, 16^4
  started from thermalised fields, and seconds per site to show linear scaling.

All timings exclude Numba compilation (every kernel is called once before it is
timed).  The headline figure is the best (minimum) of repeats of
time.perf_counter(), the median is given too: on cores shared with other work
the minimum is the robust estimate of the code's own speed.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numba
import numpy as np

# make `bench.bandwidth` importable when run as a script from anywhere
_HERE = Path(__file__).resolve().parent
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

from bench.bandwidth import machine_limits  # noqa: E402
from bench.report import render_markdown  # noqa: E402
from lqcd_core.actions.gauge import GaugeAction  # noqa: E402
from lqcd_core.gauge import _loops  # noqa: E402
from lqcd_core.gauge.field import GaugeField  # noqa: E402
from lqcd_core.group._kernels import update_links  # noqa: E402
from lqcd_core.integrators import Integrator  # noqa: E402
from lqcd_core.integrators import _kernels as md_kernels  # noqa: E402
from lqcd_core.lattice import Lattice  # noqa: E402
from lqcd_core.markov.hmc import HMC  # noqa: E402

from lqcd_core.markov.heatbath import Heatbath  # noqa: E402

BETA = 6.0
NC = 3
MATRIX_BYTES = NC * NC * 16            # one complex128 3x3 matrix: 144 B
FLOPS_MATMUL = 198                     # 27 complex mul (6) + 18 complex add (2)
FLOPS_MATADD = 18                      # 9 complex additions

# --------------------------------------------------------------------------
# external reference figures (one core, double precision, 2-core machine of
# this kind); ns per site per MD step, ns per link update
# --------------------------------------------------------------------------
REFERENCES = {
    "description": (
        "Anchors for one core, double precision, on a 2-core machine of this kind, as given in "
        "the project brief. md_step = force + link update per site; hb_or = per link update."),
    "openqcd_md_step_ns_per_site": {"8^4": 2000.0, "16^4": 3300.0},
    "milc_md_step_ns_per_site": {"8^4": 6000.0, "16^4": 10000.0},
    "milc_hb_or_ns_per_link": {"8^4": [1000.0, 1250.0], "16^4": [2300.0, 2800.0]},
    "targets": {
        "md_step_1_thread_vs_openqcd": "ratio <= 1.5",
        "md_step_all_threads_vs_openqcd": "ratio < 1.0",
        "hb_or_vs_milc": "ns per link <= MILC (upper end of its range)",
    },
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def size_key(L: int) -> str:
    return f"{L}^4"


# --------------------------------------------------------------------------
# machine description
# --------------------------------------------------------------------------
def _cpuinfo() -> dict:
    model, phys = None, set()
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    cur = {}
    for line in text.splitlines() + [""]:
        if not line.strip():
            if cur:
                phys.add((cur.get("physical id"), cur.get("core id")))
                model = model or cur.get("model name")
            cur = {}
            continue
        k, _, v = line.partition(":")
        cur[k.strip()] = v.strip()
    n_phys = len(phys) if phys and None not in next(iter(phys)) else None
    return {"cpu_model": model or platform.processor() or platform.machine(),
            "physical_cores": n_phys}


def _cpu_busy_fraction(interval: float = 0.5) -> float | None:
    """Fraction of all CPUs busy over `interval` seconds (from /proc/stat), to flag contention."""
    def read():
        with open("/proc/stat") as fh:
            vals = [int(v) for v in fh.readline().split()[1:]]
        idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
        return sum(vals), idle
    try:
        t0, i0 = read()
        time.sleep(interval)
        t1, i1 = read()
    except OSError:
        return None
    return 1.0 - (i1 - i0) / max(1, t1 - t0)


class OtherLoad:
    """Context manager measuring the CPU share used by *other* processes meanwhile:
    (busy CPU time of the machine from /proc/stat - this process's CPU time) / (wall x CPUs).
    ``.fraction`` is None where /proc/stat is unavailable."""

    def _read(self):
        with open("/proc/stat") as fh:
            vals = [int(v) for v in fh.readline().split()[1:]]
        busy = sum(vals[:8]) - vals[3] - vals[4]   # user..steal minus idle, iowait
        t = os.times()
        return busy / self._hz, t.user + t.system, time.perf_counter()

    def __enter__(self):
        self.fraction = None
        try:
            self._hz = os.sysconf("SC_CLK_TCK")
            self._start = self._read()
        except (OSError, ValueError):
            self._start = None
        return self

    def __exit__(self, *exc):
        if self._start is None:
            return
        b1, o1, w1 = self._read()
        b0, o0, w0 = self._start
        wall = (w1 - w0) * (os.cpu_count() or 1)
        if wall > 0:
            self.fraction = min(1.0, max(0.0, ((b1 - b0) - (o1 - o0)) / wall))


def _git_commit() -> dict:
    root = _HERE.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                    cwd=root, capture_output=True, text=True,
                                    timeout=10).stdout.strip())
        return {"commit": commit or None, "dirty": dirty}
    except Exception:
        return {"commit": None, "dirty": None}


def machine_info() -> dict:
    info = _cpuinfo()
    info.update({
        "logical_cpus": os.cpu_count(),
        "numba_version": numba.__version__,
        "numba_threads_max": numba.config.NUMBA_NUM_THREADS,
        "numpy_version": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    })
    return info


# --------------------------------------------------------------------------
# timing helpers
# --------------------------------------------------------------------------
def time_fn(fn, repeats: int, min_sample: float = 0.02, setup=None) -> dict:
    """Per-call time of fn(): `repeats` samples, each a loop of k calls lasting
    >= min_sample seconds (k calibrated once).  Returns best/median seconds per call."""
    if setup:
        setup()
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    k = max(1, int(min_sample / max(dt, 1e-7)))
    samples = []
    for _ in range(repeats):
        if setup:
            setup()
        t0 = time.perf_counter()
        for _ in range(k):
            fn()
        samples.append((time.perf_counter() - t0) / k)
    return {"best": min(samples), "median": float(np.median(samples)), "calls_per_sample": k,
            "samples": len(samples)}


class threads:
    """Context manager: numba.set_num_threads(n) inside, restore after."""

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        self.old = numba.get_num_threads()
        numba.set_num_threads(self.n)

    def __exit__(self, *exc):
        numba.set_num_threads(self.old)


def _load_note(load) -> str:
    f = load.fraction
    return "" if f is None or f < 0.05 else f"  [other processes used {100 * f:.0f}% of the CPUs]"


#: a timed block is repeated (up to RETRIES more times) while other processes use more
#: than this share of the CPUs; the attempt with the best headline figure is kept
BUSY_LIMIT = 0.10
RETRIES = 0


def wait_idle(max_seconds: float) -> None:
    deadline = time.perf_counter() + max_seconds
    while time.perf_counter() < deadline:
        b = _cpu_busy_fraction(1.0)
        if b is None or b < BUSY_LIMIT:
            return


def with_retries(measure, metric: str) -> dict:
    """Run measure() -> dict (with 'others_cpu_fraction'); while other processes were
    busy, wait for an idle moment and measure again (RETRIES times at most); keep the
    attempt with the smallest `metric`."""
    best = None
    for attempt in range(RETRIES + 1):
        if attempt:
            log(f"  busy machine: waiting for idle CPUs, then attempt {attempt + 1}")
            wait_idle(30.0)
        r = measure()
        if best is None or r[metric] < best[metric]:
            best = r
        busy = r.get("others_cpu_fraction")
        if busy is None or busy < BUSY_LIMIT:
            break
    best["attempts"] = attempt + 1
    return best


def thread_counts() -> list[int]:
    nmax = numba.config.NUMBA_NUM_THREADS
    return [1] if nmax == 1 else [1, nmax]


# --------------------------------------------------------------------------
# thermalised configurations
# --------------------------------------------------------------------------
def tile(field: GaugeField, factor: int) -> GaugeField:
    """The periodic tiling of `field` onto a lattice `factor` times larger in every
    direction: a valid configuration with the same local structure (plaquette)."""
    small = field.lattice
    big = Lattice(tuple(factor * e for e in small.extents))
    src = small.index(big.coords)  # site of the small lattice for every big site
    return GaugeField(big, field.group, field.links[:, src])


def thermalised_fields(sizes, quick: bool, rng) -> dict:
    """Fields at beta = 6 for each L in sizes (heatbath if available, else HMC)."""
    action = GaugeAction(BETA)
    fields = {}
    n_base = 4 if quick else 12  # HB + 4 OR sweeps from a cold start
    if Heatbath is not None:
        hb = Heatbath(action, or_per_hb=4, seed_key=20240601)
        counter = 0
        for L in sorted(set(sizes)):
            if L <= 8 or (L // 8) * 8 != L:
                f = GaugeField.cold((L,) * 4, "su3")
                n = n_base if L >= 8 else 2 * n_base
            else:  # tile the thermalised 8^4 field, then a few sweeps to decorrelate the copies
                base = fields.get(8)
                if base is None:
                    base = GaugeField.cold((8,) * 4, "su3")
                    for _ in range(n_base):
                        hb.sweep(base, counter)
                        counter += 1
                f = tile(base, L // 8)
                n = 1 if quick else 2
            t0 = time.perf_counter()
            for _ in range(n):
                info = hb.sweep(f, counter)
                counter += 1
            log(f"thermalised {size_key(L)}: {n} x (1 HB + 4 OR), plaquette "
                f"{info['plaquette']:.4f} ({time.perf_counter() - t0:.1f} s)")
            fields[L] = f
    else:
        hmc = HMC(Integrator([(action, 8, "omelyan")]), tau=1.0)
        for L in sorted(set(sizes)):
            f = GaugeField.cold((L,) * 4, "su3")
            for _ in range(3 if quick else 8):
                e = hmc.trajectory(f, rng)
            log(f"thermalised {size_key(L)} with HMC: plaquette {e['plaquette']:.4f}")
            fields[L] = f
    return fields


# --------------------------------------------------------------------------
# flop and byte counts (SU(3), D = 4), per site
# --------------------------------------------------------------------------
def counts(nd: int = 4) -> dict:
    n_staples = 2 * (nd - 1)                       # 6 staples per link, 2 products each
    # 12 staple products + the product U A, 6 staple additions, TA ~ 24
    force_link = (2 * n_staples + 1) * FLOPS_MATMUL + n_staples * FLOPS_MATADD + 24
    mom_link = 2 * 18                              # p -= h f: 18 reals, mul + sub
    # exp_su3 (Cayley-Hamilton): scale 18, Q^2 ~ 80, det ~ 40, f_j ~ 60, assemble ~ 110
    # (+ 12 transcendental calls not counted), then the product exp(hP) U: 198
    link_link = 18 + 80 + 40 + 60 + 110 + FLOPS_MATMUL
    # heatbath/overrelaxation of one link: staple sum (12 products, 6 adds), W = U A,
    # 3 SU(2) subgroups each rotating two rows of U and of W (2 x 2 x 3 x 14 flops),
    # quaternion algebra ~ 40, reunitarisation ~ 100
    hbor_link = (2 * n_staples + 1) * FLOPS_MATMUL + n_staples * FLOPS_MATADD + 3 * (2 * 2 * 3 * 14 + 40) + 100
    return {
        "notes": (
            "Real floating-point operations, counted by hand from the kernels: complex mul = 6, "
            "complex add = 2, complex FMA counted as mul + add; an SU(3) product is 198 flops "
            "(27 complex mul + 18 complex add), a matrix add 18. Transcendental calls (exp_su3 "
            "uses acos, 4 cos, 4 sin, 3 sqrt; the heatbath log, cos, sqrt) and the Philox "
            "integer arithmetic count as 0. Bytes: compulsory DRAM traffic for one pass, "
            "144 B per complex128 3x3 matrix, 4 links per site, neighbour tables ignored; "
            "stores into freshly allocated arrays pay a write-allocate read."),
        "force_flops_per_site": nd * force_link,
        "force_flops_per_link_formula": "13 x 198 (12 staple products + U*A) + 6 x 18 (staple sum) + 24 (TA)",
        "momentum_update_flops_per_site": nd * mom_link,
        "link_update_flops_per_site": nd * link_link,
        "link_update_flops_per_link_formula": "~308 (scale + exp_su3 Cayley-Hamilton) + 198 (exp(hP) U)",
        "hb_or_flops_per_link": hbor_link,
        "hb_or_flops_per_link_formula": "13 x 198 (staples, W = U A) + 6 x 18 + 3 x (168 + 40) (SU(2) subgroups) + 100 (reunitarise)",
        # bytes per site
        "force_bytes_per_site_compulsory": nd * MATRIX_BYTES * 3,      # read U, write F (+ WA)
        "force_bytes_per_site_loop_model": nd * nd * MATRIX_BYTES + nd * MATRIX_BYTES * 2,
        "momentum_update_bytes_per_site": nd * MATRIX_BYTES * 3,        # read P, F; write P
        "link_update_bytes_per_site": nd * MATRIX_BYTES * 3,            # read U, P; write U
        "hb_or_bytes_per_link_compulsory": 2 * MATRIX_BYTES,            # read + write the link
        "byte_models": (
            "force compulsory: read U, write F with write-allocate (3 x 576 B/site); "
            "force loop model: the mu-outer loop re-reads all 4 directions of U in each of "
            "its 4 passes when U does not fit in cache (16^4: U = 38 MB > 32 MB L3): "
            "4 x 576 + 2 x 576 B/site."),
    }


# --------------------------------------------------------------------------
# MD: force, momentum update, link update
# --------------------------------------------------------------------------
def bench_md(fields, sizes, repeats, limits, C) -> dict:
    action = GaugeAction(BETA)
    out = {}
    for L in sizes:
        f = fields[L].copy()
        lat = f.lattice
        vol = lat.volume
        rng = np.random.default_rng(7)
        mom = f.group.momenta(f.links.shape[:2], rng)
        force_out = np.empty_like(f.links)
        fac = f.group.norm * action.beta / NC
        flat_u = f.links.reshape(-1, NC, NC)
        flat_p = mom.reshape(-1, NC, NC)
        eps = 0.05
        res = {"volume": vol}
        # warm up (compilation excluded)
        action.force(f)
        _loops.plaquette_force(f.links, lat.fwd, lat.bwd, force_out, fac)
        md_kernels.momentum_update(mom, force_out, 0.0)
        update_links(flat_u, flat_p, 0.0)
        def measure(nt):
            with threads(nt), OtherLoad() as load:
                log(f"MD {size_key(L)}, {nt} thread(s)")
                t_force = time_fn(lambda: action.force(f), repeats)
                t_kern = time_fn(lambda: _loops.plaquette_force(
                    f.links, lat.fwd, lat.bwd, force_out, fac), repeats)
                t_mom = time_fn(lambda: md_kernels.momentum_update(mom, force_out, 1e-12), repeats)
                # alternate +eps / -eps so the field stays where it was
                sign = [1.0]

                def link_step():
                    update_links(flat_u, flat_p, sign[0] * eps)
                    sign[0] = -sign[0]
                t_link = time_fn(link_step, repeats)
            ns = lambda t: t["best"] / vol * 1e9     # noqa: E731  headline: best of repeats
            nsm = lambda t: t["median"] / vol * 1e9  # noqa: E731
            force_ns = ns(t_force)
            step_ns = force_ns + ns(t_mom) + ns(t_link)
            step_median = nsm(t_force) + nsm(t_mom) + nsm(t_link)
            lim_bw = limits["triad"][str(nt)]["gbytes_per_s_with_write_allocate"]
            lim_fl = limits["fma"][str(nt)]["gflops"]
            lim_fs = limits["fma"][str(nt)].get("gflops_scalar", float("nan"))
            force_gflops = C["force_flops_per_site"] / force_ns
            step_flops = (C["force_flops_per_site"] + C["momentum_update_flops_per_site"]
                          + C["link_update_flops_per_site"])
            step_bytes = (C["force_bytes_per_site_compulsory"] + C["momentum_update_bytes_per_site"]
                          + C["link_update_bytes_per_site"])
            r = {
                "threads": nt,
                "others_cpu_fraction": load.fraction,
                "force_ns_per_site": force_ns,
                "force_ns_per_site_median": nsm(t_force),
                "force_kernel_only_ns_per_site": ns(t_kern),
                "momentum_update_ns_per_site": ns(t_mom),
                "link_update_ns_per_site": ns(t_link),
                "link_update_ns_per_link": ns(t_link) / 4,
                "md_step_ns_per_site": step_ns,
                "md_step_ns_per_site_median": step_median,
                "force_gflops": force_gflops,
                "force_fraction_of_fma_peak": force_gflops / lim_fl,
                "force_fraction_of_scalar_fma_peak": force_gflops / lim_fs,
                "force_gbytes_per_s_compulsory": C["force_bytes_per_site_compulsory"] / force_ns,
                "force_gbytes_per_s_loop_model": C["force_bytes_per_site_loop_model"] / force_ns,
                "force_fraction_of_triad_bw": C["force_bytes_per_site_loop_model"] / force_ns / lim_bw,
                "momentum_update_gbytes_per_s": C["momentum_update_bytes_per_site"] / ns(t_mom),
                "link_update_gflops": C["link_update_flops_per_site"] / ns(t_link),
                "md_step_gflops": step_flops / step_ns,
                "md_step_gbytes_per_s": step_bytes / step_ns,
                "md_step_fraction_of_fma_peak": step_flops / step_ns / lim_fl,
                "md_step_fraction_of_scalar_fma_peak": step_flops / step_ns / lim_fs,
                "md_step_fraction_of_triad_bw": step_bytes / step_ns / lim_bw,
            }
            log(f"  force {force_ns:.0f} ns/site, link update {ns(t_link):.0f} ns/site, "
                f"MD step {step_ns:.0f} ns/site{_load_note(load)}")
            return r

        for nt in thread_counts():
            res[str(nt)] = with_retries(lambda: measure(nt), "md_step_ns_per_site")
        nts = thread_counts()
        if len(nts) > 1:
            res["speedup_all_threads"] = {
                "force": res["1"]["force_ns_per_site"] / res[str(nts[-1])]["force_ns_per_site"],
                "md_step": res["1"]["md_step_ns_per_site"] / res[str(nts[-1])]["md_step_ns_per_site"],
            }
        out[size_key(L)] = res
    return out


# --------------------------------------------------------------------------
# heatbath and overrelaxation
# --------------------------------------------------------------------------
def bench_heatbath(fields, sizes, repeats, or_per_hb, C, limits) -> dict:
    action = GaugeAction(BETA)
    hb = Heatbath(action, or_per_hb=or_per_hb, seed_key=99)
    kernel_api = hasattr(hb, "_run")
    counter = [10_000]
    out = {
        "or_per_hb": or_per_hb,
        "method": (
            "heatbath: Cabibbo-Marinari over 3 SU(2) subgroups with Kennedy-Pendleton/Creutz; "
            "overrelaxation: microcanonical over the same subgroups; each followed by "
            "reunitarisation. Timed through Heatbath._run (the kernel, without the plaquette "
            "that the public methods measure after each call)" if kernel_api else
            "timed through the public Heatbath methods (include one plaquette per call)"),
    }
    n_or_block = max(1, or_per_hb)

    def run(field, n_hb, n_or):
        c = counter[0]
        counter[0] += 1
        if kernel_api:
            hb._run(field, c, n_hb, n_or)
        elif n_hb and n_or:
            hb.sweep(field, c)
        elif n_hb:
            hb.heatbath(field, c)
        else:
            hb.overrelax(field, n_or)

    def public_sweep(field):
        counter[0] += 1
        hb.sweep(field, counter[0])

    for L in sizes:
        f = fields[L].copy()
        lat = f.lattice
        n_links = lat.ndim * lat.volume
        res = {"volume": lat.volume, "links": n_links}
        run(f, 1, 0)
        run(f, 0, n_or_block)
        def measure(nt):
            with threads(nt), OtherLoad() as load:
                log(f"HB/OR {size_key(L)}, {nt} thread(s)")
                # both parallel and serial kernels compiled before timing
                run(f, 1, 0)
                t_hb = time_fn(lambda: run(f, 1, 0), repeats, min_sample=0.05)
                t_or = time_fn(lambda: run(f, 0, n_or_block), repeats, min_sample=0.05)
                t_sw = time_fn(lambda: run(f, 1, or_per_hb), repeats, min_sample=0.05)
                t_pub = time_fn(lambda: public_sweep(f), max(2, repeats // 2), min_sample=0.05)
                par = hb.parallel
                if par is None:
                    import lqcd_core.markov.heatbath as hbmod
                    par = (len(lat.even_sites) >= getattr(hbmod, "PARALLEL_MIN_SITES", 0)
                           and numba.get_num_threads() > 1)
            hb_ns = t_hb["best"] / n_links * 1e9
            or_ns = t_or["best"] / (n_links * n_or_block) * 1e9
            sw_ns = t_sw["best"] / (n_links * (1 + or_per_hb)) * 1e9
            r = {
                "threads": nt,
                "others_cpu_fraction": load.fraction,
                "kernel": "parallel" if par else "serial",
                "heatbath_ns_per_link": hb_ns,
                "heatbath_ns_per_link_median": t_hb["median"] / n_links * 1e9,
                "overrelaxation_ns_per_link": or_ns,
                "overrelaxation_ns_per_link_median": t_or["median"] / (n_links * n_or_block) * 1e9,
                "sweep_hb_plus_or_ns_per_link_update": sw_ns,
                "sweep_hb_plus_or_seconds": t_sw["best"],
                "public_sweep_seconds_incl_plaquette": t_pub["best"],
                "overrelaxation_gflops": C["hb_or_flops_per_link"] / or_ns,
                "heatbath_gflops": C["hb_or_flops_per_link"] / hb_ns,
                "overrelaxation_fraction_of_scalar_fma_peak":
                    C["hb_or_flops_per_link"] / or_ns / limits["fma"][str(nt)].get("gflops_scalar", float("nan")),
            }
            log(f"  HB {hb_ns:.0f} ns/link, OR {or_ns:.0f} ns/link, "
                f"1HB+{or_per_hb}OR {sw_ns:.0f} ns/link update{_load_note(load)}")
            return r

        for nt in thread_counts():
            res[str(nt)] = with_retries(lambda: measure(nt), "sweep_hb_plus_or_ns_per_link_update")
        out[size_key(L)] = res
    return out


# --------------------------------------------------------------------------
# HMC trajectories
# --------------------------------------------------------------------------
def bench_hmc(fields, sizes, n_steps, n_traj, n_warm, min_seconds) -> dict:
    action = GaugeAction(BETA)
    out = {"tau": 1.0, "integrator": "omelyan", "n_steps": n_steps,
           "force_evaluations_per_trajectory": 2 * n_steps + 1,
           "link_updates_per_trajectory": 2 * n_steps,
           "start": "thermalised heatbath configuration (beta = 6)",
           "diagnostics": "Integrator default (force norms recorded)"}
    for L in sizes:
        res = {"volume": L ** 4}
        def measure(nt):
            f = fields[L].copy()
            integ = Integrator([(action, n_steps, "omelyan")])
            hmc = HMC(integ, tau=1.0)
            md_time = [0.0]
            inner = integ.integrate

            def timed_integrate(field, mom, tau, _inner=inner):
                t0 = time.perf_counter()
                _inner(field, mom, tau)
                md_time[0] += time.perf_counter() - t0
            integ.integrate = timed_integrate  # instance attribute: our own object only
            rng = np.random.default_rng(1000 + L)
            with threads(nt), OtherLoad() as load:
                log(f"HMC {size_key(L)}, {nt} thread(s): {n_warm} warm-up + >= {n_traj} trajectories")
                for _ in range(n_warm):
                    hmc.trajectory(f, rng)
                secs, mds, dhs, acc = [], [], [], []
                t_begin = time.perf_counter()
                # at least n_traj trajectories, more (up to 50) while under min_seconds
                while len(secs) < n_traj or (time.perf_counter() - t_begin < min_seconds
                                             and len(secs) < 50):
                    md_time[0] = 0.0
                    t0 = time.perf_counter()
                    e = hmc.trajectory(f, rng)
                    secs.append(time.perf_counter() - t0)
                    mds.append(md_time[0])
                    dhs.append(e["delta_h"])
                    acc.append(e["accepted"])
            vol = L ** 4
            best = min(secs)
            md_best = min(mds)
            r = {
                "threads": nt,
                "others_cpu_fraction": load.fraction,
                "seconds_per_trajectory": best,
                "seconds_per_trajectory_median": float(np.median(secs)),
                "md_seconds_per_trajectory": md_best,
                "outside_md_seconds": float(np.median(np.array(secs) - np.array(mds))),
                "us_per_site_per_trajectory": best / vol * 1e6,
                "md_ns_per_site_per_force_evaluation": md_best / vol / (2 * n_steps + 1) * 1e9,
                "acceptance": float(np.mean(acc)),
                "mean_abs_delta_h": float(np.mean(np.abs(dhs))),
                "mean_exp_minus_delta_h": float(np.mean(np.exp(-np.array(dhs)))),
                "plaquette_last": e["plaquette"],
                "trajectories": len(secs),
            }
            log(f"  {best:.3f} s/traj, {best / vol * 1e6:.2f} us/site, acc {np.mean(acc):.2f}, "
                f"<|dH|> {np.mean(np.abs(dhs)):.3f}{_load_note(load)}")
            return r

        for nt in thread_counts():
            res[str(nt)] = with_retries(lambda: measure(nt), "seconds_per_trajectory")
        out[size_key(L)] = res
    # linear scaling: cost per site relative to the largest lattice
    for nt in thread_counts():
        per_site = {k: v[str(nt)]["us_per_site_per_trajectory"]
                    for k, v in out.items() if isinstance(v, dict) and str(nt) in v}
        if per_site:
            ref = per_site[size_key(max(sizes))]
            out.setdefault("per_site_relative_to_largest", {})[str(nt)] = {
                k: v / ref for k, v in per_site.items()}
    return out


# --------------------------------------------------------------------------
# comparison with the anchors
# --------------------------------------------------------------------------
def compare(md, hbor) -> dict:
    comp = {"ratio_definition": "our time / reference time (< 1: we are faster)"}
    nmax = str(thread_counts()[-1])
    for key in ("8^4", "16^4"):
        if key not in md:
            continue
        c = {}
        oq = REFERENCES["openqcd_md_step_ns_per_site"][key]
        milc = REFERENCES["milc_md_step_ns_per_site"][key]
        for nt in {"1", nmax}:
            step = md[key][nt]["md_step_ns_per_site"]
            c[f"md_step_{nt}_thread_ns_per_site"] = step
            c[f"md_step_{nt}_thread_vs_openqcd"] = step / oq
            c[f"md_step_{nt}_thread_vs_milc"] = step / milc
        c["target_md_1_thread_within_1.5x_openqcd"] = c["md_step_1_thread_vs_openqcd"] <= 1.5
        c[f"target_md_{nmax}_threads_ahead_of_openqcd"] = c[f"md_step_{nmax}_thread_vs_openqcd"] < 1.0
        if isinstance(hbor, dict) and key in hbor:
            lo, hi = REFERENCES["milc_hb_or_ns_per_link"][key]
            for nt in {"1", nmax}:
                h = hbor[key][nt]
                for name, val in (("heatbath", h["heatbath_ns_per_link"]),
                                  ("overrelaxation", h["overrelaxation_ns_per_link"]),
                                  ("sweep", h["sweep_hb_plus_or_ns_per_link_update"])):
                    c[f"{name}_{nt}_thread_vs_milc_low"] = val / lo
                    c[f"{name}_{nt}_thread_vs_milc_high"] = val / hi
            c["target_hb_1_thread_at_or_below_milc"] = c["heatbath_1_thread_vs_milc_high"] <= 1.0
            c["target_or_1_thread_at_or_below_milc"] = c["overrelaxation_1_thread_vs_milc_high"] <= 1.0
        comp[key] = c
    return comp


# --------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description="lqcd_core pure-gauge SU(3) benchmark (JSON on stdout)")
    ap.add_argument("--quick", action="store_true",
                    help="small lattices and few repeats (about a minute)")
    ap.add_argument("--md-steps", type=int, default=10, help="Omelyan steps per trajectory (10)")
    ap.add_argument("--or-per-hb", type=int, default=4, help="OR sweeps per HB sweep (4)")
    ap.add_argument("--repeats", type=int, default=None, help="timing repeats (quick 3, full 7)")
    ap.add_argument("--trajectories", type=int, default=None,
                    help="timed HMC trajectories per size and thread count (quick 2, full 4)")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                    help="first wait up to SECONDS for the CPUs to be idle (< 10%% busy)")
    ap.add_argument("--retries", type=int, default=None,
                    help="re-measure a block up to N more times when other processes used "
                         f"> {100 * BUSY_LIMIT:.0f}%% of the CPUs meanwhile (quick 0, full 1)")
    ap.add_argument("--skip-hmc", action="store_true")
    ap.add_argument("--skip-heatbath", action="store_true")
    ap.add_argument("--report", metavar="JSON",
                    help="do not benchmark: print markdown tables from a saved JSON result")
    args = ap.parse_args(argv)
    if args.report:
        with open(args.report) as fh:
            print(render_markdown(json.load(fh)), end="")
        return

    t_start = time.perf_counter()
    quick = args.quick
    repeats = args.repeats or (3 if quick else 9)
    n_traj = args.trajectories or (2 if quick else 4)
    global RETRIES
    RETRIES = args.retries if args.retries is not None else (0 if quick else 1)
    md_sizes = [4, 8] if quick else [8, 16]
    hb_sizes = [4, 8] if quick else [8, 16]
    hmc_sizes = [4, 8] if quick else [4, 8, 16]

    busy_start = _cpu_busy_fraction()
    if args.wait_idle > 0 and busy_start is not None and busy_start > 0.1:
        log(f"CPUs {100 * busy_start:.0f}% busy; waiting up to {args.wait_idle:.0f} s for idle")
        deadline = time.perf_counter() + args.wait_idle
        while busy_start > 0.1 and time.perf_counter() < deadline:
            time.sleep(4.0)
            busy_start = _cpu_busy_fraction(1.0)
    load_start = os.getloadavg()
    if busy_start is not None and busy_start > 0.15:
        log(f"WARNING: the CPUs are {100 * busy_start:.0f}% busy before the benchmark; "
            "timings with all threads will be pessimistic")

    doc = {
        "benchmark": "lqcd_core pure-gauge SU(3), Wilson beta = 6",
        "mode": "quick" if quick else "full",
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "git": _git_commit(),
        "machine": machine_info(),
        "settings": {"beta": BETA, "group": "su3", "action": "wilson", "repeats": repeats,
                     "statistic": "best (minimum) of repeats as the headline figure, median "
                                  "also given (the cores are shared with other work); "
                                  "perf_counter; compilation excluded",
                     "md_sizes": [size_key(L) for L in md_sizes],
                     "hb_sizes": [size_key(L) for L in hb_sizes],
                     "hmc_sizes": [size_key(L) for L in hmc_sizes],
                     "threads": thread_counts(),
                     "retries_when_busy": RETRIES, "busy_limit": BUSY_LIMIT},
    }
    log(f"machine: {doc['machine']['cpu_model']}, {doc['machine']['logical_cpus']} CPUs, "
        f"numba {numba.__version__} with {numba.config.NUMBA_NUM_THREADS} threads")
    with OtherLoad() as load:
        limits = machine_limits(quick=quick, log=log)
    limits["others_cpu_fraction"] = load.fraction
    doc["machine"]["limits"] = limits
    try:
        doc["machine"]["numba_threading_layer"] = numba.threading_layer()
    except ValueError:
        doc["machine"]["numba_threading_layer"] = None
    doc["machine"]["env"] = {k: os.environ.get(k) for k in (
        "NUMBA_NUM_THREADS", "NUMBA_THREADING_LAYER", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    C = counts()
    doc["counts"] = C

    rng = np.random.default_rng(12345)
    log("compiling / thermalising")
    fields = thermalised_fields(set(md_sizes) | set(hb_sizes) | set(hmc_sizes), quick, rng)
    doc["start_plaquettes"] = {size_key(L): f.plaquette() for L, f in sorted(fields.items())}

    doc["md"] = bench_md(fields, md_sizes, repeats, limits, C)
    doc["heatbath"] = ({"skipped": "--skip-heatbath"} if args.skip_heatbath
                       else bench_heatbath(fields, hb_sizes, repeats, args.or_per_hb, C, limits))
    doc["hmc"] = ({"skipped": "--skip-hmc"} if args.skip_hmc
                  else bench_hmc(fields, hmc_sizes, args.md_steps, n_traj, 1, 1.0 if quick else 4.0))
    doc["references"] = REFERENCES
    doc["comparison"] = compare(doc["md"], doc["heatbath"])
    busy_end = _cpu_busy_fraction()
    doc["contention"] = {
        "cpu_busy_fraction_before": busy_start, "cpu_busy_fraction_after": busy_end,
        "loadavg_before": load_start, "loadavg_after": os.getloadavg(),
        "note": "busy fractions measured while this process was idle; every timed entry "
                "also carries others_cpu_fraction, the share of the machine used by other "
                "processes during that measurement: > 0.05 means the cores were shared and "
                "the figure (especially with all threads) is pessimistic",
    }
    doc["wall_seconds"] = time.perf_counter() - t_start
    json.dump(doc, sys.stdout, indent=2)
    print()
    log(f"done in {doc['wall_seconds']:.0f} s")


if __name__ == "__main__":
    main()
