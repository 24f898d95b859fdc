"""Machine limits measured from Python/Numba: memory bandwidth and peak FLOP/s.

Two micro-benchmarks, each run with 1 thread and with all Numba threads:

* **STREAM triad**  a[i] = b[i] + s * c[i]  over three float64 arrays much
  larger than the last-level cache (default 3 x 80 MB), in a ``prange`` kernel.
  Bandwidth is quoted in the STREAM convention, 24 bytes per element (two loads,
  one store), and also with the write-allocate read of ``a`` that a normal
  (non-streaming) store costs, 32 bytes per element.  Best of ``repeats``.
* **FMA throughput**  x[j] = x[j] * a + b on a 128-double block per thread
  that stays in L1: 16 independent 8-wide FMA chains per iteration, enough to
  cover the FMA latency, so the loop runs at the FMA issue rate.  2 flops per
  element update.  A second, scalar variant runs 16 independent scalar FMA
  chains: the ceiling for code that LLVM does not vectorise, which is what
  Numba makes of complex128 3x3 matrix algebra.  Both are *achievable* peaks
  of Numba-generated code on this machine (turbo clocks included), not
  datasheet numbers.

Usage::

    python bench/bandwidth.py            # JSON to stdout (or: python -m bench.bandwidth)
    python bench/bandwidth.py --quick    # smaller arrays, fewer repeats
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit, prange

# Run as a script, the cached kernels' environments name the module ``bench.bandwidth`` (the
# name under which bench_gauge.py / bench_dirac.py / ``python -m`` compiled them), and Numba
# imports it when it loads them: make the repository root importable, as bench_gauge.py does.
_HERE = Path(__file__).resolve().parent
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

FMA_BLOCK = 128          # doubles per thread in the FMA kernel (16 zmm / 32 ymm registers)
FMA_STRIDE = 256         # spacing between the threads' blocks (2 KB, no false sharing)


@njit(parallel=True, fastmath=True, cache=True)
def _fill(a, value):
    for i in prange(a.shape[0]):
        a[i] = value


@njit(parallel=True, fastmath=True, cache=True)
def triad(a, b, c, s):
    """a = b + s c (STREAM triad)."""
    for i in prange(a.shape[0]):
        a[i] = b[i] + s * c[i]


@njit(fastmath=True, cache=True)
def _fma_block(x, n_iter, a, b):
    # a separate (not inlined) function on a block view with a constant trip
    # count, so that LLVM unrolls the j loop and keeps x in registers
    for _ in range(n_iter):
        for j in range(FMA_BLOCK):
            x[j] = x[j] * a + b


@njit(fastmath=True, cache=True)
def _fma_scalar(n_iter, a, b):
    # 16 independent scalar chains: the FMA rate of code that does not vectorise
    # (complex128 3x3 matrix algebra in Numba compiles to scalar FMAs)
    x0, x1, x2, x3, x4, x5, x6, x7 = 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7
    x8, x9, x10, x11, x12, x13, x14, x15 = 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2
    for _ in range(n_iter):
        x0 = x0 * a + b
        x1 = x1 * a + b
        x2 = x2 * a + b
        x3 = x3 * a + b
        x4 = x4 * a + b
        x5 = x5 * a + b
        x6 = x6 * a + b
        x7 = x7 * a + b
        x8 = x8 * a + b
        x9 = x9 * a + b
        x10 = x10 * a + b
        x11 = x11 * a + b
        x12 = x12 * a + b
        x13 = x13 * a + b
        x14 = x14 * a + b
        x15 = x15 * a + b
    return (x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11 + x12 + x13
            + x14 + x15)


@njit(parallel=True, fastmath=True, cache=True)
def fma_scalar_kernel(n_iter, a, b, n_blocks):
    """16 scalar FMA chains per thread (2 x 16 flops per iteration)."""
    acc = 0.0
    for t in prange(n_blocks):
        acc += _fma_scalar(n_iter, a, b + t * 1e-9)
    return acc


@njit(parallel=True, fastmath=True, cache=True)
def fma_kernel(x, n_iter, a, b, n_blocks):
    """n_iter sweeps of x = x a + b over each thread's L1-resident block."""
    for t in prange(n_blocks):
        off = t * FMA_STRIDE
        _fma_block(x[off:off + FMA_BLOCK], n_iter, a, b)
    return x[0]


def _threads_list():
    nmax = numba.config.NUMBA_NUM_THREADS
    return [1] if nmax == 1 else [1, nmax]


def measure_triad(n_threads: int, mbytes: float = 80.0, repeats: int = 10) -> dict:
    """Best-of-``repeats`` STREAM triad with ``n_threads`` Numba threads."""
    old = numba.get_num_threads()
    numba.set_num_threads(n_threads)
    try:
        n = int(mbytes * 1e6 / 8)
        a, b, c = np.empty(n), np.empty(n), np.empty(n)
        # first touch by the same threads that will use the pages
        _fill(a, 0.0)
        _fill(b, 1.0)
        _fill(c, 2.0)
        triad(a, b, c, 3.0)  # compile / warm up
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            triad(a, b, c, 3.0)
            times.append(time.perf_counter() - t0)
        best = min(times)
        return {
            "threads": n_threads,
            "array_mbytes": mbytes,
            "best_seconds": best,
            "median_seconds": float(np.median(times)),
            "gbytes_per_s_stream": 24.0 * n / best / 1e9,
            "gbytes_per_s_with_write_allocate": 32.0 * n / best / 1e9,
        }
    finally:
        numba.set_num_threads(old)


def _time_fma(call, flops_per_iter, seconds, repeats):
    call(10)  # compile
    # calibrate the iteration count to about `seconds` per call
    n_iter = 100_000
    t0 = time.perf_counter()
    call(n_iter)
    dt = time.perf_counter() - t0
    n_iter = max(10_000, int(n_iter * seconds / max(dt, 1e-6)))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call(n_iter)
        times.append(time.perf_counter() - t0)
    best = min(times)
    return best, flops_per_iter * n_iter / best / 1e9


def measure_fma(n_threads: int, seconds: float = 0.3, repeats: int = 5) -> dict:
    """Best-of-``repeats`` FMA throughput (GFLOP/s, float64) with ``n_threads`` threads:
    SIMD (L1-resident block, vectorised by LLVM) and scalar (16 scalar chains)."""
    old = numba.get_num_threads()
    numba.set_num_threads(n_threads)
    try:
        x = np.ones(n_threads * FMA_STRIDE)
        a, b = 0.9999999, 1e-7
        best, gflops = _time_fma(lambda n: fma_kernel(x, n, a, b, n_threads),
                                 2.0 * FMA_BLOCK * n_threads, seconds, repeats)
        best_s, gflops_s = _time_fma(lambda n: fma_scalar_kernel(n, a, b, n_threads),
                                     2.0 * 16 * n_threads, seconds, repeats)
        return {
            "threads": n_threads,
            "best_seconds": best,
            "gflops": gflops,
            "gflops_scalar": gflops_s,
        }
    finally:
        numba.set_num_threads(old)


def machine_limits(quick: bool = False, log=None) -> dict:
    """Triad bandwidth and FMA peak for 1 thread and all threads."""
    log = log or (lambda msg: None)
    mbytes = 40.0 if quick else 80.0
    repeats = 8 if quick else 25
    out = {"triad": {}, "fma": {}}
    for nt in _threads_list():
        log(f"bandwidth: triad, {nt} thread(s), 3 x {mbytes:.0f} MB")
        out["triad"][str(nt)] = measure_triad(nt, mbytes, repeats)
        log(f"bandwidth: FMA peak, {nt} thread(s)")
        out["fma"][str(nt)] = measure_fma(nt, 0.1 if quick else 0.3, 3 if quick else 5)
    out["notes"] = (
        "triad: best of repeats; 'stream' counts 24 B/element (STREAM convention), "
        "'with_write_allocate' 32 B/element. fma: x = x*a + b on an L1-resident "
        f"{FMA_BLOCK}-double block per thread, 2 flops per update; achievable peak "
        "of Numba/LLVM code including turbo, not a datasheet figure. fma gflops_scalar: 16 "
        "independent scalar FMA chains per thread, the ceiling for code that does not "
        "vectorise (Numba complex128 3x3 algebra).")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller arrays, fewer repeats")
    args = ap.parse_args(argv)
    res = machine_limits(args.quick, log=lambda m: print(m, file=sys.stderr, flush=True))
    json.dump(res, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
