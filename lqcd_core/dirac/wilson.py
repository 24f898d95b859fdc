"""Wilson and Wilson-clover fermions in D = 2 and D = 4 (docs/conventions.md, "Wilson fermions").

Normalisation (kappa-normalised, = 2 kappa times openQCD's D_w + c_sw (i/4) sum_{mu,nu} sigma F):

    M psi(x) = psi(x)
             - kappa sum_mu [ (1 - gamma_mu) U_mu(x) psi(x+mu)
                              + (1 + gamma_mu) U_mu(x-mu)^dag psi(x-mu) ]
             + i c_sw kappa sum_{mu<nu} sigma_{mu nu} Fhat_{mu nu}(x) psi(x),

    kappa = 1 / (2 m0 + 2 D),   sigma_{mu nu} = (i/2) [gamma_mu, gamma_nu],
    Fhat_{mu nu} = (1/8) (Q_{mu nu} - Q_{mu nu}^dag)   (Q: the four plaquettes around x, mu -> nu;
    anti-Hermitian, the trace is kept as in openQCD).

(openQCD's term c_sw (i/4) sum_{mu,nu} sigma F = c_sw (i/2) sum_{mu<nu} sigma F becomes
i c_sw kappa sum_{mu<nu} sigma F after the factor 2 kappa; the factor is i c_sw kappa, not
(i/2) c_sw kappa.)  The gamma matrices are the chiral basis of :mod:`lqcd_core.dirac.gamma`.
Antiperiodic boundary conditions in time: every hop across the boundary
x_{D-1} = L-1 -> 0 (either direction) carries a factor -1, stored as a sign per link
(mu, x), the links themselves are not touched.

Fields: (V, ns, nc) for the full operator, (V/2, ns, nc) on the even sites
(``lattice.even_sites`` order) for the even-odd operator  M_hat = M_ee - M_eo M_oo^{-1} M_oe.

Operators are snapshots: clover blocks, even-odd link copies and boundary signs are made
at ``bind`` time, so rebind after the links change (the actions bind per evaluation).
"""
from __future__ import annotations

import copy
import math

import numpy as np

from . import _clover_kernels as CK
from . import _wilson_kernels as K
from . import _wilson_site_kernels as KS
from .base import DiracOperator, Fermion, check_dimension
from .gamma import n_spin, planes, projection_tables, sigma_blocks


# ---------------------------------------------------------------------------
# parameters
# ---------------------------------------------------------------------------
def _number(value, key):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"fermion.{key} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"fermion.{key} must be finite, got {value!r}")
    return v


class Wilson(Fermion):
    """Wilson(-clover) fermions: ``Wilson(kappa=0.12)``, ``Wilson(mass=0.1, csw=1.0)``.

    Exactly one of ``kappa`` (hopping parameter, > 0) and ``mass`` (bare mass m0,
    kappa = 1/(2 m0 + 2D), resolved at bind time since it needs D) is given.
    ``csw`` >= 0 is the clover coefficient, ``antiperiodic`` the temporal boundary
    condition, ``even_odd`` selects the Schur-complement operator.
    """

    name = "wilson"

    def __init__(self, kappa=None, mass=None, csw=0.0, antiperiodic=True, even_odd=False):
        if kappa is not None and mass is not None:
            raise ValueError("fermion.kappa and fermion.mass are alternatives: give one of them, "
                             f"got kappa={kappa!r} and mass={mass!r}")
        if kappa is None and mass is None:
            raise ValueError("fermion.mass (bare mass m0) or fermion.kappa is required")
        if kappa is not None:
            kappa = _number(kappa, "kappa")
            if kappa <= 0:
                raise ValueError(f"fermion.kappa must be positive, got {kappa}")
        if mass is not None:
            mass = _number(mass, "mass")
        csw = _number(csw, "csw")
        if csw < 0:
            raise ValueError(f"fermion.csw must be >= 0, got {csw}")
        self.kappa = kappa
        self.mass = mass
        self.csw = csw
        self.antiperiodic = bool(antiperiodic)
        self.even_odd = bool(even_odd)

    def kappa_for(self, ndim: int) -> float:
        """kappa in D = ndim: the given kappa, or 1/(2 m0 + 2D)."""
        if self.kappa is not None:
            return self.kappa
        if self.mass <= -ndim:
            raise ValueError(f"fermion.mass must be > -D = {-ndim} (so that kappa = 1/(2 m0 + 2D) "
                             f"> 0), got {self.mass}")
        return 1.0 / (2.0 * self.mass + 2.0 * ndim)

    def bind(self, field) -> "WilsonOperator":
        check_dimension(field.lattice.ndim, "Wilson")
        kappa = self.kappa_for(field.lattice.ndim)
        cls = WilsonEOOperator if self.even_odd else WilsonOperator
        return cls(field, kappa, csw=self.csw, antiperiodic=self.antiperiodic)

    def params(self) -> dict:
        return {"name": self.name, "kappa": self.kappa, "mass": self.mass, "csw": self.csw,
                "antiperiodic": self.antiperiodic, "even_odd": self.even_odd}

    def __repr__(self):
        k = f"kappa={self.kappa}" if self.kappa is not None else f"mass={self.mass}"
        return (f"Wilson({k}, csw={self.csw}, antiperiodic={self.antiperiodic}, "
                f"even_odd={self.even_odd})")


# ---------------------------------------------------------------------------
# shared machinery
# ---------------------------------------------------------------------------
def _real_dtype(dtype):
    return np.float32 if np.dtype(dtype) == np.complex64 else np.float64


class _WilsonBase(DiracOperator):
    """Set-up shared by the full and the even-odd operator."""

    name = "wilson"

    def __init__(self, field, kappa, csw=0.0, antiperiodic=True, dtype=np.complex128):
        super().__init__(field, dtype)
        check_dimension(self.ndim, "Wilson")
        if not kappa > 0:
            raise ValueError(f"fermion.kappa must be positive, got {kappa}")
        if csw < 0:
            raise ValueError(f"fermion.csw must be >= 0, got {csw}")
        self.kappa = float(kappa)
        self.csw = float(csw)
        self.antiperiodic = bool(antiperiodic)
        self.clover = self.csw != 0.0
        lat = self.lattice
        self.ns = n_spin(self.ndim)
        self.nh = self.ns // 2
        self._perm, self._phase = projection_tables(self.ndim)
        self._fast = self.ndim == 4 and self.nc == 3
        # boundary sign of the link (mu, x) and of the link (mu, x - mu) arriving at x
        sgn = np.ones((self.ndim, lat.volume))
        if self.antiperiodic:
            t = self.ndim - 1
            sgn[t, lat.coords[:, t] == lat.extents[t] - 1] = -1.0
        self._sgn = sgn
        self._sgn_b = np.ascontiguousarray(np.take_along_axis(sgn, lat.bwd, axis=1))
        self._planes = planes(self.ndim)
        self._sig = sigma_blocks(self.ndim)
        pidx = -np.ones((self.ndim, self.ndim), np.int64)
        for p, (mu, nu) in enumerate(self._planes):
            pidx[mu, nu] = p
        self._pidx = pidx
        self._blocks128 = self._clover_blocks() if self.clover else None

    # -- clover ------------------------------------------------------------------
    def field_strength(self) -> np.ndarray:
        """(P, V, nc, nc): Fhat_{mu nu}(x) = (Q - Q^dag)/8 for the planes mu < nu."""
        lat = self.lattice
        mus = np.array([p[0] for p in self._planes], np.int64)
        nus = np.array([p[1] for p in self._planes], np.int64)
        out = np.empty((len(self._planes), lat.volume, self.nc, self.nc), np.complex128)
        CK.field_strength(self.field.links, lat.fwd, lat.bwd, mus, nus, out)
        return out

    def _clover_blocks(self) -> np.ndarray:
        """(V, 2, nh nc, nh nc): the chirality blocks of 1 + i csw kappa sum sigma Fhat."""
        m = self.nh * self.nc
        out = np.empty((self.lattice.volume, 2, m, m), np.complex128)
        CK.clover_blocks(self.field_strength(), self._sig, self.csw * self.kappa, out)
        return out

    def _kernel_blocks(self, b128):
        """Blocks in the layout of the hopping kernel (packed Hermitian for hop_su3)."""
        b = K.pack_hermitian(b128) if self._fast else b128
        return np.ascontiguousarray(b, dtype=self.dtype)

    def _dummy_blocks(self):
        m = self.nh * self.nc
        shape = (1, 2, m * (m + 1) // 2) if self._fast else (1, 2, m, m)
        return np.zeros(shape, self.dtype)

    # -- kernels -------------------------------------------------------------------
    def _hop_links(self, u_here, u_there, bwd, sf, sb):
        """The links of one hopping pass as its kernel reads them: per-site arrays
        (``_wilson_site_kernels.site_links``, boundary signs folded in) for D = 4, nc = 3,
        else the tuple (u_here, u_there, sf, sb) of ``hop_generic``."""
        real = _real_dtype(self.dtype)
        if self._fast:
            return KS.site_links(u_here, u_there, bwd, sf, sb, self.dtype)
        return (np.ascontiguousarray(u_here, dtype=self.dtype),
                np.ascontiguousarray(u_there, dtype=self.dtype),
                np.ascontiguousarray(sf, dtype=real), np.ascontiguousarray(sb, dtype=real))

    def _hop(self, out, psi, links, fwd, bwd, coef, dagger, dpsi, blocks, mode):
        if self._fast:
            KS.hop_site(out, psi, links, fwd, bwd, coef, dagger, dpsi, blocks, mode)
        else:
            u_here, u_there, sf, sb = links
            K.hop_generic(out, psi, u_here, u_there, fwd, bwd, sf, sb, coef, dagger, dpsi, blocks,
                          mode, self._perm, self._phase)
        return out

    def _vec(self, x, shape=None):
        shape = self.shape if shape is None else shape
        x = np.ascontiguousarray(x, dtype=self.dtype)
        if x.shape != tuple(shape):
            raise ValueError(f"{self.name}: field of shape {x.shape}, expected {tuple(shape)}")
        return x

    def _full_deriv(self, pairs) -> np.ndarray:
        """Force of sum_k Re(Y_k^dag M X_k) for full-lattice vectors (X_k, Y_k), in double
        precision; the clover part is linear in its site matrices, so it runs once."""
        lat = self.lattice
        w = np.zeros(self.field.links.shape, np.complex128)
        what = None
        if self.clover:
            what = np.zeros((len(self._planes), lat.volume, self.nc, self.nc), np.complex128)
        for xf, yf in pairs:
            xf = np.ascontiguousarray(xf, np.complex128)
            yf = np.ascontiguousarray(yf, np.complex128)
            K.hop_deriv(w, xf, yf, self.field.links, lat.fwd, self._sgn, self.kappa,
                        self._perm, self._phase)
            if self.clover:
                CK.what_from_vectors(xf, yf, self._sig, self.csw * self.kappa / 8.0, what)
        if self.clover:
            CK.clover_deriv(w, self.field.links, lat.fwd, lat.bwd, what, self._pidx)
        return self._force_from_w(w)

    def _deriv_pair(self, x, y):
        raise NotImplementedError

    def deriv(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Force of Re(y^dag M x) (M_hat for the even-odd operator; hopping and clover terms;
        base.py convention)."""
        return self._full_deriv([self._deriv_pair(x, y)])

    def hermitian_deriv(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Force of Re(y^dag M^dag M x) = Re((M y)^dag dM x) + Re((M x)^dag dM y), with one
        clover-force pass for both terms."""
        return self._full_deriv([self._deriv_pair(x, self.apply(y)),
                                 self._deriv_pair(y, self.apply(x))])

    def _clover_force_from_matrices(self, mats, sites) -> np.ndarray:
        """Force of Re sum_{x in sites} tr(P(x) dC(x)) for spin-colour matrices P given as
        chirality blocks mats (n, 2, nh nc, nh nc), C the clover term."""
        lat = self.lattice
        nh, nc = self.nh, self.nc
        p6 = mats.reshape(len(sites), 2, nh, nc, nh, nc)
        lam = np.einsum("pcts,xcsbta->pxba", self._sig, p6)
        what = np.zeros((len(self._planes), lat.volume, nc, nc), np.complex128)
        lam_dag = np.conj(np.swapaxes(lam, -1, -2))
        what[:, sites] = 1j * (self.csw * self.kappa / 8.0) * (lam + lam_dag)
        w = np.zeros(self.field.links.shape, np.complex128)
        CK.clover_deriv(w, self.field.links, lat.fwd, lat.bwd, what, self._pidx)
        return self._force_from_w(w)

    # -- spectrum ------------------------------------------------------------------
    def _norm_bound(self) -> float:
        raise NotImplementedError

    def spectral_bounds(self, lo=None, iterations: int = 60, safety: float = 0.25,
                        seed: int = 20240601) -> tuple[float, float]:
        """(lo, hi) for the eigenvalues of A = M^dag M.

        hi = ||M||^2 with the rigorous bound of ``_norm_bound`` (every direction of the
        hopping term is 2 x a unitary, so ||H|| <= 2D; the clover part is exact per site).
        lo is *not* rigorous: unless given, it is ``safety`` times the smallest Ritz value of
        ``iterations`` Lanczos steps on A from a fixed random vector (the Ritz value lies
        above lambda_min; the factor leaves room for the rest of the run).  Pass lo
        explicitly, or the actions' ``bounds``, when a proven value is needed.
        """
        hi = self._norm_bound() ** 2
        if lo is None:
            lo = safety * self._lanczos_min(iterations, seed)
        lo = float(min(max(lo, 1e-14 * hi), hi))
        return lo, float(hi)

    def _lanczos_min(self, iterations, seed) -> float:
        from scipy.linalg import eigvalsh_tridiagonal
        rng = np.random.default_rng(seed)
        v = self.gaussian(rng).astype(np.complex128)
        v /= np.linalg.norm(v)
        alphas, betas = [], []
        v_prev = np.zeros_like(v)
        beta = 0.0
        for _ in range(int(iterations)):
            w = self.hermitian(v.astype(self.dtype)).astype(np.complex128) - beta * v_prev
            alpha = float(np.vdot(v, w).real)
            w -= alpha * v
            alphas.append(alpha)
            beta = float(np.linalg.norm(w))
            if beta < 1e-12 * max(abs(alpha), 1.0):
                break
            betas.append(beta)
            v_prev, v = v, w / beta
        k = len(alphas)
        theta = eigvalsh_tridiagonal(np.array(alphas), np.array(betas[:k - 1]))
        return max(float(theta[0]), 0.0)

    # -- precision -----------------------------------------------------------------
    _CAST = ()

    def single(self) -> "_WilsonBase":
        """The same operator on complex64 fields, links and clover blocks (deriv stays double)."""
        return self._with_dtype(np.complex64)

    def _with_dtype(self, dtype):
        op = copy.copy(self)
        op.dtype = np.dtype(dtype)
        op.applications = 0
        real = _real_dtype(dtype)
        cast = lambda a: np.ascontiguousarray(a, dtype=real if np.isrealobj(a) else dtype)  # noqa: E731
        for name in self._CAST:
            arr = getattr(self, name)
            if arr is None:
                continue
            setattr(op, name, tuple(map(cast, arr)) if isinstance(arr, tuple) else cast(arr))
        return op


# ---------------------------------------------------------------------------
# full lattice
# ---------------------------------------------------------------------------
class WilsonOperator(_WilsonBase):
    """M on the full lattice, fields (V, ns, nc) (module docstring)."""

    even_odd = False
    _CAST = ("_links", "_blocks")

    def __init__(self, field, kappa, csw=0.0, antiperiodic=True, dtype=np.complex128):
        super().__init__(field, kappa, csw, antiperiodic, dtype)
        lat = self.lattice
        self._links = self._hop_links(field.links, field.links, lat.bwd, self._sgn, self._sgn_b)
        self._blocks = (self._kernel_blocks(self._blocks128) if self.clover
                        else self._dummy_blocks())

    @property
    def shape(self) -> tuple:
        return (self.lattice.volume, self.ns, self.nc)

    def _apply(self, x, dagger):
        x = self._vec(x)
        out = np.empty_like(x)
        lat = self.lattice
        self._hop(out, x, self._links, lat.fwd, lat.bwd, -self.kappa, dagger, x, self._blocks,
                  2 if self.clover else 1)
        self.applications += 1
        return out

    def apply(self, x: np.ndarray) -> np.ndarray:
        """M x."""
        return self._apply(x, False)

    def apply_dagger(self, x: np.ndarray) -> np.ndarray:
        """M^dag x = gamma5 M gamma5 x (the hopping projectors swapped, the clover blocks are
        Hermitian)."""
        return self._apply(x, True)

    def _deriv_pair(self, x, y):
        return self._vec(x), self._vec(y)

    def clover_blocks(self) -> np.ndarray | None:
        """(V, 2, nh nc, nh nc) chirality blocks of the site term (None without clover)."""
        return None if not self.clover else self._blocks128.copy()

    def _norm_bound(self) -> float:
        b = 1.0
        if self.clover:
            b = float(np.abs(np.linalg.eigvalsh(self._blocks128)).max())
        return b + 2 * self.ndim * self.kappa


# ---------------------------------------------------------------------------
# even-odd preconditioning
# ---------------------------------------------------------------------------
class WilsonEOOperator(_WilsonBase):
    """The Schur complement  M_hat = M_ee - M_eo M_oo^{-1} M_oe  on the even sites,
    fields (V/2, ns, nc).  M_eo = -kappa H_eo, M_oe = -kappa H_oe; M_ee, M_oo are the
    clover blocks (1 without clover, then M_hat = 1 - kappa^2 H_eo H_oe).
    |det M| = exp(log_det_extra()) |det M_hat|."""

    even_odd = True
    _CAST = ("_links_o", "_links_e", "_b_ee", "_binv_oo", "_binv_oo_full")

    def __init__(self, field, kappa, csw=0.0, antiperiodic=True, dtype=np.complex128):
        super().__init__(field, kappa, csw, antiperiodic, dtype)
        lat = self.lattice
        ev, od = lat.even_sites, lat.odd_sites
        pos = np.empty(lat.volume, np.int64)
        pos[ev] = np.arange(len(ev))
        pos[od] = np.arange(len(od))
        self._even, self._odd = ev, od
        # tables of the hops *to* even (e) and *to* odd (o) sites
        self._fwd_e = np.ascontiguousarray(pos[lat.fwd[:, ev]])
        self._bwd_e = np.ascontiguousarray(pos[lat.bwd[:, ev]])
        self._fwd_o = np.ascontiguousarray(pos[lat.fwd[:, od]])
        self._bwd_o = np.ascontiguousarray(pos[lat.bwd[:, od]])
        u_e, u_o = field.links[:, ev], field.links[:, od]
        # the links of the hops to odd (o) and to even (e) sites, as the kernels read them
        self._links_o = self._hop_links(u_o, u_e, self._bwd_o, self._sgn[:, od], self._sgn_b[:, od])
        self._links_e = self._hop_links(u_e, u_o, self._bwd_e, self._sgn[:, ev], self._sgn_b[:, ev])
        if self.clover:
            b = self._blocks128
            self._b_ee128 = np.ascontiguousarray(b[ev])
            self._binv_oo128 = np.ascontiguousarray(np.linalg.inv(b[od]))
            self._b_ee = self._kernel_blocks(self._b_ee128)
            self._binv_oo = self._kernel_blocks(self._binv_oo128)
            self._binv_oo_full = self._binv_oo128.astype(self.dtype)
            _, logabs = np.linalg.slogdet(b[od])
            self._log_det_oo = float(logabs.sum())
        else:
            self._b_ee = self._binv_oo = self._dummy_blocks()
            self._binv_oo_full = None
            self._log_det_oo = 0.0

    @property
    def shape(self) -> tuple:
        return (self.lattice.volume // 2, self.ns, self.nc)

    # -- hops between the parities ----------------------------------------------------
    def _hop_to_odd(self, xe, coef, dagger, dpsi=None, mode=0):
        out = np.empty(self.shape, self.dtype)
        self._hop(out, xe, self._links_o, self._fwd_o, self._bwd_o, coef, dagger,
                  xe if dpsi is None else dpsi, self._binv_oo, mode)
        return out

    def _hop_to_even(self, xo, coef, dagger, dpsi=None, mode=0):
        out = np.empty(self.shape, self.dtype)
        self._hop(out, xo, self._links_e, self._fwd_e, self._bwd_e, coef, dagger,
                  xo if dpsi is None else dpsi, self._b_ee, mode)
        return out

    def _oo_inv_hop(self, xe, coef, dagger):
        """coef M_oo^{-1} H_oe xe (H^dag for dagger) on the odd sites."""
        return self._hop_to_odd(xe, coef, dagger, mode=3 if self.clover else 0)

    def _apply(self, x, dagger):
        x = self._vec(x)
        t = self._oo_inv_hop(x, 1.0, dagger)
        out = self._hop_to_even(t, -self.kappa ** 2, dagger, dpsi=x, mode=2 if self.clover else 1)
        self.applications += 1
        return out

    def apply(self, x: np.ndarray) -> np.ndarray:
        """M_hat x."""
        return self._apply(x, False)

    def apply_dagger(self, x: np.ndarray) -> np.ndarray:
        """M_hat^dag x = gamma5 M_hat gamma5 x."""
        return self._apply(x, True)

    def _deriv_pair(self, x, y):
        """(X, Y) with Re(y^dag dM_hat x) = Re(Y^dag dM X): the full-lattice vectors
        X = (x, -z), z = M_oo^{-1} M_oe x and Y = (y, -w), w = M_oo^{-dag} M_eo^dag y."""
        x, y = self._vec(x), self._vec(y)
        xo = self._oo_inv_hop(x, self.kappa, False)      # -z = kappa M_oo^{-1} H_oe x
        yo = self._oo_inv_hop(y, self.kappa, True)       # -w = kappa M_oo^{-1} (H^dag)_oe y
        return self.to_full(x, xo), self.to_full(y, yo)

    # -- the odd-site determinant ---------------------------------------------------
    def log_det_extra(self) -> float:
        """log |det M_oo| = sum over odd sites of log |det(clover block)| (0 without clover)."""
        return self._log_det_oo

    def log_det_extra_force(self) -> np.ndarray:
        """Force of log |det M_oo|: d = Re tr(M_oo^{-1} dM_oo), the clover derivative with the
        inverse blocks as spin-colour matrices."""
        if not self.clover:
            return np.zeros_like(self.field.links)
        return self._clover_force_from_matrices(self._binv_oo128, self._odd)

    # -- full-lattice helpers ---------------------------------------------------------
    def to_full(self, xe, xo=None) -> np.ndarray:
        """The full-lattice field with xe on the even and xo (default 0) on the odd sites."""
        dt = np.result_type(xe, self.dtype) if xo is None else np.result_type(xe, xo, self.dtype)
        out = np.zeros((self.lattice.volume, self.ns, self.nc), dt)
        out[self._even] = xe
        if xo is not None:
            out[self._odd] = xo
        return out

    def from_full(self, v):
        """(v_e, v_o): the even- and odd-site parts of a full-lattice field."""
        v = np.asarray(v)
        return np.ascontiguousarray(v[self._even]), np.ascontiguousarray(v[self._odd])

    def _full_vec(self, b):
        return self.from_full(self._vec(b, (self.lattice.volume, self.ns, self.nc)))

    def prepare_source(self, b) -> np.ndarray:
        """b_hat = b_e - M_eo M_oo^{-1} b_o: M x = b  <=>  M_hat x_e = b_hat, then reconstruct."""
        be, bo = self._full_vec(b)
        if self.clover:
            bo = self.apply_oo_inverse(bo)
        return self._hop_to_even(bo, self.kappa, False, dpsi=be, mode=1)

    def reconstruct(self, xe, b) -> np.ndarray:
        """The full solution x of M x = b from the even solution xe of M_hat xe = b_hat:
        x_o = M_oo^{-1} (b_o - M_oe x_e)."""
        xe = self._vec(xe)
        _, bo = self._full_vec(b)
        t = self._hop_to_odd(xe, self.kappa, False, dpsi=bo, mode=1)
        if self.clover:
            t = self.apply_oo_inverse(t)
        return self.to_full(xe, t)

    def apply_oo_inverse(self, vo) -> np.ndarray:
        """M_oo^{-1} v_o (the identity without clover)."""
        vo = self._vec(vo)
        if not self.clover:
            return vo.copy()
        out = np.empty_like(vo)
        K.apply_blocks(out, self._binv_oo_full, vo)
        return out

    def _norm_bound(self) -> float:
        hop = (2 * self.ndim * self.kappa) ** 2
        if not self.clover:
            return 1.0 + hop
        b_ee = float(np.abs(np.linalg.eigvalsh(self._b_ee128)).max())
        inv_oo = float(np.abs(np.linalg.eigvalsh(self._binv_oo128)).max())
        return b_ee + hop * inv_oo
