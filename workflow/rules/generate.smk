# Generation: per ensemble the physics record, per stream the thermalisation (block 0, with
# step-size tuning) and the chained production blocks k = 1..n_traj/block.  Block k reads the
# checkpoint of block k-1, so a long run is many short jobs and a killed job re-runs from the
# previous block, bit for bit. SLHMC ensembles (algorithm: slhmc) thermalise with HMC, stream 0
# saving training configurations in block0000/train/ (read by rule train_surrogate,
# workflow/rules/surrogate.smk); their production blocks also take the frozen surrogate model.


localrules:
    physics_record,


rule physics_record:
    output:
        f"{RESULTS}/{{ens}}/params.json",
    params:
        physics=lambda wc: physics(ENSEMBLES[wc.ens]),
    log:
        f"{RESULTS}/logs/{{ens}}/params.log",
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/physics_record.py"


rule thermalize:
    input:
        f"{RESULTS}/{{ens}}/params.json",
    output:
        checkpoint=f"{RESULTS}/{{ens}}/s{{stream}}/block0000/checkpoint.h5",
        log=f"{RESULTS}/{{ens}}/s{{stream}}/block0000/trajectories.csv",
        tuning=f"{RESULTS}/{{ens}}/s{{stream}}/block0000/tuning.json",
    params:
        ens=lambda wc: physics(ENSEMBLES[wc.ens]),
    log:
        f"{RESULTS}/logs/{{ens}}/s{{stream}}/block0000.log",
    threads: RES["generate"]["threads"]
    resources:
        mem_mb=RES["generate"]["mem_mb"],
        runtime=RES["generate"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/thermalize.py"


rule production_block:
    input:
        previous=previous_checkpoint,
        model=surrogate_model,
    output:
        checkpoint=f"{RESULTS}/{{ens}}/s{{stream}}/block{{block}}/checkpoint.h5",
        log=f"{RESULTS}/{{ens}}/s{{stream}}/block{{block}}/trajectories.csv",
        configs=directory(f"{RESULTS}/{{ens}}/s{{stream}}/block{{block}}/configs"),
    params:
        ens=lambda wc: physics(ENSEMBLES[wc.ens]),
        block=lambda wc: int(wc.block),
    wildcard_constraints:
        block=r"(?!0000)\d{4}",  # block 0000 is the thermalisation (rule thermalize)
    log:
        f"{RESULTS}/logs/{{ens}}/s{{stream}}/block{{block}}.log",
    threads: RES["generate"]["threads"]
    resources:
        mem_mb=RES["generate"]["mem_mb"],
        runtime=RES["generate"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/production_block.py"
