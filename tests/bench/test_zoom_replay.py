"""The offline zoom replay: fitted on other seeds' full-length trials, it ranks a zoom around round 1's best
above sampling the whole space again when the score plainly peaks where round 1's best trials lie."""

from __future__ import annotations

import math
import random

import pytest

from bench.quality.zoom_replay import main, replay, round_one
from search_spaces import parse_spec, sample_configs

SPEC = {"space": {"lr": {"loguniform": [1e-4, 1.0]}, "width": {"int": [8, 256]}, "epochs": 10}, "rounds": 2}


def _score(config: dict) -> float:
    return 0.9 - 0.1 * abs(math.log10(config["lr"]) + 2) - 0.0005 * abs(config["width"] - 128)


def _run(seed: int) -> dict:
    """A default-recipe run: 30 round-1 trials of 10 epochs (reports at t = 1..), then round 2 from t = 50."""
    space = parse_spec(SPEC).space
    rng = random.Random(seed)
    trials = []
    for k, config in enumerate(sample_configs(space, 30, "random", seed)):
        top = _score(config) + rng.gauss(0, 0.01)
        reports = [[1.0 + k + e, e, top - 0.02 * (10 - e)] for e in range(1, 11)]
        trials.append({"id": f"r1-{k:03d}", "config": config, "reports": reports})
    trials.append({"id": "r2-000", "config": trials[0]["config"], "reports": [[50.0, 1, 0.1]]})
    return {"method": "sweep-default", "seed": seed, "trials_detail": trials}


def test_round_one_is_what_was_known_when_round_two_was_planned() -> None:
    run = _run(0)
    outcomes = round_one(run, ["lr", "width"])
    assert len(outcomes) == 30 and all(o.round == 1 and set(o.config) == {"lr", "width"} for o in outcomes)
    late = next(o for o in outcomes if o.plan_id == "r1-029")
    assert late.best == max(r[2] for r in run["trials_detail"][29]["reports"] if r[0] < 50.0)
    assert round_one({"trials_detail": run["trials_detail"][:30]}, ["lr"]) == []  # no round 2: nothing to replay


def test_zooming_on_round_one_beats_the_whole_space_where_the_score_has_one_peak(capsys) -> None:
    data = {"spec": SPEC, "mode": {"epochs": 10}, "runs": [_run(seed) for seed in range(3)]}
    table = replay(data, samples=200)
    assert set(table) == {
        "whole space", "one box (regions: 0)", "regions: 1", "regions: 3", "regions: 3, explore 1/3 (default)"
    }  # fmt: skip
    whole, regions, default = table["whole space"], table["regions: 3"], table["regions: 3, explore 1/3 (default)"]
    assert regions["mean"] > whole["mean"] + 0.02 and regions["share"] > whole["share"]
    # a third of the default's draws sample the whole space again: between the two
    assert whole["mean"] < default["mean"] < regions["mean"]


def test_too_few_full_length_trials_is_one_line(tmp_path) -> None:
    path = tmp_path / "q.json"
    path.write_text('{"spec": {"space": {"lr": {"loguniform": [0.001, 1]}}}, "mode": {"epochs": 10}, "runs": []}')
    with pytest.raises(SystemExit, match=r"^zoom_replay: 0 full-length trials in the results; it needs at least 20$"):
        main([str(path)])
