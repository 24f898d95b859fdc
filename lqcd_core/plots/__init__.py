"""Plots of Monte Carlo analyses (matplotlib, Agg backend; PNG or SVG chosen
by the output file's extension).  Every function writes one file, closes its
figure and returns the path."""
from ._common import FORMATS
from .autocorr import plot_rho, plot_tau_int
from .compare import plot_comparison
from .flow import plot_flow_scale
from .history import plot_delta_h, plot_histogram, plot_history

__all__ = [
    "FORMATS",
    "plot_comparison",
    "plot_delta_h",
    "plot_flow_scale",
    "plot_histogram",
    "plot_history",
    "plot_rho",
    "plot_tau_int",
]
