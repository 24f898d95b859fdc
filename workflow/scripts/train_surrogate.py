"""Rules train_surrogate and plot_surrogate_training of an SLHMC ensemble (workflow/rules/surrogate.smk).

train_surrogate: train the surrogate on the training configurations of the thermalisation
(lqcd_core.pipeline.surrogate_figures.train_stage: lqcd_core.surrogate.stage.train_surrogate,
then save_model) and write model.h5, training.csv and summary.json.
plot_surrogate_training: the figure of the training record (training_figure).
"""
import json
from pathlib import Path

import pandas as pd

from lqcd_core.pipeline.script import setup
from lqcd_core.pipeline.surrogate_figures import train_stage, training_figure

log = setup(snakemake)  # noqa: F821 (injected by Snakemake)
if snakemake.rule == "plot_surrogate_training":  # noqa: F821
    summary = json.loads(Path(snakemake.input.summary).read_text())  # noqa: F821
    training_figure(pd.read_csv(snakemake.input.table), summary, snakemake.output[0],  # noqa: F821
                    title=f"{snakemake.wildcards.ens}: {summary['kind']} surrogate")  # noqa: F821
    log.info("surrogate training plot written")
else:
    dirs = [Path(p).parent for p in snakemake.input.checkpoints]  # noqa: F821
    summary = train_stage(snakemake.params.ens, dirs, snakemake.output.model,  # noqa: F821
                          snakemake.output.table, snakemake.output.summary)  # noqa: F821
    log.info(f"{summary['kind']} surrogate trained on {summary['n_configs']} configurations in "
             f"{summary['seconds']:.1f} s; theta = {summary['theta']}")
