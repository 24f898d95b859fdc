"""Rule correlators: effective-mass table (Gamma-method errors) of the measured meson correlators."""
import pandas as pd

from lqcd_core.analysis import format_table
from lqcd_core.pipeline.correlator_figures import correlator_table, measurement_cut
from lqcd_core.pipeline.script import setup

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
ens = snakemake.params.ens  # noqa: F821
meas = pd.read_csv(snakemake.input.measurements)  # noqa: F821
cut = measurement_cut(pd.read_csv(snakemake.input.summary), ens["save_every"])  # noqa: F821
table = correlator_table(meas, S=snakemake.params.S, cut=cut, kind="cosh")  # noqa: F821
table.to_csv(snakemake.output.table, index=False)  # noqa: F821
log.info(f"thermalisation cut: {cut} measurements per stream\n" + format_table(table))
