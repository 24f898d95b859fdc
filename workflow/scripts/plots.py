"""Rule plots: history, autocorrelation, tau_int(W) and histogram of one observable."""
import pandas as pd

from lqcd_core.pipeline.figures import observable_figures
from lqcd_core.pipeline.script import setup

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
observable_figures(pd.read_csv(snakemake.input.trajectories), pd.read_csv(snakemake.input.measurements),  # noqa: F821
                   pd.read_csv(snakemake.input.summary), snakemake.wildcards.obs,  # noqa: F821
                   dict(snakemake.output.items()), S=snakemake.params.S)  # noqa: F821
log.info(f"plots of {snakemake.wildcards.obs} written")  # noqa: F821
