# Self-learning HMC (algorithm: slhmc; docs/slhmc.md): the surrogate of an ensemble is trained on
# the training configurations that the HMC thermalisation of stream 0 saves in
# block0000/train/ (written before the block's checkpoint, the rule's input), then frozen. The
# production blocks depend on the model (workflow/rules/generate.smk); block 1 switches the chain
# to SLHMC with it, later blocks carry it in their checkpoints. The figure of the training goes
# into the report.


rule train_surrogate:
    input:
        checkpoints=surrogate_training_input,
    output:
        model=f"{RESULTS}/{{ens}}/surrogate/model.h5",
        table=f"{RESULTS}/{{ens}}/surrogate/training.csv",
        summary=f"{RESULTS}/{{ens}}/surrogate/summary.json",
    params:
        ens=lambda wc: physics(ENSEMBLES[wc.ens]),
    log:
        f"{RESULTS}/logs/{{ens}}/train_surrogate.log",
    threads: RES["generate"]["threads"]
    resources:
        mem_mb=RES["generate"]["mem_mb"],
        runtime=RES["generate"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/train_surrogate.py"


rule plot_surrogate_training:
    input:
        table=f"{RESULTS}/{{ens}}/surrogate/training.csv",
        summary=f"{RESULTS}/{{ens}}/surrogate/summary.json",
    output:
        report(f"{RESULTS}/{{ens}}/plots/surrogate_training.png", caption="../report/surrogate.rst",
               category="{ens}", subcategory="SLHMC"),
    log:
        f"{RESULTS}/logs/{{ens}}/plots_surrogate_training.log",
    threads: 1
    resources:
        mem_mb=RES["analyse"]["mem_mb"],
        runtime=RES["analyse"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/train_surrogate.py"
