# Measurement: one job per saved configuration (fanned out in parallel), and the gradient flow on
# every k-th one; the configuration is found in the directory of the block that saved it.


rule measure:
    input:
        configs=config_of,
    output:
        f"{RESULTS}/{{ens}}/s{{stream}}/meas/{{traj}}.json",
    params:
        observables=lambda wc: ENSEMBLES[wc.ens]["measure"],
        wilson_loops=lambda wc: ENSEMBLES[wc.ens]["wilson_loops"],
        fermionic=lambda wc: fermionic_params(wc.ens),
        config=lambda wc, input: f"{input.configs}/config_{wc.traj}.h5",
    log:
        f"{RESULTS}/logs/{{ens}}/s{{stream}}/meas_{{traj}}.log",
    threads: RES["measure"]["threads"]
    resources:
        mem_mb=RES["measure"]["mem_mb"],
        runtime=RES["measure"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/measure.py"


rule flow:
    input:
        configs=config_of,
    output:
        f"{RESULTS}/{{ens}}/s{{stream}}/flow/{{traj}}.json",
    params:
        flow=lambda wc: ENSEMBLES[wc.ens]["flow"],
        config=lambda wc, input: f"{input.configs}/config_{wc.traj}.h5",
    log:
        f"{RESULTS}/logs/{{ens}}/s{{stream}}/flow_{{traj}}.log",
    threads: RES["measure"]["threads"]
    resources:
        mem_mb=RES["measure"]["mem_mb"],
        runtime=RES["measure"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/flow.py"
