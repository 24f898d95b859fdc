"""Rule plot_delta_h: Delta H history and acceptance of an HMC ensemble."""
import pandas as pd

from lqcd_core.pipeline.figures import delta_h_figure
from lqcd_core.pipeline.script import setup

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
delta_h_figure(pd.read_csv(snakemake.input.trajectories), snakemake.output[0])  # noqa: F821
log.info("Delta H plot written")
