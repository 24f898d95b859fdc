"""Rule topology_plots: history and histogram of the topological charge after the flow."""
import pandas as pd

from lqcd_core.pipeline.flow_figures import topology_figures
from lqcd_core.pipeline.script import setup

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
topology_figures(pd.read_csv(snakemake.input.flow), dict(snakemake.output.items()))  # noqa: F821
log.info("topology plots written")
