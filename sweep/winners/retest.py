"""`sweep retest`: retrain a sweep's top configs with fresh seeds (and optionally new data) on Ray.

A sweep's ranking is one noisy draw per config: the winner may just have had a lucky initialisation.
Retraining the top K at full budget with N seeds never used before tells whether the ranking holds.
This module picks the configs and the seeds, runs each (config, seed) as one job at full budget on Ray, and
records the outcome, summarised by :mod:`sweep.winners.retest_result`. A built-in trainable runs as one Ray task
per job through its `train_and_test`, which also scores the held-out test split once. A user's own function
trainable (``package.module:function``) runs each job as one trial of a minimal Tune run
(:mod:`sweep.run.one_trial`), the fresh seed reaching it as the config key ``seed``; its last reported epoch gives
the metric, and it has no test split of ours, so ``test_accuracy`` is empty unless it reports one itself. Results are
appended to DIR/retest.csv (one row per config per seed) and DIR/retest_summary.csv (one row per config), both
keyed by a `retest_id`, so earlier retests stay.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from search_spaces import SweepSpec
from sweep import events as E
from sweep.run.sweep_plan import missing, plain
from sweep.store import schema as S
from sweep.store.csv_appender import CsvAppender
from sweep.store.damage import check_sweep_dir
from sweep.store.layout import SweepDir
from sweep.store.results import SweepResult, read
from sweep.store.tables import read_table
from sweep.winners.retest_result import RetestResult, spearman, summarise
from sweep_errors import SweepError

FIRST_SEED = 1000  # retest seeds start here, clear of the small seeds sweeps and specs use
ROW_KEYS = ["retest_id", S.PLAN_ID, "original_rank", "original_metric", "seed", "data", "epochs"]
SUMMARY_KEYS = ["retest_id", S.PLAN_ID, "metric", "mean", "std", "n", "original_rank", "new_rank"]


class RetestFailed(SweepError):
    """Every run of a retest failed; each run's row, with its error, is in retest.csv."""

    exit_code = 1  # the run failed; the command line was fine


def retest(
    path: str | Path,
    top: int = 3,
    seeds: int = 3,
    data: str | None = None,
    address: str | None = None,
    cpus: int | None = None,
    observer: E.Observer | None = None,
) -> RetestResult:
    """Retrains the sweep's top `top` configs with `seeds` fresh seeds each, in parallel on Ray.

    Args:
        path: a sweep directory.
        top: how many of the best configs (errored and diverged trials excluded) to retrain.
        seeds: fresh seeds per config (FIRST_SEED upward, skipping any seed used before in this sweep).
        data: train on this dataset instead (a name or a CSV/Parquet/NPZ path); None keeps the config's.
        address, cpus: Ray to use, as for `sweep launch` (an initialised Ray in this process is joined).
        observer: told how many runs are done (:class:`~sweep.events.RetestProgress`); nothing is printed.

    Example:
        >>> from sweep.winners.retest import retest
        >>> print(retest("sweeps/digits-momentum-20261122-120000", top=3, seeds=5).text())  # doctest: +SKIP
    """
    observer = E.guarded(observer)  # a caller's observer that raises is warned about, not fatal
    if top < 1 or seeds < 1:
        raise SweepError(f"--top and --seeds must be at least 1, got {top} and {seeds}")
    directory = SweepDir.open(path)
    check_sweep_dir(directory)  # a damaged file is refused in one line before Ray starts
    result = read(directory)
    spec = directory.read_spec()
    from trainables.registry import BUILTINS

    record = BUILTINS.get(spec.trainable)
    builtin = record is not None
    default_data = record.default_data if record is not None else ""  # a user's trainable reads its own
    data = _checked_data(data)
    candidates = _candidates(result, top)
    fresh = _fresh_seeds(result, seeds)
    retest_id = time.strftime("%Y%m%d-%H%M%S")
    jobs = []
    for rank, (_, row) in enumerate(candidates.iterrows(), start=1):
        config = _config(row, spec)
        if data is not None:
            config["data"] = data
        original = {"retest_id": retest_id, S.PLAN_ID: row[S.PLAN_ID], "original_rank": rank}
        trained = {"data": str(config.get("data", default_data)), "epochs": config.get("epochs")}
        keys = {**original, "original_metric": _last_reading(row)}
        jobs += [({**config, "seed": seed}, {**keys, "seed": seed, **trained}) for seed in fresh]
    if builtin and data is not None:  # what every run would fail on, said once before Ray starts
        _check_new_data(data, [config for config, _ in jobs], spec.trainable)
    appender = CsvAppender(directory.retest_csv, ROW_KEYS)
    if builtin:  # each run's row is on disk as soon as it ends: a killed retest keeps its finished runs
        rows = pd.DataFrame(run_on_ray(jobs, spec, address, cpus, observer, on_row=lambda row: appender.append([row])))
    else:
        project = Path(result.state.get("project_dir") or Path.cwd())
        rows = pd.DataFrame(run_user_trainable(jobs, spec, project, address, cpus))
        appender.append(rows.to_dict("records"))
    summary = summarise(rows, result.metric, result.mode)
    CsvAppender(directory.retest_summary_csv, SUMMARY_KEYS).append(summary.to_dict("records"))
    directory.sync()  # a sweep stored at a URI gets its retest rows there too
    rho = spearman(summary)
    holds = bool((summary.loc[summary["original_rank"] == 1, "new_rank"] == 1).any())
    return RetestResult(retest_id, rows, summary, rho, holds, result.metric, result.mode)


def _checked_data(data: str | None) -> str | None:
    """A data path made absolute (Ray workers may run elsewhere); a missing file fails before Ray starts."""
    from trainables.data import BUILTINS

    if data is None or data.split(":")[0] in BUILTINS:
        return data
    path = Path(data).expanduser()
    if not path.is_file():
        raise SweepError(
            f"--data {data!r}: not found: give a CSV/Parquet/NPZ file or a built-in ({', '.join(BUILTINS)})"
        )
    return str(path.resolve())


def _check_new_data(data: str, configs: list[dict[str, Any]], trainable: str) -> None:
    """`--data` as each retrained config would load it (its label, split and split seed): the launch's data check.

    Example:
        >>> _check_new_data("spirals:n=abc", [{}], "mlp")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        trainables.errors.DataError: data 'spirals:n=abc': bad option 'n=abc' ...
    """
    from sweep.checks.data import check_data
    from trainables.registry import declaration

    defaults = declaration(trainable).defaults
    cases = {(str(c.get("label", defaults["label"])), str(c.get("split", defaults["split"])),
              int(c.get("split_seed", defaults["split_seed"]))): c for c in configs}  # fmt: skip
    for config in cases.values():
        check_data(data, Path.cwd(), label=config.get("label", defaults["label"]),
                   split=config.get("split", defaults["split"]),
                   split_seed=config.get("split_seed", defaults["split_seed"]))  # fmt: skip


def _candidates(result: SweepResult, top: int) -> pd.DataFrame:
    ranked = result.ranked()
    if ranked.empty:
        raise SweepError(f"sweep {result.path} has no finished trials to retest")
    ok = ranked[~ranked[S.STATUS].isin([S.ERRORED, S.DIVERGED])]
    ok = ok[pd.to_numeric(ok[S.BEST], errors="coerce").map(math.isfinite)]
    if ok.empty:
        raise SweepError(f"sweep {result.path}: every trial errored or diverged; nothing to retest")
    return ok.head(top)


def _last_reading(row: pd.Series) -> float:
    """The original trial's metric at its last epoch: the statistic a retest run gives (its last epoch), so the
    two sides compare like with like (a best epoch is a maximum over noisy readings, optimistic by selection)."""
    last = pd.to_numeric(row.get(S.LAST), errors="coerce")
    return float(last) if pd.notna(last) else float(row[S.BEST])  # a table from before last_metric


def _config(row: pd.Series, spec: SweepSpec) -> dict[str, Any]:
    """The config the trial ran: every config column of its row (trials.csv records them all)."""
    config = {key: plain(value) for key, value in row.items() if key not in S.TRIAL_COLUMNS and not missing(value)}
    if spec.data is not None:
        config.setdefault("data", spec.data)
    return config


def _fresh_seeds(result: SweepResult, count: int) -> list[int]:
    """`count` seeds from FIRST_SEED up that no trial and no earlier retest of this sweep used."""
    used: set[int] = set()
    for table in (result.trials, read_table(SweepDir(result.path).retest_csv)):
        if "seed" in table:
            used |= {int(s) for s in pd.to_numeric(table["seed"], errors="coerce").dropna()}
    return list(itertools.islice((seed for seed in itertools.count(FIRST_SEED) if seed not in used), count))


# --- running the jobs: one result row per job -----------------------------------------------------------------
def run_on_ray(
    jobs: list[tuple[dict[str, Any], dict[str, Any]]],
    spec: SweepSpec,
    address: str | None,
    cpus: int | None,
    observer: E.Observer | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """One Ray task per job, each with the spec's per-trial resources; rows come back in job order, and each
    goes to `on_row` as soon as its run ends (so a killed retest keeps the runs that finished); `observer` is
    told how many are done."""
    from sweep.cluster.local import connect, disconnect

    connection = connect(address, cpus, dashboard=False)  # sets Ray's environment before Ray is imported
    import ray

    try:
        task = ray.remote(num_cpus=spec.resources.cpu, num_gpus=spec.resources.gpu)(train_one)
        refs = [task.remote(spec.trainable, config, spec.resources.cpu, spec.resources.gpu) for config, _ in jobs]
        rows: dict[int, dict[str, Any]] = {}
        index = {ref: i for i, ref in enumerate(refs)}
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                try:
                    metrics = ray.get(ref)
                except Exception as err:  # one failed run is a row with its error, not a lost retest
                    metrics = {"error": str(err).strip().splitlines()[-1] if str(err).strip() else repr(err)}
                row = rows[index[ref]] = {**jobs[index[ref]][1], **_keep(metrics, spec.metric)}
                if on_row is not None:
                    on_row(row)
            E.emit(observer, E.RetestProgress(len(rows), len(refs)))
        return [rows[i] for i in range(len(refs))]
    finally:
        disconnect(connection)


def run_user_trainable(
    jobs: list[tuple[dict[str, Any], dict[str, Any]]],
    spec: SweepSpec,
    project: Path,
    address: str | None,
    cpus: int | None,
) -> list[dict[str, Any]]:
    """Every job as one trial of a minimal Tune run; a row from each one's last reported epoch."""
    from sweep.run.one_trial import run_configs

    histories = run_configs(
        spec.trainable,
        [config for config, _ in jobs],
        cpus_per_trial=spec.resources.cpu,
        gpus_per_trial=spec.resources.gpu,
        address=address,
        cpus=cpus,
        project=project,
    )
    rows = []
    for (_, keys), history in zip(jobs, histories, strict=True):
        last = dict(history[-1])
        last.setdefault("stopped_epoch", int(last.get("epoch", len(history))))
        last.setdefault("test_accuracy", math.nan)  # no test split of ours: only what the trainable reports
        rows.append({**keys, **_keep(last, spec.metric)})
    return rows


def train_one(trainable: str, config: dict[str, Any], cpus: float, gpus: float) -> dict[str, Any]:
    """Runs in a Ray task: trains one config to its full epochs, then scores the test split once."""
    import torch

    from trainables.registry import builtin

    if config.get("threads") is None:  # use the task's CPU share, not every core of the node
        torch.set_num_threads(max(1, int(cpus)))
    device = "cuda" if gpus > 0 and torch.cuda.is_available() else "cpu"
    return builtin(trainable).train_and_test(config, device=device)  # a built-in: checked on the driver


KEPT = ("dev_accuracy", "dev_loss", "test_accuracy", "test_loss", "stopped_epoch", "diverged", "train_seconds", "error")


def _keep(metrics: dict[str, Any], metric: str) -> dict[str, Any]:
    """A run's row: the sweep's metric first, then what every retest row holds."""
    return {key: metrics.get(key) for key in dict.fromkeys([metric, *KEPT])}
