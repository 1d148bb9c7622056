"""The search-quality bench cannot rot: `python -m bench.quality --smoke` runs every method for a few seconds
and writes its JSON and both PNGs, each holding every method. No timing or accuracy assertions: with four
3-epoch trials per method the figures are noise; the full bench measures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.quality import aggregate, score, targets
from bench.quality.methods import METHODS

SMOKE = "quality"  # the `bench_smokes` fixture runs `python -m bench.quality --smoke` for this module


def _trials() -> list[dict]:
    return [
        {"id": "a", "config": {"lr": 0.1}, "reports": [[2.0, 1, 0.30], [4.0, 2, 0.50], [12.0, 3, 0.90]]},
        {"id": "b", "config": {"lr": 0.2}, "reports": [[3.0, 1, 0.40], [5.0, 2, 0.45]]},
    ]


def test_only_reports_within_the_budget_count() -> None:
    trials = _trials()
    assert aggregate.best_so_far(trials, [1.0, 3.0, 4.0, 10.0]).tolist()[1:] == [0.40, 0.50, 0.50]
    figures = aggregate.run_figures(trials, budget_s=10.0)
    assert figures["best_dev"] == {"25%": 0.30, "50%": 0.50, "100%": 0.50}
    assert (figures["trials"], figures["epochs"]) == (2, 4)
    assert figures["epoch_seconds"] == 2.0  # a: 2 s from epoch 1 to 2, b: 2 s from 1 to 2 (a's 12 s is past 10)
    assert aggregate.run_figures(trials, budget_s=20.0)["epoch_seconds"] == 12.0 / 3
    assert aggregate.best_by_epochs(trials, 10.0, [1, 2, 3, 4, 5]).tolist()[:4] == [0.30, 0.40, 0.50, 0.50]
    best = score.winner(trials, budget_s=10.0)
    assert best is not None and (best["id"], best["epochs"], best["dev_accuracy"]) == ("a", 2, 0.50)


def test_t_interval_and_welch_difference() -> None:
    mean, half = aggregate.t_interval([0.60, 0.62, 0.64, 0.66, 0.68])
    assert mean == pytest.approx(0.64) and half == pytest.approx(2.776445 * 0.0316228 / 5**0.5, rel=1e-5)
    diff, width = aggregate.welch_difference([0.70, 0.71, 0.72], [0.60, 0.61, 0.62])
    assert diff == pytest.approx(0.10) and 0 < width < 0.05


def _run(method: str, seed: int, final: float) -> dict:
    best = {"25%": final - 0.05, "50%": final - 0.02, "100%": final}
    return {"method": method, "seed": seed, "ok": True, "figures": {"best_dev": best, "trials": 9, "epochs": 90}}


def test_ahead_pairs_the_seeds_both_methods_ran() -> None:
    # each seed moves both methods together (the same first draws); the default gains 0.004-0.006 at every one
    default = {0: 0.700, 1: 0.726, 2: 0.690, 3: 0.705, 4: 0.712}
    random = {0: 0.695, 1: 0.721, 2: 0.686, 3: 0.699, 4: 0.708}
    runs = [_run("sweep-default", s, v) for s, v in default.items()] + [
        _run("sweep-random", s, v) for s, v in random.items()
    ]
    runs.append(_run("sweep-random", 9, 0.5))  # a seed the default has not run is no pair
    summary = aggregate.summarize(runs)
    paired = targets.evaluate(summary, {}, 120.0, runs)[0]
    assert paired["met"] is True and "paired t over 5 seeds" in paired["figures"], paired
    unpaired = targets.evaluate(summary, {}, 120.0)[0]
    assert unpaired["met"] is False and "Welch" in unpaired["figures"], unpaired  # the seeds' spread hides it
    diff, half, n = aggregate.paired_difference(default, random)
    assert n == 5 and diff == pytest.approx(0.0048) and 0 < half < 0.0048


@pytest.mark.ray
@pytest.mark.slow
def test_smoke_writes_json_and_pngs_for_every_method(bench_smokes) -> None:
    code, log, out = bench_smokes.result(SMOKE)
    assert code == 0, log
    result = json.loads(out.read_text())

    expected = {m.key for m in METHODS}
    assert set(result["methods"]) == expected, result["notes"]
    for key in expected:
        row = result["summary"][key]
        assert (row["runs"], row["failed"]) == (1, 0), key
        assert row["trials"]["mean"] >= 1 and row["epochs"]["mean"] >= 1, key
        assert 0.0 < row["test_accuracy"]["mean"] <= 1.0, key
        for kind in ("time", "epochs"):  # every method has a plotted line in both pictures
            assert any(v is not None for v in result["curves"][kind]["methods"][key]["mean"]), (kind, key)
    for run in result["runs"]:
        stamps = [r[0] for trial in run["trials_detail"] for r in trial["reports"]]
        assert stamps and min(stamps) > 0, run["method"]  # wall-clock seconds since the run's start
    for kind in ("time", "epochs"):
        png = Path(result["plots"][kind])
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.parent == out.parent
    assert len(result["targets"]) == 5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seeds", "0"], "--seeds must be 1 or more, got 0"),
        (["--budget", "-3"], "--budget must be a number of seconds above 0, got -3"),
        (["--first-seed", "-2"], "--first-seed must be 0 or more, got -2"),
    ],
)
def test_bad_sizes_are_one_line_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.quality.run import main

    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"./dev bench quality: error: {message}"


TINY_DATA = "spirals:n=300,features=8"  # generated in a blink; the trainables take any dataset


@pytest.mark.parametrize("trainable", ["mlp", "cnn1d"])
def test_every_runner_trains_the_model_the_job_names(trainable: str) -> None:
    from bench.job import train
    from trainables.session import LocalSession

    outcome = train({"trainable": trainable, "data": TINY_DATA, "epochs": 1, "threads": 1}, LocalSession())
    assert outcome.final_state["trainable"] == trainable


def test_the_winner_is_scored_with_its_presets_model() -> None:
    from trainables.registry import builtin

    config = {"lr": 0.01, "batch_size": 32}
    run = {**config, "data": TINY_DATA, "epochs": 2, "threads": 1, "checkpoint_every": 0}
    scores = {name: score.score_on_test(config, 2, TINY_DATA, name) for name in ("mlp", "cnn1d")}
    assert scores["cnn1d"] == builtin("cnn1d").train_and_test(run)["test_accuracy"]
    assert scores["mlp"] == builtin("mlp").train_and_test(run)["test_accuracy"]


@pytest.mark.parametrize("preset", ["mnist1d-mlp", "mnist1d-cnn1d"])
def test_each_method_searches_the_presets_space_and_its_own_rounds(preset: str) -> None:
    from bench.quality.modes import MODES
    from bench.quality.run import base_spec, sweep_spec

    spec = base_spec(MODES["full"], preset)
    assert spec["name"] == preset and spec["space"]["epochs"] == MODES["full"].epochs
    by_key = {m.key: sweep_spec(m, spec, MODES["full"]) for m in METHODS if m.runner == "sweep"}
    assert by_key["sweep-default"]["rounds"] == spec["rounds"]
    assert by_key["sweep-v2"]["rounds"] == {**spec["rounds"], "model": "none"}  # only the model differs
    assert by_key["sweep-random"]["rounds"] == 1
    assert all(s["space"] == spec["space"] and s["trainable"] == spec["trainable"] for s in by_key.values())


def test_the_default_is_paired_with_version_2_and_optuna_tpe_seed_by_seed() -> None:
    default = {0: 0.700, 1: 0.726, 2: 0.690, 3: 0.705}
    others = {key: {s: v - 0.004 - 0.001 * (s % 2) for s, v in default.items()} for key in ("sweep-v2", "optuna-tpe")}
    runs = [_run("sweep-default", s, v) for s, v in default.items()]
    runs += [_run(key, s, v) for key, values in others.items() for s, v in values.items()]
    found = {t["target"]: t for t in targets.evaluate(aggregate.summarize(runs), {}, 120.0, runs)}
    for other in ("sweep-v2", "optuna-tpe"):
        ahead = found[f"sweep-default final mean best dev ahead of {other}"]
        assert ahead["met"] is True and "paired t over 4 seeds" in ahead["figures"], ahead
