"""The gauge groups U(1), SU(2), SU(3) (and SU(N)): one small class.

Conventions (docs/conventions.md, "Groups and algebras"):

* Links are n x n unitary matrices (n = 1 for U(1)), determinant 1 for SU(n).
* The algebra is anti-Hermitian (traceless for SU(n)): X = i sum_a x_a T_a with
  Hermitian generators normalised as tr(T_a T_b) = c delta_ab, c = 1/2 for
  SU(n) (generalised Gell-Mann / 2) and c = 1 for U(1) (T = 1).
* Inner product on the algebra  <X, Y> = -(1/c) Re tr(X Y) = sum_a x_a y_a.
* Momenta P = i sum_a p_a T_a with p_a ~ N(0, 1): kinetic energy
  K = 1/2 <P, P> = 1/2 sum_a p_a^2.
* Force F = grad S: d/de S(exp(e X) U)|_0 = <X, F>; MD equations
  dU/dt = P U, dP/dt = -F.
"""
from __future__ import annotations

import numpy as np

from . import _kernels as K


def _gell_mann(n: int) -> np.ndarray:
    """Generalised Gell-Mann matrices / 2: (n^2 - 1, n, n), tr(T_a T_b) = delta_ab / 2."""
    gens = []
    for j in range(n):
        for k in range(j + 1, n):
            m = np.zeros((n, n), complex)
            m[j, k] = m[k, j] = 0.5
            gens.append(m)
            m = np.zeros((n, n), complex)
            m[j, k] = -0.5j
            m[k, j] = 0.5j
            gens.append(m)
    for l in range(1, n):
        m = np.zeros((n, n), complex)
        for j in range(l):
            m[j, j] = 1.0
        m[l, l] = -l
        gens.append(m * 0.5 * np.sqrt(2.0 / (l * (l + 1))))
    return np.array(gens)


class Group:
    """A compact gauge group: U(1) (``nc = 1``) or SU(nc)."""

    def __init__(self, nc: int):
        if nc < 1:
            raise ValueError(f"group rank must be >= 1, got {nc}")
        self.nc = int(nc)
        if self.nc == 1:
            self.name = "u1"
            self.norm = 1.0
            self.generators = np.ones((1, 1, 1), complex)
        else:
            self.name = f"su{self.nc}"
            self.norm = 0.5
            self.generators = _gell_mann(self.nc)

    @property
    def dim(self) -> int:
        """Dimension of the algebra (number of real momentum components per link)."""
        return len(self.generators)

    def __repr__(self):
        return f"Group({self.name})"

    def __eq__(self, other):
        return isinstance(other, Group) and other.nc == self.nc

    def __hash__(self):
        return hash(self.nc)

    # -- elements ----------------------------------------------------------
    def identity(self, shape) -> np.ndarray:
        out = np.zeros(tuple(shape) + (self.nc, self.nc), np.complex128)
        out[...] = np.eye(self.nc)
        return out

    def random(self, shape, rng: np.random.Generator) -> np.ndarray:
        """Haar-distributed elements, array of shape (*shape, n, n).

        U(n) Haar from the QR decomposition of a complex Ginibre matrix with the
        phases of R's diagonal fixed (Mezzadri 2007), then det^{-1/n} maps it
        to SU(n); the map commutes with left multiplication by SU(n), so the
        result is Haar on SU(n).
        """
        shape = tuple(shape)
        n = self.nc
        z = (rng.standard_normal(shape + (n, n)) + 1j * rng.standard_normal(shape + (n, n)))
        if n == 1:
            return z / np.abs(z)
        q, r = np.linalg.qr(z)
        d = np.diagonal(r, axis1=-2, axis2=-1)
        q = q * (d / np.abs(d))[..., None, :]
        det = np.linalg.det(q)
        q = q * (det ** (-1.0 / n))[..., None, None]
        return np.ascontiguousarray(q)

    def reunitarize(self, u: np.ndarray) -> np.ndarray:
        """Project matrices back onto the group in place (and return them)."""
        flat = u.reshape(-1, self.nc, self.nc)
        K.reunitarize_stack(flat)
        return u

    # -- algebra -----------------------------------------------------------
    def ta(self, w: np.ndarray, factor: float = 1.0) -> np.ndarray:
        """factor * TA(w): the (traceless, for SU(n)) anti-Hermitian part of w."""
        w = np.ascontiguousarray(w, dtype=np.complex128)
        out = np.empty_like(w)
        K.ta_stack(w.reshape(-1, self.nc, self.nc), out.reshape(-1, self.nc, self.nc), factor)
        return out

    def exp(self, x: np.ndarray) -> np.ndarray:
        """Exact exponential of algebra elements (closed forms for n <= 3)."""
        x = np.ascontiguousarray(x, dtype=np.complex128)
        out = np.empty_like(x)
        K.exp_stack(x.reshape(-1, self.nc, self.nc), out.reshape(-1, self.nc, self.nc))
        return out

    def from_components(self, p: np.ndarray) -> np.ndarray:
        """X = i sum_a p_a T_a from components p of shape (..., dim)."""
        return 1j * np.einsum("...a,aij->...ij", p, self.generators)

    def components(self, x: np.ndarray) -> np.ndarray:
        """Components x_a of X = i sum_a x_a T_a:  x_a = -i tr(T_a X) / c."""
        return np.einsum("aji,...ij->...a", self.generators, x).imag / self.norm

    def momenta(self, shape, rng: np.random.Generator) -> np.ndarray:
        """Gaussian momenta P = i sum_a p_a T_a, p_a ~ N(0,1), shape (*shape, n, n)."""
        p = rng.standard_normal(tuple(shape) + (self.dim,))
        return np.ascontiguousarray(self.from_components(p))

    def inner(self, x: np.ndarray, y: np.ndarray) -> float:
        """<X, Y> = -(1/c) Re sum tr(X Y), summed over all matrices."""
        n = self.nc
        xs = x.reshape(-1, n, n)
        ys = y.reshape(-1, n, n)
        return float(-np.einsum("kij,kji->", xs, ys).real / self.norm)

    def kinetic(self, p: np.ndarray) -> float:
        """K = 1/2 <P, P> = 1/2 sum_a p_a^2."""
        return 0.5 * self.inner(p, p)


U1 = Group(1)
SU2 = Group(2)
SU3 = Group(3)

_BY_NAME = {"u1": U1, "su2": SU2, "su3": SU3}


def get_group(name) -> Group:
    """Group by name ('u1', 'su2', 'su3', 'suN') or an existing Group."""
    if isinstance(name, Group):
        return name
    key = str(name).lower()
    if key in _BY_NAME:
        return _BY_NAME[key]
    if key.startswith("su") and key[2:].isdigit() and int(key[2:]) >= 2:
        return Group(int(key[2:]))
    raise ValueError(f"unknown gauge group {name!r}; choose one of u1, su2, su3 (or suN)")
