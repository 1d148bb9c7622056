"""`python -m bench.run [--quick | --smoke]`: sweep launch vs plain Ray Tune (docs defaults and hand-tuned)
vs Optuna vs sequential, cold and warm.

For each workload (W1 short trials on digits, W2 longer trials on scaled spirals, W3 trials of minutes on
larger spirals, W4 the default two-round sweep against one round of its trials) the runners go in turn,
interleaved (A B C D A B C D ...) so a machine that slows down mid-run slows all of them alike, each in a
fresh process on identical configs. "sweep launch (warm)" joins a local Ray that `sweep up` starts once
before a workload's repetitions (with as many CPUs as the others get) and `sweep down` stops after them.
Then the scale probe (per-trial orchestration overhead and driver memory at 32/128/512 trivial trials) and
the trainable probe (our loop vs a DataLoader loop). Prints a markdown table per workload and the issue's
targets, and writes everything to bench/results/<timestamp>.json (git-ignored).

    --quick   smaller workloads (W3 and W4 scaled down too), scale 32 and 128
    --smoke   W1 at 4 configs x 3 epochs and a tiny W4, once each, scale 8: CI calls it so the harness
              cannot rot
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench import analysis, report
from bench.analysis import OPTUNA, RAY, RAY_TUNED, SEQUENTIAL, SINGLE_ROUND, SWEEP_RUNNERS, SWEEP_WARM
from bench.job import job_command, read_out, trial_record
from bench.measure import process_fields, run_process, sweep_environment
from bench.runners import sweep_cli
from bench.scale import scale_probe
from bench.warm_start import warm_ray
from bench.workloads import Workload, workloads

MODULES = {
    RAY: "bench.runners.ray_defaults",
    RAY_TUNED: "bench.runners.ray_tuned",
    OPTUNA: "bench.runners.optuna_runner",
    SEQUENTIAL: "bench.runners.sequential",
}


def run_one(runner: str, workload: Workload, rep: int, cores: int, scratch: Path, homes: dict[str, Path]) -> dict:
    """One runner on one workload in a fresh process; the raw record (derived figures come later)."""
    workdir = scratch / f"{workload.name}-{runner.replace(' ', '_').replace(',', '')}-{rep}"
    workdir.mkdir(parents=True)
    record: dict[str, Any] = {"runner": runner, "workload": workload.name, "rep": rep}
    if runner in SWEEP_RUNNERS:
        home = homes["warm" if runner == SWEEP_WARM else "cold"]
        env = sweep_environment(home, {})
        spec = (workload.single_round() if runner == SINGLE_ROUND else workload).spec()
        proc = run_process(sweep_cli.command(spec, workdir, cores), workdir / "log.txt", env)
    else:
        job = {"configs": workload.configs(), "cores": cores, "epochs": workload.epochs,
               "grace_period": workload.grace_period, "reduction_factor": workload.reduction_factor,
               "space": workload.spec()["space"], "workdir": str(workdir / "ray")}  # fmt: skip
        argv, out = job_command(MODULES[runner], job, workdir)
        proc = run_process(argv, workdir / "log.txt")
    record.update(process_fields(proc))
    try:
        if runner not in SWEEP_RUNNERS:
            data = read_out(out, proc.returncode, proc.output_tail)
            data["trials"] = [trial_record(trial) for trial in data["trials"]]
            record.update(phases=data.get("phases"), clock=data.get("clock"), ray_init=data.get("ray_init"))
        elif proc.returncode != 0:
            raise RuntimeError(f"exit {proc.returncode}: {proc.output_tail[-1500:]}")
        else:
            data = sweep_cli.collect(workdir)
            record.update(sweep_cli.timings(workdir, proc.started_at, proc.ended_at))
            record["ray_init"] = record["phases"]["ray_init"]
            started, offered = record["ray_started_here"], record["cluster_cpus"]
            if started is not None and started != (runner != SWEEP_WARM):
                raise RuntimeError(f"the driver {'started its own Ray' if started else 'joined a running Ray'}")
            if offered is not None and offered != cores:  # the warm Ray must get the same cores as the rest
                raise RuntimeError(f"Ray offered the sweep {offered} CPUs; every runner gets {cores}")
            record["trial_spans"] = data["trial_spans"]
            record["cpu_samples"] = proc.cpu_samples
        record["trials_detail"] = data["trials"]
        record["ok"] = True
    except Exception as err:  # noqa: BLE001 - one failed run is reported, the bench goes on
        record["ok"], record["error"] = False, str(err)
    return record


def run_workload(workload: Workload, runners: list[str], reps: int, cores: int, scratch: Path) -> dict:
    records: list[dict[str, Any]] = []
    warm: dict[str, Any] | None = None
    with ExitStack() as stack:  # on the way out: `sweep down` first, then the HOMEs go
        # short paths: the warm Ray's sockets live under HOME/.cache/sweep/ray (Unix sockets allow ~107 bytes)
        homes = {
            kind: Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix, dir="/tmp", ignore_cleanup_errors=True))
            )
            for kind, prefix in (("cold", "sbc"), ("warm", "sbw"))
        }
        if SWEEP_WARM in runners:
            try:
                warm = stack.enter_context(warm_ray(homes["warm"], cores, scratch))
                print(f"  {workload.name} sweep up: {warm['address']}, {warm['cpus']} CPUs, "
                      f"{warm['up_seconds']:.1f} s", flush=True)  # fmt: skip
            except Exception as err:  # noqa: BLE001 - no warm rows then; the cold ones still run
                runners = [r for r in runners if r != SWEEP_WARM]
                records.append({"runner": SWEEP_WARM, "workload": workload.name, "rep": 0, "ok": False,
                                "error": f"sweep up: {err}"})  # fmt: skip
                print(f"  {workload.name} warm path FAILED: {str(err)[:300]}", flush=True)
        for rep in range(reps):
            for runner in runners:  # interleaved: A B C D A B C D
                record = run_one(runner, workload, rep, cores, scratch, homes)
                if not record.get("ok"):  # e.g. Ray's GCS timing out on an overloaded machine: one more try
                    failed = record
                    record = run_one(runner, workload, rep, cores, scratch / "retry", homes)
                    record["first_attempt_error"] = failed.get("error", "")[:2000]
                status = f"{record['wall']:.1f} s" if record.get("ok") else f"FAILED: {record['error'][:300]}"
                print(f"  {workload.name} rep {rep + 1}/{reps} {runner}: {status}", flush=True)
                records.append(record)
    analysis.complete([r for r in records if "wall" in r], cores)
    return {
        "workload": workload.to_dict(),
        "warm_ray": warm,
        "records": records,
        "summary": analysis.summarize(records),
        # a preset's runners train different configs (W4: two rounds against one); the others, the same ones
        "epoch1_mismatches": [] if workload.preset else analysis.epoch1_mismatches(records),
    }


def main(argv: list[str] | None = None) -> int:
    parser = report.arguments("./dev bench", __doc__, "small workloads, scale 32/128",
                              "seconds-long run of every path (CI)", stem="")  # fmt: skip
    parser.add_argument("--reps", type=int, help="runs of each runner (default 2; 1 with --smoke)")
    parser.add_argument("--only", action="append", help="workload(s) to run: W1, W2, W3, W4 (default all)")
    parser.add_argument("--no-scale", action="store_true", help="skip the scale probe")
    args = parser.parse_args(argv)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    reps = args.reps or (1 if args.smoke else 2)
    cores = args.cores

    skip: set[str] = set()
    notes = []
    if importlib.util.find_spec("optuna") is None:
        skip.add(OPTUNA)
        notes.append("optuna is not installed (pip install -e '.[bench]'): its runner was skipped")
    chosen = [w for w in workloads(mode) if not args.only or w.name in args.only]
    result = report.header(mode=mode, reps=reps, cores=cores, notes=notes, workloads={})
    with report.running(result, "sweep-bench-", args.keep) as scratch:
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"bench ({mode}, {reps} rep(s), {cores} cores, load {load}), scratch {scratch}", flush=True)
        for workload in chosen:
            runners = [r for r in workload.runners if r not in skip]
            result["workloads"][workload.name] = run_workload(workload, runners, reps, cores, scratch)
        if not args.no_scale:
            sizes = {"smoke": [8], "quick": [32, 128]}.get(mode, [32, 128, 512])
            result["scale"] = scale_probe(sizes, cores, scratch)
        import torch  # only now: every run above forks from a process without it

        from bench.trainable_speed import loop_vs_dataloader

        torch.set_num_threads(1)  # the trainable probe: our loop vs a DataLoader loop on digits, one thread
        result["trainable"] = loop_vs_dataloader("digits", {"smoke": 1, "quick": 5}.get(mode, 20))
    result["targets"] = analysis.targets(result)
    report.publish(result, args.out or report.RESULTS / f"{result['started_at']}.json", _sections(result))
    return _smoke_checks(result) if mode == "smoke" else 0


def _sections(result: dict[str, Any]) -> list[str]:
    lines = [""]
    for name, data in result["workloads"].items():
        w = data["workload"]
        lines += [f"### {name}: {w['samples']} configs × ≤{w['epochs']} epochs on {w['data']} "
                  f"({result['reps']} rep(s), {result['cores']} cores; medians)\n",
                  report.table(data["summary"], analysis.COLUMNS),
                  "\nWhere the wall went (median s, phases from the process's start; unaccounted: fork/exec and "
                  "teardown):", *report.phase_lines(data["records"])]  # fmt: skip
        if data.get("warm_ray"):
            warm = data["warm_ray"]
            lines.append(f"\nwarm: `sweep up --cpus {warm['cpus']} --no-dashboard` took {warm['up_seconds']:.1f} s "
                         "once (not in the warm rows)")  # fmt: skip
        if name == "W4":
            lines.append(
                "\nW4 has no peers: two rounds of coarse-to-fine is sweep's own recipe; its reference is one round "
                "of the same trials. CPU use = Σ trial spans / (cores × first start to last end), spans on the "
                "driver's clock (history.csv wall_seconds less the training seconds of a trial's first report, "
                "to trials.csv finished_at); the whole machine's /proc/stat figure over that window is context."
            )
        if data["epoch1_mismatches"]:
            lines.append(f"\nepoch-1 dev_accuracy differs between runners for: {data['epoch1_mismatches'][:3]}")
        lines.append("")
    for point in result.get("scale") or []:
        if point["ok"]:
            lines.append(f"- scale {point['trials']} trivial trials: run_sweep {point['run_sweep_wall']:.1f} s, "
                         f"overhead {point['overhead_per_trial']:.3f} core·s/trial, "
                         f"driver {point['driver_maxrss_mb']:.0f} MB")  # fmt: skip
    probe = result.get("trainable")
    if probe:
        lines.append(f"- trainable: {probe['ours_samples_per_s']:,.0f} samples/s vs DataLoader "
                     f"{probe['dataloader_samples_per_s']:,.0f} ({probe['speedup']:.1f}×)")  # fmt: skip
    lines.append(f"\nload average: {result['load_at_start']} at start, {result['load_at_end']} at end "
                 f"({result['cores']} cores); bench took {result['bench_seconds']:.0f} s")  # fmt: skip
    return lines


def _smoke_checks(result: dict[str, Any]) -> int:
    """--smoke fails when a runner failed or the runners' curves disagree at epoch 1 on the first config."""
    problems = []
    for name, data in result["workloads"].items():
        for record in data["records"]:
            if not record.get("ok"):
                problems.append(f"{name} {record['runner']}: {record.get('error', '')[:500]}")
        first = {}
        for record in data["records"]:
            for trial in record.get("trials_detail") or []:
                if trial["plan_id"] == "r1-000" and trial["curve"]:
                    first[record["runner"]] = trial["curve"][0]
        if len(set(first.values())) > 1:
            problems.append(f"{name}: r1-000's epoch-1 dev_accuracy differs between runners: {first}")
    for point in result.get("scale") or []:
        if not point["ok"]:
            problems.append(f"scale {point['trials']}: {point.get('error', '')[:500]}")
    for problem in problems:
        print(f"SMOKE FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
