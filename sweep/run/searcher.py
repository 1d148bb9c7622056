"""Coarse to fine as a Ray Tune `Searcher`: one Tuner runs every round of a sweep.

Ray asks a custom searcher for one trial ahead of the free cores (its pending-trial limit is 1, or the
concurrency limit). The searcher hands out the current round's planned configs in order; once they are all
out and half the round has reported (:func:`~sweep.run.rounds.enough_evidence`), the next request, which would
otherwise leave a core idle, plans the next round from everything seen so far. So round 2's first trials
start while round 1's stragglers are still training.

What is planned is written before it runs (``rounds/round-N.yaml`` and ``round-N.plan.csv``) and read back
after a restart, so a resumed sweep trains exactly the configs planned before the kill. Ray saves this
searcher's state with its experiment snapshots and restores it with `Tuner.restore`.
"""

from __future__ import annotations

import math
import pickle
from dataclasses import replace
from typing import Any

import pandas as pd
from ray.tune.search import Searcher

from search_spaces import Space, zoom_lines
from search_spaces.surrogate import Surrogate
from sweep import events as E
from sweep.run.budget import Budget, round_share_spent
from sweep.run.guided import LOCAL_CENTRES, GuidedRound, guided, initial_design
from sweep.run.rounds import (
    Outcome,
    RoundSlot,
    best_config,
    enough_evidence,
    explore_count,
    leads_with_baseline,
    plan_configs,
    ranked,
    round_layout,
    stage_space,
)
from sweep.run.sweep_plan import SweepPlan, missing, plain, read_plan
from sweep.run.trial_guard import error_of
from sweep.run.warm_start import read_plan as read_warm_plan
from sweep.run.warm_start import round_one_with_warm_start
from sweep.store import schema as S
from sweep.store.csv_appender import CsvAppender
from sweep.store.ledger import epochs_of, reading
from sweep.store.plan_ids import round_of
from sweep.store.ranking import best_of
from sweep.store.tables import read_table


class RecipeSearcher(Searcher):
    """Hands out planned rounds; plans each next round (zoom, stage holds) when a core would idle."""

    def __init__(self, plan: SweepPlan, budget: Budget | None = None, eager: bool = False) -> None:
        spec = plan.sweep_spec()
        super().__init__(metric=spec.metric, mode=spec.mode)
        self.plan = plan
        self.budget = budget
        self.eager = eager  # plan the next round whenever asked (the ask/tell Planner: a worker is free)
        self.slot_index = -1  # index into plan.slots of the round being handed out (-1: none yet)
        self.queue: list[dict[str, Any]] = []  # the current round's configs not yet handed out
        self.trials: dict[str, str] = {}  # Ray trial id → plan id
        self.outcomes: dict[str, Outcome] = {}
        self.reported: set[str] = set()  # plan ids that reported at least once
        self.ended: set[str] = set()  # plan ids whose trial is over
        self.errored: set[str] = set()
        self.diverged: set[str] = set()  # plan ids whose metric went NaN or infinite: the model's worst results
        self.skipped: list[str] = []  # planned but never started (a round's budget share ran out)
        self.finished = False
        self.guided: GuidedRound | None = None  # the current round's model-guided proposals (rounds.model)
        self.surrogate = Surrogate(Space.from_dict(plan.base), spec.mode) if guided(spec) else None
        self._load_earlier_results()

    # --- Ray's Searcher interface -------------------------------------------------------------------------
    def set_search_properties(self, metric: str | None, mode: str | None, config: dict, **spec: Any) -> bool:
        return True  # metric and mode come from the sweep spec; the space is ours

    def suggest(self, trial_id: str) -> Any:  # a config, None (ask again later) or Searcher.FINISHED
        if self.finished:
            return Searcher.FINISHED
        if self.budget is not None and self.budget.exhausted:
            return self._finish()
        if self.slot_index >= 0 and (self.queue or self._proposing()) and self._share_spent():
            self.skipped += [str(c[S.PLAN_ID]) for c in self.queue]
            self.queue = []
            self.guided = None
        if not self.queue and not self._proposing():
            if self.slot_index + 1 >= len(self.plan.slots):
                return self._finish()
            if self.slot_index >= 0 and not self._ready_for_next():
                return None  # Ray asks again at its next step
            self._start_round(self.slot_index + 1)
            if not self.queue and not self._proposing():
                return None
        config = self.queue.pop(0) if self.queue else self._propose()
        self.trials[trial_id] = str(config[S.PLAN_ID])
        if self.plan.pbt_interval:
            from sweep.schedulers.pbt_population import pbt_configs

            config = pbt_configs([config], self.plan.pbt_interval)[0]
        return config

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        plan = self.trials.get(trial_id)
        if plan is None:
            return
        if self.budget is not None:
            self.budget.training_started()
        self.reported.add(plan)
        outcome, epochs = self.outcomes[plan], epochs_of(result, self.metric)
        readings = [reading(e, self.metric) for e in epochs]
        if any(r is not None and not math.isfinite(r) for r in readings):
            self.diverged.add(plan)
        best = best_of([outcome.best, *readings], self.mode)
        trained = max([outcome.epochs, *(int(e.get(S.EPOCH) or 0) for e in epochs)])
        self.outcomes[plan] = replace(outcome, best=best, epochs=trained)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        plan = self.trials.get(trial_id)
        if plan is None:
            return
        self.reported.add(plan)
        self.ended.add(plan)
        if error or error_of(result):  # an error says nothing about the config's quality
            self.errored.add(plan)
            self.outcomes.pop(plan, None)
        elif result:
            self.on_trial_result(trial_id, result)

    def save(self, checkpoint_path: str) -> None:
        state = {k: v for k, v in self.__dict__.items() if k not in ("plan", "budget", "eager", "_metric", "_mode")}
        with open(checkpoint_path, "wb") as handle:
            pickle.dump(state, handle)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as handle:
            self.__dict__.update(pickle.load(handle))
        self._requeue_proposed_since_saved()

    def _requeue_proposed_since_saved(self) -> None:
        """A guided round's proposals made after Ray's last snapshot of this state are in the plan file but in
        no restored trial: they are trained as planned (never proposed afresh under the same plan ids)."""
        if self.guided is None or not self.plan.directory.round_plan(self.guided.number).exists():
            return
        rows = read_plan(self.plan.directory, self.guided.number)
        extra = rows[self.guided.handed :]
        if not extra:
            return
        done = self._done_plan_ids() | {str(c[S.PLAN_ID]) for c in self.queue}
        self._expect(self.plan.slots[self.slot_index], extra)
        self.queue += [c for c in extra if str(c[S.PLAN_ID]) not in done]
        self.guided.handed = len(rows)

    # --- rounds -------------------------------------------------------------------------------------------
    def _proposing(self) -> bool:
        """Whether the current round still has trials for the model to propose."""
        return self.guided is not None and self.guided.open

    def _propose(self) -> dict[str, Any]:
        """The current round's next trial, chosen by the model now, from every result so far; appended to the
        round's plan file before it runs."""
        assert self.guided is not None and self.surrogate is not None
        slot = self.plan.slots[self.slot_index]
        # A trial that diverged before any finite reading is the worst result there is: left out, it would leave
        # the model blind where α is too large, and the model's doubt there would draw trial after trial to it.
        worst = -math.inf if self.mode == "max" else math.inf
        results = [(o.config, worst if o.best is None else o.best) for p, o in self.outcomes.items()
                   if o.best is not None or p in self.diverged]  # fmt: skip
        handed = set(self.trials.values())
        pending = [o.config for p, o in self.outcomes.items() if p in handed and p not in self.ended]
        top = ranked(self.outcomes.values(), self.mode)[:LOCAL_CENTRES]  # the one ranking picks the model's centres
        centres = [o.config for o in top if math.isfinite(o.best)]  # type: ignore[arg-type]
        config = self.guided.propose(self.plan.sweep_spec(), self.surrogate, results, pending, centres)
        CsvAppender(self.plan.directory.round_plan(slot.number), fsync=self.plan.durable).append([config])
        self._expect(slot, [config])
        return config

    def _expect(self, slot: RoundSlot, configs: list[dict[str, Any]]) -> None:
        """An outcome for each config planned in `slot`, without a result until its trial reports."""
        for config in configs:
            plan, params = str(config[S.PLAN_ID]), {k: v for k, v in config.items() if k != S.PLAN_ID}
            self.outcomes.setdefault(plan, Outcome(plan, slot.number, slot.stage, params, None))

    def _finish(self) -> str:
        self.finished = True
        self.guided = None
        self.skipped += [str(c[S.PLAN_ID]) for c in self.queue]
        self.queue = []
        if self.skipped:
            skipped = self.skipped
            self.plan.directory.state.update(lambda state: state.leave_unstarted(skipped))
        return Searcher.FINISHED

    def _share_spent(self) -> bool:
        return round_share_spent(self.budget, self.slot_index, len(self.plan.slots))

    def _ready_for_next(self) -> bool:
        """A zoom round may start on half the evidence; a new stage holds the previous stage's best, so it
        waits for every trial of that stage to end (the one barrier left in a staged sweep)."""
        current, following = self.plan.slots[self.slot_index], self.plan.slots[self.slot_index + 1]
        mine = [p for p in self.outcomes if round_of(p) == current.number]
        mine += [p for p in self.errored if round_of(p) == current.number]
        if self._share_spent() or self.eager:
            return True
        if following.stage != current.stage:
            return all(p in self.ended for p in mine)
        return enough_evidence(sum(1 for p in mine if p in self.reported), len(mine))

    def _start_round(self, index: int) -> None:
        """Plans round `index` (or reads the plan saved before a restart) and queues its configs."""
        self.slot_index = index
        slot = self.plan.slots[index]
        directory = self.plan.directory
        spec = self.plan.sweep_spec()
        if directory.round_plan(slot.number).exists():
            space = Space.from_dict(directory.read_yaml(directory.round_space(slot.number)))
            configs = read_plan(directory, slot.number)
            if guided(spec) and (self.guided is None or self.guided.number != slot.number):
                self.guided = GuidedRound.resumed(spec, slot, directory, len(configs))  # a restart without its state
        else:
            previous = self._previous_space(slot)
            base = Space.from_dict(self.plan.base)
            space, regions, wide = round_layout(slot, base, previous, self.outcomes.values(), spec)
            warm = len((read_warm_plan(directory.root) or {}).get("configs", [])) if slot.number == 1 else 0
            if guided(spec):
                results = sum(1 for o in self.outcomes.values() if o.best is not None)
                first = initial_design(spec, slot, self.surrogate, results, room=warm)
                configs = [] if first is None else plan_configs(spec, space, first)
                whole = stage_space(base, slot.stage, best_config(self.outcomes.values(), spec.mode))
                self.guided = GuidedRound.start(spec, slot, len(configs), space, regions, wide, whole)
                directory.write_yaml(directory.round_explore(slot.number), whole.to_dict())
            else:
                configs = plan_configs(spec, space, slot, regions, wide)
            if warm:  # `--warm-start`: an earlier sweep's best configs in place of the last draws
                configs = round_one_with_warm_start(directory.root, configs, leads_with_baseline(spec, slot))
            directory.write_yaml(directory.round_space(slot.number), space.to_dict())
            if regions:
                directory.write_yaml(directory.round_regions(slot.number), [r.to_dict() for r in regions])
            if configs:  # a guided zoomed round's file starts with its first proposal
                pd.DataFrame(configs).to_csv(directory.round_plan(slot.number), index=False)
            self._announce(slot, space, len(regions), explore_count(spec, slot) if wide is not None else 0)
        directory.state.update(lambda state: state.start_round(slot.number))
        done = self._done_plan_ids()
        self.queue = [c for c in configs if str(c[S.PLAN_ID]) not in done]
        self._expect(slot, configs)

    def _previous_space(self, slot: RoundSlot) -> Space | None:
        path = self.plan.directory.round_space(slot.number - 1)
        return Space.from_dict(self.plan.directory.read_yaml(path)) if slot.number > 1 and path.exists() else None

    def _announce(self, slot: RoundSlot, space: Space, regions: int, exploring: int) -> None:
        if self.plan.observer is None:
            return
        spec = self.plan.sweep_spec()
        previous = self._previous_space(slot)
        zoom = tuple(zoom_lines(previous, space)) if slot.zoom and previous is not None else ()
        planned = E.RoundPlanned(
            slot.number, slot.samples, slot.stage, regions, exploring, guided(spec), leads_with_baseline(spec, slot),
            zoom,
        )  # fmt: skip
        E.emit(self.plan.observer, planned)

    def _done_plan_ids(self) -> set[str]:
        trials = read_table(self.plan.directory.trials_csv, key=[S.PLAN_ID])
        return set() if trials.empty else set(trials[S.PLAN_ID].astype(str))

    def _load_earlier_results(self) -> None:
        """Trials that already have a row (earlier rounds of a refined or restarted sweep) steer the zoom."""
        trials = read_table(self.plan.directory.trials_csv, key=[S.PLAN_ID])
        if trials.empty:
            return
        names = [n for n in Space.from_dict(self.plan.base).names if n in trials.columns]
        for row in trials.to_dict("records"):
            plan = str(row[S.PLAN_ID])
            if row[S.STATUS] == S.ERRORED:
                self.errored.add(plan)
                continue
            if row[S.STATUS] == S.DIVERGED:
                self.diverged.add(plan)
            stage = None if pd.isna(row.get(S.STAGE)) else int(row[S.STAGE])
            best = None if pd.isna(row.get(S.BEST)) else float(row[S.BEST])
            config = {n: plain(row[n]) for n in names if not missing(row[n])}
            epochs = 0 if pd.isna(row.get(S.EPOCHS)) else int(row[S.EPOCHS])
            self.outcomes[plan] = Outcome(plan, int(row[S.ROUND]), stage, config, best, epochs, str(row[S.STATUS]))
            self.reported.add(plan)
            self.ended.add(plan)
