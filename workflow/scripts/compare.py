"""Rule compare: the ensembles' summaries side by side (tau_int and cost per independent config)."""
import pandas as pd

from lqcd_core.analysis import format_table
from lqcd_core.pipeline.script import setup
from lqcd_core.plots import plot_comparison

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
frames = []
for ens, alg, path in zip(snakemake.params.ensembles, snakemake.params.algorithms, snakemake.input):  # noqa: F821
    df = pd.read_csv(path)
    df.insert(0, "algorithm", alg)
    df.insert(0, "ensemble", ens)
    frames.append(df)
table = pd.concat(frames, ignore_index=True)
table.to_csv(snakemake.output.table, index=False)  # noqa: F821
plot_comparison(table, snakemake.output.plot, label_column="ensemble")  # noqa: F821
log.info("\n" + format_table(table))
