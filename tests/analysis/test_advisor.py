"""The recipe advisor on hand-written sweep directories (no Ray): edge of range, bias vs variance, tiers,
the next spec, and what it refuses to say from too few trials."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml

from search_spaces import Space, load_spec
from sweep.analysis import analyze
from sweep.analysis.advice_bias_variance import bias_variance_advice
from sweep.analysis.advice_edge import EDGE_MIN_TRIALS, edge_advice
from sweep.analysis.advice_tiers import tier_advice
from sweep.analysis.advisor import advice_lines
from sweep.analysis.importance import Importance
from sweep.analysis.next_sweep import next_spec
from sweep.store import schema as S
from tests.conftest import invoke_cli, run_cli


def accuracy(lr: float, momentum: float) -> float:
    """Peaks at lr = 1e-2 (above a [1e-5, 1e-3] range); a little better with momentum near 0.99."""
    return 0.95 - 0.1 * (math.log10(lr) + 2.0) ** 2 - 0.01 * (math.log10(1 - momentum) + 2.0) ** 2


def write_sweep(root, space: dict, trials: int = 30, train: float | None = None, seed: int = 0, target=None) -> None:
    """A finished one-round sweep on disk whose dev accuracy follows `accuracy`; every trial's train accuracy
    ends at `train` (None: equal to its dev accuracy). Curves rise to their last epoch."""
    rng = np.random.default_rng(seed)
    (root / "rounds").mkdir(parents=True)
    (root / "rounds" / "round-1.yaml").write_text(yaml.safe_dump(space, sort_keys=False))
    lo, hi = np.log10(space["lr"]["loguniform"])
    mlo, mhi = np.log10(1 - np.array(space["momentum"]["beta"][::-1]))
    rows, history = [], []
    for index in range(trials):
        lr, momentum = float(10 ** rng.uniform(lo, hi)), float(1 - 10 ** rng.uniform(mlo, mhi))
        dev = accuracy(lr, momentum) + rng.normal(0, 0.002)
        plan_id = f"r1-{index:03d}"
        rows.append(
            {
                S.PLAN_ID: plan_id,
                S.ROUND: 1,
                S.STATUS: S.COMPLETED,
                S.EPOCHS: 5,
                S.BEST: dev,
                S.LAST: dev,
                "lr": lr,
                "momentum": momentum,
                "decay_rate": float(rng.uniform(0, 1)),
                "epochs": 5,
            }
        )
        for epoch in range(1, 6):
            scale = 1 - 0.2 * (5 - epoch) / 5
            history.append(
                {
                    S.PLAN_ID: plan_id,
                    S.ROUND: 1,
                    S.EPOCH: epoch,
                    "dev_accuracy": dev * scale,
                    "train_accuracy": (dev if train is None else train) * scale,
                }
            )
    pd.DataFrame(rows).to_csv(root / "trials.csv", index=False)
    pd.DataFrame(history).to_csv(root / "history.csv", index=False)
    state = {"name": "adv", "status": "completed", "metric": "dev_accuracy", "mode": "max", "params": list(space)}
    (root / "sweep.json").write_text(json.dumps(state))
    spec = {"name": "adv", "trainable": "mlp", "data": "digits", "samples": trials, "space": space}
    if target is not None:
        spec["target_accuracy"] = target
    (root / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


LOW_LR_SPACE = {
    "lr": {"loguniform": [1e-5, 1e-3], "default": 1e-4, "tier": 1},
    "momentum": {"beta": [0.8, 0.999], "default": 0.9, "tier": 2},
    "decay_rate": {"uniform": [0.0, 1.0], "default": 0.5, "tier": 3},
    "epochs": 5,
}


@pytest.fixture(scope="module")
def low_lr(tmp_path_factory):
    root = tmp_path_factory.mktemp("advisor") / "adv-20261130-100000"
    write_sweep(root, LOW_LR_SPACE, train=1.0)
    return root, analyze(root, plots=False)


def test_edge_of_range_names_lr_its_upper_bound_and_a_widened_range(low_lr):
    _, analysis = low_lr
    edges = [a for a in analysis.advice if a.kind == "edge"]
    assert [a.param for a in edges] == ["lr"]
    text = edges[0].text
    assert text.startswith("lr: the best trials crowd the upper bound 0.001 of loguniform [1e-05, 0.001]: the best (")
    assert "within 20% of it in log10(lr)" in text
    widened = text.rsplit("widen to ", 1)[1].split(" ")[0:2]
    low, high = (float(x.strip("[],")) for x in widened)
    assert low < 1e-3 and high == pytest.approx(0.01)  # one decade past the bound: reaches the optimum 1e-2
    assert edges[0].change.range_text() == text.rsplit("widen to ", 1)[1]


def test_bias_vs_variance_of_the_winner(low_lr):
    _, analysis = low_lr
    (variance,) = [a for a in analysis.advice if a.kind in ("bias", "variance", "fit")]
    assert variance.kind == "variance" and variance.text.startswith("high variance: winner r1-")
    assert "train accuracy 1.0000" in variance.text and "no target_accuracy in the spec, so 100%" in variance.text
    assert "add l2: {loguniform: [1e-05, 0.01]}" in variance.text and "add keep_prob" in variance.text


def test_train_one_dev_point_nine_is_high_variance_and_a_target_changes_bias():
    history = pd.DataFrame(
        {S.PLAN_ID: ["w", "w"], S.EPOCH: [1, 2], "train_accuracy": [0.8, 1.0], "dev_accuracy": [0.7, 0.9]}
    )
    winner = pd.Series({S.PLAN_ID: "w", S.STATUS: S.COMPLETED, "l2": 0.0})
    space = Space.from_dict({"l2": 0.0, "hidden_units": {"int": [16, 64]}})
    (advice,) = bias_variance_advice(winner, history, "dev_accuracy", space)
    assert advice.kind == "variance"
    assert (
        "winner w at epoch 2: train accuracy 1.0000, dev 0.9000, target 1.0000 "
        "(no target_accuracy in the spec, so 100%): avoidable bias +0.0000, variance +0.1000" in advice.text
    )
    assert "tune l2 (held at 0), e.g. l2: {loguniform: [1e-05, 0.01]}" in advice.text
    biased = history.assign(train_accuracy=[0.7, 0.85], dev_accuracy=[0.7, 0.84])
    (advice,) = bias_variance_advice(winner, biased, "dev_accuracy", space, target_accuracy=0.98)
    assert advice.kind == "bias" and "avoidable bias +0.1300, variance +0.0100" in advice.text
    assert "hidden_units (tuned over [16, 64]; winner" in advice.text and "train longer" in advice.text
    (skipped,) = bias_variance_advice(winner, history.drop(columns="train_accuracy"), "dev_accuracy", space)
    assert skipped.kind == "skipped" and "no pair of per-epoch metrics train_X and dev_X or val_X" in skipped.text


def test_tiers_say_which_still_matters_and_what_to_hold(low_lr):
    _, analysis = low_lr
    (tiers,) = [a for a in analysis.advice if a.kind == "tiers"]
    assert tiers.text.startswith("tiers: importance by tier (R² ")
    assert ", 30 trials): tier 1 (lr) 100%, " in tiers.text and "tier 3 (decay_rate) 0%" in tiers.text
    assert tiers.text.endswith(": keep tuning tier 1; hold momentum, decay_rate at their best (each < 5%)")
    thin = Importance({"lr": 0.9, "decay_rate": 0.1}, 0.9, 5, "")
    (skipped,) = tier_advice(thin, Space.from_dict(LOW_LR_SPACE))
    assert skipped.text == "tiers: not judged (5 trials, importance R² 0.90; it needs at least 12 trials and R² ≥ 0.2)"


def test_no_advice_from_too_few_trials():
    ranked = pd.DataFrame({"lr": [1e-3, 9e-4], S.BEST: [0.9, 0.8]})
    (advice,) = edge_advice(ranked, Space.from_dict(LOW_LR_SPACE), "dev_accuracy")
    assert advice.kind == "skipped"
    assert advice.text == f"edge of range: not judged (2 finished trials; it needs at least {EDGE_MIN_TRIALS})"


def test_next_spec_widens_zooms_holds_and_validates(low_lr, tmp_path):
    root, analysis = low_lr
    nxt = next_spec(analysis.spec, analysis.result, analysis.importance)
    assert nxt.name == "adv-next" and nxt.data == "digits" and nxt.trainable == "mlp"
    assert nxt.space["lr"].high == pytest.approx(0.01) and nxt.space["lr"].scale == "loguniform"
    assert nxt.space["decay_rate"].is_fixed and nxt.space["decay_rate"].tier == 3  # settled: held at the winner's value
    winner = analysis.result.ranked(usable=True).iloc[0]
    assert nxt.space["decay_rate"].values[0] == pytest.approx(winner["decay_rate"])
    # lr carries all the importance here, so momentum is settled too (tier 2, held for the next sweep)
    assert nxt.space["momentum"].is_fixed and nxt.space["momentum"].values[0] == pytest.approx(winner["momentum"])
    out = tmp_path / "next.yaml"
    proc = invoke_cli("analyze", str(root), "--no-plots", "--next-spec", str(out), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"next spec: {out} (run it with: sweep launch {out})" in proc.stdout
    assert "advice:" in proc.stdout and "lr: the best trials crowd the upper bound" in proc.stdout
    assert load_spec(out).space["lr"].high == pytest.approx(0.01)
    assert out.read_text().startswith("# Next sweep after adv-20261130-100000")
    validated = invoke_cli("validate", str(out), timeout=120)
    assert validated.returncode == 0, validated.stderr
    sampled = invoke_cli("sample", str(out), "-n", "4", timeout=120)
    assert sampled.returncode == 0 and len(sampled.stdout.strip().splitlines()) == 5


def test_next_spec_from_an_exported_table_is_a_one_line_error(low_lr, tmp_path):
    root, _ = low_lr
    exported = tmp_path / "top.csv"
    assert invoke_cli("export", str(root), "-o", str(exported), timeout=120).returncode == 0
    proc = invoke_cli("analyze", str(exported), "--no-plots", "--next-spec", str(tmp_path / "n.yaml"), timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: --next-spec: 'top' is an exported table with no spec.yaml: give the sweep directory instead\n"
    )


def test_next_spec_does_not_replace_a_file_without_force(low_lr, tmp_path):
    """`--next-spec my-spec.yaml` silently replaced a user's own spec; now it is refused like `export -o`."""
    root, _ = low_lr
    mine = tmp_path / "my-spec.yaml"
    mine.write_text("name: mine  # written by hand\n")
    proc = invoke_cli("analyze", str(root), "--no-plots", "--next-spec", str(mine), timeout=120)
    assert (proc.returncode, proc.stdout) == (2, "") and proc.stderr == (
        f"error: --next-spec '{mine}' exists: add --force to replace it, or give another file name\n"
    )
    assert mine.read_text() == "name: mine  # written by hand\n"
    forced = invoke_cli("analyze", str(root), "--no-plots", "--next-spec", str(mine), "--force", timeout=120)
    assert forced.returncode == 0 and mine.read_text().startswith("# Next sweep after"), forced.stderr


def test_advice_lines_for_the_end_of_launch(low_lr):
    root, _ = low_lr
    lines = advice_lines(root)
    assert lines[0] == "advice:" and any(line.startswith("  lr: the best trials crowd") for line in lines)
    assert any(line.startswith("  high variance:") for line in lines)


@pytest.mark.ray
@pytest.mark.slow
def test_real_sweep_below_the_good_lr_region_then_its_next_spec_runs(tmp_path, ray_instance):
    """On digits with lr in [1e-5, 1e-3] (below the good region), the advisor names lr's upper bound and a
    widened range; the next spec it writes validates and runs."""
    from sweep import RunOptions, run_sweep
    from tests.conftest import tiny_spec

    space = {
        "lr": {"loguniform": [1e-5, 1e-3], "default": 1e-4, "tier": 1},
        "momentum": 0.9,
        "batch_size": 128,
        "hidden_units": 16,
        "epochs": 3,
        "threads": 1,
    }
    spec = load_spec(tiny_spec(name="low-lr", samples=10, scheduler="fifo", space=space))
    options = RunOptions(storage=str(tmp_path), quiet=True, final_test=False, dashboard=False)
    result = run_sweep(spec, options)
    assert len(result.trials) == 10
    lines = advice_lines(result)
    (edge,) = [line for line in lines if line.startswith("  lr: ")]
    assert edge.startswith("  lr: the best trials crowd the upper bound 0.001 of loguniform [1e-05, 0.001]")
    widened_high = float(edge.rsplit("widen to ", 1)[1].split(",")[1].split("]")[0])
    assert widened_high == pytest.approx(0.01)
    out = tmp_path / "next.yaml"
    assert run_cli("analyze", str(result.path), "--no-plots", "--next-spec", str(out), timeout=300).returncode == 0
    nxt = load_spec(out)
    assert nxt.space["lr"].high == pytest.approx(0.01) and nxt.trainable == "mlp" and nxt.data == "digits"
    again = run_sweep(nxt.replace(samples=2), options)
    assert len(again.trials) == 2 and set(again.trials[S.STATUS]) == {S.COMPLETED}


def test_bias_vs_variance_of_a_regression_is_judged_from_train_mse_and_val_mse():
    # mode: min, a user trainable reporting train_mse and val_mse: lower is better, the target a perfect 0
    history = pd.DataFrame(
        {S.PLAN_ID: ["w"] * 3, S.EPOCH: [1, 2, 3], "train_mse": [0.9, 0.30, 0.10], "val_mse": [1.0, 0.45, 0.50]}
    )
    winner = pd.Series({S.PLAN_ID: "w", S.STATUS: S.COMPLETED})
    space = Space.from_dict({"hidden_units": {"int": [16, 64]}})
    (advice,) = bias_variance_advice(winner, history, "val_mse", space, mode="min")
    assert advice.kind == "bias"  # read at the best val_mse (epoch 2): bias 0.30 from 0, variance 0.15
    assert (
        "winner w at epoch 2: train mse 0.3000, val 0.4500, target 0.0000 (no target_metric in the spec, so a "
        "perfect 0): avoidable bias +0.3000, variance +0.1500" in advice.text
    )
    (advice,) = bias_variance_advice(winner, history, "val_mse", space, mode="min", target_metric=0.25)
    assert advice.kind == "variance"  # a human-level 0.25: bias 0.05, variance 0.15
    assert "target 0.2500 (target_metric): avoidable bias +0.0500, variance +0.1500" in advice.text
    close = history.assign(train_mse=[0.9, 0.30, 0.10], val_mse=[1.0, 0.31, 0.5])
    (advice,) = bias_variance_advice(winner, close, "val_mse", space, mode="min", target_metric=0.29)
    assert advice.kind == "fit" and "neither bias nor variance above 5% of val: " in advice.text


def test_a_loss_pair_is_read_lower_better_when_the_metric_is_another():
    history = pd.DataFrame({S.PLAN_ID: ["w"], S.EPOCH: [1], "train_loss": [0.2], "dev_loss": [0.6], "dev_r2": [0.5]})
    winner = pd.Series({S.PLAN_ID: "w", S.STATUS: S.COMPLETED})
    (advice,) = bias_variance_advice(winner, history, "dev_r2", Space(), mode="max")
    assert advice.kind == "variance" and "train loss 0.2000, dev 0.6000" in advice.text
    assert "avoidable bias +0.2000, variance +0.4000" in advice.text
