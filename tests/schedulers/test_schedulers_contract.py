"""The scheduler plug-in contract, for every registered scheduler, driven by hand (no Ray trials, no `ray.init`).

As syne-tune's scheduler tests do, each scheduler's Ray object gets stub `Trial`s and fake results through
`on_trial_add` / `on_trial_result` / `on_trial_complete` / `choose_trial_to_run`, with a stand-in for the few
TuneController calls it makes. A new scheduler is covered by registering it; only its own behaviour (ASHA
stops the worst at its first rung, ...) needs a test of its own.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from ray.tune.experiment import Trial
from ray.tune.schedulers import TrialScheduler

from search_spaces import SpecError, SweepSpec, parse_spec
from search_spaces.scheduler_spec import SETTINGS, Rule, SchedulerSpec
from sweep.run.rounds import round_slots
from sweep.run.tuner import batches_reports, make_scheduler
from sweep.schedulers import REGISTRY, RayContext, SchedulerPlugin, get_scheduler
from sweep.schedulers.asha import asha_milestones

NAMES = sorted(REGISTRY)
DECISIONS = {TrialScheduler.CONTINUE, TrialScheduler.PAUSE, TrialScheduler.STOP, TrialScheduler.NOOP}
METRIC, MAX_T = "dev_accuracy", 9
SCORES = [0.9, 0.8, 0.7, 0.6, 0.5, 0.1]  # one per trial, best first


def _spec(name: str, **settings: Any) -> SweepSpec:
    space = {"lr": {"loguniform": [1e-4, 1]}, "momentum": {"beta": [0.5, 0.99]}, "epochs": MAX_T}
    return parse_spec({"metric": METRIC, "scheduler": {"type": name, **settings}, "space": space})


def _make(name: str, spec: SweepSpec | None = None) -> tuple[SchedulerPlugin[Any], TrialScheduler]:
    plugin, spec = get_scheduler(name), spec or _spec(name)
    time_attr = "epoch" if plugin.batches_reports else "training_iteration"
    scheduler = plugin.make(RayContext(spec, MAX_T, time_attr, spec.space))
    assert scheduler.set_search_properties(METRIC, "max", config={})  # as Tune does with TuneConfig's
    return plugin, scheduler


class Controller:
    """The TuneController calls a scheduler makes: the trials, a checkpoint save (PBT), a pause."""

    def __init__(self) -> None:
        self.trials: list[Trial] = []
        self.paused: list[Trial] = []

    def get_trials(self) -> list[Trial]:
        return self.trials

    def get_live_trials(self) -> list[Trial]:
        return [t for t in self.trials if not t.is_finished()]

    def _schedule_trial_save(self, trial: Trial, result: dict | None = None) -> object:
        return {"checkpoint_of": trial.trial_id}

    def pause_trial(self, trial: Trial, should_checkpoint: bool = True) -> None:
        trial.set_status(Trial.PAUSED)
        self.paused.append(trial)


def _result(epoch: int, value: float) -> dict[str, Any]:
    return {"epoch": epoch, "training_iteration": epoch, METRIC: value}


def _drive(name: str, scores: list[float] = SCORES, spec: SweepSpec | None = None) -> dict[str, Any]:
    """A population reporting every epoch in turn, best trial first, as Tune would run it on enough cores."""
    plugin, scheduler = _make(name, spec)
    controller = Controller()
    for i in range(len(scores)):
        trial = Trial("__fake", config={"lr": 0.01 * (i + 1), "momentum": 0.9, "plan_id": f"r1-{i:03d}"}, stub=True)
        controller.trials.append(trial)
        scheduler.on_trial_add(controller, trial)
        trial.set_status(Trial.RUNNING)
    decisions: list[tuple[int, int, str]] = []  # (trial index, epoch, decision)
    for epoch in range(1, MAX_T + 1):
        for i, trial in enumerate(controller.trials):
            if trial.status != Trial.RUNNING:
                continue
            result = _result(epoch, scores[i] + 0.001 * epoch)
            decision = scheduler.on_trial_result(controller, trial, result)
            decisions.append((i, epoch, decision))
            if decision == TrialScheduler.STOP:
                scheduler.on_trial_complete(controller, trial, result)
                trial.set_status(Trial.TERMINATED)
            elif decision == TrialScheduler.PAUSE:
                trial.set_status(Trial.PAUSED)
        while (chosen := scheduler.choose_trial_to_run(controller)) is not None:  # Tune restarts paused ones
            assert chosen in controller.trials and chosen.status in (Trial.PENDING, Trial.PAUSED)
            chosen.set_status(Trial.RUNNING)
    return {"plugin": plugin, "decisions": decisions, "trials": controller.trials, "controller": controller}


# ----------------------------------------------------------------------------- the registry
def test_every_scheduler_has_its_settings_and_answers_to_its_name() -> None:
    assert set(REGISTRY) == set(SETTINGS), "a scheduler needs a module + registry line and a settings dataclass"
    for name, plugin in REGISTRY.items():
        assert plugin.name == name and plugin.settings_type is SETTINGS[name]
        assert get_scheduler(name) is plugin


def test_an_unknown_scheduler_is_one_line_listing_the_known_ones() -> None:
    with pytest.raises(SpecError, match=r"^scheduler\.type: unknown scheduler 'hyperbnd' \(choose asha, fifo, pbt\)$"):
        get_scheduler("hyperbnd")
    with pytest.raises(SpecError, match=r"^scheduler\.type: fifo is not asha"):
        get_scheduler("asha").settings(SchedulerSpec("fifo"))


# ----------------------------------------------------------------------------- driven by hand
@pytest.mark.parametrize("name", NAMES)
def test_decisions_are_tunes_and_stops_fall_on_milestones(name: str) -> None:
    run = _drive(name)
    plugin = run["plugin"]
    milestones = plugin.milestones(_spec(name).scheduler, MAX_T)
    assert {d for _, _, d in run["decisions"]} <= DECISIONS
    stops = {epoch for _, epoch, d in run["decisions"] if d == TrialScheduler.STOP}
    assert stops <= {*milestones, MAX_T}, f"{name} stopped a trial between its milestones"
    early = {epoch for epoch in stops if epoch < MAX_T}
    assert bool(early) <= plugin.prunes(_spec(name).scheduler, MAX_T)


@pytest.mark.parametrize("name", NAMES)
def test_report_policy_fits_where_it_decides(name: str) -> None:
    """A scheduler that acts between its milestones (PBT exploits at any perturbation epoch) must see every
    epoch, so it may not let trials batch their reports."""
    run = _drive(name)
    milestones = set(run["plugin"].milestones(_spec(name).scheduler, MAX_T))
    acted_between = {e for _, e, d in run["decisions"] if d != TrialScheduler.CONTINUE} - milestones - {MAX_T}
    if acted_between:
        assert not run["plugin"].batches_reports
    spec = _spec(name)
    assert batches_reports(spec) == run["plugin"].batches_reports  # the built-in mlp batches when allowed


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("max_t", [1, 2, 5, 9, 27, 100])
def test_milestones_increase_within_max_t(name: str, max_t: int) -> None:
    plugin, scheduler = get_scheduler(name), _spec(name).scheduler
    milestones = plugin.milestones(scheduler, max_t)
    assert list(milestones) == sorted(set(milestones)) and all(1 <= m <= max_t for m in milestones)
    assert plugin.prunes(scheduler, max_t) == bool(milestones)
    assert milestones == make_scheduler(_spec(name), max_t)[1]  # what the Tuner's scheduler is built with
    line = plugin.describe(scheduler, max_t)
    assert line and "\n" not in line


@pytest.mark.parametrize("name", NAMES)
def test_make_scheduler_builds_it_with_its_milestones(name: str) -> None:
    spec = _spec(name)
    scheduler, milestones = make_scheduler(spec, MAX_T)
    assert isinstance(scheduler, TrialScheduler) and milestones == get_scheduler(name).milestones(spec.scheduler, 9)


def test_asha_stops_a_clearly_worse_trial_at_its_first_rung() -> None:
    run = _drive("asha", spec=_spec("asha", grace_period=2, reduction_factor=3))
    first = {(i, e): d for i, e, d in run["decisions"] if e == 2}
    assert first[(0, 2)] == TrialScheduler.CONTINUE  # the best goes on
    assert first[(5, 2)] == TrialScheduler.STOP  # the worst, far below the others at the rung, stops there
    assert all(e <= 2 for i, e, _ in run["decisions"] if i == 5)


def test_fifo_never_stops_a_trial_early() -> None:
    run = _drive("fifo")
    assert {d for _, _, d in run["decisions"]} == {TrialScheduler.CONTINUE}
    assert len(run["decisions"]) == len(SCORES) * MAX_T


def test_pbt_clones_the_best_into_the_worst_and_keeps_its_plan_id() -> None:
    run = _drive("pbt", spec=_spec("pbt", perturbation_interval=2, quantile_fraction=0.25))
    worst, best = run["trials"][-1], run["trials"][0]
    assert worst in run["controller"].paused  # exploited: paused to restart from the donor's checkpoint
    donors = [t.config["lr"] for t in run["trials"][:2]]  # the top quarter, rounded up: 2 of 6
    assert best.config["lr"] == 0.01 and worst.config["plan_id"] == "r1-005"
    assert any(worst.config["lr"] == pytest.approx(lr * factor) for lr in donors for factor in (0.8, 1.2))
    assert not any(d == TrialScheduler.STOP for _, e, d in run["decisions"] if e < MAX_T)


# ----------------------------------------------------------------------------- spec fields
def _fields(name: str) -> list[dataclasses.Field]:
    return list(dataclasses.fields(SETTINGS[name]))


def _other_value(f: dataclasses.Field) -> Any:
    """A valid value of a setting other than its default (found from its own rule)."""
    rule: Rule = f.metadata["rule"]
    for candidate in (f.default + 1, f.default * 2, f.default / 2):
        try:
            if rule.check("x", candidate) != f.default:
                return candidate
        except SpecError:
            continue
    raise AssertionError(f"no other valid value for {f.name}")


@pytest.mark.parametrize("name", NAMES)
def test_settings_round_trip_through_the_yaml_mapping(name: str) -> None:
    changed = {f.name: _other_value(f) for f in _fields(name)}
    spec = _spec(name, max_t=7, **changed)
    assert spec.scheduler.type == name and spec.scheduler.max_t == 7
    assert spec.scheduler.to_dict() == {"type": name, "max_t": 7, **changed}
    assert parse_spec(spec.to_dict()) == spec
    assert _spec(name).scheduler == SchedulerSpec(name)  # no keys: the settings' defaults


@pytest.mark.parametrize(("name", "key"), [(n, f.name) for n in NAMES for f in _fields(n)])
def test_a_bad_setting_is_one_line_naming_it(name: str, key: str) -> None:
    with pytest.raises(SpecError, match=rf"^scheduler\.{key}: must be [^\n]+, got 'ten'$"):
        _spec(name, **{key: "ten"})


@pytest.mark.parametrize("name", NAMES)
def test_an_unknown_setting_is_one_line_naming_it(name: str) -> None:
    with pytest.raises(SpecError, match=r"^scheduler\.bogus: unknown key \(valid keys: type, max_t, [^\n]+\)$"):
        _spec(name, bogus=1)


def test_another_schedulers_keys_are_checked_then_dropped() -> None:
    """spec.yaml files written before settings were per scheduler list every scheduler's keys."""
    old = {"type": "fifo", "grace_period": 1, "reduction_factor": 3, "perturbation_interval": 2}
    assert parse_spec({"scheduler": old}).scheduler == SchedulerSpec("fifo")
    with pytest.raises(SpecError, match=r"^scheduler\.grace_period: must be an integer ≥ 1, got 0$"):
        parse_spec({"scheduler": {**old, "grace_period": 0}})


# ----------------------------------------------------------------------------- refusals, checkpoints, ASHA's rungs
def test_pbt_refuses_tpe_and_staged_sweeps() -> None:
    spec = _spec("pbt")
    with pytest.raises(SpecError, match="^sampler: tpe learns from configs that PBT mutates"):
        round_slots(spec.replace(sampler="tpe"), spec.space, staged=False)
    with pytest.raises(SpecError, match=r"^--staged: pbt perturbs every tier at once.*use scheduler asha$"):
        round_slots(spec, spec.space, staged=True)
    assert get_scheduler("pbt").checkpoint_interval(_spec("pbt", perturbation_interval=3).scheduler) == 3
    for name in NAMES:
        if name != "pbt":
            round_slots(_spec(name), _spec(name).space, staged=True)  # no refusal
            assert get_scheduler(name).checkpoint_interval(_spec(name).scheduler) is None


def test_asha_milestones_follow_rays_rungs() -> None:
    assert asha_milestones(1, 3, 27) == [1, 3, 9, 27]
    assert asha_milestones(2, 3, 20) == [2, 6, 18]
    assert asha_milestones(1, 2, 10) == [1, 2, 4, 8]
    assert asha_milestones(4, 4, 4) == [4]
    assert make_scheduler(_spec("asha", grace_period=5), 3)[1] == (3,)  # grace beyond max_t: one rung at max_t
    assert make_scheduler(_spec("fifo"), 27)[1] == make_scheduler(_spec("pbt"), 27)[1] == ()
