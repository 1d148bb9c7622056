"""``python -m bench.quality [--quick | --smoke]``: every method under the same wall-clock budget, over seeds.

Runs go interleaved (seed 0: A B C ..., seed 1: A B C ...) so a machine that slows down mid-bench slows every
method alike; each run is a fresh process on all the cores. Afterwards each run's winner is scored once on
the test split, and the bench prints a table (mean ± 95 % t-interval over seeds), evaluates the issue's
targets, and writes ``bench/results/quality-<stamp>.json`` with ``-time.png`` and ``-epochs.png`` beside it.

    full     5 seeds × 120 s per method (≈ 89 min on 2 cores; --method for fewer)
    --quick  3 seeds × 30 s per method (≈ 18 min)
    --smoke  1 seed, 4 trials of 3 epochs per method: every code path in seconds (the test suite runs it)
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import report
from bench.job import job_command, read_out
from bench.measure import environment, process_fields, run_process
from bench.quality import aggregate, plot, score, sweep_method, targets
from bench.quality.methods import METHODS, OPTUNA, RAY, SWEEP, Method
from bench.quality.modes import MODES, PRESETS, Mode
from bench.runners import sweep_cli
from search_spaces import load_spec

MODULES = {OPTUNA: "bench.runners.optuna_runner", RAY: "bench.runners.ray_tuned"}  # shared with the cost bench


def base_spec(mode: Mode, preset: str = PRESETS[0]) -> dict[str, Any]:
    """The preset's spec with the mode's epoch cap: what every method searches."""
    spec = load_spec(preset).to_dict()
    spec["space"]["epochs"] = mode.epochs
    if mode.rounds is not None:
        spec["rounds"] = mode.rounds
    return spec


def sweep_spec(method: Method, spec: dict[str, Any], mode: Mode) -> dict[str, Any]:
    """The spec a sweep method launches: the preset with the method's changes, its ``rounds`` option merged into
    the preset's ``rounds:``, and a sample count the budget ends first.

    Example:
        >>> v2 = next(m for m in METHODS if m.key == "sweep-v2")
        >>> sweep_spec(v2, {"rounds": 3}, MODES["full"])["rounds"]
        {'count': 3, 'model': 'none'}
    """
    out = {**spec, **method.options.get("spec", {}), "samples": mode.max_trials or sweep_method.LOTS}
    if "rounds" in method.options:  # an int `rounds:` is the count
        rounds = spec["rounds"] if isinstance(spec["rounds"], dict) else {"count": spec["rounds"]}
        out["rounds"] = {**rounds, **method.options["rounds"]}
    return out


def run_one(method: Method, seed: int, mode: Mode, spec: dict[str, Any], cores: int, scratch: Path) -> dict[str, Any]:
    """One method, one seed, in a fresh process; its trials, figures and the winner's test accuracy."""
    workdir = scratch / f"{method.key}-seed{seed}"
    workdir.mkdir(parents=True)
    record: dict[str, Any] = {"method": method.key, "seed": seed}
    launched_at = time.time()
    if method.runner == SWEEP:  # the preset, the method's changes, and a sample count the budget ends first
        record["spec"] = sweep_spec(method, spec, mode)
        flags = ["--seed", str(seed), *method.options.get("flags", []), "--time-budget", f"{mode.budget_s:g}s"]
        argv = sweep_cli.command(record["spec"], workdir, cores, *flags)
    else:  # the peer draws from the space, each config with the data and the epoch cap, until the deadline
        base = {"data": spec["data"], "trainable": spec["trainable"], "epochs": mode.epochs, "threads": 1,
                "checkpoint_every": 0}  # fmt: skip
        job = {"space": spec["space"], "base": base, "epochs": mode.epochs, "seed": seed, "cores": cores,
               "grace_period": spec["scheduler"]["grace_period"], "max_trials": mode.max_trials,
               "reduction_factor": spec["scheduler"]["reduction_factor"],
               "workdir": str(workdir / "ray"), "launched_at": launched_at, "deadline": launched_at + mode.budget_s,
               **method.options}  # fmt: skip
        argv, out = job_command(MODULES[method.runner], job, workdir)
    # A fresh local Ray for every run (RAY_ADDRESS=local: never a Ray kept up by `sweep up` or a test), on loopback
    stop = mode.budget_s + mode.grace_s
    proc = run_process(argv, workdir / "log.txt", environment(), started_at=launched_at, interrupt_after=stop)
    record.update(process_fields(proc))
    try:
        if method.runner == SWEEP:
            data = sweep_method.collect(workdir, launched_at)
        else:
            data = read_out(out, proc.returncode, proc.output_tail)  # reports as (t, epoch, dev_accuracy)
            data = {"trials": [{**t, "reports": [r[:3] for r in t["reports"]]} for t in data["trials"]]}
        record["trials_detail"] = data["trials"]
        record.update({k: v for k, v in data.items() if k != "trials"})
        record["figures"] = aggregate.run_figures(data["trials"], mode.budget_s)
        best = score.winner(data["trials"], mode.budget_s)
        record["winner"] = best
        trained = (best["config"], best["epochs"], spec["data"], spec["trainable"]) if best else None
        record["test_accuracy"] = score.score_on_test(*trained) if trained else None
        # A run that ended cleanly without a report inside the budget is a result (the user got no model),
        # not a failure: its figures stay empty, left out of the means, and the table says how many there were.
        record["ok"], record["found_model"] = True, best is not None
        if best is None:
            status = f", sweep status {data.get('sweep_status')}" if method.runner == SWEEP else ""
            record["note"] = f"no report within the budget (exit {proc.returncode}{status})"
    except Exception as err:  # noqa: BLE001 - one failed run is reported, the bench goes on
        record["ok"], record["error"] = False, str(err)[-2000:]
    return record


def curves(runs: list[dict[str, Any]], mode: Mode) -> dict[str, Any]:
    """Mean best-so-far curves and bands per method, against seconds and against epochs trained."""
    ok = [r for r in runs if r.get("ok")]
    times = np.linspace(0.0, mode.budget_s, 241)
    most = max((r["figures"]["epochs"] for r in ok), default=1)
    epochs = np.unique(np.linspace(1, max(most, 1), 240).round())
    by_time, by_epochs = {}, {}
    for key in dict.fromkeys(r["method"] for r in ok):
        mine = [r["trials_detail"] for r in ok if r["method"] == key]
        t_mean, t_half = aggregate.mean_band(np.array([aggregate.best_so_far(t, times) for t in mine]))
        e_mean, e_half = aggregate.mean_band(
            np.array([aggregate.best_by_epochs(t, mode.budget_s, epochs) for t in mine])
        )
        by_time[key] = {"mean": _list(t_mean), "ci95": _list(t_half)}
        by_epochs[key] = {"mean": _list(e_mean), "ci95": _list(e_half)}
    return {"time": {"x": times.tolist(), "methods": by_time}, "epochs": {"x": epochs.tolist(), "methods": by_epochs}}


def mark_times(runs: list[dict[str, Any]], lines: dict[str, Any]) -> dict[str, Any]:
    """Seconds each method's mean curve takes to reach 90 % of the best dev accuracy any run found."""
    finals = [r["figures"]["best_dev"]["100%"] for r in runs if r.get("ok") and r["figures"]["best_dev"]["100%"]]
    if not finals:
        return {"mark": None, "times": {}}
    mark = 0.9 * max(finals)
    x = lines["time"]["x"]
    times = {
        key: aggregate.first_reaching(x, np.array([np.nan if v is None else v for v in line["mean"]]), mark)
        for key, line in lines["time"]["methods"].items()
    }
    return {"mark": mark, "best_any": max(finals), "times": times}


def finish(result: dict[str, Any], runs: list[dict[str, Any]], mode: Mode, cores: int, out: Path) -> None:
    """Summarise `runs` into `result` (table, curves, targets), write it to `out` with its two PNGs, print it."""
    result["summary"] = aggregate.summarize(runs)
    result["curves"] = curves(runs, mode)
    result["mark_times"] = mark_times(runs, result["curves"])
    result["targets"] = targets.evaluate(result["summary"], result["mark_times"], mode.budget_s, runs)
    result["runs"] = runs
    labels, preset = result["methods"], result["preset"]
    result["plots"] = {
        "time": str(plot.plot_curves(result["curves"]["time"], labels, "wall-clock seconds since the run's start",
                                     f"{preset}: best dev accuracy vs time ({mode.name}, {cores} cores)",
                                     out.with_name(out.stem + "-time.png"))),
        "epochs": str(plot.plot_curves(result["curves"]["epochs"], labels, "epochs trained (all trials)",
                                       f"{preset}: best dev accuracy vs epochs trained ({mode.name})",
                                       out.with_name(out.stem + "-epochs.png"))),
    }  # fmt: skip
    title = (f"\n### {preset}, {mode.seeds} seed(s) × {mode.budget_s:g} s per method, {cores} cores "
             "(mean ± 95% t-interval over seeds)\n")  # fmt: skip
    report.publish(result, out, [title, report.table(result["summary"], COLUMNS, labels)])
    print(f"PNG: {result['plots']['time']}\nPNG: {result['plots']['epochs']}")


COLUMNS = (
    ("method", "method", "{}"), ("runs_shown", "runs", "{}"), ("best_dev_25%", "best dev @25%", "{:.4f}"),
    ("best_dev_50%", "best dev @50%", "{:.4f}"), ("best_dev_100%", "best dev @100%", "{:.4f}"),
    ("test_accuracy", "winner's test acc", "{:.4f}"), ("trials", "trials", "{:.0f}"), ("epochs", "epochs", "{:.0f}"),
    ("epoch_seconds", "s per epoch", "{:.3f}"),
)  # fmt: skip


def _list(values: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else round(float(v), 5) for v in values]


def main(argv: list[str] | None = None) -> int:
    parser = report.arguments("./dev bench quality", __doc__, "3 seeds × 30 s per method",
                              "every code path in seconds (the test suite)", stem="quality-")  # fmt: skip
    parser.add_argument("--seeds", type=int, help="search seeds per method (default: the mode's)")
    pool = "the first search seed (default 0): more seeds later, for `python -m bench.quality.pool`"
    parser.add_argument("--first-seed", type=int, default=0, help=pool)
    parser.add_argument("--budget", type=float, help="seconds per run (default: the mode's)")
    parser.add_argument("--method", action="append", help="run only these methods (repeatable)")
    parser.add_argument("--preset", default=PRESETS[0], choices=PRESETS, help="the preset whose space, trainable "
                        f"and schedule every method searches (default {PRESETS[0]})")  # fmt: skip
    args = parser.parse_args(argv)
    if args.first_seed < 0:
        parser.error(f"--first-seed must be 0 or more, got {args.first_seed}")
    if args.seeds is not None and args.seeds < 1:
        parser.error(f"--seeds must be 1 or more, got {args.seeds}")
    if args.budget is not None and not args.budget > 0:
        parser.error(f"--budget must be a number of seconds above 0, got {args.budget:g}")
    mode = MODES["smoke" if args.smoke else "quick" if args.quick else "full"]
    if args.seeds or args.budget:
        mode = dataclasses.replace(mode, seeds=args.seeds or mode.seeds, budget_s=args.budget or mode.budget_s)
    methods, notes = _available([m for m in METHODS if not args.method or m.key in args.method])
    spec = base_spec(mode, args.preset)
    from trainables import load_dataset

    load_dataset(spec["data"])  # generate and cache the data on disk now, so no run pays for that

    methods_shown = {m.key: m.label for m in methods}
    result = report.header(mode=mode.to_dict(), first_seed=args.first_seed, cores=args.cores, preset=args.preset,
                           spec=spec, methods=methods_shown, notes=notes)  # fmt: skip
    out = args.out or report.RESULTS / f"quality-{result['started_at']}.json"
    seeds = range(args.first_seed, args.first_seed + mode.seeds)
    runs = []
    with report.running(result, "sweep-quality-", args.keep) as scratch:
        sizing = f"{mode.name}: {mode.seeds} seed(s) ({seeds[0]}–{seeds[-1]}) × {mode.budget_s:g} s, {args.cores} cores"
        print(f"quality bench ({sizing}), scratch {scratch}", flush=True)
        for note in notes:
            print(f"note: {note}")
        for seed in seeds:
            for method in methods:
                record = run_one(method, seed, mode, spec, args.cores, scratch)
                runs.append(record)
                print(f"  seed {seed} {method.key}: {_status(record)}", flush=True)
    finish(result, runs, mode, args.cores, out)
    failed = [r for r in runs if not (r.get("ok") and r["found_model"])]
    return 1 if mode.name == "smoke" and failed else 0


def _status(record: dict[str, Any]) -> str:
    if not record.get("ok"):
        return f"FAILED: {record.get('error', '')[:300]}"
    if not record["found_model"]:
        return record["note"]
    f = record["figures"]
    return (f"best dev {f['best_dev']['100%']:.4f}, test {record['test_accuracy']:.4f}, {f['trials']} trials, "
            f"{f['epochs']} epochs, {record['wall']:.0f} s")  # fmt: skip


def _available(methods: list[Method]) -> tuple[list[Method], list[str]]:
    """The methods this environment can run (Optuna is the bench extra's), and a note for each one left out."""
    if importlib.util.find_spec("optuna") is not None:
        return methods, []
    left = [m.key for m in methods if m.runner == OPTUNA]
    notes = [f"{key} skipped: optuna is not installed (pip install -e '.[bench]')" for key in left]
    return [m for m in methods if m.key not in left], notes
