"""Rule ensemble_comparison: the algorithm-comparison panels of an ensemble's group, on the
ensemble's own report page (lqcd_core.pipeline.comparison.comparison_figure)."""
import pandas as pd

from lqcd_core.pipeline.comparison import comparison_figure
from lqcd_core.pipeline.script import setup

setup(snakemake)  # noqa: F821 (injected by Snakemake)
comparison_figure(pd.read_csv(snakemake.input[0]), snakemake.output[0],  # noqa: F821
                  title=snakemake.params.title)  # noqa: F821
