"""``./dev bench tabular``: search quality on published HPO tables, without training.

Every method searches the same space, written as a practitioner writes a spec (course scales), for exactly the
same number of evaluations; each drawn value is snapped to the table's nearest level in its own coordinate.
Runs simulate `k` workers (``--workers 1 8``). Regret is the incumbent's noise-free regret (``simulate.py``).

    full      8 HPOBench tasks × 20 seeds × budgets 32, 100, 300 × k = 1, 8 (Optuna's GPSampler, at ~45 ms an
              ask, at budget 32 only unless --gp-budget says more): about 3,500 CPU seconds, some 30 minutes
              on 2 quiet cores (--cores: the pool's processes). Sweep's methods plan on their budget and run
              once per budget; Optuna's, HyperOpt and sampler: tpe run once, at the largest, and give the
              smaller budgets from that run.
    --family hpolib   the 4 HPOLib tasks instead (the held-out family: the recipe was chosen on HPOBench)
    --smoke   2 tasks × 2 seeds × 16 evaluations: every code path in seconds (the test suite runs it)

Writes ``bench/results/tabular-<stamp>.json`` with ``-k<K>.png`` regret curves beside it, and prints mean ranks
per budget, the default's wins against Optuna's TPE, the speed-up over random search, and each method's CPU
seconds (also in the JSON's ``cpu_seconds``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import resource
import shutil
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench.report import RESULTS
from bench.tabular import plot, score, tasks
from bench.tabular.methods import METHODS, OPTUNA, RAY, SWEEP, make
from bench.tabular.simulate import cut, simulate

REFERENCE = "sweep-random"  # random search: the speed-up's yardstick
DEFAULT, PEER = "sweep-default", "optuna-tpe"
# designs tried while choosing the default: --methods runs them
VARIANTS = ("sweep-no-explore", "sweep-gp-1round", "sweep-ucb-falling", "sweep-batch-warmup")


Job = tuple[str, str, int, tuple[int, ...], int, str]  # method, task, workers, budgets, seed, scratch
Done = tuple[str, str, int, int, dict[int, list[float]], float]  # method, task, workers, seed, curves, CPU s

# Measured CPU milliseconds per evaluation on the 2-core machine (car, k = 8): the pool takes
# the long runs first, so its last minutes are not one long run. Anything unlisted costs well under 1 ms.
MS_PER_EVALUATION = {"optuna-gp": 32.0, "sweep-default": 7.2, "sweep-staged": 6.9, "ray-hyperopt": 10.0,
                     "sweep-tpe": 4.5, "optuna-tpe": 3.7}  # fmt: skip


def start_worker(methods: list[str], task_names: list[str]) -> None:
    """A pool process's start: the methods' imports and the tables read once, so the runs' CPU seconds are their
    own; then one BLAS/OpenMP thread (the pool already has a process per core; after the imports, so that
    torch's, which Optuna's GPSampler loads, is limited too) and Ray's warnings off."""
    from threadpoolctl import threadpool_limits

    import sweep.run.tpe  # noqa: F401  (every method's coordinates; it imports torch, some 1.7 s)

    runners = {METHODS[m].runner for m in methods}
    if SWEEP in runners:
        import sweep.run.tuner  # noqa: F401  (what the Planner's first ask imports)
    if OPTUNA in runners:
        import optuna  # noqa: F401
    if "optuna-gp" in methods:
        import torch  # noqa: F401  (what GPSampler runs on)
    if RAY in runners:
        import ray.tune.search.hyperopt  # noqa: F401
    for name in task_names:
        tasks.load(name)
    threadpool_limits(1)
    logging.getLogger("ray").setLevel(logging.ERROR)  # after Ray's import, which sets its own level


def run_job(job: Job) -> Done:
    """One method on one task, one seed, one worker count, at the largest of `budgets` (in a pool process);
    the smaller budgets are cut from that run (a method whose asks do not depend on its budget: jobs_of)."""
    method, task, workers, budgets, seed, scratch = job
    started = time.process_time()
    table = tasks.load(task)
    largest = max(budgets)
    asker = make(METHODS[method], table.space.to_dict(), table.metric, table.mode, largest, workers, seed,
                 Path(scratch))  # fmt: skip
    run = simulate(table, asker, largest, workers, seed)
    curves = {b: [round(r, 7) for r in (run if b == largest else cut(table, run, b)).regret] for b in budgets}
    return method, task, workers, seed, curves, time.process_time() - started


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="./dev bench tabular",
        description=__doc__.split("\n\n")[0].replace("``", "").strip('"'),
        epilog="\n\n".join(__doc__.split("\n\n")[1:]).replace("``", "").strip().rstrip('"').strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--smoke", action="store_true", help="2 tasks × 2 seeds × 16 evaluations")
    parser.add_argument("--family", choices=("hpobench", "hpolib"), default="hpobench", help="the tables' family")
    parser.add_argument("--tasks", nargs="+", help="tasks of the family (default: all of them)")
    parser.add_argument("--methods", nargs="+", choices=sorted(METHODS), help="default: every method but the variants")
    parser.add_argument("--seeds", type=int, default=20, help="runs per method, task, budget and k (default 20)")
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed (default 0)")
    parser.add_argument("--budgets", type=int, nargs="+", default=[32, 100, 300], help="evaluations per run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 8], help="simulated workers k (default 1 8)")
    parser.add_argument("--gp-budget", type=int, default=32, help="largest budget Optuna's GPSampler runs at")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1, help="pool processes (default: the CPUs)")
    parser.add_argument("--out", type=Path, help="the result JSON (default bench/results/tabular-<stamp>.json)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.tasks = args.tasks or list((tasks.HPOBENCH if args.family == "hpobench" else tasks.HPOLIB)[:2])
        args.seeds, args.budgets, args.gp_budget = 2, [16], 16
    for name in ("seeds", "cores"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be ≥ 1, got {getattr(args, name)}")
    if args.first_seed < 0 or min(args.budgets) < 2 or min(args.workers) < 1:
        parser.error("--first-seed must be ≥ 0, --budgets ≥ 2 and --workers ≥ 1")
    family = tasks.HPOBENCH if args.family == "hpobench" else tasks.HPOLIB
    unknown = [t for t in args.tasks or [] if t not in family]
    if unknown:
        parser.error(f"--tasks: {', '.join(unknown)} not in {args.family} (choose from {', '.join(family)})")
    args.tasks = args.tasks or list(family)
    args.methods = args.methods or [m for m in METHODS if m not in VARIANTS]
    return args


def jobs_of(args: argparse.Namespace, scratch: str) -> list[Job]:
    """Every run, the slow ones first. A method that plans on its budget (sweep's) runs once per budget; the
    others run once, at their largest budget, and give the smaller ones from that run."""
    jobs = []
    for method in args.methods:
        budgets = sorted(b for b in args.budgets if not (method == "optuna-gp" and b > args.gp_budget))
        groups = [(b,) for b in budgets] if METHODS[method].plans_on_budget else [tuple(budgets)] if budgets else []
        jobs += [
            (method, task, k, group, seed, scratch)
            for group in groups
            for k in args.workers
            for seed in range(args.first_seed, args.first_seed + args.seeds)
            for task in args.tasks
        ]
    return sorted(jobs, key=lambda j: -max(j[3]) * MS_PER_EVALUATION.get(j[0], 0.5))


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # HyperOpt comes through Ray Tune: no usage report
    scratch = tempfile.mkdtemp(prefix="sweep-tabular-")
    jobs = jobs_of(args, scratch)
    start = time.time()
    runs: dict[tuple[int, int, str, str], list[tuple[int, list[float]]]] = {}  # (k, budget, method, task) → seeds'
    cpu = {k: dict.fromkeys(args.methods, 0.0) for k in args.workers}  # k → method → CPU seconds of its runs
    print(f"tabular bench: {len(jobs)} runs on {args.cores} cores ({args.family}: {', '.join(args.tasks)})",
          file=sys.stderr, flush=True)  # fmt: skip
    setup = (args.methods, args.tasks)
    try:
        if args.cores > 1:
            pool = get_context("spawn").Pool(args.cores, initializer=start_worker, initargs=setup)
        else:
            pool = None
            start_worker(*setup)
        done = pool.imap_unordered(run_job, jobs) if pool is not None else map(run_job, jobs)
        with pool or contextlib.nullcontext():
            for i, (method, task, k, seed, regrets, seconds) in enumerate(done, 1):
                for budget, regret in regrets.items():
                    runs.setdefault((k, budget, method, task), []).append((seed, regret))
                cpu[k][method] += seconds
                if i % max(1, len(jobs) // 20) == 0 or i == len(jobs):
                    print(f"  {i}/{len(jobs)} runs, {time.time() - start:.0f} s", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    curves: dict[int, dict[int, score.Curves]] = {}  # k → budget → method → task → a curve per seed, in seed order
    for (k, budget, method, task), seeds in sorted(runs.items()):
        per_task = curves.setdefault(k, {}).setdefault(budget, {}).setdefault(method, {})
        per_task[task] = [regret for _, regret in sorted(seeds)]
    result = report(args, curves, time.time() - start, cpu_seconds(cpu))
    out = args.out or RESULTS / f"tabular-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result))
    labels = {key: m.label for key, m in METHODS.items()}
    for k, by_budget in curves.items():
        largest = max(by_budget)
        title = f"{args.family}: mean regret over {args.seeds} seeds, k = {k}, budget {largest}"
        plot.plot_regret(by_budget[largest], args.tasks, labels, title, out.with_name(f"{out.stem}-k{k}.png"))
    print(f"results: {out} (and -k*.png)")
    return 0


def cpu_seconds(by_workers: dict[int, dict[str, float]]) -> dict[str, Any]:
    """Where the bench's CPU went: each method's runs (in all, and per worker count k), and everything (the
    pool's start-up, this process)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    total = me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime
    methods = {m: round(sum(per[m] for per in by_workers.values()), 2) for m in next(iter(by_workers.values()))}
    per_k = {str(k): {m: round(s, 2) for m, s in per.items()} for k, per in by_workers.items()}
    return {"methods": methods, "by_workers": per_k, "total": round(total, 2)}


def print_cpu(cpu: dict[str, Any], seconds: float, cores: int) -> None:
    runs = sum(cpu["methods"].values())
    print(f"\nCPU seconds: {runs:,.0f} in the runs, {cpu['total']:,.0f} in all; {seconds:,.0f} s wall on {cores} "
          "cores")  # fmt: skip
    for method, spent in sorted(cpu["methods"].items(), key=lambda x: -x[1]):
        print(f"  {method:<16}{spent:>9,.1f} s{100 * spent / max(runs, 1e-9):>6.1f}%")


def report(args: argparse.Namespace, curves: dict[int, dict[int, score.Curves]], seconds: float,
           cpu: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """Prints the tables, the targets and where the CPU went; returns the JSON record (settings, curves,
    summaries, CPU seconds)."""
    summaries: dict[str, Any] = {}
    for k, by_budget in sorted(curves.items()):
        comparable = {
            b: {m: c for m, c in per.items() if m in by_budget[max(by_budget)]} for b, per in by_budget.items()
        }
        summary = score.summary(comparable, args.tasks, REFERENCE)
        gp = {b: score.mean_ranks(per, args.tasks) for b, per in by_budget.items() if "optuna-gp" in per}
        summaries[str(k)] = {**summary, "ranks_with_gp": gp}
        print(f"\nk = {k}: mean rank over {len(args.tasks)} tasks (1 = best), {args.seeds} seeds")
        budgets = sorted(summary["ranks"], key=int)
        print(f"  {'method':<16}" + "".join(f"{'@' + b:>8}" for b in budgets) + f"{'speed-up':>10}")
        for method in sorted(summary["ranks"][budgets[-1]], key=summary["ranks"][budgets[-1]].get):
            ranks = "".join(f"{summary['ranks'][b].get(method, float('nan')):>8.2f}" for b in budgets)
            speedup = summary["median_speedup"].get(method)
            print(f"  {method:<16}{ranks}" + (f"{speedup:>9.1f}×" if speedup is not None else f"{'-':>10}"))
        if not summary["median_speedup"]:
            print(f"  speed-ups: none ({REFERENCE}, their yardstick, was not among --methods)")
        for b, ranks in sorted(gp.items()):
            print(
                f"  with optuna-gp @{b}: "
                + ", ".join(f"{m} {r:.2f}" for m, r in sorted(ranks.items(), key=lambda x: x[1]))
            )
        if DEFAULT in summary["final_regret"] and PEER in summary["final_regret"]:
            largest = max(by_budget)
            won = score.wins(by_budget[largest], DEFAULT, PEER, args.tasks)
            print(f"  {DEFAULT} ends below {PEER}'s mean regret @{largest} on {len(won)}/{len(args.tasks)} tasks")
            summaries[str(k)]["wins_over_peer"] = won
    print_cpu(cpu, seconds, args.cores)
    return {
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "seconds": seconds,
        "cpu_seconds": cpu,
        "summaries": summaries,
        "curves": {str(k): {str(b): c for b, c in per.items()} for k, per in curves.items()},
    }
