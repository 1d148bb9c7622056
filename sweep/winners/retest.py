"""`sweep retest`: retrain a sweep's top configs with fresh seeds (and optionally new data) on Ray.

A sweep's ranking is one noisy draw per config: the winner may just have had a lucky initialisation.
Retraining the top K at full budget with N seeds never used before tells whether the ranking holds.
Each (config, seed) runs as one Ray task through the trainable's `train_and_test`, which also scores the
held-out test split once. Results are appended to DIR/retest.csv (one row per config per seed) and
DIR/retest_summary.csv (one row per config), both keyed by a `retest_id`, so earlier retests stay.

A user's own function trainable (``package.module:function``) is retested too: each (config, seed) runs as
one trial of a minimal Tune run (:mod:`sweep.run.one_trial`), the fresh seed reaching it as the config key
``seed``. Its last reported epoch gives the metric; it has no test split of ours, so ``test_accuracy`` is
empty unless the trainable reports one itself.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from search_spaces import SweepSpec, parse_spec
from search_spaces.errors import SweepError
from sweep.store import schema as S
from sweep.store.layout import SweepDir
from sweep.store.results import SweepResult, read
from sweep.store.tables import CsvAppender, read_table

FIRST_SEED = 1000  # retest seeds start here, clear of the small seeds sweeps and specs use
ROW_KEYS = ["retest_id", S.PLAN_ID, "original_rank", "original_metric", "seed", "data", "epochs"]
SUMMARY_KEYS = ["retest_id", S.PLAN_ID, "metric", "mean", "std", "n", "original_rank", "new_rank"]


@dataclass
class RetestResult:
    """One retest: its rows, its per-config summary, and whether the original ranking held.

    Attributes:
        retest_id: the id shared by this retest's rows in retest.csv and retest_summary.csv.
        rows: one row per config per seed.
        summary: one row per config: mean, std and n of the metric, original and new rank, test accuracy.
        spearman: rank correlation between the original ranking and the retest means (NaN below 2 configs).
        holds: whether the sweep's best config is still best on the retest mean.
        metric, mode: the sweep's metric and direction.
    """

    retest_id: str
    rows: pd.DataFrame
    summary: pd.DataFrame
    spearman: float
    holds: bool
    metric: str
    mode: str

    def winner(self) -> pd.Series:
        """The summary row of the config with the best retest mean."""
        return self.summary.sort_values("new_rank", kind="stable").iloc[0]

    def text(self) -> str:
        """The terminal report."""
        shown = self.summary[
            [
                S.PLAN_ID,
                "original_rank",
                "new_rank",
                "original_metric",
                "mean",
                "std",
                "n",
                "test_accuracy_mean",
            ]
        ]
        lines = [
            f"retest {self.retest_id}: {self.metric} ({self.mode}) at full budget, last epoch",
            shown.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        ]
        rho = "n/a (fewer than 2 configs)" if math.isnan(self.spearman) else f"{self.spearman:+.2f}"
        verdict = "ranking holds: the top-1 config stays top-1" if self.holds else "ranking changed: a new top-1"
        lines.append(f"Spearman rank correlation, original vs retest mean: {rho}; {verdict}")
        best = self.winner()
        if math.isnan(float(best["test_accuracy_mean"])):
            test = "no test_accuracy (the trainable reports none)"
        else:
            test = f"test_accuracy {best['test_accuracy_mean']:.4f} ± {_nan0(best['test_accuracy_std']):.4f}"
        lines.append(f"winner on mean {self.metric}: {best[S.PLAN_ID]}, {test} over {int(best['n'])} seed(s)")
        return "\n".join(lines)


def retest(
    path: str | Path,
    top: int = 3,
    seeds: int = 3,
    data: str | None = None,
    address: str | None = None,
    cpus: int | None = None,
    quiet: bool = True,
) -> RetestResult:
    """Retrains the sweep's top `top` configs with `seeds` fresh seeds each, in parallel on Ray.

    Args:
        path: a sweep directory.
        top: how many of the best configs (errored and diverged trials excluded) to retrain.
        seeds: fresh seeds per config (FIRST_SEED upward, skipping any seed used before in this sweep).
        data: train on this dataset instead (a name or a CSV/Parquet/NPZ path); None keeps the config's.
        address, cpus: Ray to use, as for `sweep launch` (an initialised Ray in this process is joined).
        quiet: no per-task progress lines.

    Example:
        >>> from sweep.winners.retest import retest
        >>> print(retest("sweeps/digits-momentum-20261122-120000", top=3, seeds=5).text())  # doctest: +SKIP
    """
    if top < 1 or seeds < 1:
        raise SweepError(f"--top and --seeds must be at least 1, got {top} and {seeds}")
    directory = SweepDir.open(path)
    result = read(directory)
    spec = parse_spec(yaml.safe_load(directory.spec_yaml.read_text()), str(directory.spec_yaml))
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
        for seed in fresh:
            jobs.append(
                (
                    {**config, "seed": seed},
                    {
                        "retest_id": retest_id,
                        S.PLAN_ID: row[S.PLAN_ID],
                        "original_rank": rank,
                        "original_metric": float(row[S.BEST]),
                        "seed": seed,
                        "data": str(config.get("data", default_data)),
                        "epochs": config.get("epochs"),
                    },
                )
            )
    if builtin:
        rows = pd.DataFrame(_run_on_ray(jobs, spec, address, cpus, quiet))
    else:
        project = Path(result.state.get("project_dir") or Path.cwd())
        rows = pd.DataFrame(_run_user_trainable(jobs, spec, project, address, cpus))
    summary = summarise(rows, result.metric, result.mode)
    CsvAppender(directory.retest_csv, ROW_KEYS).append(rows.to_dict("records"))
    CsvAppender(directory.retest_summary_csv, SUMMARY_KEYS).append(summary.to_dict("records"))
    directory.sync()  # a sweep stored at a URI gets its retest rows there too
    spearman = _spearman(summary)
    holds = bool((summary.loc[summary["original_rank"] == 1, "new_rank"] == 1).any())
    return RetestResult(retest_id, rows, summary, spearman, holds, result.metric, result.mode)


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


def _candidates(result: SweepResult, top: int) -> pd.DataFrame:
    ranked = result.ranked()
    if ranked.empty:
        raise SweepError(f"sweep {result.path} has no finished trials to retest")
    ok = ranked[~ranked[S.STATUS].isin([S.ERRORED, S.DIVERGED])]
    ok = ok[pd.to_numeric(ok[S.BEST], errors="coerce").map(math.isfinite)]
    if ok.empty:
        raise SweepError(f"sweep {result.path}: every trial errored or diverged; nothing to retest")
    return ok.head(top)


def _config(row: pd.Series, spec: SweepSpec) -> dict[str, Any]:
    """The config the trial ran: every config column of its row (trials.csv records them all)."""
    config = {
        key: value.item() if hasattr(value, "item") else value
        for key, value in row.items()
        if key not in S.TRIAL_COLUMNS and not (isinstance(value, float) and math.isnan(value))
    }
    if spec.data is not None:
        config.setdefault("data", spec.data)
    return config


def _fresh_seeds(result: SweepResult, count: int) -> list[int]:
    """`count` seeds from FIRST_SEED up that no trial and no earlier retest of this sweep used."""
    used: set[int] = set()
    for table in (result.trials, read_table(SweepDir(result.path).retest_csv)):
        if "seed" in table:
            used |= {int(s) for s in pd.to_numeric(table["seed"], errors="coerce").dropna()}
    seeds: list[int] = []
    candidate = FIRST_SEED
    while len(seeds) < count:
        if candidate not in used:
            seeds.append(candidate)
        candidate += 1
    return seeds


def _run_on_ray(
    jobs: list[tuple[dict[str, Any], dict[str, Any]]],
    spec: SweepSpec,
    address: str | None,
    cpus: int | None,
    quiet: bool,
) -> list[dict[str, Any]]:
    """One Ray task per job, each with the spec's per-trial resources; rows come back in job order."""
    from sweep.cluster.local import connect, disconnect

    connection = connect(address, cpus, dashboard=False)  # sets Ray's environment before Ray is imported
    import ray

    try:
        task = ray.remote(num_cpus=spec.resources.cpu, num_gpus=spec.resources.gpu)(train_one)
        refs = [task.remote(spec.trainable, config, spec.resources.cpu, spec.resources.gpu) for config, _ in jobs]
        pending, done = list(refs), 0
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            done += len(ready)
            if not quiet:
                print(f"retest: {done}/{len(refs)} runs done", flush=True)
        rows = []
        for (_, keys), ref in zip(jobs, refs, strict=True):
            try:
                metrics = ray.get(ref)
            except Exception as err:  # one failed run is a row with its error, not a lost retest
                metrics = {"error": str(err).strip().splitlines()[-1] if str(err).strip() else repr(err)}
            rows.append({**keys, **_keep(metrics, spec.metric)})
        return rows
    finally:
        disconnect(connection)


def _run_user_trainable(
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


def _keep(metrics: dict[str, Any], metric: str) -> dict[str, Any]:
    keys = [
        metric,
        "dev_accuracy",
        "dev_loss",
        "test_accuracy",
        "test_loss",
        "stopped_epoch",
        "diverged",
        "train_seconds",
        "error",
    ]
    return {key: metrics.get(key) for key in dict.fromkeys(keys)}


def summarise(rows: pd.DataFrame, metric: str, mode: str) -> pd.DataFrame:
    """Per config: mean, std and n of the metric over seeds, test accuracy, original and new rank."""
    values = rows.assign(
        **{
            metric: pd.to_numeric(rows[metric], errors="coerce"),
            "test_accuracy": pd.to_numeric(rows["test_accuracy"], errors="coerce"),
        }
    )
    group = values.groupby(S.PLAN_ID, sort=False)
    summary = pd.DataFrame(
        {
            "retest_id": group["retest_id"].first(),
            "metric": metric,
            "mean": group[metric].mean(),
            "std": group[metric].std(),
            "n": group[metric].count(),
            "original_rank": group["original_rank"].first(),
            "original_metric": group["original_metric"].first(),
            "test_accuracy_mean": group["test_accuracy"].mean(),
            "test_accuracy_std": group["test_accuracy"].std(),
            "data": group["data"].first(),
        }
    ).reset_index()
    # A config whose every run failed has no mean; it ranks last.
    summary["new_rank"] = summary["mean"].rank(ascending=mode == "min", method="min", na_option="bottom").astype(int)
    return summary.sort_values("original_rank", kind="stable").reset_index(drop=True)


def _spearman(summary: pd.DataFrame) -> float:
    if len(summary) < 2:
        return math.nan
    return round(float(summary["original_rank"].corr(summary["new_rank"], method="spearman")), 12)


def _nan0(value: float) -> float:
    return 0.0 if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
