"""Staggered (Kogut-Susskind) fermions in D = 2 and D = 4 (docs/conventions.md, "Staggered fermions").

Normalisation
-------------
One colour vector per site, fields of shape (V, nc) (full lattice) or (V/2, nc) (even sites,
``lattice.even_sites`` order).  The operator is

    M = m + D_hop,
    (D_hop psi)(x) = 1/2 sum_mu eta_mu(x) [ U_mu(x) psi(x+mu) - U_mu(x-mu)^dag psi(x-mu) ],

with the staggered phases  eta_mu(x) = (-1)^(x_0 + ... + x_{mu-1})  (eta_0 = 1) and the
parity sign  epsilon(x) = (-1)^(x_0 + ... + x_{D-1}).  Antiperiodic boundary conditions in
time (direction D-1, the default) put a sign -1 on the hops across the time boundary, i.e.
on the link U_{D-1}(x) with x_{D-1} = L_{D-1} - 1 in both hopping directions; this is a sign
per link inside the operator, the gauge field is not changed.  The phases are periodic on
the torus because every extent is even (eta_mu depends on x_nu, nu < mu, through
(-1)^{x_nu} only, and epsilon through (-1)^{x_nu}; L_nu even makes both continuous across
the boundary).  Taken together the kernels use one real sign per link,
s_mu(x) = eta_mu(x) b_mu(x) / 2 with the boundary sign b_mu(x) = +-1.

Properties: D_hop is anti-Hermitian (the backward hop is minus the adjoint of the forward
one, and eta_mu(x - mu) = eta_mu(x)), so M^dag = m - D_hop.  D_hop connects even and odd
sites only, epsilon D_hop epsilon = -D_hop and therefore epsilon M epsilon = M^dag.  On
unit links D_hop^2 = sum_mu D_mu^2 (the eta phases make the D_mu anticommute), and plane
waves diagonalise -D_mu^2 with eigenvalue sin^2 p_mu: the eigenvalues of M^dag M are
m^2 + sum_mu sin^2 p_mu, p_mu = 2 pi n / L_mu (p_{D-1} = (2n + 1) pi / L_{D-1} when
antiperiodic), each nc times; M itself is normal with eigenvalues m +- i sqrt(sum sin^2 p).

Taste counting.  In D = 4 one staggered field describes 4 tastes.  M^dag M = m^2 - D_hop^2
commutes with epsilon, so it is block diagonal, and det M^dag M = (det M)^2: the full-lattice
A = M^dag M represents 8 flavours (``flavours_per_det = 8``).  The even-odd operator
A = (M^dag M)_ee = m^2 - D_eo D_oe has det A = det M (Schur complement; see
StaggeredEOOperator), 4 flavours (``flavours_per_det = 4``).

Even-odd preconditioning
------------------------
With M = [[m, D_eo], [D_oe, m]] (rows/columns even, odd), M x = b is equivalent to

    A x_e = m b_e - D_eo b_o,   A = m^2 - D_eo D_oe,   x_o = (b_o - D_oe x_e) / m,

and det M = m^{V nc / 2} det(m - D_oe D_eo / m) = det(m^2 - D_oe D_eo) = det(m^2 - D_eo D_oe)
(Sylvester), which is real and positive: D_eo^dag = -D_oe makes A = m^2 + D_eo D_eo^dag
Hermitian with A >= m^2.

Spectral bounds
---------------
A = m^2 - D_hop^2 = m^2 + D_hop^dag D_hop on the full lattice, and (M^dag M)_ee is a diagonal
block of it, so both lie in [m^2, m^2 + ||D_hop||^2].  D_hop = 1/2 sum_mu (T_mu - T_mu^dag)
with the unitary T_mu psi(x) = s'_mu(x) U_mu(x) psi(x+mu) (|s'| = 1), hence
||D_hop|| <= 1/2 sum_mu 2 = D and A lies in [m^2, m^2 + D^2].  The bound is attained: the
"pi-flux" field U_mu(x) = eta_mu(x) (U(1), SU(2)) or diag(eta_mu(x), eta_mu(x), 1, ...)
(SU(N), determinant eta^2 = 1) cancels the phases (in two colours), D_hop there becomes the
naive operator 1/2 sum_mu (S_mu - S_mu^dag) of commuting shifts with eigenvalues
i sum_mu sin p_mu, which reaches i D at p_mu = pi/2 whenever every momentum set contains
pi/2 (L_mu = 0 mod 4, antiperiodic L_{D-1} = 2 mod 4).  No tighter gauge-independent bound
exists, so ``spectral_bounds()`` returns (m^2, m^2 + D^2).  (Near the continuum the largest
eigenvalue is close to m^2 + D, the free value; a rational approximation on the interval
[m^2, m^2 + D^2] is valid on every configuration.)

Gauge force
-----------
For s[U] = Re(y^dag M x) only D_hop depends on U.  The link U = U_mu(z) enters twice: in
the forward hop at z, s_mu(z) y(z)^dag U x(z+mu), and in the backward hop at z+mu,
-s_mu(z) y(z+mu)^dag U^dag x(z).  Under U -> exp(eps T) U, dU = T U and dU^dag = -U^dag T
(T anti-Hermitian), so

    d/deps s = s_mu(z) Re[ y(z)^dag T U x(z+mu) + y(z+mu)^dag U^dag T x(z) ]
             = Re tr(T W_mu(z)),  W_mu(z) = s_mu(z) [ U x(z+mu) y(z)^dag + x(z) y(z+mu)^dag U^dag ],

and the force (base.py) is F = -c TA(W) (``_force_from_w``; the kernel applies the same
projection ``ta_to`` in place).

Cost log: ``applications`` counts M, M^dag (full lattice) and A (even-odd; one A costs two
half-lattice hops, the work of one full-lattice M).  Helpers that cost half a hop
(heatbath, prepare_source, reconstruct, hop_eo, hop_oe) are not counted.

Operators read ``field.links`` at every call, so they follow in-place link updates (HMC);
``single()`` makes a complex64 *copy* of the links at the time of the call.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from . import _staggered_kernels as K
from .base import DiracOperator, Fermion, check_dimension


# ---------------------------------------------------------------------------
# phases and tables
# ---------------------------------------------------------------------------
def eta_phases(lattice) -> np.ndarray:
    """(D, V) int8: eta_mu(x) = (-1)^(x_0 + ... + x_{mu-1})."""
    c = lattice.coords
    excl = np.cumsum(c, axis=1) - c
    return np.ascontiguousarray((1 - 2 * (excl.T % 2)).astype(np.int8))


def epsilon(lattice) -> np.ndarray:
    """(V,) int8: epsilon(x) = (-1)^(x_0 + ... + x_{D-1}) (+1 on even sites)."""
    return (1 - 2 * lattice.parity.astype(np.int64)).astype(np.int8)


def link_signs(lattice, antiperiodic: bool = True) -> np.ndarray:
    """(D, V) float64: s_mu(x) = eta_mu(x) b_mu(x) / 2, b = -1 on the time-boundary links
    (x_{D-1} = L_{D-1} - 1, direction D-1) if antiperiodic, else +1."""
    return _link_signs(lattice, bool(antiperiodic)).copy()


@lru_cache(maxsize=16)
def _link_signs(lattice, antiperiodic):
    s = 0.5 * eta_phases(lattice).astype(np.float64)
    if antiperiodic:
        t = lattice.ndim - 1
        s[t, lattice.coords[:, t] == lattice.extents[t] - 1] *= -1.0
    s.setflags(write=False)
    return s


class _Tables:
    """Site-major int32 index tables of the hopping kernel (``_staggered_kernels.hop``) for
    the full lattice (``full``) and each target checkerboard (``cb[parity]``): tuples
    (sites, bsites, nf, nb); plus the global even/odd site lists."""

    def __init__(self, lattice):
        vol = lattice.volume
        fwd, bwd = lattice.fwd, lattice.bwd
        i32 = lambda a: np.ascontiguousarray(a, dtype=np.int32)  # noqa: E731
        self.fwd = np.ascontiguousarray(fwd)            # (D, V) for the force kernel
        self.even = np.ascontiguousarray(lattice.even_sites)
        self.odd = np.ascontiguousarray(lattice.odd_sites)
        self.full = (i32(np.arange(vol)), i32(bwd.T), i32(fwd.T), i32(bwd.T))
        cb = np.empty(vol, np.int64)
        cb[self.even] = np.arange(len(self.even))
        cb[self.odd] = np.arange(len(self.odd))
        self.cb = [(i32(sites), i32(bwd[:, sites].T), i32(cb[fwd[:, sites]].T), i32(cb[bwd[:, sites]].T))
                   for sites in (self.even, self.odd)]


@lru_cache(maxsize=16)
def _tables(lattice) -> _Tables:
    return _Tables(lattice)


@lru_cache(maxsize=32)
def _sign_tables(lattice, antiperiodic, real):
    """Site-major sign tables (sf, sb) of the hopping kernel, for the full lattice and each
    checkerboard: sf[k, mu] = s_mu(site k), sb[k, mu] = s_mu(site k - mu)."""
    sgn = _link_signs(lattice, antiperiodic)
    tab = _tables(lattice)
    out = []
    for sites, bsites, _, _ in [tab.full] + tab.cb:
        mus = np.arange(lattice.ndim)[None, :]
        out.append((np.ascontiguousarray(sgn[mus, sites[:, None]], dtype=real),
                    np.ascontiguousarray(sgn[mus, bsites], dtype=real)))
    return out[0], out[1:]


# ---------------------------------------------------------------------------
# the fermion
# ---------------------------------------------------------------------------
class Staggered(Fermion):
    """Staggered fermion of mass m > 0: M = m + D_hop (module docstring).

    ``antiperiodic``: antiperiodic in time (direction D-1), else periodic.
    ``even_odd``: bind to the even-odd operator A = m^2 - D_eo D_oe (4 tastes per det)
    instead of the full-lattice M (A = M^dag M, 8 per det).
    """

    name = "staggered"

    def __init__(self, mass, antiperiodic: bool = True, even_odd: bool = True):
        try:
            m = float(mass)
        except (TypeError, ValueError):
            raise ValueError(f"fermion.mass must be positive and finite, got {mass!r}") from None
        if not math.isfinite(m) or m <= 0.0:
            raise ValueError(f"fermion.mass must be positive and finite, got {mass!r}")
        self.mass = m
        self.antiperiodic = bool(antiperiodic)
        self.even_odd = bool(even_odd)

    def bind(self, field) -> "StaggeredOperator":
        lat = field.lattice
        check_dimension(lat.ndim, "staggered")
        for mu, ext in enumerate(lat.extents):
            if ext % 2:
                raise ValueError(
                    f"staggered fermions need even extents (the phases eta and epsilon are "
                    f"periodic only then): lattice extent L_{mu} = {ext} is odd")
        cls = StaggeredEOOperator if self.even_odd else StaggeredOperator
        return cls(field, self.mass, self.antiperiodic)

    def params(self) -> dict:
        return {"name": self.name, "mass": self.mass, "antiperiodic": self.antiperiodic,
                "even_odd": self.even_odd}

    def __repr__(self):
        return (f"Staggered(mass={self.mass}, antiperiodic={self.antiperiodic}, "
                f"even_odd={self.even_odd})")


# ---------------------------------------------------------------------------
# operators
# ---------------------------------------------------------------------------
class _StaggeredBase(DiracOperator):
    name = "staggered"

    def __init__(self, field, mass, antiperiodic=True, dtype=np.complex128):
        super().__init__(field, dtype)
        if self.dtype not in (np.dtype(np.complex128), np.dtype(np.complex64)):
            raise ValueError(f"staggered operator dtype must be complex128 or complex64, got {self.dtype}")
        self.mass = float(mass)
        self.antiperiodic = bool(antiperiodic)
        self._real = np.float64 if self.dtype == np.complex128 else np.float32
        self._sgn = np.array(_link_signs(self.lattice, self.antiperiodic), dtype=self._real,
                             order="C")  # (D, V), writable (one Numba signature)
        self._tab = _tables(self.lattice)
        self._signs_full, self._signs_cb = _sign_tables(self.lattice, self.antiperiodic, self._real)
        # single precision: a snapshot of the links (module docstring)
        self._u_single = (None if self.dtype == np.complex128
                          else np.ascontiguousarray(field.links, dtype=np.complex64))

    # -- helpers -------------------------------------------------------------
    @property
    def links(self) -> np.ndarray:
        """The links the kernels use: ``field.links`` (double) or the complex64 copy (single)."""
        if self._u_single is not None:
            return self._u_single
        return np.ascontiguousarray(self.field.links)

    def _vec(self, x, nsites, what="field"):
        x = np.ascontiguousarray(x, dtype=self.dtype)
        if x.shape != (nsites, self.nc):
            raise ValueError(f"staggered {what} has shape {x.shape}, expected {(nsites, self.nc)}")
        return x

    def _r(self, v):
        return self._real(v)

    def _hop_full(self, x, a, b, with_mass):
        """a x + b D_hop x on the full lattice (x already checked)."""
        sites, bsites, nf, nb = self._tab.full
        sf, sb = self._signs_full
        out = np.empty_like(x)
        K.hop(self.links, sites, bsites, nf, nb, sf, sb, x, x, out,
              self._r(a), self._r(b), with_mass)
        return out

    def _hop_cb(self, parity, x_other, a=0.0, b=1.0, x_self=None):
        """a x_self + b (D_hop x_other) on the sites of ``parity`` (half-lattice fields)."""
        sites, bsites, nf, nb = self._tab.cb[parity]
        sf, sb = self._signs_cb[parity]
        out = np.empty_like(x_other)
        with_mass = x_self is not None
        K.hop(self.links, sites, bsites, nf, nb, sf, sb, x_other,
              x_self if with_mass else x_other, out, self._r(a), self._r(b), with_mass)
        return out

    def _force_pairs(self, xs, ys) -> np.ndarray:
        """Force of sum_p Re(ys[p]^dag D_hop xs[p]) for full-lattice fields: -c TA(W)."""
        xs = np.ascontiguousarray(np.stack(xs), dtype=self.dtype)
        ys = np.ascontiguousarray(np.stack(ys), dtype=self.dtype)
        out = np.empty(self.field.links.shape, np.complex128)
        K.force(self.links, self._tab.fwd, self._sgn, xs, ys, -self.group.norm, out)
        return out

    def _full_w(self, x, y) -> np.ndarray:
        """The colour matrices W_mu(z) of Re(y^dag D_hop x) (full-lattice fields), unprojected;
        ``_force_from_w(_full_w(x, y))`` is ``deriv`` of the full operator (a check)."""
        x = self._vec(x, self.lattice.volume)
        y = self._vec(y, self.lattice.volume)
        u = self.links.astype(np.complex128)
        s = self._sgn.astype(np.float64)[..., None, None]
        fwd = self._tab.fwd
        xp = x[fwd].astype(np.complex128)          # (D, V, nc): x(z + mu)
        yp = y[fwd].astype(np.complex128)
        w = (np.einsum("mzab,mzb,zc->mzac", u, xp, y.conj())
             + np.einsum("za,mzc,mzbc->mzab", x, yp.conj(), u.conj()))
        return s * w

    # -- common interface ------------------------------------------------------
    def spectral_bounds(self) -> tuple[float, float]:
        """[m^2, m^2 + D^2] contains the spectrum of A (sharp; module docstring)."""
        m2 = self.mass ** 2
        return (m2, m2 + float(self.ndim) ** 2)

    def log_det_extra(self) -> float:
        return 0.0

    def params(self) -> dict:
        return {"name": self.name, "mass": self.mass, "antiperiodic": self.antiperiodic,
                "even_odd": self.even_odd}

    def __repr__(self):
        return (f"{type(self).__name__}(mass={self.mass}, antiperiodic={self.antiperiodic}, "
                f"{self.field!r}, {self.dtype})")


class StaggeredOperator(_StaggeredBase):
    """Full-lattice staggered operator M = m + D_hop on fields of shape (V, nc).

    A = M^dag M (base-class ``hermitian``/``heatbath``: phi = M^dag eta), det A = (det M)^2:
    ``flavours_per_det = 8``.
    """

    even_odd = False
    flavours_per_det = 8

    @property
    def shape(self) -> tuple:
        return (self.lattice.volume, self.nc)

    def apply(self, x: np.ndarray) -> np.ndarray:
        """M x = m x + D_hop x."""
        x = self._vec(x, self.lattice.volume)
        self.applications += 1
        return self._hop_full(x, self.mass, 1.0, True)

    def apply_dagger(self, x: np.ndarray) -> np.ndarray:
        """M^dag x = m x - D_hop x."""
        x = self._vec(x, self.lattice.volume)
        self.applications += 1
        return self._hop_full(x, self.mass, -1.0, True)

    def hop(self, x: np.ndarray) -> np.ndarray:
        """D_hop x (not counted in ``applications``)."""
        x = self._vec(x, self.lattice.volume)
        return self._hop_full(x, 0.0, 1.0, False)

    def deriv(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Force of Re(y^dag M x) (module docstring, "Gauge force")."""
        x = self._vec(x, self.lattice.volume)
        y = self._vec(y, self.lattice.volume)
        return self._force_pairs([x], [y])

    def hermitian_deriv(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Force of Re(y^dag M^dag M x) = Re((M y)^dag dM x) + Re((M x)^dag dM y): one kernel
        pass over the two pairs (x, M y), (y, M x)."""
        x = self._vec(x, self.lattice.volume)
        y = self._vec(y, self.lattice.volume)
        return self._force_pairs([x, y], [self.apply(y), self.apply(x)])

    def single(self) -> "StaggeredOperator":
        return StaggeredOperator(self.field, self.mass, self.antiperiodic, dtype=np.complex64)


class StaggeredEOOperator(_StaggeredBase):
    """Even-odd staggered operator A = m^2 - D_eo D_oe = (M^dag M)_ee on (V/2, nc) even fields.

    A is Hermitian positive: ``apply = apply_dagger = hermitian = A``; det A = det M, four
    tastes (``flavours_per_det = 4``).  The pseudofermion heatbath draws eta on the full
    lattice (``noise_shape = (V, nc)``) and returns phi = (M^dag eta)_e = m eta_e - D_eo eta_o,
    so <phi phi^dag> = m^2 + D_eo D_eo^dag = A.
    """

    even_odd = True
    flavours_per_det = 4

    @property
    def shape(self) -> tuple:
        return (self.lattice.volume // 2, self.nc)

    @property
    def noise_shape(self) -> tuple:
        return (self.lattice.volume, self.nc)

    # -- hops between the checkerboards ----------------------------------------
    def hop_oe(self, x_e: np.ndarray) -> np.ndarray:
        """D_oe x_e: even-site field -> odd-site field (``lattice.odd_sites`` order)."""
        return self._hop_cb(1, self._vec(x_e, self.lattice.volume // 2))

    def hop_eo(self, x_o: np.ndarray) -> np.ndarray:
        """D_eo x_o: odd-site field -> even-site field."""
        return self._hop_cb(0, self._vec(x_o, self.lattice.volume // 2))

    # -- the operator ------------------------------------------------------------
    def apply(self, x: np.ndarray) -> np.ndarray:
        """A x = m^2 x - D_eo (D_oe x)."""
        x = self._vec(x, self.lattice.volume // 2)
        self.applications += 1
        t = self._hop_cb(1, x)
        return self._hop_cb(0, t, self.mass ** 2, -1.0, x)

    def apply_dagger(self, x: np.ndarray) -> np.ndarray:
        """A^dag = A."""
        return self.apply(x)

    def hermitian(self, x: np.ndarray) -> np.ndarray:
        """A x (A is already Hermitian positive)."""
        return self.apply(x)

    def hermitian_deriv(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Force of Re(y^dag A x).

        dA = -(dD_eo D_oe + D_eo dD_oe), and D_eo^dag = -D_oe turns the second term into
        Re(y^dag D_eo dD_oe x) = Re((D_eo^dag y)^dag dD_oe x) = -Re((D_oe y)^dag dD_oe x), so

            Re(y^dag dA x) = -Re(y^dag dD_eo (D_oe x)) + Re((D_oe y)^dag dD_oe x)
                           = Re(Y^dag dD_hop X),  X = (x, D_oe x),  Y = (-y, D_oe y)

        for the full-lattice fields X, Y (even part, odd part), since
        Re(Y^dag dD_hop X) = Re(Y_e^dag dD_eo X_o) + Re(Y_o^dag dD_oe X_e).  One pass of the
        full-lattice force kernel.  Counts one application (two half hops).
        """
        x = self._vec(x, self.lattice.volume // 2)
        y = self._vec(y, self.lattice.volume // 2)
        self.applications += 1
        t = self._tab
        big_x = np.empty((self.lattice.volume, self.nc), self.dtype)
        big_y = np.empty_like(big_x)
        big_x[t.even] = x
        big_x[t.odd] = self._hop_cb(1, x)
        big_y[t.even] = -y
        big_y[t.odd] = self._hop_cb(1, y)
        return self._force_pairs([big_x], [big_y])

    def deriv(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Force of Re(y^dag A x) (A is the operator of this class)."""
        return self.hermitian_deriv(x, y)

    def heatbath(self, eta: np.ndarray) -> np.ndarray:
        """phi = (M^dag eta)_e = m eta_e - D_eo eta_o for full-lattice eta: <phi phi^dag> = A."""
        eta = self._vec(eta, self.lattice.volume, "noise")
        t = self._tab
        return self._hop_cb(0, np.ascontiguousarray(eta[t.odd]), self.mass, -1.0,
                            np.ascontiguousarray(eta[t.even]))

    # -- solving M x = b -----------------------------------------------------------
    def prepare_source(self, b: np.ndarray) -> np.ndarray:
        """m b_e - D_eo b_o for a full-lattice source b: the right-hand side of A x_e."""
        return self.heatbath(b)

    def reconstruct(self, x_e: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Full-lattice solution x of M x = b from the solution x_e of A x_e = prepare_source(b):
        x = (x_e, (b_o - D_oe x_e) / m) in global site order."""
        x_e = self._vec(x_e, self.lattice.volume // 2)
        b = self._vec(b, self.lattice.volume, "source")
        t = self._tab
        m = self.mass
        x = np.empty_like(b)
        x[t.even] = x_e
        x[t.odd] = self._hop_cb(1, x_e, 1.0 / m, -1.0 / m, np.ascontiguousarray(b[t.odd]))
        return x

    def single(self) -> "StaggeredEOOperator":
        return StaggeredEOOperator(self.field, self.mass, self.antiperiodic, dtype=np.complex64)
