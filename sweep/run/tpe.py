"""`sampler: tpe`: Ray's own `OptunaSearch` (Optuna's TPE) over the spec's scales, through the same door.

Optuna samples each parameter in its own coordinate (log10 α natively, log10(1−β) and log2 of a batch size
as plain ranges, so TPE models them on the right scale); this searcher turns the coordinates back into
real values, adds the held values, the data and a plan id, and appends each config to the round's plan file
as it is proposed. ASHA still prunes; a trial's value for TPE is its best metric, as sweep ranks it.
A TPE sweep is one round of `samples × rounds` trials: TPE replaces the zoom.
"""

from __future__ import annotations

from typing import Any

from ray import cloudpickle
from ray.tune.search import Searcher

from search_spaces import Space, baseline_config
from sweep import events as E
from sweep.run.budget import Budget
from sweep.run.rounds import leads_with_baseline
from sweep.run.sweep_plan import SweepPlan
from sweep.run.trial_guard import error_of
from sweep.store import schema as S
from sweep.store.csv_appender import CsvAppender
from sweep.store.ledger import Ledger, epochs_of
from sweep.store.plan_ids import plan_id
from sweep_errors import SweepError


class CoordinateSpace:
    """Optuna's define-by-run space for a sweep's Space (a picklable callable)."""

    def __init__(self, space: dict[str, Any]) -> None:
        self.space = space

    def __call__(self, trial: Any) -> None:
        for param in Space.from_dict(self.space).tuned():
            hint = param.scale_type.suggestion(param)  # the scale says how: a range, in which coordinate
            if hint.kind == "categorical":
                trial.suggest_categorical(param.name, list(hint.choices))
            elif hint.kind == "int":
                trial.suggest_int(param.name, int(hint.low), int(hint.high), log=hint.log)
            else:
                trial.suggest_float(param.name, hint.low, hint.high, log=hint.log)


def coordinates(space: Space, config: dict[str, Any]) -> dict[str, Any]:
    """A config's tuned values as :class:`CoordinateSpace` draws them (Optuna's `enqueue_trial` takes these).

    Example:
        >>> space = Space.from_dict({"lr": {"loguniform": [1e-4, 1]}, "batch_size": {"pow2": [16, 256]}})
        >>> coordinates(space, {"lr": 0.01, "batch_size": 64})
        {'lr': 0.01, 'batch_size': 6}
    """
    point: dict[str, Any] = {}
    for param in space.tuned():
        hint = param.scale_type.suggestion(param)
        value = param.coord(config[param.name]) if hint.in_coordinate else config[param.name]
        point[param.name] = int(round(value)) if hint.kind == "int" else value
    return point


def from_coordinates(space: Space, point: dict[str, Any]) -> dict[str, Any]:
    """The real values of a point :class:`CoordinateSpace` drew (the inverse of :func:`coordinates`), with the
    space's fixed values: every param of the space.

    Example:
        >>> space = Space.from_dict({"lr": {"loguniform": [1e-4, 1]}, "batch_size": {"pow2": [16, 256]}, "epochs": 5})
        >>> from_coordinates(space, {"lr": 0.01, "batch_size": 6})
        {'lr': 0.01, 'batch_size': 64, 'epochs': 5}
    """
    config: dict[str, Any] = {}
    for name, param in space.items():
        if param.is_fixed:
            config[name] = (param.levels() or [param.default])[0]
        elif param.scale_type.suggestion(param).in_coordinate:
            config[name] = param.from_coord(point[name])
        else:
            config[name] = point[name]
    return config


class TpeSearcher(Searcher):
    """Proposes `count` configs with Optuna's TPE, recording each one's real values in the plan file."""

    def __init__(self, plan: SweepPlan, budget: Budget | None = None) -> None:
        spec = plan.sweep_spec()
        super().__init__(metric=spec.metric, mode=spec.mode)
        try:
            import optuna
            from optuna.samplers import TPESampler
            from ray.tune.search.optuna import OptunaSearch
        except ImportError:
            raise SweepError(
                "sampler: tpe needs Optuna, which is not installed: pip install 'optuna>=4' (or the `tpe` extra)"
            ) from None
        optuna.logging.set_verbosity(optuna.logging.WARNING)  # not "A new study created in memory" on the terminal
        self.plan = plan
        self.budget = budget
        self.space = Space.from_dict(plan.base)
        self.count = sum(slot.samples for slot in plan.slots)
        self.data = spec.data
        leads = leads_with_baseline(spec, plan.slots[0])
        self.inner = OptunaSearch(
            space=CoordinateSpace(plan.base),
            metric=spec.metric,
            mode=spec.mode,
            sampler=TPESampler(seed=spec.seed),
            points_to_evaluate=[coordinates(self.space, baseline_config(self.space))] if leads else None,
        )
        self.handed = 0
        self.ledger = Ledger(spec.metric, spec.mode)  # by Ray's trial id: each trial's best so far

    def set_search_properties(self, metric: str | None, mode: str | None, config: dict, **spec: Any) -> bool:
        return True

    def suggest(self, trial_id: str) -> Any:  # a config, None (ask again later) or Searcher.FINISHED
        if self.handed >= self.count or (self.budget is not None and self.budget.exhausted):
            return Searcher.FINISHED
        if self.handed == 0:
            self._start()
        proposed = self.inner.suggest(trial_id)
        if proposed is None:
            return None
        config = from_coordinates(self.space, proposed)
        if self.data is not None:
            config.setdefault("data", self.data)
        config[S.PLAN_ID] = plan_id(self.plan.slots[0].number, self.handed)
        self.handed += 1
        CsvAppender(self.plan.directory.round_plan(self.plan.slots[0].number), fsync=self.plan.durable).append([config])
        return config

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        self.ledger.record(trial_id, epochs_of(result, self.metric))

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        error = error or error_of(result) is not None
        if result and not error:
            self.on_trial_result(trial_id, result)
        best = self.ledger.get(trial_id).best
        told = None if error or best is None else {self.metric: best}
        self.inner.on_trial_complete(trial_id, told, error=error)

    def save(self, checkpoint_path: str) -> None:
        state = {"handed": self.handed, "ledger": self.ledger, "inner": self.inner.__dict__.copy()}
        with open(checkpoint_path, "wb") as handle:
            cloudpickle.dump(state, handle)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as handle:
            state = cloudpickle.load(handle)
        self.handed = state["handed"]
        for trial_id, best in state.get("best", {}).items():  # saved before the ledger: each trial's best
            self.ledger.record(trial_id, [{self.metric: best}])
        self.ledger = state.get("ledger", self.ledger)
        self.inner.__dict__.update(state["inner"])

    def _start(self) -> None:
        directory = self.plan.directory
        number = self.plan.slots[0].number
        if not directory.round_space(number).exists():
            directory.write_yaml(directory.round_space(number), self.plan.base)
        E.emit(self.plan.observer, E.RoundPlanned(number, self.count, proposer="TPE (Optuna)"))
        directory.state.update(lambda state: state.start_round(number))
