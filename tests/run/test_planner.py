"""The ask/tell `Planner`: the recipe without Ray, on the same code path as the Tuner's searcher."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from search_spaces import load_spec
from sweep import Planner, SweepError
from sweep.run.rounds import round_slots
from sweep.run.sweep_plan import SweepPlan
from sweep.run.tuner import make_searcher
from sweep.store import schema as S
from sweep.store.layout import SweepDir
from sweep.store.plan_ids import round_of
from sweep.store.state import SweepState

SPEC = {
    "name": "bowl",
    "samples": 8,
    "rounds": 3,
    "seed": 5,
    "space": {
        "lr": {"loguniform": [1e-4, 1], "tier": 1},
        "momentum": {"beta": [0.8, 0.999], "tier": 2},
        "batch_size": {"pow2": [16, 256], "tier": 2},
    },
}


def bowl(config: dict) -> float:
    """A known optimum at lr 1e-2, batch 64, momentum 0.9."""
    return (
        -((math.log10(config["lr"]) + 2) ** 2)
        - 0.1 * (math.log2(config["batch_size"]) - 6) ** 2
        - (math.log10(1 - config["momentum"]) + 1) ** 2
    )


def drive(planner: Planner) -> list[dict]:
    asked = []
    while (config := planner.ask()) is not None:
        asked.append(config)
        planner.tell(config, bowl(config))
    return asked


def test_the_same_seed_gives_the_same_asks_and_none_exactly_when_the_plan_is_done(tmp_path):
    first, second = drive(Planner(SPEC)), drive(Planner(SPEC, directory=tmp_path / "plan"))
    assert first == second and len(first) == 24
    assert [c["plan_id"] for c in first[:2]] == ["r1-000", "r1-001"] and first[-1]["plan_id"] == "r3-007"
    other = drive(Planner({**SPEC, "seed": 6}))
    assert [c["lr"] for c in other] != [c["lr"] for c in first]


@pytest.mark.parametrize("spec", [SPEC, {**SPEC, "sampler": "tpe", "rounds": 1}], ids=["guided", "tpe"])
def test_a_directory_you_give_is_synced_per_proposal_unless_durable_is_false(spec, tmp_path, monkeypatch):
    import os

    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    durable = drive(Planner(spec, directory=tmp_path / "kept"))
    assert len(synced) >= 8  # the proposals (guided rounds' or TPE's), a line each
    synced.clear()
    quick = drive(Planner(spec, directory=tmp_path / "scratch", durable=False))
    assert synced == [] and quick == durable


def test_ask_is_none_once_the_plan_has_nothing_more_to_hand_out_and_tells_still_land():
    planner = Planner({**SPEC, "rounds": 2, "samples": 3}, workers=3)
    configs = [planner.ask() for _ in range(3)]  # round 1 out, nothing told: round 2 is planned on the baseline...
    configs.append(planner.ask())
    assert configs[-1]["plan_id"] == "r2-000"  # ...as a free worker may not idle (the planner is eager)
    configs += [planner.ask(), planner.ask()]
    assert planner.ask() is None and planner.ask() is None and len(planner.pending) == 6
    for config in configs:
        planner.tell(config, bowl(config))
    assert planner.ask() is None and planner.told == 6 and not planner.pending


def test_numpy_and_torch_scalars_are_numbers_and_none_after_the_plan_is_a_one_line_error():
    """A metric computed with numpy or torch (np.float32, a 0-d array, a scalar tensor) was refused as 'not a
    number'; None, what ask() gives once the plan is done, was 'not a config this planner handed out'."""
    import torch

    planner = Planner({**SPEC, "samples": 4, "rounds": 1})
    values = [np.float32(0.25), np.int64(1), np.array(0.5), torch.tensor(0.75, requires_grad=True)]
    for value in values:
        planner.tell(planner.ask(), value)
    assert planner.told == 4 and planner.ask() is None
    with pytest.raises(SweepError, match=r"^Planner.tell: the config is None: ask\(\) returns None once the plan"):
        planner.tell(None, 0.5)
    with pytest.raises(SweepError, match=r"must be a number, got array\(\[0.5, 0.2\]\)"):
        planner = Planner(SPEC)
        planner.tell(planner.ask(), np.array([0.5, 0.2]))


def test_telling_a_config_it_never_handed_out_is_a_one_line_error():
    planner = Planner(SPEC)
    config = planner.ask()
    with pytest.raises(SweepError, match=r"^Planner.tell: 'r9-000' is not a config this planner handed out"):
        planner.tell({**config, "plan_id": "r9-000"}, 0.5)
    planner.tell(config, 0.5)
    with pytest.raises(SweepError, match="not a config this planner handed out and still awaits"):
        planner.tell(config, 0.5)  # told twice
    with pytest.raises(SweepError, match=r"^Planner.tell: 'None' is not a config this planner handed out"):
        planner.tell({"lr": 0.1}, 0.5)  # a dict without its plan_id
    with pytest.raises(SweepError, match="must be a number, got 'high'"):
        planner.tell(planner.ask(), "high")
    with pytest.raises(SweepError, match="workers must be an integer ≥ 1, got 0"):
        Planner(SPEC, workers=0)
    with pytest.raises(SweepError, match=r"^space: is empty, so there is nothing to tune"):
        Planner({"name": "nothing"})  # handed out configs of nothing but their plan ids
    with pytest.raises(SweepError, match=r"^spec: give a path to a YAML file, a preset name or a dict, got 3$"):
        Planner(3)  # type: ignore[arg-type]
    pending = planner.ask()
    for epoch in (0, -1, 2.5, True, "3"):
        with pytest.raises(SweepError, match=r"^Planner.tell: the epoch of r1-00\d's reading must be an integer ≥ 1"):
            planner.tell(pending, 0.5, epoch=epoch)
    planner.tell(pending, 0.5, epoch=1)  # the refused readings left the config pending


def test_a_directory_that_cannot_hold_the_round_files_is_a_one_line_error(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    with pytest.raises(SweepError, match=r"^Planner: cannot keep the round files in .*a-file \(Not a directory\)"):
        Planner(SPEC, directory=a_file)


def test_intermediate_readings_and_failures_are_told_too():
    planner = Planner({**SPEC, "rounds": 1, "samples": 2})
    config = planner.ask()
    planner.tell(config, 0.3, epoch=1)
    planner.tell(config["plan_id"], None)  # no final value: ended as errored
    assert planner.searcher.errored == {config["plan_id"]}
    second = planner.ask()
    planner.tell(second, 0.2, failed=True)
    assert planner.ask() is None and planner.told == 2


def _diverging_drive(planner: Planner, diverged: float | None) -> list[dict]:
    """The bowl in lr × batch size, except that lr ≥ 0.1 diverges (told as `diverged`); every ask."""
    asked = []
    while (config := planner.ask()) is not None:
        asked.append(config)
        too_large = config["lr"] >= 0.1
        planner.tell(config, diverged if too_large else bowl({**config, "momentum": 0.9}))
    return asked


@pytest.mark.parametrize("diverged", [math.nan, math.inf], ids=["nan", "inf"])
def test_the_model_learns_to_keep_away_from_where_trials_diverge(diverged):
    """A trial whose metric went NaN or infinite is the model's worst result: left out (as it was), the model
    never learned where α diverges and its doubt drew 44 of the last 45 proposals there; a crash (None) still
    says nothing about the config."""
    spec = {**SPEC, "samples": 60, "rounds": 1, "space": {k: v for k, v in SPEC["space"].items() if k != "momentum"}}
    late_in_diverging = []
    for seed in range(4):
        with Planner({**spec, "seed": seed}) as planner:
            asked = _diverging_drive(planner, diverged)
            assert planner.searcher.diverged == {c["plan_id"] for c in asked if c["lr"] >= 0.1}
            assert not planner.searcher.errored
            late_in_diverging.append(sum(c["lr"] >= 0.1 for c in asked[15:]))
    assert sum(late_in_diverging) / len(late_in_diverging) < 10, late_in_diverging  # of 45; random draws: ~11
    with Planner(spec) as crashing:
        crashing.tell(crashing.ask(), None)
        assert crashing.searcher.errored and not crashing.searcher.diverged


def test_the_tuners_searcher_reads_a_diverged_trial_from_rays_results_and_from_the_tables(tmp_path):
    searcher = _tuner_searcher(tmp_path)
    config = searcher.suggest("t0")
    searcher.on_trial_result("t0", {"dev_accuracy": math.nan, "epoch": 1, "training_iteration": 1})
    searcher.on_trial_complete("t0", {"dev_accuracy": math.nan, "epoch": 1, "training_iteration": 1})
    assert searcher.diverged == {config["plan_id"]} and not searcher.errored
    row = {S.PLAN_ID: config["plan_id"], S.ROUND: 1, S.STATUS: S.DIVERGED, S.BEST: math.nan, S.EPOCHS: 1,
           **{k: v for k, v in config.items() if k != S.PLAN_ID}}  # fmt: skip
    pd.DataFrame([row]).to_csv(searcher.plan.directory.trials_csv, index=False)
    assert _tuner_searcher_in(searcher.plan.directory).diverged == {config["plan_id"]}


def _tuner_searcher(tmp_path):
    """The searcher exactly as `sweep launch` builds it for the spec (not eager)."""
    spec = load_spec(SPEC)
    directory = SweepDir.create(tmp_path, spec.name)
    directory.write_yaml(directory.spec_yaml, spec.to_dict())
    slots = round_slots(spec, spec.space, staged=False)
    directory.state.create(SweepState(rounds=[s.to_dict() for s in slots]))
    return _tuner_searcher_in(directory)


def _tuner_searcher_in(directory: SweepDir):
    spec = load_spec(SPEC)
    slots = round_slots(spec, spec.space, staged=False)
    plan = SweepPlan(directory, spec.to_dict(), spec.space.to_dict(), tuple(slots))
    return make_searcher(plan, None)


def test_the_tuners_searcher_and_the_planner_plan_identical_rounds_from_identical_results(tmp_path):
    searcher = _tuner_searcher(tmp_path)
    asked = []
    for i in range(100):
        config = searcher.suggest(f"trial_{i}")
        if config == "FINISHED":
            break
        asked.append(config)
        searcher.on_trial_complete(f"trial_{i}", {"dev_accuracy": bowl(config)})
    assert asked == drive(Planner(SPEC))


def test_the_searchers_state_and_model_survive_save_and_restore(tmp_path):
    """Killed after 13 results (mid-way through a model-guided round), saved, restored into a fresh searcher:
    it plans exactly what the one that went on planned."""
    going_on, restored = _tuner_searcher(tmp_path / "a"), _tuner_searcher(tmp_path / "b")
    for i in range(13):
        config = going_on.suggest(f"t{i}")
        going_on.on_trial_complete(f"t{i}", {"dev_accuracy": bowl(config)})
    assert going_on.surrogate.kernel is not None  # the model has been fitted
    going_on.save(str(tmp_path / "state.pkl"))
    restored.plan = going_on.plan  # Ray restores the searcher in the same sweep directory
    restored.restore(str(tmp_path / "state.pkl"))
    assert list(restored.surrogate.kernel.theta) == list(going_on.surrogate.kernel.theta)
    assert restored.guided == going_on.guided and restored.guided.handed > 0
    for i in range(13, 24):
        a, b = going_on.suggest(f"t{i}"), restored.suggest(f"t{i}")
        assert a == b
        going_on.on_trial_complete(f"t{i}", {"dev_accuracy": bowl(a)})
        restored.on_trial_complete(f"t{i}", {"dev_accuracy": bowl(b)})


def test_proposals_made_after_the_last_saved_state_are_trained_as_planned_after_a_restore(tmp_path):
    """Ray snapshots the searcher now and then: what the guided round proposed since is in the plan file but in
    no restored trial. The restored searcher hands those configs out again, under their plan ids."""
    searcher = _tuner_searcher(tmp_path)
    for i in range(13):
        config = searcher.suggest(f"t{i}")
        searcher.on_trial_complete(f"t{i}", {"dev_accuracy": bowl(config)})
    searcher.save(str(tmp_path / "state.pkl"))
    late = [searcher.suggest(f"t{i}") for i in (13, 14)]  # proposed after the snapshot, then the driver dies
    restored = _tuner_searcher(tmp_path / "other")
    restored.plan = searcher.plan
    restored.restore(str(tmp_path / "state.pkl"))
    assert [restored.suggest("u0"), restored.suggest("u1")] == late
    following = restored.suggest("u2")
    assert following["plan_id"] not in {c["plan_id"] for c in late}
    plan = pd.read_csv(searcher.plan.directory.round_plan(round_of(late[0]["plan_id"])))
    assert plan["plan_id"].is_unique and list(plan["plan_id"])[-3:] == [
        *(c["plan_id"] for c in late),
        following["plan_id"],
    ]


def test_sampler_tpe_plans_without_optunas_log_lines(capfd):
    """A successful run ends clean: Optuna's "A new study created in memory" does not reach the terminal."""
    planner = Planner({**SPEC, "sampler": "tpe", "rounds": 1})
    for _ in range(3):
        config = planner.ask()
        assert config is not None
        planner.tell(config, -abs(math.log10(config["lr"]) + 2))
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_the_temporary_directory_goes_with_the_planner_and_a_given_one_stays(tmp_path):
    import gc

    with Planner(SPEC) as planner:
        made = planner.directory.root
        planner.tell(planner.ask(), 0.5)
        assert (made / "rounds").is_dir()
    assert not made.exists()
    with pytest.raises(SweepError, match=r"^Planner.ask: the planner is closed .*make a new one$"):
        planner.ask()

    dropped = Planner(SPEC)
    made = dropped.directory.root
    dropped.ask()
    del dropped
    gc.collect()
    assert not made.exists()  # a loop of planners leaves nothing behind

    kept = Planner(SPEC, directory=tmp_path / "plan")
    kept.tell(kept.ask(), 0.5)
    kept.close()
    assert (tmp_path / "plan" / "rounds").is_dir()
