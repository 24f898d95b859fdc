"""Rule correlator_plots: C(t) on a log scale and the effective masses m_eff(t)."""
import pandas as pd

from lqcd_core.pipeline.correlator_figures import correlator_figure
from lqcd_core.pipeline.script import setup

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
correlator_figure(pd.read_csv(snakemake.input.table), snakemake.output.plot,  # noqa: F821
                  title=f"{snakemake.wildcards.ens}: meson correlators")  # noqa: F821
log.info("correlator plot written")
