"""Shared test fixtures."""
import numba
import pytest


@pytest.fixture(scope="module")
def single_numba_thread():
    """Tiny lattices: one Numba thread is much faster (no fork/join per kernel, no
    oversubscription on a shared machine).  Modules use it with
    ``pytestmark = pytest.mark.usefixtures("single_numba_thread")``."""
    old = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(old)
