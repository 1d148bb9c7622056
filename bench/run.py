"""`python -m bench.run [--quick | --smoke]`: sweep launch vs plain Ray Tune vs Optuna vs sequential.

For each workload (W1 short trials on digits, W2 longer trials on scaled spirals) the runners go in turn,
interleaved (A B C D A B C D ...) so a machine that slows down mid-run slows all of them alike, each in a
fresh process on identical configs. Then the scale probe (per-trial orchestration overhead and driver
memory at 32/128/512 trivial trials) and the trainable probe (our loop vs a DataLoader loop). Prints a
markdown table per workload and writes everything to bench/results/<timestamp>.json (git-ignored).

    --quick   smaller workloads, scale 32 and 128 (a couple of minutes on 2 idle cores)
    --smoke   W1 at 4 configs x 3 epochs once each, scale 8: CI calls it so the harness cannot rot
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import analysis, report
from bench.analysis import OPTUNA, RAY, SEQUENTIAL, SWEEP
from bench.measure import REPO, ProcessRun, environment, run_process
from bench.runners import sweep_cli
from bench.workloads import Workload, workloads

RESULTS = REPO / "bench" / "results"
MODULES = {
    RAY: "bench.runners.ray_defaults",
    OPTUNA: "bench.runners.optuna_runner",
    SEQUENTIAL: "bench.runners.sequential",
}


def run_one(runner: str, workload: Workload, rep: int, cores: int, scratch: Path) -> dict[str, Any]:
    """One runner on one workload in a fresh process; the raw record (derived figures come later)."""
    workdir = scratch / f"{workload.name}-{runner.replace(' ', '_')}-{rep}"
    workdir.mkdir(parents=True)
    record: dict[str, Any] = {"runner": runner, "workload": workload.name, "rep": rep}
    out = workdir / "out.json"
    if runner == SWEEP:
        phases = workdir / "phases.json"
        env = environment({"SWEEP_BENCH_PHASES": str(phases)})
        env["PYTHONPATH"] = os.pathsep.join((str(sweep_cli.HOOKS), env["PYTHONPATH"]))
        proc = run_process(sweep_cli.command(workload, workdir, cores), workdir / "log.txt", env)
    else:
        job = {
            "configs": workload.configs(),
            "cores": cores,
            "epochs": workload.epochs,
            "space": workload.spec()["space"],
            "workdir": str(workdir / "ray"),
        }
        (workdir / "job.json").write_text(json.dumps(job))
        argv = [sys.executable, "-m", MODULES[runner], str(workdir / "job.json"), str(out)]
        proc = run_process(argv, workdir / "log.txt")
    record.update(_process_fields(proc))
    try:
        if proc.returncode != 0:
            raise RuntimeError(f"exit {proc.returncode}: {proc.output_tail[-1500:]}")
        if runner == SWEEP:
            data = sweep_cli.collect(workdir)
            record["phases"] = json.loads(phases.read_text()) if phases.exists() else None
            record["ray_init"] = (record["phases"] or {}).get("ray_init")
        else:
            data = json.loads(out.read_text())
            record["phases"] = data.get("phases")
            record["ray_init"] = data.get("ray_init")
        record["trials_detail"] = data["trials"]
        record["ok"] = True
    except Exception as err:  # noqa: BLE001 - one failed run is reported, the bench goes on
        record["ok"], record["error"] = False, str(err)
    return record


def _process_fields(proc: ProcessRun) -> dict[str, Any]:
    return {
        "wall": proc.wall,
        "returncode": proc.returncode,
        "driver_maxrss_mb": proc.maxrss_mb,
        "cpu_percent": proc.cpu_percent,
        "load_before": list(proc.load_before),
    }


def run_workload(workload: Workload, runners: list[str], reps: int, cores: int, scratch: Path) -> dict:
    records = []
    for rep in range(reps):
        for runner in runners:  # interleaved: A B C D A B C D
            record = run_one(runner, workload, rep, cores, scratch)
            if not record.get("ok"):  # e.g. Ray's GCS timing out on an overloaded machine: one more try
                failed = record
                record = run_one(runner, workload, rep, cores, scratch / "retry")
                record["first_attempt_error"] = failed.get("error", "")[:2000]
            records.append(record)
            status = f"{record['wall']:.1f} s" if record.get("ok") else f"FAILED: {record['error'][:300]}"
            print(f"  {workload.name} rep {rep + 1}/{reps} {runner}: {status}", flush=True)
    analysis.complete(records, cores)
    return {
        "workload": workload.to_dict(),
        "records": records,
        "summary": analysis.summarize(records),
        "epoch1_mismatches": analysis.epoch1_mismatches(records),
    }


def scale_probe(sizes: list[int], cores: int, scratch: Path) -> list[dict[str, Any]]:
    points = []
    for trials in sizes:
        workdir = scratch / f"scale-{trials}"
        workdir.mkdir()
        out = workdir / "out.json"
        argv = [sys.executable, "-m", "bench.scale", str(trials), str(cores), str(workdir / "s"), str(out)]
        proc = run_process(argv, workdir / "log.txt")
        point: dict[str, Any] = {"trials": trials, **_process_fields(proc), "ok": False}
        if proc.returncode == 0 and out.exists():
            data = json.loads(out.read_text())
            # the driver's run_sweep wall (Ray start to shutdown), not the interpreter's start-up
            overhead = (data["wall"] * cores - data["train_seconds"]) / max(data["trials"], 1)
            point.update(
                ok=True,
                run_sweep_wall=data["wall"],
                trials_done=data["trials"],
                train_seconds=data["train_seconds"],
                overhead_per_trial=overhead,
            )
        else:
            point["error"] = proc.output_tail[-1500:]
        print(
            f"  scale {trials}: "
            + (
                f"{point['overhead_per_trial']:.3f} s/trial overhead, driver {point['driver_maxrss_mb']:.0f} MB"
                if point["ok"]
                else "FAILED"
            ),
            flush=True,
        )
        points.append(point)
    return points


def trainable_probe(mode: str) -> dict[str, Any]:
    """Training samples/s of our loop vs a DataLoader loop on digits (bench/trainable_speed.py)."""
    import torch

    from bench.trainable_speed import samples_per_second

    torch.set_num_threads(1)
    epochs = {"smoke": 1, "quick": 5}.get(mode, 20)
    samples_per_second("digits", 1, loader=False)  # warm-up: data cache, first kernels
    ours = samples_per_second("digits", epochs, loader=False)
    loader = samples_per_second("digits", epochs, loader=True)
    return {
        "data": "digits",
        "epochs": epochs,
        "ours_samples_per_s": ours,
        "dataloader_samples_per_s": loader,
        "speedup": ours / loader,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small workloads, scale 32/128")
    size.add_argument("--smoke", action="store_true", help="seconds-long run of every path (CI)")
    parser.add_argument("--reps", type=int, help="runs of each runner (default 2; 1 with --smoke)")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1, help="cores every runner gets")
    parser.add_argument("--only", action="append", help="workload(s) to run: W1, W2 (default all)")
    parser.add_argument("--no-scale", action="store_true", help="skip the scale probe")
    parser.add_argument("--out", type=Path, help="JSON path (default bench/results/<timestamp>.json)")
    parser.add_argument("--keep", action="store_true", help="keep the runners' scratch directories")
    args = parser.parse_args(argv)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    reps = args.reps or (1 if args.smoke else 2)
    cores = args.cores

    runners = [SWEEP, RAY, OPTUNA, SEQUENTIAL]
    notes = []
    if importlib.util.find_spec("optuna") is None:
        runners.remove(OPTUNA)
        notes.append("optuna is not installed (pip install -e '.[bench]'): its runner was skipped")
    chosen = [w for w in workloads(mode) if not args.only or w.name in args.only]
    started_at = time.strftime("%Y%m%d-%H%M%S")
    result: dict[str, Any] = {
        "mode": mode,
        "reps": reps,
        "cores": cores,
        "started_at": started_at,
        "notes": notes,
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "load_at_start": list(os.getloadavg()),
        "workloads": {},
    }
    scratch = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    print(f"bench ({mode}, {reps} rep(s), {cores} cores, load {_load()}), scratch {scratch}", flush=True)
    began = time.perf_counter()
    try:
        for workload in chosen:
            result["workloads"][workload.name] = run_workload(workload, runners, reps, cores, scratch)
        if not args.no_scale:
            sizes = {"smoke": [8], "quick": [32, 128]}.get(mode, [32, 128, 512])
            result["scale"] = scale_probe(sizes, cores, scratch)
        result["trainable"] = trainable_probe(mode)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    result["load_at_end"] = list(os.getloadavg())
    result["bench_seconds"] = time.perf_counter() - began
    result["targets"] = [{"target": n, "met": m, "figures": f} for n, m, f in report.targets(result)]

    out = args.out or RESULTS / f"{started_at}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str))
    _print(result, out)
    return _smoke_checks(result) if mode == "smoke" else 0


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _print(result: dict[str, Any], out: Path) -> None:
    print()
    for name, data in result["workloads"].items():
        w = data["workload"]
        print(
            f"### {name}: {w['samples']} configs × ≤{w['epochs']} epochs on {w['data']} "
            f"({result['reps']} rep(s), {result['cores']} cores; medians)\n"
        )
        print(report.table(data["summary"]))
        if data["epoch1_mismatches"]:
            print(f"\nepoch-1 dev_accuracy differs between runners for: {data['epoch1_mismatches'][:3]}")
        print()
    for point in result.get("scale") or []:
        if point["ok"]:
            print(
                f"- scale {point['trials']} trivial trials: run_sweep {point['run_sweep_wall']:.1f} s, "
                f"overhead {point['overhead_per_trial']:.3f} core·s/trial, "
                f"driver {point['driver_maxrss_mb']:.0f} MB"
            )
    probe = result.get("trainable")
    if probe:
        print(
            f"- trainable: {probe['ours_samples_per_s']:,.0f} samples/s vs DataLoader "
            f"{probe['dataloader_samples_per_s']:,.0f} ({probe['speedup']:.1f}×)"
        )
    print(
        f"\nload average: {result['load_at_start']} at start, {result['load_at_end']} at end "
        f"({result['cores']} cores); bench took {result['bench_seconds']:.0f} s"
    )
    for note in result["notes"]:
        print(f"note: {note}")
    print("\nTargets:\n" + report.footer(report.targets(result)))
    print(f"\nJSON: {out}")


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
