"""Analysis layer: Γ-method errors and autocorrelation times, binned
jackknife, thermalization cut and figures of merit.

See ``docs/analysis.md`` for the formulas and conventions.
"""
from .agreement import AgreementResult, agreement_test
from .autocorrelation import autocovariance, rho_error
from .correlators import effective_mass, effective_mass_table
from .gamma import GammaResult, gamma_method, split_replicas
from .jackknife import JackknifeResult, jackknife, jackknife_bin_scan
from .merit import MERIT_COLUMNS, compare_ensembles, figures_of_merit, format_table
from .thermalization import mser_statistic, thermalization_cut

__all__ = [
    "AgreementResult", "agreement_test",
    "effective_mass", "effective_mass_table",
    "GammaResult",
    "JackknifeResult",
    "MERIT_COLUMNS",
    "autocovariance",
    "compare_ensembles",
    "figures_of_merit",
    "format_table",
    "gamma_method",
    "jackknife",
    "jackknife_bin_scan",
    "mser_statistic",
    "rho_error",
    "split_replicas",
    "thermalization_cut",
]
