"""Markdown tables (for docs/performance.md) from a bench_gauge.py JSON result."""
from __future__ import annotations


def render_markdown(doc: dict) -> str:
    def f0(x):
        return "–" if x is None else f"{x:,.0f}"

    def f2(x):
        return "–" if x is None else f"{x:.2f}"

    def busy(e):
        b = e.get("others_cpu_fraction")
        return "–" if b is None else f"{100 * b:.0f} %"

    m = doc["machine"]
    lim = m["limits"]
    nts = [k for k in lim["triad"]]
    lines = [f"Machine: {m['cpu_model']}, {m['logical_cpus']} CPUs, Numba {m['numba_version']} "
             f"({m.get('numba_threading_layer')} threading layer), Python {m['python']}; "
             f"run {doc['date']} ({doc['mode']}).", ""]
    lines += ["| threads | triad GB/s (STREAM, 24 B) | triad GB/s (with write-allocate, 32 B) | "
              "FMA peak GFLOP/s (SIMD) | FMA peak GFLOP/s (scalar) |", "|---|---|---|---|---|"]
    for nt in nts:
        t, fm = lim["triad"][nt], lim["fma"][nt]
        lines.append(f"| {nt} | {t['gbytes_per_s_stream']:.1f} | "
                     f"{t['gbytes_per_s_with_write_allocate']:.1f} | {fm['gflops']:.1f} | "
                     f"{f2(fm.get('gflops_scalar'))} |")
    lines += ["", "| lattice | threads | force ns/site | mom. update ns/site | link update ns/site "
              "| **MD step ns/site** | vs openQCD | vs MILC | force GFLOP/s | force GB/s (loop model) "
              "| others' CPU |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    refs = doc["references"]
    for key, res in doc["md"].items():
        for nt in nts:
            e = res.get(nt)
            if not e:
                continue
            oq = refs["openqcd_md_step_ns_per_site"].get(key)
            mi = refs["milc_md_step_ns_per_site"].get(key)
            st = e["md_step_ns_per_site"]
            lines.append(
                f"| {key} | {nt} | {f0(e['force_ns_per_site'])} | {f0(e['momentum_update_ns_per_site'])} "
                f"| {f0(e['link_update_ns_per_site'])} | **{f0(st)}** | "
                f"{f2(st / oq) if oq else '–'} | {f2(st / mi) if mi else '–'} | "
                f"{e['force_gflops']:.1f} | {e['force_gbytes_per_s_loop_model']:.1f} | {busy(e)} |")
    hbd = doc.get("heatbath", {})
    if "skipped" not in hbd:
        k = hbd.get("or_per_hb")
        lines += ["", f"| lattice | threads | kernel | heatbath ns/link | overrelaxation ns/link | "
                  f"1 HB + {k} OR ns/link update | vs MILC (HB, OR) | others' CPU |",
                  "|---|---|---|---|---|---|---|---|"]
        for key, res in hbd.items():
            if not isinstance(res, dict) or "volume" not in res:
                continue
            for nt in nts:
                e = res.get(nt)
                if not e:
                    continue
                rng = refs["milc_hb_or_ns_per_link"].get(key)
                vs = (f"{e['heatbath_ns_per_link'] / rng[1]:.2f}–{e['heatbath_ns_per_link'] / rng[0]:.2f}, "
                      f"{e['overrelaxation_ns_per_link'] / rng[1]:.2f}–"
                      f"{e['overrelaxation_ns_per_link'] / rng[0]:.2f}") if rng else "–"
                lines.append(f"| {key} | {nt} | {e['kernel']} | {f0(e['heatbath_ns_per_link'])} | "
                             f"{f0(e['overrelaxation_ns_per_link'])} | "
                             f"{f0(e['sweep_hb_plus_or_ns_per_link_update'])} | {vs} | {busy(e)} |")
    hm = doc.get("hmc", {})
    if "skipped" not in hm:
        lines += ["", "| lattice | threads | s / trajectory | µs / site / traj. | MD ns/site per "
                  "force eval. | outside MD s | acceptance | ⟨abs ΔH⟩ | trajectories | others' CPU |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for key, res in hm.items():
            if not isinstance(res, dict) or "volume" not in res:
                continue
            for nt in nts:
                e = res.get(nt)
                if not e:
                    continue
                lines.append(
                    f"| {key} | {nt} | {e['seconds_per_trajectory']:.3f} | "
                    f"{e['us_per_site_per_trajectory']:.1f} | "
                    f"{f0(e['md_ns_per_site_per_force_evaluation'])} | {e['outside_md_seconds']:.3f} | "
                    f"{e['acceptance']:.2f} | {e['mean_abs_delta_h']:.3f} | {e['trajectories']} | "
                    f"{busy(e)} |")
    return "\n".join(lines) + "\n"


