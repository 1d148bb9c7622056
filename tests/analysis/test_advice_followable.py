"""Advice a practitioner can follow: bounded widening, sensible ranges, lines that agree, a next spec that
carries out every line, conditional keys and comparable rungs (hand-written sweep directories, no Ray)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml

from search_spaces import Param, Space, load_spec
from sweep.analysis import analyze
from sweep.analysis.advice_edge import at_comparable_rung, edge_advice, widen_once
from sweep.analysis.advisor import advise
from sweep.analysis.importance import Importance
from sweep.analysis.next_sweep import plan_next, write_next_spec
from sweep.store import schema as S
from trainables.config import MLP


def write(root, space: dict, rows: list[dict], train: list[float] | float, dev_key: str = "dev") -> None:
    """A one-round sweep on disk: each row's params, its dev accuracy `dev`, and its train accuracy."""
    (root / "rounds").mkdir(parents=True)
    (root / "rounds" / "round-1.yaml").write_text(yaml.safe_dump(space, sort_keys=False))
    trials, history = [], []
    for index, row in enumerate(rows):
        plan_id = f"r1-{index:03d}"
        epochs = int(row.pop("_epochs", 5))
        dev = float(row.pop(dev_key))
        trials.append(
            {S.PLAN_ID: plan_id, S.ROUND: 1, S.STATUS: S.COMPLETED if epochs == 5 else S.PRUNED, S.EPOCHS: epochs,
             S.BEST: dev, S.LAST: dev, **row}
        )  # fmt: skip
        tr = train[index] if isinstance(train, list) else train
        for epoch in range(1, epochs + 1):
            scale = 1 - 0.1 * (epochs - epoch) / epochs
            history.append({S.PLAN_ID: plan_id, S.ROUND: 1, S.EPOCH: epoch, "dev_accuracy": dev * scale,
                            "train_accuracy": tr * scale})  # fmt: skip
    pd.DataFrame(trials).to_csv(root / "trials.csv", index=False)
    pd.DataFrame(history).to_csv(root / "history.csv", index=False)
    state = {"name": "f", "status": "completed", "metric": "dev_accuracy", "mode": "max", "params": list(space)}
    (root / "sweep.json").write_text(json.dumps(state))
    spec = {"name": "f", "trainable": "mlp", "data": "digits", "samples": len(rows), "space": space}
    (root / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


# --- widening ----------------------------------------------------------------------------------------------
def test_lr_crowded_at_one_widens_at_most_a_decade_and_never_past_the_sensible_bound() -> None:
    lr = Param.from_entry("lr", {"loguniform": [1e-4, 1]})
    free = widen_once(lr, [0.9, 0.7, 0.5], "high", 0.1, (-math.inf, math.inf))
    assert free is not None and 1 < free.high <= 10  # one decade past 1, not four (the whole range width)
    assert widen_once(lr, [0.9, 0.7, 0.5], "high", 0.1, MLP.keys["lr"].sensible()) is None  # α ≤ 1 declared
    ranked = pd.DataFrame({"lr": [0.95, 0.9, 0.8, 0.1, 0.01, 1e-3, 3e-4, 1e-4],
                           S.BEST: [0.9, 0.89, 0.88, 0.6, 0.5, 0.4, 0.3, 0.2]})  # fmt: skip
    space = Space.from_dict({"lr": {"loguniform": [1e-4, 1]}})
    (line,) = edge_advice(ranked, space, "dev_accuracy", declaration=MLP)
    assert line.kind == "edge-limit" and line.change is None and "widen" not in line.text
    assert "already at the sensible limit (lr ≤ 1 for the mlp trainable): keep the range" in line.text
    (free_line,) = edge_advice(ranked, space, "dev_accuracy")  # a user's trainable: no sensible range known
    assert free_line.kind == "edge" and free_line.change.high == pytest.approx(10)


def test_beta_and_keep_prob_stay_in_their_sensible_ranges() -> None:
    momentum = Param.from_entry("momentum", {"beta": [0.9, 0.999]})
    widened = widen_once(momentum, [0.998, 0.997], "high", 0.1, MLP.keys["momentum"].sensible())
    assert widened is not None and widened.high == pytest.approx(0.9999)  # one decade of 1−β, and β ≤ 0.9999
    keep = Param.from_entry("keep_prob", {"uniform": [0.5, 0.9]})
    widened = widen_once(keep, [0.9, 0.88], "high", 0.1, MLP.keys["keep_prob"].sensible())
    assert widened is not None and widened.high == 1.0


# --- the lines agree; conditional keys; comparable rungs -----------------------------------------------------
def test_a_key_that_did_not_act_is_not_judged() -> None:
    rng = np.random.default_rng(0)
    rates = sorted(rng.uniform(0.01, 1, 12), reverse=True)
    ranked = pd.DataFrame({"decay_rate": rates, "lr_decay": ["none"] * 12, S.BEST: np.linspace(0.9, 0.5, 12)})
    space = Space.from_dict({"decay_rate": {"loguniform": [0.01, 1]}, "lr_decay": {"choice": ["none", "step"]}})
    assert [a.kind for a in edge_advice(ranked, space, "dev_accuracy")] == ["edge"]  # without the declaration
    (line,) = edge_advice(ranked, space, "dev_accuracy", declaration=MLP)
    assert line.kind == "skipped" and line.text.startswith(
        "decay_rate: edge not judged (it acts only when lr_decay is inverse_time or exponential or step: 0 of 12"
    )


def test_edges_are_judged_at_a_comparable_rung() -> None:
    # 8 trials: the one that trained 5 epochs sits at lr's upper bound; at epoch 1, which all reached, the
    # best trials are spread over the range: no edge.
    lrs = [9e-4, 1e-5, 3e-5, 6e-5, 1e-4, 2e-4, 5e-4, 2e-5]
    epochs = [5, 1, 1, 1, 1, 1, 1, 1]
    at_one = [0.3, 0.8, 0.7, 0.9, 0.75, 0.85, 0.6, 0.65]
    history = pd.DataFrame(
        [{S.PLAN_ID: f"p{i}", S.EPOCH: e, "dev_accuracy": at_one[i] if e == 1 else 0.99}
         for i in range(8) for e in range(1, epochs[i] + 1)]
    )  # fmt: skip
    ranked = pd.DataFrame({S.PLAN_ID: [f"p{i}" for i in range(8)], "lr": lrs,
                           S.BEST: [0.99] + at_one[1:]}).sort_values(S.BEST, ascending=False)  # fmt: skip
    compared, rung = at_comparable_rung(ranked, history, "dev_accuracy", "max")
    assert rung == 1 and compared[S.PLAN_ID].iloc[0] == "p3" and compared[S.BEST].iloc[-1] == 0.3
    space = Space.from_dict({"lr": {"loguniform": [1e-5, 1e-3]}})
    assert [a for a in edge_advice(ranked, space, "dev_accuracy", history=history) if a.kind == "edge"] == []
    assert [a.kind for a in edge_advice(ranked, space, "dev_accuracy")] == []  # one lucky trial: never an edge


def _bias_rows(n: int = 24) -> list[dict]:
    rng = np.random.default_rng(1)
    rows = []
    for _ in range(n):
        lr, units = float(10 ** rng.uniform(-3, -1)), int(rng.integers(2, 6))
        rows.append({"lr": lr, "hidden_units": units, "epochs": 6,
                     "dev": 0.3 + 0.05 * units - 0.02 * (math.log10(lr) + 2) ** 2 + rng.normal(0, 0.003)})  # fmt: skip
    return rows


def test_next_spec_after_high_bias_raises_capacity_and_epochs(tmp_path) -> None:
    space = {"lr": {"loguniform": [1e-3, 1e-1]}, "hidden_units": {"int": [2, 5]}, "epochs": 6}
    rows = _bias_rows()
    write(tmp_path / "bias", space, rows, train=[r["dev"] + 0.01 for r in rows])
    analysis = analyze(tmp_path / "bias", plots=False)
    kinds = [a.kind for a in analysis.advice]
    assert "bias" in kinds
    nxt, changes = plan_next(analysis.spec, analysis.result, analysis.importance, list(analysis.advice))
    units = nxt.space["hidden_units"]
    assert not units.is_fixed and units.high > 5 and units.low >= 2  # widened upward
    assert nxt.space["epochs"].values[0] == 12  # trained longer
    assert not nxt.space["layers"].is_fixed  # added, as the line says
    bias_line = kinds.index("bias") + 1
    assert {c.param for c in changes if c.line == bias_line} == {"hidden_units", "layers", "epochs"}
    tiers = next(a for a in analysis.advice if a.kind == "tiers")
    assert "hidden_units" not in (tiers.change or ())  # the tiers line does not hold what the bias line moves
    out = write_next_spec(analysis, tmp_path / "next.yaml")
    header = out.read_text()
    assert f"hidden_units: int [2, 5] → int [{units.low}, {units.high}]  (line [{bias_line}], bias)" in header
    assert load_spec(out).space["epochs"].values[0] == 12


def test_next_spec_after_high_variance_adds_regularisation(tmp_path) -> None:
    space = {"lr": {"loguniform": [1e-3, 1e-1]}, "hidden_units": {"int": [2, 5]}, "epochs": 6}
    write(tmp_path / "var", space, _bias_rows(), train=1.0)
    analysis = analyze(tmp_path / "var", plots=False)
    assert "variance" in [a.kind for a in analysis.advice]
    nxt, changes = plan_next(analysis.spec, analysis.result, analysis.importance, list(analysis.advice))
    assert nxt.space["l2"].scale == "loguniform" and nxt.space["keep_prob"].scale == "uniform"
    assert nxt.space["keep_prob"].high <= 1.0
    assert {c.param for c in changes if c.kind == "variance"} == {"l2", "keep_prob"}
    load_spec(write_next_spec(analysis, tmp_path / "next.yaml"))


def test_a_held_parameter_is_not_widened(tmp_path) -> None:
    # momentum crowds its lower bound by chance but carries no importance: held, not widened
    rng = np.random.default_rng(2)
    rows = []
    for _ in range(30):
        lr = float(10 ** rng.uniform(-3, -1))
        momentum = float(1 - 10 ** rng.uniform(-3, -1))
        rows.append({"lr": lr, "momentum": momentum, "epochs": 5, "dev": 0.9 - 0.1 * (math.log10(lr) + 2) ** 2})
    rows.sort(key=lambda r: -r["dev"])
    for index, row in enumerate(rows[:8]):  # the best trials happen to sit at low momentum
        row["momentum"] = 0.9 + 0.001 * index
    space = {"lr": {"loguniform": [1e-3, 1e-1]}, "momentum": {"beta": [0.9, 0.999]}, "epochs": 5}
    write(tmp_path / "held", space, rows, train=[r["dev"] for r in rows])
    analysis = analyze(tmp_path / "held", plots=False)
    result, spec = analysis.result, analysis.spec
    alone = edge_advice(result.ranked(usable=True), spec.space, "dev_accuracy", declaration=MLP)
    assert [a.param for a in alone if a.kind == "edge"] == ["momentum"]  # the edge rule alone would widen it
    advice = advise(result, Importance({"lr": 0.98, "momentum": 0.02}, 0.9, 30, ""), spec)
    tiers = next(a for a in advice if a.kind == "tiers")
    assert tiers.change == ("momentum",) and "hold momentum at their best" in tiers.text
    assert not [a for a in advice if a.param == "momentum" and a.kind.startswith("edge")]


def test_under_mode_min_the_printed_rho_is_the_metrics_own_spearman_correlation() -> None:
    from scipy.stats import spearmanr

    units = [16, 24, 32, 48, 64, 96, 128, 256]
    loss = [0.30, 0.31, 0.33, 0.36, 0.40, 0.45, 0.52, 0.60]  # a loss that falls toward the lower bound
    ranked = pd.DataFrame({"hidden_units": units, S.BEST: loss})  # best first under mode: min
    space = Space.from_dict({"hidden_units": {"int": [16, 256]}})
    (line,) = [a for a in edge_advice(ranked, space, "val_mse", mode="min") if a.kind.startswith("edge")]
    printed = float(line.text.split("Spearman ρ ")[1].split(" ")[0])
    assert math.isclose(printed, spearmanr(loss, units)[0], abs_tol=0.005) and printed > 0
