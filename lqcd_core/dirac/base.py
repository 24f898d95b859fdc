"""The interface shared by every Dirac operator (docs/conventions.md, "Fermions").

A *fermion* (``Wilson(...)``, ``Staggered(...)``) holds parameters only; ``bind(field)``
returns a :class:`DiracOperator` acting on fermion fields of that gauge field.

Fields are complex arrays of shape ``op.shape``:

* Wilson, full lattice:      (V, ns, nc)  with ns = 2 (D = 2) or 4 (D = 4),
* Wilson, even-odd:          (V/2, ns, nc) on the even sites (``lattice.even_sites`` order),
* staggered, full / even-odd: (V, nc) / (V/2, nc).

What an operator provides
-------------------------
``apply(x)``, ``apply_dagger(x)``
    M x and M^dag x (M is the Schur complement for even-odd operators).
``deriv(x, y)``
    the gauge force of the bilinear  s[U] = Re(y^dag M[U] x):  an algebra-valued array F of
    the links' shape (D, V, nc, nc) with  d/de s[exp(e T) U]|_0 = <T, F>  for every algebra
    field T (the force convention of docs/conventions.md, "Momenta").  If W_mu(x) is the
    colour matrix with  d/de s = Re sum tr(T_mu(x) W_mu(x)),  then  F = -c TA(W).
``hermitian(x)``, ``hermitian_deriv(x, y)``
    the Hermitian positive operator A that pseudofermions see (default A = M^dag M) and the
    force of Re(y^dag A x).
``heatbath(eta)``
    phi = B eta with B B^dag = A, for Gaussian eta of shape ``noise_shape``: phi then has
    the distribution exp(-phi^dag A^{-1} phi) (pseudofermion refresh).
``log_det_extra()``, ``log_det_extra_force()``
    log |det M_oo|, the part of log |det M| that even-odd preconditioning leaves out of
    the Schur complement M_hat (non-zero for Wilson-clover only), and its force, so that
    |det M| = exp(log_det_extra) |det M_hat|; an nf-flavour action adds -nf log_det_extra.
``spectral_bounds()``
    (lo, hi) with every eigenvalue of A inside [lo, hi] (for rational approximations).
``single()``
    the same operator on complex64 links and fields (mixed-precision solvers).
``applications``
    number of M or M^dag applications so far (M^dag M counts 2): the cost log.
"""
from __future__ import annotations

import numpy as np


class DiracOperator:
    """Base class of a Dirac operator bound to a gauge field."""

    name = "dirac"
    even_odd = False
    #: flavours represented by det(A) once: Wilson (A = M^dag M) 2, staggered even-odd
    #: (A = (M^dag M)_ee, det A = det M, four tastes) 4, staggered full (det A = det M^2) 8.
    #: A pseudofermion action for nf flavours uses A^(-nf / flavours_per_det).
    flavours_per_det = 2

    def __init__(self, field, dtype=np.complex128):
        self.field = field
        self.lattice = field.lattice
        self.group = field.group
        self.nc = field.group.nc
        self.ndim = field.lattice.ndim
        self.dtype = np.dtype(dtype)
        self.applications = 0

    # -- shapes ------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        raise NotImplementedError

    @property
    def noise_shape(self) -> tuple:
        return self.shape

    def zeros(self) -> np.ndarray:
        return np.zeros(self.shape, self.dtype)

    def gaussian(self, rng: np.random.Generator, shape=None) -> np.ndarray:
        """Complex Gaussian noise with <|eta_i|^2> = 1 (density exp(-|eta|^2))."""
        shape = self.noise_shape if shape is None else shape
        z = rng.standard_normal(tuple(shape) + (2,)) * np.sqrt(0.5)
        return np.ascontiguousarray((z[..., 0] + 1j * z[..., 1]).astype(self.dtype))

    # -- the operator --------------------------------------------------------
    def apply(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def apply_dagger(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def normal(self, x: np.ndarray) -> np.ndarray:
        """M^dag M x."""
        return self.apply_dagger(self.apply(x))

    def deriv(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # -- the Hermitian positive operator of the pseudofermion action ---------------
    def hermitian(self, x: np.ndarray) -> np.ndarray:
        """A x, by default A = M^dag M."""
        return self.normal(x)

    def hermitian_deriv(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Force of Re(y^dag A x) for A = M^dag M:
        Re(y^dag dM^dag M x) + Re(y^dag M^dag dM x) = Re((M y)^dag dM x) + Re((M x)^dag dM y)."""
        return self.deriv(x, self.apply(y)) + self.deriv(y, self.apply(x))

    def heatbath(self, eta: np.ndarray) -> np.ndarray:
        """phi = M^dag eta: <phi phi^dag> = M^dag M = A."""
        return self.apply_dagger(eta)

    def log_det_extra(self) -> float:
        return 0.0

    def log_det_extra_force(self) -> np.ndarray:
        return np.zeros_like(self.field.links)

    def spectral_bounds(self) -> tuple[float, float]:
        raise NotImplementedError

    def single(self) -> "DiracOperator":
        raise NotImplementedError

    # -- helpers -------------------------------------------------------------
    def _force_from_w(self, w: np.ndarray) -> np.ndarray:
        """F = -c TA(W) for d/de s = Re sum tr(T W) (see the module docstring)."""
        return self.group.ta(w, -self.group.norm)


class Fermion:
    """Parameters of a fermion discretisation; ``bind(field)`` gives its operator."""

    name = "fermion"

    def bind(self, field) -> DiracOperator:
        raise NotImplementedError

    def params(self) -> dict:
        raise NotImplementedError


def check_dimension(ndim: int, what: str) -> None:
    if ndim not in (2, 4):
        raise ValueError(f"{what} fermions are implemented in D = 2 and D = 4, not D = {ndim}")
