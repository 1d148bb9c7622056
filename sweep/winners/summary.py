"""The end of a sweep: the top trials, what each stage gained, and the winner's one test-split evaluation."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd

from search_spaces import SweepSpec
from sweep import events as E
from sweep.cluster.launcher import project_data
from sweep.run.sweep_run import RunOptions
from sweep.schedulers import get_scheduler
from sweep.store import schema as S
from sweep.store.layout import SweepDir
from sweep.store.ranking import best_of, is_better
from sweep.store.results import SweepResult, load
from sweep.winners.baseline import baseline_line
from sweep.winners.failures import TrialsFailed, failure_report, winner

TABLE_COLUMNS = [S.PLAN_ID, S.ROUND, S.STAGE, S.STATUS, S.RUNG, S.EPOCHS, S.BEST]


def top_table(result: SweepResult, k: int = 5) -> str:
    """The top-k trials as a text table: ids, status, metric, then the tuned hyperparameters."""
    top = result.top(k)
    if top.empty:
        return "(no finished trials)"
    trials = result.trials
    params = [n for n in result.param_names if n in trials.columns and trials[n].nunique() > 1]
    columns = [c for c in TABLE_COLUMNS if c in top.columns and not top[c].isna().all()] + params
    metric = f"best {result.metric}"
    shown = top[columns].rename(columns={S.BEST: metric})
    # The metric with 4 decimals, as every other line prints it (0.4380, not 0.438 beside 0.4374); the
    # hyperparameters with 4 significant digits (a learning rate of 0.0001234 keeps its digits).
    return shown.to_string(
        index=False, float_format=lambda v: f"{v:.4g}", formatters={metric: lambda v: f"{float(v):.4f}"}
    )


def stage_gains(result: SweepResult) -> list[str]:
    """One line per stage: the best metric after it and what it added to the stage before."""
    trials = result.trials
    if trials.empty or S.STAGE not in trials or trials[S.STAGE].isna().all():
        return []
    lines: list[str] = []
    best: float | None = None
    for stage, group in trials[trials[S.STATUS] != S.ERRORED].groupby(S.STAGE, sort=True):
        stage_best = best_of(pd.to_numeric(group[S.BEST], errors="coerce"), result.mode)
        if stage_best is None:
            continue
        cumulative = best if best is not None and is_better(best, stage_best, result.mode) else stage_best
        gain = "" if best is None or cumulative == best else f" (improves by {abs(cumulative - best):.4f})"
        lines.append(f"stage tier {int(stage)}: best {result.metric} {cumulative:.4f}{gain}")
        best = cumulative
    return lines


def prewarm(spec: SweepSpec) -> threading.Thread | None:
    """Imports torch and loads the data in a background thread while trials run.

    The winner's test evaluation runs in the driver at the end; without this its imports and data loading
    (seconds on a small machine) would come after the last trial instead of beside the first ones.
    """
    from trainables.registry import BUILTINS

    record = BUILTINS.get(spec.trainable)
    if record is None:
        return None

    def work() -> None:
        with contextlib.suppress(Exception):  # a bad dataset is reported by the trials themselves
            record.prewarm(spec.data)  # None: the built-in's own default dataset

    thread = threading.Thread(target=work, name="sweep-prewarm", daemon=True)
    thread.start()
    return thread


def evaluate_winner(spec: SweepSpec, result: SweepResult) -> dict[str, Any] | None:
    """Evaluates the best trial's model once on the test split.

    The model is the trial's final checkpoint when it is on this machine (as it was trained; under PBT the
    winner is a trained model, not a config), otherwise the best config retrained for the epochs it trained
    (deterministic: same seed, same split). Only the built-in trainables know their test split; a user
    trainable's winner is not evaluated here.
    """
    from trainables.registry import BUILTINS

    record = BUILTINS.get(spec.trainable)
    if record is None or result.trials.empty:
        return None
    best = result.best()
    state = _final_checkpoint(result, str(best[S.TRIAL_ID]))
    # A trial the time budget stopped is scored from its last checkpoint as it stands: retraining it would
    # spend the time the budget just ran out of.
    retrains = get_scheduler(spec.scheduler.type).retrains_winner  # not PBT's: its config changed as it trained
    as_it_stands = not retrains or best[S.STATUS] == S.STOPPED
    if state is not None and (as_it_stands or int(state.get("epoch", -1)) == int(best[S.EPOCHS])):
        config = _with_project_data(dict(state["config"]), result)
        return {"plan_id": best[S.PLAN_ID], "source": "checkpoint", **record.evaluate_checkpoint(config, state)}
    if not retrains:
        return None
    config = result.best_config()
    if spec.data is not None:
        config.setdefault("data", spec.data)
    config["epochs"] = int(best[S.EPOCHS])
    metrics = record.train_and_test(_with_project_data(config, result))
    kept = {k: v for k, v in metrics.items() if k.startswith("test_") or k == spec.metric}
    return {"plan_id": best[S.PLAN_ID], "source": "retrained", **kept}


def _with_project_data(config: dict[str, Any], result: SweepResult) -> dict[str, Any]:
    """A relative data file path means the user's project directory, not the driver's working directory."""
    if "data" in config:
        config["data"] = project_data(config["data"], Path(result.state.get("project_dir", ".")))
    return config


def _final_checkpoint(result: SweepResult, trial_id: str) -> dict[str, Any] | None:
    """The state in a trial's last checkpoint, or None when it is not on this machine or cannot be read (the
    winner is then retrained, as when its checkpoint is elsewhere)."""
    from trainables.checkpoint import load_state
    from trainables.errors import CheckpointError

    checkpoints = sorted((result.path / "ray").glob(f"*/*{trial_id}*/checkpoint_*"))  # ray/sweep, refine-N, round-N
    try:
        return load_state(checkpoints[-1]) if checkpoints else None
    except CheckpointError:
        return None


def finish(
    directory: SweepDir,
    spec: SweepSpec,
    options: RunOptions,
    phases: dict[str, float] | None = None,
    clock_start: float | None = None,
    observer: E.Observer | None = None,
) -> SweepResult:
    """Evaluates the winner on the test split, records the summary in sweep.json, and tells it to `observer`.

    `phases` (seconds of start-up and trials) gain the winner's scoring; with a time budget the summary says
    where the budget went.
    """
    scoring_started = time.time()
    result = load(directory.root)
    state = directory.state.read()
    summary: dict[str, Any] = {"trials": int(len(result.trials))}
    best = winner(result)  # None when every trial ended badly: no winner of NaN
    failure = failure_report(result, len(state.not_started)) if best is None else None
    if not result.trials.empty:
        summary["statuses"] = {k: int(v) for k, v in result.trials[S.STATUS].value_counts().items()}
        summary["train_seconds"] = float(pd.to_numeric(result.trials[S.TRAIN_SECONDS], errors="coerce").sum())
    if best is not None:
        summary["best"] = {"plan_id": best[S.PLAN_ID], "metric": float(best[S.BEST]),
                           "config": result.best_config()}  # fmt: skip
        if options.final_test:
            with E.timed(observer, "final_test"):
                test = evaluate_winner(spec, result)
            if test is not None:
                summary["test"] = test
    summary["wall_seconds"] = round(time.time() - state.started_at, 2)
    if phases is not None:
        summary["phases"] = {**phases, "summary": round(time.time() - scoring_started, 3)}
        if spec.time_budget is not None and clock_start is not None:
            summary["budget"] = {"seconds": spec.time_budget, "used": round(time.time() - clock_start, 2),
                                 "not_started": len(state.not_started)}  # fmt: skip
    if failure is not None:
        summary["failure"] = failure.to_dict()

    def record(state: Any) -> None:
        state.summary = summary
        if failure is not None:
            state.status = "failed"

    result.state = directory.state.update(record).to_dict()
    if "mlflow" in spec.tracking:
        from sweep.tracking import log_sweep_summary

        best = summary.get("best", {})
        test_accuracy = summary.get("test", {}).get("test_accuracy")
        outcome = {"status": state.status, "winner": best.get("plan_id"), "metric": spec.metric,
                   "best_metric": best.get("metric"), "test_accuracy": test_accuracy}  # fmt: skip
        log_sweep_summary(directory.root, spec.tracking_uri, outcome, experiment=spec.name)
    E.emit(observer, E.SweepSummary(result, None if failure is None else failure.text(), spec))
    if failure is not None:
        directory.sync()
        raise TrialsFailed(failure.error_line(), result)
    return result


def quiet_line(result: SweepResult) -> str:
    """What `--quiet` still says at the end: where the sweep is, its winner and the winner's test score."""
    summary = result.state.get("summary", {})
    best, test = summary.get("best"), summary.get("test")
    if summary.get("failure"):
        return f"{result.location}: {summary['failure']['reason']}"
    if not best:
        return f"{result.location}: no finished trials"
    line = f"{result.location}: winner {best['plan_id']} {result.metric} {best['metric']:.4f}"
    return line + (f", {_tested(test)}" if test else "")


def summary_text(result: SweepResult, top: int = 5) -> str:
    """The closing summary: statuses, the top trials, stage gains, the gain over the baseline, and the test
    evaluation."""
    summary = result.state.get("summary", {})
    lines = [f"\n{result.name}: {summary.get('trials', len(result.trials))} trials "
             f"({', '.join(f'{v} {k}' for k, v in summary.get('statuses', {}).items())})"]  # fmt: skip
    failure = summary.get("failure")
    if failure:  # no winner, so no table of NaN: what `show` prints (the run adds where the logs are)
        first = f"; the first: {failure['first']}" if failure.get("first") else ""
        lines.append(f"no winner: {failure.get('reason', '')}{first}")
        return "\n".join(lines)
    lines.append(top_table(result, top))
    lines += stage_gains(result)
    from sweep.run.warm_start import warm_start_line

    optional = (baseline_line(result), warm_start_line(result.path, result.trials, result.mode))
    lines += [line for line in optional if line]
    test = summary.get("test")
    if test:
        scored = _tested(test)
        where = " on the held-out test split" if scored.startswith("test_accuracy") else ""
        lines.append(f"winner {test['plan_id']}{where}: {scored}")
    budget = summary.get("budget")
    if budget:
        lines.append(budget_line(budget, summary.get("phases", {}), summary.get("statuses", {})))
    return "\n".join(lines)


def _tested(test: dict[str, Any]) -> str:
    """The winner's test score, or why there is none (a split without a test share scores NaN).

    Example:
        >>> _tested({"test_accuracy": 0.9712}), _tested({"test_accuracy": float("nan")})
        ('test_accuracy 0.9712', 'no test score (the split keeps no test share)')
    """
    from trainables.data import NO_TEST_SPLIT

    accuracy = float(test.get("test_accuracy", math.nan))
    return NO_TEST_SPLIT if math.isnan(accuracy) else f"test_accuracy {accuracy:.4f}"


def budget_line(budget: dict[str, Any], phases: dict[str, float], statuses: dict[str, int]) -> str:
    """Where a time budget went: start-up (Ray), trials, and the summary with the winner's test score.

    Example:
        >>> budget_line({"seconds": 60, "used": 59.2, "not_started": 3}, {"start": 6, "trials": 50, "summary": 2},
        ...             {"stopped": 2})
        'time budget 1:00: start 6s, trials 50s (2 stopped in flight, 3 planned not started), summary 2s; used 59s'
    """
    from sweep.events import format_seconds

    notes = [f"{statuses.get('stopped', 0)} stopped in flight"]
    if budget.get("not_started"):
        notes.append(f"{budget['not_started']} planned not started")
    return (
        f"time budget {format_seconds(budget['seconds'])}: start {format_seconds(phases.get('start', 0))}, "
        f"trials {format_seconds(phases.get('trials', 0))} ({', '.join(notes)}), "
        f"summary {format_seconds(phases.get('summary', 0))}; used {format_seconds(budget['used'])}"
    )
