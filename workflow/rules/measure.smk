# Measurement: one job per saved configuration (fanned out in parallel); the configuration is
# found in the directory of the production block that saved it.


rule measure:
    input:
        configs=config_of,
    output:
        f"{RESULTS}/{{ens}}/s{{stream}}/meas/{{traj}}.json",
    params:
        observables=lambda wc: ENSEMBLES[wc.ens]["measure"],
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
