"""Tests of the counter-based Philox-4x32-10 generator (lqcd_core.markov.rng)."""
import numba
import numpy as np
import pytest
from scipy import stats

from lqcd_core.markov.rng import (CounterRNG, bits_to_unit, counter_words, key_words,
                                  philox4x32)

from naive import philox4x32_py

# Random123 kat_vectors (Salmon et al.): ctr[4] key[2] -> out[4]
KAT = [
    (10, [0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    (10, [0xFFFFFFFF] * 4, [0xFFFFFFFF] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    (10, [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
     [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]),
    (7, [0, 0, 0, 0], [0, 0], [0x5F6FB709, 0x0D893F64, 0x4F121F81, 0x4F730A48]),
    (7, [0xFFFFFFFF] * 4, [0xFFFFFFFF] * 2, [0x5207DDC2, 0x45165E59, 0x4D8EE751, 0x8C52F662]),
    (7, [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
     [0x4DFCCABA, 0x190A87F0, 0xC47362BA, 0xB6B5242A]),
]


@pytest.mark.parametrize("rounds, ctr, key, expected", KAT)
def test_philox_known_answer_vectors(rounds, ctr, key, expected):
    out = philox4x32(ctr, key, rounds)
    assert [int(v) for v in out] == expected


def test_philox_matches_python_integer_reference():
    rng = np.random.default_rng(0)
    ctr = rng.integers(0, 2 ** 32, size=(300, 4), dtype=np.uint64)
    key = rng.integers(0, 2 ** 32, size=(300, 2), dtype=np.uint64)
    out = philox4x32(ctr, key)
    for c, k, o in zip(ctr, key, out):
        assert philox4x32_py(c, k) == [int(v) for v in o]


def test_uniforms_are_the_documented_function_of_philox_words():
    """uniform(counter, index, draw j) = ((w0 << 32 | w1) >> 12 + 1/2) 2^-52 etc. for
    the Philox words of ctr = (j, index, counter lo, counter hi | stream << 24)."""
    key = 0x0123456789ABCDEF
    counter = (7 << 32) + 12345
    stream = 5
    rng = CounterRNG(key)
    u = rng.uniform(counter, 6, 6, stream=stream, first_index=1000)
    for i in range(6):
        for j in range(3):
            ctr = [j, 1000 + i, counter & 0xFFFFFFFF, (counter >> 32) | (stream << 24)]
            w = philox4x32_py(ctr, [key & 0xFFFFFFFF, key >> 32])
            a = (((w[0] << 32) | w[1]) >> 12) + 0.5
            b = (((w[2] << 32) | w[3]) >> 12) + 0.5
            assert u[i, 2 * j] == a * 2.0 ** -52
            assert u[i, 2 * j + 1] == b * 2.0 ** -52


def test_uniform_range_is_open_interval_including_extreme_words():
    lo = bits_to_unit(np.uint64(0), np.uint64(0))
    hi = bits_to_unit(np.uint64(0xFFFFFFFF), np.uint64(0xFFFFFFFF))
    assert lo == 2.0 ** -53 and lo > 0.0
    assert hi == 1.0 - 2.0 ** -53 and hi < 1.0


def test_uniform_moments_and_distribution():
    u = CounterRNG(42).uniform(3, 100_000, 4).ravel()
    n = u.size
    assert 0.0 < u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    assert abs(u.var() - 1 / 12) < 5 * np.sqrt(1 / 180 / n)  # Var of (u-1/2)^2 is 1/180
    assert stats.kstest(u, "uniform").pvalue > 1e-4
    counts = np.histogram(u, bins=100, range=(0, 1))[0]
    assert stats.chisquare(counts).pvalue > 1e-4


def test_no_correlation_between_neighbouring_indices_draws_and_counters():
    rng = CounterRNG(7)
    a = rng.uniform(0, 50_001, 4)
    b = rng.uniform(1, 50_001, 4)
    bound = 5 / np.sqrt(50_000)
    for x, y in [(a[:-1, 0], a[1:, 0]),      # neighbouring indices
                 (a[:, 0], a[:, 1]),          # the two halves of one Philox block
                 (a[:, 1], a[:, 2]),          # consecutive draws
                 (a[:, 0], b[:, 0])]:         # consecutive counters
        assert abs(np.corrcoef(x, y)[0, 1]) < bound


def test_normal_moments_and_distribution():
    z = CounterRNG(11).normal(5, 100_000, 2).ravel()
    n = z.size
    assert abs(z.mean()) < 5 / np.sqrt(n)
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / n)
    assert abs(stats.skew(z)) < 5 * np.sqrt(6 / n)
    assert abs(stats.kurtosis(z)) < 5 * np.sqrt(24 / n)
    assert stats.kstest(z, "norm").pvalue > 1e-4


def test_restart_from_key_and_counter_is_bit_exact_and_streams_differ():
    a = CounterRNG(123).uniform(99, 1000, 8)
    b = CounterRNG(123).uniform(99, 1000, 8)          # a "restarted" generator
    assert np.array_equal(a.view(np.uint64), b.view(np.uint64))
    # a sub-range of indices is the same numbers
    c = CounterRNG(123).uniform(99, 10, 8, first_index=500)
    assert np.array_equal(c, a[500:510])
    for other in (CounterRNG(124).uniform(99, 1000, 8), CounterRNG(123).uniform(100, 1000, 8),
                  CounterRNG(123).uniform(99, 1000, 8, stream=1)):
        assert np.mean(other == a) < 1e-3


def test_results_independent_of_thread_count():
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = CounterRNG(5).normal(17, 20_001, 6)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        b = CounterRNG(5).normal(17, 20_001, 6)
    finally:
        numba.set_num_threads(old)
    assert np.array_equal(a.view(np.uint64), b.view(np.uint64))


def test_invalid_keys_and_counters_are_rejected():
    with pytest.raises(ValueError):
        key_words(-1)
    with pytest.raises(ValueError):
        key_words(2 ** 64)
    with pytest.raises(ValueError):
        counter_words(2 ** 56)
    with pytest.raises(ValueError):
        counter_words(0, stream=256)
    with pytest.raises(ValueError):
        CounterRNG(1).uniform(0, 10, first_index=2 ** 32 - 5)
