"""Shared helpers of the plotting functions (Agg backend, validation, saving)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

#: file types the plotting functions write (chosen by the path's extension)
FORMATS = (".png", ".svg")


def check_path(path) -> Path:
    """Return ``path`` as a Path; it must end in .png or .svg.  Parent
    directories are created."""
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise ValueError(f"output file must end in .png or .svg, got {str(p)!r}")
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def series(values, name: str = "values", min_len: int = 1, allow_nan: bool = False) -> np.ndarray:
    """Validate a 1-D numeric series."""
    try:
        x = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    if x.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {x.shape}")
    n_ok = int(np.isfinite(x).sum())
    if not allow_nan and n_ok != x.size:
        raise ValueError(f"{name} contains non-finite values (NaN or inf)")
    if n_ok < min_len:
        raise ValueError(f"{name} needs at least {min_len} finite value(s), got {n_ok}")
    return x


def check_result(result) -> None:
    """A Γ-method result (duck-typed: the fields the plots need)."""
    needed = ("rho", "drho", "tau_int_of_w", "dtau_int_of_w", "window", "tau_int")
    if not all(hasattr(result, a) for a in needed):
        raise TypeError("expected a GammaResult from lqcd_core.analysis.gamma_method")


def save(fig, path: Path) -> Path:
    """Write ``fig`` to ``path`` (format from the extension) and close it."""
    try:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)
    return path


def new_figure(nrows: int = 1, ncols: int = 1, **kw):
    kw.setdefault("figsize", (7.0, 3.2 * nrows))
    kw.setdefault("squeeze", False)
    return plt.subplots(nrows, ncols, **kw)
