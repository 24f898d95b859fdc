"""Rule aggregate_flow: all flow histories of an ensemble as one long table."""
import re

from lqcd_core.pipeline.script import setup
from lqcd_core.pipeline.tables import concat_flow

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
by_stream = {}
for p in snakemake.input:  # noqa: F821
    by_stream.setdefault(int(re.search(r"/s(\d+)/", str(p)).group(1)), []).append(p)
table = concat_flow(by_stream)
table.to_csv(snakemake.output[0], index=False)  # noqa: F821
log.info(f"{table[['stream', 'trajectory']].drop_duplicates().shape[0]} flowed configurations")
