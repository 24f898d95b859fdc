# Plots of every ensemble (Monte Carlo histories with the thermalisation cut, autocorrelation
# function with the chosen window, tau_int(W), histograms, Delta H), each in the HTML report
# (`snakemake --report results/report.html`) with its caption.


rule plots:
    input:
        trajectories=f"{RESULTS}/{{ens}}/trajectories.csv",
        measurements=f"{RESULTS}/{{ens}}/measurements.csv",
        summary=f"{RESULTS}/{{ens}}/summary.csv",
    output:
        history=report(f"{RESULTS}/{{ens}}/plots/{{obs}}_history.png", caption="../report/history.rst",
                       category="{ens}", subcategory="{obs}"),
        rho=report(f"{RESULTS}/{{ens}}/plots/{{obs}}_rho.png", caption="../report/rho.rst",
                   category="{ens}", subcategory="{obs}"),
        tauint=report(f"{RESULTS}/{{ens}}/plots/{{obs}}_tauint.png", caption="../report/tauint.rst",
                      category="{ens}", subcategory="{obs}"),
        hist=report(f"{RESULTS}/{{ens}}/plots/{{obs}}_hist.png", caption="../report/histogram.rst",
                    category="{ens}", subcategory="{obs}"),
    params:
        ens=lambda wc: ENSEMBLES[wc.ens],
        S=config["analysis"]["S"],
    log:
        f"{RESULTS}/logs/{{ens}}/plots_{{obs}}.log",
    wildcard_constraints:
        obs="[a-z_]+",
    threads: 1
    resources:
        mem_mb=RES["analyse"]["mem_mb"],
        runtime=RES["analyse"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/plots.py"


rule plot_delta_h:
    input:
        trajectories=f"{RESULTS}/{{ens}}/trajectories.csv",
    output:
        report(f"{RESULTS}/{{ens}}/plots/delta_h.png", caption="../report/delta_h.rst",
               category="{ens}", subcategory="HMC"),
    log:
        f"{RESULTS}/logs/{{ens}}/plots_delta_h.log",
    threads: 1
    resources:
        mem_mb=RES["analyse"]["mem_mb"],
        runtime=RES["analyse"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/plot_delta_h.py"


rule flow_plots:
    input:
        flow=f"{RESULTS}/{{ens}}/flow.csv",
        summary=f"{RESULTS}/{{ens}}/summary.csv",
    output:
        t2e=report(f"{RESULTS}/{{ens}}/plots/flow_t2E.png", caption="../report/flow.rst",
                   category="{ens}", subcategory="gradient flow"),
        w=report(f"{RESULTS}/{{ens}}/plots/flow_W.png", caption="../report/flow.rst",
                 category="{ens}", subcategory="gradient flow"),
    params:
        ens=lambda wc: ENSEMBLES[wc.ens],
    log:
        f"{RESULTS}/logs/{{ens}}/plots_flow.log",
    threads: 1
    resources:
        mem_mb=RES["analyse"]["mem_mb"],
        runtime=RES["analyse"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/flow_plots.py"


rule topology_plots:
    input:
        flow=f"{RESULTS}/{{ens}}/flow.csv",
    output:
        q_history=report(f"{RESULTS}/{{ens}}/plots/flow_Q_history.png", caption="../report/topology.rst",
                         category="{ens}", subcategory="gradient flow"),
        q_hist=report(f"{RESULTS}/{{ens}}/plots/flow_Q_hist.png", caption="../report/topology.rst",
                      category="{ens}", subcategory="gradient flow"),
    log:
        f"{RESULTS}/logs/{{ens}}/plots_topology.log",
    threads: 1
    resources:
        mem_mb=RES["analyse"]["mem_mb"],
        runtime=RES["analyse"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/topology_plots.py"


rule correlator_plots:
    input:
        table=f"{RESULTS}/{{ens}}/correlators.csv",
    output:
        plot=report(f"{RESULTS}/{{ens}}/plots/correlators.png", caption="../report/correlators.rst",
                    category="{ens}", subcategory="correlators"),
    log:
        f"{RESULTS}/logs/{{ens}}/plots_correlators.log",
    threads: 1
    resources:
        mem_mb=RES["analyse"]["mem_mb"],
        runtime=RES["analyse"]["runtime"],
    conda:
        "../envs/lqcd.yaml"
    script:
        "../scripts/correlator_plots.py"
