"""The D = 4, nc = 3 Wilson hopping kernel on per-site link arrays (docs/conventions.md,
"Wilson fermions"; the module docstring of ``_wilson_kernels`` defines acc, g and the modes).

``hop_site`` computes exactly what ``_wilson_kernels.hop_su3`` computes, but reads the eight
links of an output site x from one array made at bind time (``site_links``):

    ul[x, 2 mu]     = s_f(mu, x) U_mu(x)                 (forward hop)
    ul[x, 2 mu + 1] = s_b(mu, x) U_mu(x - mu)^dag         (backward hop, already daggered)

so the links arrive as one sequential stream of 8 x 9 complex numbers per site (instead of
eight streams, four of them through the neighbour table), the boundary signs cost nothing,
and the kernel prefetches the links of site x + ``PREFETCH`` while it works on x.  With
``fastmath`` (contraction to FMA and reassociation; no assumptions about NaN or Inf) this
takes the plain Wilson operator from 38 % to about 75 % of the bandwidth roofline on
16^4 (docs/performance.md, "Dirac operators and solvers").  The price is memory: 8 links
per output site instead of 4.
"""
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from ._wilson_kernels import (_finish, _load, _proj0, _proj1, _proj2, _proj3, _recon0, _recon1,
                              _recon2, _recon3, _umul)

#: floating-point flags of the kernel: FMA contraction and reassociation only (results differ
#: from hop_su3 by rounding; NaN and Inf keep their IEEE meaning)
FASTMATH = {"contract", "reassoc", "nsz", "arcp"}
#: sites ahead whose links are prefetched (1-2 is best: farther evicts data still in use)
PREFETCH = 2


def site_links(u_here, u_there, bwd, sf, sb, dtype=None) -> np.ndarray:
    """(n, 8, 3, 3): for the n output sites k, ``ul[k, 2 mu] = sf[mu, k] u_here[mu, k]`` and
    ``ul[k, 2 mu + 1] = sb[mu, k] u_there[mu, bwd[mu, k]]^dag`` (the arguments of hop_su3)."""
    nd, n = bwd.shape
    dtype = np.dtype(u_here.dtype if dtype is None else dtype)
    ul = np.empty((n, 2 * nd) + u_here.shape[2:], dtype)
    for mu in range(nd):
        ul[:, 2 * mu] = u_here[mu] * sf[mu][:, None, None]
        back = u_there[mu][bwd[mu]]
        ul[:, 2 * mu + 1] = np.conj(np.swapaxes(back, -1, -2)) * sb[mu][:, None, None]
    return ul


@intrinsic
def _prefetch(typingctx, arr, idx):
    """Prefetch (read, keep in all cache levels) the line of element ``idx`` of the
    C-contiguous 1-d ``arr``; no bounds check, and a prefetch never faults."""
    if not isinstance(arr, types.Array):
        return None
    sig = types.void(arr, types.intp)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), i8p)
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()
    return sig, codegen


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def hop_site(out, psi, ul, fwd, bwd, coef, dagger, dpsi, blocks, mode):
    """``hop_su3`` with the per-site links ``ul`` of ``site_links`` (module docstring); the
    sign of a hop sits in its link, dagger is gamma5 H gamma5 as in hop_su3."""
    n = out.shape[0]
    if dagger:
        src = np.empty_like(psi)
        for y in prange(psi.shape[0]):
            for s in range(2):
                for c in range(3):
                    src[y, s, c] = psi[y, s, c]
                    src[y, s + 2, c] = -psi[y, s + 2, c]
    else:
        src = psi
    flat = ul.reshape(-1)
    per_site = ul.shape[1] * 9
    line = 64 // flat.itemsize                  # elements per 64-byte cache line
    for x in prange(n):
        xp = x + PREFETCH
        if xp < n:
            base = xp * per_site
            for k in range(0, per_site, line):
                _prefetch(flat, base + k)
        z = psi[0, 0, 0] * 0
        a = (z, z, z, z, z, z, z, z, z, z, z, z)
        a = _recon0(-1, a, _umul(ul, x, 0, _proj0(-1, _load(src, fwd[0, x]))))
        a = _recon0(1, a, _umul(ul, x, 1, _proj0(1, _load(src, bwd[0, x]))))
        a = _recon1(-1, a, _umul(ul, x, 2, _proj1(-1, _load(src, fwd[1, x]))))
        a = _recon1(1, a, _umul(ul, x, 3, _proj1(1, _load(src, bwd[1, x]))))
        a = _recon2(-1, a, _umul(ul, x, 4, _proj2(-1, _load(src, fwd[2, x]))))
        a = _recon2(1, a, _umul(ul, x, 5, _proj2(1, _load(src, bwd[2, x]))))
        a = _recon3(-1, a, _umul(ul, x, 6, _proj3(-1, _load(src, fwd[3, x]))))
        a = _recon3(1, a, _umul(ul, x, 7, _proj3(1, _load(src, bwd[3, x]))))
        _finish(out, x, a, coef, dagger, dpsi, blocks, mode)
