"""Rule compare_algorithms: ensembles of the same physics side by side, with the chi^2 agreement
test of every shared observable (lqcd_core.pipeline.comparison)."""
import pandas as pd

from lqcd_core.analysis import format_table
from lqcd_core.pipeline.comparison import comparison_figure, comparison_table
from lqcd_core.pipeline.script import setup

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
summaries = {e: pd.read_csv(p) for e, p in zip(snakemake.params.ensembles, snakemake.input)}  # noqa: F821
table = comparison_table(summaries, snakemake.params.labels, alpha=snakemake.params.alpha)  # noqa: F821
table.to_csv(snakemake.output.table, index=False)  # noqa: F821
comparison_figure(table, snakemake.output.plot, title=snakemake.wildcards.group)  # noqa: F821
flagged = sorted(set(table.loc[~table["agree"], "observable"]))
if flagged:
    log.warning(f"{snakemake.wildcards.group}: the algorithms DISAGREE on {', '.join(flagged)} "  # noqa: F821
                "(chi^2 test, comparison/<group>.csv)")
log.info("\n" + format_table(table))
