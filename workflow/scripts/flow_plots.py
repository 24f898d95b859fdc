"""Rule flow_plots: t^2 E(t) with t0, W(t) with w0, history and histogram of Q."""
import pandas as pd

from lqcd_core.pipeline.flow_figures import flow_figures
from lqcd_core.pipeline.script import setup

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
flow_figures(pd.read_csv(snakemake.input.flow), pd.read_csv(snakemake.input.summary),  # noqa: F821
             snakemake.params.ens, dict(snakemake.output.items()))  # noqa: F821
log.info("flow plots written")
