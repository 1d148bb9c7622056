"""`sweep analyze` on synthetic sweep directories: importance, best regions, plots and the HTML report.

The directories are written by hand (no Ray): ~40 trials over two rounds whose metric depends strongly
on log10(lr), weakly on momentum, and not at all on `noise`, so the importance ranking is known.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
import yaml

import sweep
from sweep.analysis import analyze, infer_param
from sweep.analysis.param_plots import beta_label
from sweep.store import schema as S
from sweep_errors import SweepError
from tests.conftest import invoke_cli, run_cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ROUND_SPACES = {
    1: {
        "lr": {"loguniform": [1e-4, 1.0]},
        "momentum": {"beta": [0.5, 0.999]},
        "noise": {"uniform": [0.0, 1.0]},
        "batch_size": {"pow2": [16, 256]},
        "optimizer": {"choice": ["sgd", "adam"]},
        "epochs": 8,
    },
    2: {
        "lr": {"loguniform": [3e-3, 0.1]},
        "momentum": {"beta": [0.8, 0.999]},
        "noise": {"uniform": [0.0, 1.0]},
        "batch_size": {"pow2": [16, 256]},
        "optimizer": {"choice": ["sgd", "adam"]},
        "epochs": 8,
    },
}


def objective(lr: float, momentum: float) -> float:
    """Peaks at lr = 1e-2; a little better with momentum near 0.99; `noise` plays no part."""
    return 0.95 - 0.12 * (math.log10(lr) + 2.0) ** 2 - 0.01 * (math.log10(1 - momentum) + 2.0) ** 2


def write_sweep(root, per_round: int = 20, seed: int = 0, diverged: int = 1) -> None:
    """A finished two-round ASHA sweep on disk: sweep.json, spec.yaml, rounds/, trials.csv, history.csv."""
    rng = np.random.default_rng(seed)
    (root / "rounds").mkdir(parents=True)
    trials, history = [], []
    for number, space in ROUND_SPACES.items():
        (root / "rounds" / f"round-{number}.yaml").write_text(yaml.safe_dump(space, sort_keys=False))
        lo, hi = np.log10(space["lr"]["loguniform"])
        mlo, mhi = np.log10(1 - np.array(space["momentum"]["beta"][::-1]))
        for index in range(per_round):
            lr, momentum = 10 ** rng.uniform(lo, hi), 1 - 10 ** rng.uniform(mlo, mhi)
            value = objective(lr, momentum) + rng.normal(0, 0.005)
            epochs = 8 if index % 3 else int(rng.choice([1, 2, 4]))
            status = S.COMPLETED if epochs == 8 else S.PRUNED
            plan_id = f"r{number}-{index:03d}"
            if number == 1 and index < diverged:
                lr, status, value, epochs = 0.9, S.DIVERGED, -math.inf, 2
            trials.append(
                {
                    S.PLAN_ID: plan_id,
                    S.TRIAL_ID: f"t{number}{index}",
                    S.ROUND: number,
                    S.STAGE: None,
                    S.STATUS: status,
                    S.RUNG: epochs,
                    S.EPOCHS: epochs,
                    S.TRAIN_SECONDS: 0.1,
                    S.BEST: value,
                    S.LAST: value,
                    S.ERROR: None,
                    "lr": lr,
                    "momentum": momentum,
                    "noise": rng.uniform(0, 1),
                    "batch_size": int(rng.choice([16, 32, 64, 128, 256])),
                    "optimizer": str(rng.choice(["sgd", "adam"])),
                    "epochs": 8,
                }
            )
            for epoch in range(1, epochs + 1):
                reached = value if math.isfinite(value) else math.nan
                history.append(
                    {
                        S.PLAN_ID: plan_id,
                        S.TRIAL_ID: f"t{number}{index}",
                        S.ROUND: number,
                        S.EPOCH: epoch,
                        S.WALL: epoch * 0.1,
                        "dev_accuracy": reached * (1 - 0.5 / epoch),
                        "dev_loss": 1.0 / epoch,
                        "grad_ratio": 10.0**-epoch if status == S.DIVERGED else 0.5,
                        "update_ratio_first": 1e-3,
                        "update_ratio_last": 2e-3,
                    }
                )
    pd.DataFrame(trials).to_csv(root / "trials.csv", index=False)
    pd.DataFrame(history).to_csv(root / "history.csv", index=False)
    state = {
        "name": "synthetic",
        "status": "completed",
        "metric": "dev_accuracy",
        "mode": "max",
        "params": ["lr", "momentum", "noise", "batch_size", "optimizer", "epochs"],
        "started_at": 0,
        "rounds": [{"number": 1}, {"number": 2}],
        "round_status": {"1": "done", "2": "done"},
    }
    (root / "sweep.json").write_text(json.dumps(state))
    (root / "spec.yaml").write_text(yaml.safe_dump({"name": "synthetic", "space": ROUND_SPACES[1]}))


@pytest.fixture
def sweep_dir(tmp_path):
    root = tmp_path / "synthetic-20261122-120000"
    write_sweep(root)
    return root


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """One analysis of one synthetic sweep, shared: fitting and plotting is the slow part."""
    root = tmp_path_factory.mktemp("analyze") / "synthetic-20261122-120000"
    write_sweep(root)
    return analyze(root)


def _assert_report(report, plots_dir, expected_pngs):
    pngs = sorted(p.name for p in plots_dir.glob("*.png"))
    assert set(expected_pngs) <= set(pngs), pngs
    for name in pngs:
        assert (plots_dir / name).read_bytes()[:8] == PNG_MAGIC
    text = report.read_text()
    assert text.count("data:image/png;base64,") == len(pngs)
    # Self-contained: nothing is fetched from anywhere when the file is opened.
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", text, re.I)
    assert "<script" not in text and "<link" not in text


def test_importance_ranks_the_parameter_the_metric_depends_on_first(analysed):
    analysis = analysed

    ordered = [name for name, _ in analysis.importance.ordered()]
    assert ordered[0] == "lr" and ordered[-1] in ("noise", "optimizer", "batch_size")
    scores = analysis.importance.scores
    assert sum(scores.values()) == pytest.approx(1.0)
    assert scores["lr"] > 0.6 and scores["noise"] < 0.05
    assert set(scores) == {"lr", "momentum", "noise", "batch_size", "optimizer"}  # epochs never varied
    assert analysis.importance.r2 > 0.5 and analysis.importance.trials == 40
    assert "random-forest permutation importance on 40 trials" in analysis.importance.method
    assert any("diverged" in note for note in analysis.importance.notes)
    # The best quarter of the trials sits around lr = 1e-2, reported in real values.
    low, high, count = analysis.regions["lr"]
    assert count == 10 and 1e-3 < low <= high < 0.1
    assert "optimizer" not in analysis.regions  # categorical: no range


def test_plots_and_a_self_contained_report(analysed):
    analysis, sweep_dir = analysed, analysed.result.report_path.parent

    assert analysis.report == sweep_dir / "report.html"
    _assert_report(
        analysis.report,
        sweep_dir / "plots",
        [
            "metric-vs-lr.png",
            "metric-vs-momentum.png",
            "metric-vs-noise.png",
            "metric-vs-batch_size.png",
            "metric-vs-optimizer.png",
            "learning-curves.png",
            "gradient-curves.png",
            "rungs.png",
            "parallel-coordinates.png",
            "importance.png",
        ],
    )
    assert "random-forest permutation importance" in analysis.report.read_text()


def test_beta_axis_is_labelled_in_beta():
    assert [beta_label(x) for x in (0.1, 0.01, 0.001, 0.05, 0.02)] == ["0.9", "0.99", "0.999", "0.95", "0.98"]


def test_cli_names_the_method_and_writes_the_report(sweep_dir):
    proc = invoke_cli("analyze", str(sweep_dir), "--top", "3", timeout=120)

    assert proc.returncode == 0, proc.stderr
    assert "random-forest permutation importance on 40 trials" in proc.stdout
    assert "best region" in proc.stdout and "lr" in proc.stdout
    assert (sweep_dir / "report.html").is_file()


def test_from_an_exported_csv(sweep_dir, tmp_path):
    exported = tmp_path / "results.csv"
    proc = invoke_cli("export", str(sweep_dir), "-o", str(exported), timeout=120)
    assert proc.returncode == 0, proc.stderr

    table = sweep.load(exported)
    assert table.params["lr"].scale == "loguniform" and table.params["noise"].scale == "uniform"
    assert table.params["optimizer"].scale == "choice" and table.mode == "max" and table.rounds == {}
    analysis = analyze(exported)
    assert analysis.importance.ordered()[0][0] == "lr"
    assert analysis.report == tmp_path / "results-report.html"
    _assert_report(analysis.report, tmp_path / "results-plots", ["metric-vs-lr.png", "rungs.png"])
    assert not (tmp_path / "results-plots" / "learning-curves.png").exists()  # no history given


@pytest.mark.parametrize("mode", ["max", "min"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_directory_and_its_export_are_one_result_type_with_one_ranking(sweep_dir, tmp_path, mode, suffix):
    if mode == "min":  # the same sweep as a loss: lower is better, the diverged trial's -inf becomes +inf
        trials = pd.read_csv(sweep_dir / "trials.csv")
        trials[S.BEST] = 1 - trials[S.BEST]
        trials.to_csv(sweep_dir / "trials.csv", index=False)
        state = json.loads((sweep_dir / "sweep.json").read_text())
        (sweep_dir / "sweep.json").write_text(json.dumps({**state, "mode": "min"}))
    exported = tmp_path / f"all{suffix}"
    assert invoke_cli("export", str(sweep_dir), "-o", str(exported)).returncode == 0

    directory, table = sweep.load(sweep_dir), sweep.load(exported)
    assert type(directory) is type(table) is sweep.SweepResult
    assert (directory.exported, table.exported, table.mode, table.status) == (False, True, mode, "exported")
    for usable in (False, True):
        assert list(table.ranked(usable)[S.PLAN_ID]) == list(directory.ranked(usable)[S.PLAN_ID])
    assert len(directory.ranked(usable=True)) == len(directory.trials) - 1  # the diverged trial's metric is ±inf
    assert table.best_config() == directory.best_config()
    assert table.name == "all" and table.report_path == tmp_path / "all-report.html"


def test_few_trials_skip_importance_with_a_note(tmp_path):
    root = tmp_path / "small"
    write_sweep(root, per_round=1, diverged=0)

    analysis = analyze(root)
    assert analysis.importance.scores == {}
    assert "skipped" in analysis.importance.method and "2 finished" in analysis.importance.method
    assert (root / "report.html").is_file()


def test_missing_path_is_one_line_error(tmp_path):
    with pytest.raises(SweepError, match="not found"):
        sweep.load(tmp_path / "nope")
    proc = run_cli("analyze", str(tmp_path / "nope"), timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1


def test_scale_inference():
    assert infer_param("lr", pd.Series([1e-4, 0.2, 3e-3])).scale == "loguniform"
    assert infer_param("units", pd.Series([16, 32, 48])).scale == "int"
    assert infer_param("dropout", pd.Series([0.1, 0.5, 0.3])).scale == "uniform"
    assert infer_param("act", pd.Series(["relu", "tanh"])).scale == "choice"


def _small_result(tmp_path):
    """Twelve trials: β and the metric rise together; half with lr_decay=none; statuses of every kind."""

    statuses = [S.COMPLETED] * 8 + [S.PRUNED] * 3 + [S.DIVERGED]
    trials = pd.DataFrame(
        {
            S.PLAN_ID: [f"r1-{i:03d}" for i in range(12)],
            S.ROUND: 1,
            S.STATUS: statuses,
            S.BEST: [0.5 + 0.04 * i for i in range(8)] + [0.3, 0.31, 0.32, -math.inf],
            "momentum": [1 - 10 ** (-1 - 2 * i / 11) for i in range(12)],
            "lr_decay": ["none", "step"] * 6,
            "decay_rate": [0.01 + 0.08 * i for i in range(12)],
        }
    )
    history = pd.DataFrame(
        [{S.PLAN_ID: p, S.EPOCH: e, "dev_accuracy": 0.5 + 0.01 * e} for p in trials[S.PLAN_ID] for e in (1, 2)]
    )
    space = {"momentum": {"beta": [0.9, 0.999]}, "lr_decay": {"choice": ["none", "step"]},
             "decay_rate": {"uniform": [0.01, 0.99]}}  # fmt: skip
    (tmp_path / "rounds").mkdir()
    (tmp_path / "rounds" / "round-1.yaml").write_text(yaml.safe_dump(space))
    state = {"metric": "dev_accuracy", "mode": "max", "params": list(space)}
    return sweep.SweepResult(tmp_path, trials, history, state)


def test_parallel_coordinates_draw_a_larger_beta_higher_and_skip_unused_decay_rate(tmp_path):
    from sweep.analysis.parallel_plot import parallel_coordinates

    result = _small_result(tmp_path)
    figure = parallel_coordinates(result)
    lines = [line for line in figure.axes[0].lines if len(line.get_xdata()) == 3]
    ranked = result.ranked(usable=True)
    drawn = ranked.head(len(lines)).iloc[::-1]  # lines are drawn worst first
    heights = [line.get_ydata()[0] for line in lines]
    # a larger β is drawn higher (before: lower, the axis ran in log10(1−β))
    assert list(np.argsort(heights)) == list(np.argsort(drawn["momentum"].to_numpy()))
    labels = {t.get_text() for t in figure.axes[0].texts}
    assert {"0.9", "0.999"} <= labels
    for line, (_, row) in zip(lines, drawn.iterrows(), strict=True):
        assert math.isnan(line.get_ydata()[2]) == (row["lr_decay"] == "none")


def test_metric_vs_decay_rate_leaves_out_trials_without_decay(tmp_path):
    from sweep.analysis.param_plots import metric_vs_param

    result = _small_result(tmp_path)
    figure = metric_vs_param(result, "decay_rate", result.params["decay_rate"])
    drawn = sum(len(c.get_offsets()) for c in figure.axes[0].collections)
    assert drawn == 5  # 6 trials with lr_decay=step, one of them diverged (not finite)
    assert figure.axes[0].get_title() == "dev_accuracy vs decay_rate (uniform, trials with lr_decay ≠ none)"


def test_learning_curve_legend_names_every_status_drawn(tmp_path):
    from sweep.analysis.plots import learning_curves

    result = _small_result(tmp_path)
    labels = figure_labels = learning_curves(result).axes[0].get_legend_handles_labels()[1]
    assert [label for label in figure_labels if not label.startswith("#")] == ["completed", "pruned", "diverged"]
    assert sum(label.startswith("#") for label in labels) == 5
