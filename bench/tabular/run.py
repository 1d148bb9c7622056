"""``./dev bench tabular``: search quality on published HPO tables, in minutes.

Every method searches the same space, written as a practitioner writes a spec (course scales), for exactly the
same number of evaluations; each drawn value is snapped to the table's nearest level in its own coordinate.
Runs simulate `k` workers (``--workers 1 8``). Regret is the incumbent's noise-free regret (:mod:`.simulate`).

    full      8 HPOBench tasks × 20 seeds × budgets 32, 100, 300 × k = 1, 8 (Optuna's GPSampler, at ~1 s an
              ask, at budget 32 only unless --gp-budget says more)
    --family hpolib   the 4 HPOLib tasks instead (the held-out family: the recipe was chosen on HPOBench)
    --smoke   2 tasks × 2 seeds × 16 evaluations: every code path in seconds (the test suite runs it)

Writes ``bench/results/tabular-<stamp>.json`` with ``-k<K>.png`` regret curves beside it, and prints mean ranks
per budget, the default's wins against Optuna's TPE, and the speed-up over random search.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench.report import RESULTS
from bench.tabular import plot, score, tasks
from bench.tabular.methods import METHODS, make
from bench.tabular.simulate import simulate

REFERENCE = "sweep-random"  # random search: the speed-up's yardstick
DEFAULT, PEER = "sweep-default", "optuna-tpe"
# designs tried while choosing the default: --methods runs them
VARIANTS = ("sweep-no-explore", "sweep-gp-1round", "sweep-ucb-falling", "sweep-batch-warmup")


def run_job(job: tuple[str, str, int, int, int, str]) -> tuple[str, str, int, int, int, list[float]]:
    """One method on one task, one seed, one budget, one worker count (in a pool process)."""
    method, task, workers, budget, seed, scratch = job
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # one BLAS thread per pool process: the pool already has a process per core
    logging.getLogger("ray").setLevel(logging.ERROR)
    table = tasks.load(task)
    asker = make(METHODS[method], table.space.to_dict(), table.metric, table.mode, budget, workers, seed, Path(scratch))
    run = simulate(table, asker, budget, workers, seed)
    return method, task, workers, budget, seed, [round(r, 7) for r in run.regret]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="./dev bench tabular", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="2 tasks × 2 seeds × 16 evaluations")
    parser.add_argument("--family", choices=("hpobench", "hpolib"), default="hpobench")
    parser.add_argument("--tasks", nargs="+", help="tasks of the family (default: all of them)")
    parser.add_argument("--methods", nargs="+", choices=sorted(METHODS), help="default: every method but the variants")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--budgets", type=int, nargs="+", default=[32, 100, 300])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--gp-budget", type=int, default=32, help="largest budget Optuna's GPSampler runs at")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
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


def jobs_of(args: argparse.Namespace, scratch: str) -> list[tuple[str, str, int, int, int, str]]:
    """Every run, the slow ones first so that the pool's last minutes are not one long job."""
    jobs = [
        (method, task, k, budget, seed, scratch)
        for budget in sorted(args.budgets, reverse=True)
        for k in args.workers
        for seed in range(args.first_seed, args.first_seed + args.seeds)
        for task in args.tasks
        for method in args.methods
        if not (method == "optuna-gp" and budget > args.gp_budget)
    ]
    return sorted(jobs, key=lambda j: j[0] != "optuna-gp")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # HyperOpt comes through Ray Tune: no usage report
    scratch = tempfile.mkdtemp(prefix="sweep-tabular-")
    jobs = jobs_of(args, scratch)
    start = time.time()
    curves: dict[int, dict[int, score.Curves]] = {}  # k → budget → method → task → curves
    print(f"tabular bench: {len(jobs)} runs on {args.cores} cores ({args.family}: {', '.join(args.tasks)})",
          file=sys.stderr, flush=True)  # fmt: skip
    try:
        pool = get_context("spawn").Pool(args.cores) if args.cores > 1 else None
        done = pool.imap_unordered(run_job, jobs) if pool is not None else map(run_job, jobs)
        with pool or contextlib.nullcontext():
            for i, (method, task, k, budget, _seed, regret) in enumerate(done, 1):
                curves.setdefault(k, {}).setdefault(budget, {}).setdefault(method, {}).setdefault(task, [])
                curves[k][budget][method][task].append(regret)
                if i % max(1, len(jobs) // 20) == 0 or i == len(jobs):
                    print(f"  {i}/{len(jobs)} runs, {time.time() - start:.0f} s", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result = report(args, curves, time.time() - start)
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


def report(args: argparse.Namespace, curves: dict[int, dict[int, score.Curves]], seconds: float) -> dict[str, Any]:
    """Prints the tables and the targets; returns the JSON record (settings, curves, summaries)."""
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
            print(f"  {method:<16}{ranks}{summary['median_speedup'][method]:>9.1f}×")
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
    return {
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "seconds": seconds,
        "summaries": summaries,
        "curves": {str(k): {str(b): c for b, c in per.items()} for k, per in curves.items()},
    }
