"""Counter-based random numbers: Philox-4x32-10 (Salmon et al., SC'11).

A counter-based generator is a keyed bijection  (counter, key) -> 128 random
bits.  Nothing is carried from one draw to the next, so every random number in
a Monte Carlo sweep is a pure function of

    (seed key, sweep counter, stream, site/link index, draw index)

and a kernel can compute it inside a ``prange`` loop in any order: the result
does not depend on the number of threads, and restarting from (key, counter)
reproduces the stream bit-exactly (docs/heatbath.md, "Random numbers").

Layout of the 4 x 32-bit Philox counter and 2 x 32-bit key
------------------------------------------------------------
    key   = (seed_key mod 2^32, seed_key >> 32)          seed_key in [0, 2^64)
    ctr0  = draw index j            (32 bits; one Philox call per j)
    ctr1  = index i                 (32 bits; e.g. the link mu*V + x)
    ctr2  = counter mod 2^32        (sweep / trajectory counter, 56 bits in all)
    ctr3  = (counter >> 32) | stream << 24   (stream: 8 bits, 0..255)

One Philox call gives 128 bits = two doubles with 52 random bits each,
u = (m + 1/2) / 2^52 with m the top 52 bits of each 64-bit half, so
u lies in the open interval (0, 1) (2^-53 <= u <= 1 - 2^-53) and 1 - u is on
the same grid.  Normals come from the Box-Muller transform of one such pair.

Streams used in this package: ``STREAM_HEATBATH = 1`` (heatbath sweeps);
the others are free (suggested: ``STREAM_MOMENTA = 2`` for HMC momenta,
``STREAM_ACCEPT = 3`` for Metropolis decisions, ``STREAM_USER = 16`` and up).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

# Philox-4x32 multipliers and Weyl key increments (Random123, philox.h)
PHILOX_M0 = np.uint64(0xD2511F53)
PHILOX_M1 = np.uint64(0xCD9E8D57)
PHILOX_W0 = np.uint64(0x9E3779B9)
PHILOX_W1 = np.uint64(0xBB67AE85)
_MASK32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S12 = np.uint64(12)
_TWO_M52 = 2.0 ** -52
_TWO_PI = 2.0 * math.pi

COUNTER_BITS = 56
STREAM_HEATBATH = 1
STREAM_MOMENTA = 2
STREAM_ACCEPT = 3
STREAM_USER = 16


# ---------------------------------------------------------------------------
# Numba device functions (inline; all words are uint64 holding 32-bit values)
# ---------------------------------------------------------------------------
@njit(inline="always", cache=True)
def philox4x32_r(c0, c1, c2, c3, k0, k1, rounds):
    """Philox-4x32 with a given number of rounds (for known-answer tests)."""
    for _ in range(rounds):
        p0 = PHILOX_M0 * c0
        p1 = PHILOX_M1 * c2
        c0 = (p1 >> _S32) ^ c1 ^ k0
        c1 = p1 & _MASK32
        c2 = (p0 >> _S32) ^ c3 ^ k1
        c3 = p0 & _MASK32
        k0 = (k0 + PHILOX_W0) & _MASK32
        k1 = (k1 + PHILOX_W1) & _MASK32
    return c0, c1, c2, c3


@njit(inline="always", cache=True)
def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Philox-4x32 with 10 rounds: returns the 4 output words (uint64 < 2^32)."""
    return philox4x32_r(c0, c1, c2, c3, k0, k1, 10)


@njit(inline="always", cache=True)
def bits_to_unit(hi, lo):
    """Two 32-bit words -> a double (m + 1/2) 2^-52 in (0, 1), m = top 52 bits."""
    m = ((hi << _S32) | lo) >> _S12
    return (np.float64(m) + 0.5) * _TWO_M52


@njit(inline="always", cache=True)
def uniform_pair(k0, k1, c2, c3, index, j):
    """Two uniforms in (0, 1) for (index, draw j); k0, k1, c2, c3 as uint64 words.

    ``index`` and ``j`` are ordinary integers (< 2^32)."""
    r0, r1, r2, r3 = philox4x32_10(np.uint64(j), np.uint64(index), c2, c3, k0, k1)
    return bits_to_unit(r0, r1), bits_to_unit(r2, r3)


@njit(inline="always", cache=True)
def normal_pair(k0, k1, c2, c3, index, j):
    """Two independent N(0, 1) numbers (Box-Muller) for (index, draw j)."""
    u1, u2 = uniform_pair(k0, k1, c2, c3, index, j)
    r = math.sqrt(-2.0 * math.log(u1))
    t = _TWO_PI * u2
    return r * math.cos(t), r * math.sin(t)


# ---------------------------------------------------------------------------
# Key / counter packing (Python side)
# ---------------------------------------------------------------------------
def key_words(seed_key: int) -> tuple[np.uint64, np.uint64]:
    """Split a 64-bit seed key into the two 32-bit Philox key words."""
    k = int(seed_key)
    if not 0 <= k < 2 ** 64:
        raise ValueError(f"seed key must be an integer in [0, 2^64), got {seed_key}")
    return np.uint64(k & 0xFFFFFFFF), np.uint64(k >> 32)


def counter_words(counter: int, stream: int = 0) -> tuple[np.uint64, np.uint64]:
    """(ctr2, ctr3) for a sweep counter in [0, 2^56) and a stream in [0, 256)."""
    c = int(counter)
    s = int(stream)
    if not 0 <= c < 2 ** COUNTER_BITS:
        raise ValueError(f"counter must be an integer in [0, 2^{COUNTER_BITS}), got {counter}")
    if not 0 <= s < 256:
        raise ValueError(f"stream must be an integer in [0, 256), got {stream}")
    return np.uint64(c & 0xFFFFFFFF), np.uint64((c >> 32) | (s << 24))


# ---------------------------------------------------------------------------
# Array kernels
# ---------------------------------------------------------------------------
@njit(parallel=True, cache=True)
def _philox_array(ctr, key, rounds, out):
    for m in prange(ctr.shape[0]):
        r0, r1, r2, r3 = philox4x32_r(np.uint64(ctr[m, 0]), np.uint64(ctr[m, 1]),
                                      np.uint64(ctr[m, 2]), np.uint64(ctr[m, 3]),
                                      np.uint64(key[m, 0]), np.uint64(key[m, 1]), rounds)
        out[m, 0] = r0
        out[m, 1] = r1
        out[m, 2] = r2
        out[m, 3] = r3


@njit(parallel=True, cache=True)
def _uniform_array(k0, k1, c2, c3, i0, out):
    """out[i, 2j], out[i, 2j+1] = uniform_pair(index i0 + i, draw j)."""
    npair = out.shape[1] // 2
    for i in prange(out.shape[0]):
        for j in range(npair):
            a, b = uniform_pair(k0, k1, c2, c3, i0 + i, j)
            out[i, 2 * j] = a
            out[i, 2 * j + 1] = b


@njit(parallel=True, cache=True)
def _normal_array(k0, k1, c2, c3, i0, out):
    npair = out.shape[1] // 2
    for i in prange(out.shape[0]):
        for j in range(npair):
            a, b = normal_pair(k0, k1, c2, c3, i0 + i, j)
            out[i, 2 * j] = a
            out[i, 2 * j + 1] = b


def philox4x32(ctr, key, rounds: int = 10) -> np.ndarray:
    """Philox-4x32-R bijection on arrays: ctr (..., 4) and key (..., 2) -> (..., 4) uint32.

    This is the raw Random123 function (known-answer tests use it)."""
    ctr = np.asarray(ctr, dtype=np.uint64)
    key = np.asarray(key, dtype=np.uint64)
    if ctr.shape[-1] != 4 or key.shape[-1] != 2:
        raise ValueError("ctr must have last axis 4 and key last axis 2")
    if (ctr >> np.uint64(32)).any() or (key >> np.uint64(32)).any():
        raise ValueError("counter and key words must be 32-bit")
    shape = np.broadcast_shapes(ctr.shape[:-1], key.shape[:-1])
    c = np.ascontiguousarray(np.broadcast_to(ctr, shape + (4,)).reshape(-1, 4))
    k = np.ascontiguousarray(np.broadcast_to(key, shape + (2,)).reshape(-1, 2))
    out = np.empty_like(c)
    _philox_array(c, k, int(rounds), out)
    return out.astype(np.uint32).reshape(shape + (4,))


class CounterRNG:
    """Philox-4x32-10 streams addressed by (counter, stream, index, draw).

    Parameters
    ----------
    seed_key : int
        64-bit key in [0, 2^64); distinct keys give independent ensembles.

    ``uniform(counter, n_index, n_per_index)`` returns an (n_index, n_per_index)
    array whose row i holds the draws j = 0, 1, ... of index ``first_index + i``
    (two numbers per draw), exactly the numbers a Numba kernel obtains from
    :func:`uniform_pair` with the same words.  No state is kept: calling again
    with the same arguments returns the same numbers.
    """

    def __init__(self, seed_key: int):
        self.seed_key = int(seed_key)
        self.k0, self.k1 = key_words(self.seed_key)

    def __repr__(self):
        return f"CounterRNG(seed_key={self.seed_key})"

    def words(self, counter: int, stream: int = 0):
        """(k0, k1, c2, c3): the uint64 words to pass to the device functions."""
        c2, c3 = counter_words(counter, stream)
        return self.k0, self.k1, c2, c3

    def _fill(self, kernel, counter, n_index, n_per_index, stream, first_index):
        n_index = int(n_index)
        n_per_index = int(n_per_index)
        first_index = int(first_index)
        if n_index < 0 or n_per_index < 0:
            raise ValueError("sizes must be non-negative")
        if first_index < 0 or first_index + n_index > 2 ** 32:
            raise ValueError("indices must lie in [0, 2^32)")
        npair = (n_per_index + 1) // 2
        if npair > 2 ** 32:
            raise ValueError("at most 2^33 numbers per index")
        out = np.empty((n_index, 2 * npair))
        k0, k1, c2, c3 = self.words(counter, stream)
        kernel(k0, k1, c2, c3, first_index, out)
        return out[:, :n_per_index]

    def uniform(self, counter: int, n_index: int, n_per_index: int = 2,
                stream: int = 0, first_index: int = 0) -> np.ndarray:
        """Uniform doubles in the open interval (0, 1), shape (n_index, n_per_index)."""
        return self._fill(_uniform_array, counter, n_index, n_per_index, stream, first_index)

    def normal(self, counter: int, n_index: int, n_per_index: int = 2,
               stream: int = 0, first_index: int = 0) -> np.ndarray:
        """Standard normal doubles (Box-Muller), shape (n_index, n_per_index)."""
        return self._fill(_normal_array, counter, n_index, n_per_index, stream, first_index)

    def state(self, counter: int) -> dict:
        """What a checkpoint must store to resume the stream bit-exactly."""
        return {"generator": "philox4x32-10", "seed_key": self.seed_key, "counter": int(counter)}
