"""The per-site-link Wilson kernel (lqcd_core.dirac._wilson_site_kernels) against the kernel it
replaces in the operators (``_wilson_kernels.hop_su3``, which test_dirac_wilson.py checks against
the naive reference through the operators before this change)."""
import numpy as np
import pytest

from lqcd_core.dirac import _wilson_kernels as K
from lqcd_core.dirac import _wilson_site_kernels as KS
from lqcd_core.dirac.wilson import Wilson
from lqcd_core.gauge import GaugeField
from lqcd_core.lattice import Lattice

pytestmark = pytest.mark.usefixtures("single_numba_thread")

# 4^4, and a lattice with extent-2 directions (forward and backward neighbour coincide)
EXTENTS = [(4, 4, 4, 4), (2, 4, 2, 4)]
EXTENT_IDS = ["4^4", "2x4x2x4"]
TOL = {np.complex128: 1e-14, np.complex64: 1e-6}


def rand(shape, rng, dtype):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def hermitian_packed(n, rng, dtype):
    b = rng.standard_normal((n, 2, 6, 6)) + 1j * rng.standard_normal((n, 2, 6, 6))
    return K.pack_hermitian(b + np.conj(np.swapaxes(b, -1, -2))).astype(dtype)


def passes(extents, seed):
    """(name, u_here, u_there, fwd, bwd, sf, sb) of the full lattice and of the two even-odd
    passes, with antiperiodic signs (-1 on the time-boundary links), as in wilson.py."""
    lat = Lattice(extents)
    u = GaugeField.hot(lat, "su3", np.random.default_rng(seed)).links
    sgn = np.ones((4, lat.volume))
    sgn[3, lat.coords[:, 3] == extents[3] - 1] = -1.0
    sgn_b = np.take_along_axis(sgn, lat.bwd, axis=1)
    ev, od = lat.even_sites, lat.odd_sites
    pos = np.empty(lat.volume, np.int64)
    pos[ev] = np.arange(len(ev))
    pos[od] = np.arange(len(od))
    c = np.ascontiguousarray
    out = [("full", u, u, lat.fwd, lat.bwd, sgn, sgn_b)]
    for name, here, there in (("to_odd", od, ev), ("to_even", ev, od)):
        out.append((name, c(u[:, here]), c(u[:, there]), c(pos[lat.fwd[:, here]]),
                    c(pos[lat.bwd[:, here]]), c(sgn[:, here]), c(sgn_b[:, here])))
    return out


@pytest.mark.parametrize("extents", EXTENTS, ids=EXTENT_IDS)
def test_site_links_hold_signed_forward_and_daggered_backward_links(extents):
    for name, uh, ut, fwd, bwd, sf, sb in passes(extents, 1):
        ul = KS.site_links(uh, ut, bwd, sf, sb)
        assert ul.shape == (fwd.shape[1], 8, 3, 3) and ul.flags.c_contiguous
        assert (sf < 0).any() and (sb < 0).any()
        for mu in range(4):
            assert np.array_equal(ul[:, 2 * mu], sf[mu][:, None, None] * uh[mu])
            back = np.conj(np.swapaxes(ut[mu][bwd[mu]], -1, -2))
            assert np.array_equal(ul[:, 2 * mu + 1], sb[mu][:, None, None] * back)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64], ids=["double", "single"])
@pytest.mark.parametrize("extents", EXTENTS, ids=EXTENT_IDS)
def test_hop_site_equals_hop_su3_in_every_mode_pass_and_dagger(extents, dtype):
    rng = np.random.default_rng(2)
    real = np.float32 if dtype == np.complex64 else np.float64
    for name, uh, ut, fwd, bwd, sf, sb in passes(extents, 3):
        n = fwd.shape[1]
        psi = rand((n, 4, 3), rng, dtype)
        dpsi = rand((n, 4, 3), rng, dtype)
        blocks = hermitian_packed(n, rng, dtype)
        ul = KS.site_links(uh, ut, bwd, sf, sb, dtype)
        assert ul.dtype == dtype
        args = (uh.astype(dtype), ut.astype(dtype), fwd, bwd, sf.astype(real), sb.astype(real))
        for mode in range(4):
            for dagger in (False, True):
                ref = np.empty_like(psi)
                K.hop_su3(ref, psi, *args, -0.3, dagger, dpsi, blocks, mode)
                out = np.empty_like(psi)
                KS.hop_site(out, psi, ul, fwd, bwd, -0.3, dagger, dpsi, blocks, mode)
                err = np.linalg.norm(out - ref) / np.linalg.norm(ref)
                assert err < TOL[dtype], (name, mode, dagger, err)


def test_hop_site_leaves_its_input_untouched_and_overwrites_every_output_site():
    name, uh, ut, fwd, bwd, sf, sb = passes((4, 4, 4, 4), 4)[0]
    rng = np.random.default_rng(5)
    psi = rand((fwd.shape[1], 4, 3), rng, np.complex128)
    keep = psi.copy()
    out = np.full_like(psi, np.nan)
    KS.hop_site(out, psi, KS.site_links(uh, ut, bwd, sf, sb), fwd, bwd, 1.0, True, psi,
                hermitian_packed(1, rng, np.complex128), 0)
    assert np.array_equal(psi, keep)
    assert np.isfinite(out).all()


@pytest.mark.parametrize("eo", [False, True], ids=["full", "eo"])
def test_su3_operators_keep_their_links_per_site_and_single_casts_them(eo):
    f = GaugeField.hot(Lattice((4, 4, 4, 4)), "su3", np.random.default_rng(6))
    op = Wilson(kappa=0.12, csw=1.0, even_odd=eo).bind(f)
    names = ("_links_o", "_links_e") if eo else ("_links",)
    sop = op.single()
    for name in names:
        ul = getattr(op, name)
        assert ul.shape == (op.shape[0], 8, 3, 3) and ul.dtype == np.complex128
        assert getattr(sop, name).dtype == np.complex64
        assert np.allclose(getattr(sop, name), ul, atol=1e-6)
