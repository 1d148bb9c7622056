"""Population-based training: Ray's PBT, perturbing each hyperparameter in its own coordinate.

A trial in the bottom quantile of the population clones a top trial (its checkpoint and its config), then
:func:`perturb` moves the cloned hyperparameters: ×0.8 or ×1.2 on α for loguniform (a step in log10 α), on
1−β for beta (a step in log10(1−β), so β never reaches 1), ±10 % of the range for uniform, ×2 or ÷2 for pow2,
±1 for int, all clipped to the param's bounds; a categorical is resampled with probability 0.25.

Every exploit is written to ``DIR/pbt_changes.csv``, one row per mutable hyperparameter: the trial, the
epoch it had reached, the donor trial and the epoch of the donor's checkpoint it continues from, and the
value before (the trial's own), the donor's, and the new one. Together with the ``lr`` column of the history
this gives every trial's hyperparameters over time.

Checkpoints: a trial can only be cloned at an epoch where it saved one, so :func:`pbt_configs` makes the
trainable's ``checkpoint_every`` divide ``perturbation_interval`` (called from ``sweep.run.tuner.sweep_tuner``).

Example:
    >>> import random
    >>> from search_spaces import Space, Param
    >>> space = Space([Param.from_entry("momentum", {"beta": [0.5, 0.999]})])
    >>> new = perturb({"momentum": 0.99}, space, random.Random(0))
    >>> round((1 - new["momentum"]) / 0.01, 6) in (0.8, 1.2)
    True
"""

from __future__ import annotations

import copy
import functools
import random
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ray.tune.schedulers import PopulationBasedTraining

from search_spaces import Param, Space, SweepSpec
from search_spaces.errors import SpecError
from search_spaces.scheduler_spec import PbtSettings
from sweep.run.tune_domains import to_tune_domain
from sweep.store.csv_appender import CsvAppender
from sweep.store.layout import SweepDir
from sweep.store.plan_ids import round_of

PERTURBATION_FACTORS = (0.8, 1.2)  # on α, on 1−β, and (as ±10 % of the range) on a uniform param
RESAMPLE_PROBABILITY = 0.25  # a categorical is redrawn this often, else kept
CHANGE_COLUMNS = [
    "plan_id", "trial_id", "round", "epoch", "donor_plan_id", "donor_trial_id", "donor_epoch",
    "param", "old", "donor", "new", "explored_at",
]  # fmt: skip

# What a clone of a user's trainable keeps: the usual architecture names (a checkpoint cannot take another
# architecture), the budget and the data (not hyperparameters of learning). A built-in's record says its own.
HELD = ("layers", "hidden_units", "batch_norm", "optimizer", "epochs", "data", "label", "split", "split_seed")


def held_keys(trainable: str) -> tuple[str, ...]:
    """The keys a PBT clone keeps: a built-in's config keys outside its `perturbable_keys`, else :data:`HELD`."""
    from trainables.registry import BUILTINS

    record = BUILTINS.get(trainable)
    if record is None:
        return HELD
    return tuple(key for key in record.config_keys if key not in record.perturbable_keys)


def mutable_params(space: Space, held: tuple[str, ...] = HELD) -> list[Param]:
    """The tuned params PBT perturbs: numeric and categorical ones, minus the `held` keys."""
    return [p for p in space.tuned() if p.name not in held and not p.is_fixed]


def perturb(
    config: Mapping[str, Any], space: Space, rng: random.Random, held: tuple[str, ...] = HELD
) -> dict[str, Any]:
    """A copy of `config` with every mutable param of `space` moved one step in its own coordinate.

    Args:
        config: The donor's config (keys not in `space` are copied unchanged).
        space: The round's space; only :func:`mutable_params` move.
        rng: The random source (factor and resampling draws).
        held: Keys never moved (see :func:`held_keys`).

    Returns:
        The new config; numeric values stay within their param's bounds.

    Example:
        >>> from search_spaces import Param
        >>> space = Space([Param.from_entry("lr", {"loguniform": [1e-4, 1]})])
        >>> perturb({"lr": 0.01}, space, random.Random(1))["lr"] in (0.008, 0.012)
        True
    """
    new = copy.deepcopy(dict(config))
    for param in mutable_params(space, held):
        if param.name in new:
            new[param.name] = param.scale_type.perturb(
                param, new[param.name], rng, PERTURBATION_FACTORS, RESAMPLE_PROBABILITY
            )  # one PBT step on the param's own scale (see the module docstring)
    return new


def explorer(space: Space, seed: int, held: tuple[str, ...] = HELD) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """PBT's ``custom_explore_fn``: :func:`perturb` with its own seeded generator (picklable, as Ray needs)."""
    return functools.partial(perturb, space=space, rng=random.Random(seed), held=held)


class SweepPBT(PopulationBasedTraining):
    """Ray's asynchronous PBT with three changes: a clone is perturbed only by :func:`explorer` (Ray's own
    step multiplies values, which would push β past 1), it keeps its own ``plan_id`` (the key of the
    results tables), and every exploit is appended to ``pbt_changes.csv``."""

    def __init__(self, spec: SweepSpec, space: Space) -> None:
        sched = spec.scheduler.settings
        assert isinstance(sched, PbtSettings), "SweepPBT is made for a spec whose scheduler is pbt"
        self.space = space
        self.seed = spec.seed
        self.held = held_keys(spec.trainable)
        self.changes_path: Path | None = None
        super().__init__(
            time_attr="training_iteration",  # one report per epoch
            # metric and mode come from TuneConfig (Ray refuses them in both places)
            perturbation_interval=sched.perturbation_interval,
            quantile_fraction=sched.quantile_fraction,
            hyperparam_mutations=_mutations(space, self.held),
            resample_probability=RESAMPLE_PROBABILITY,
            perturbation_factors=PERTURBATION_FACTORS,
            custom_explore_fn=explorer(space, spec.seed, self.held),
            log_config=False,  # pbt_changes.csv replaces Ray's pbt_policy_*.txt files
        )

    def bind(self, space: Space, sweep_root: str | Path) -> None:
        """Perturb in the sweep's space (holds applied; every round's trials share one population) and record
        changes under `sweep_root`."""
        self.space = space
        self._hyperparam_mutations = _mutations(space, self.held)
        self._custom_explore_fn = explorer(space, self.seed, self.held)
        self.changes_path = SweepDir(Path(sweep_root)).pbt_changes_csv

    def on_trial_add(self, tune_controller: Any, trial: Any) -> None:
        """Ray's PBT refuses any search algorithm beside it, since a model-based one would learn from configs
        PBT has mutated since. The coarse-to-fine searcher only hands out planned configs, each holding every
        key PBT mutates, so PBT shares the sweep's one Tuner with it (TPE with PBT is refused in the spec)."""
        from ray.tune.schedulers.pbt import _PBTTrialState

        self._trial_state[trial] = _PBTTrialState(trial)

    def _quantiles(self) -> tuple[list[Any], list[Any]]:
        """Ray's quantiles of the population, less the trials that have reported their last epoch. Ray leaves
        out finished trials, but learns that a trial finished only once its function returns, a moment after
        its last report: cloned in that moment, its final checkpoint left the clone no epoch to train, and the
        clone ended at once, its row showing only the epochs it had trained itself."""
        population = self._trial_state
        self._trial_state = {trial: state for trial, state in population.items() if not _at_budget(trial, state)}
        try:
            return super()._quantiles()
        finally:
            self._trial_state = population

    def _get_new_config(self, trial: Any, trial_to_clone: Any) -> tuple[dict, dict]:
        assert self._custom_explore_fn is not None
        new = self._custom_explore_fn(copy.deepcopy(trial_to_clone.config))
        if "plan_id" in trial.config:
            new["plan_id"] = trial.config["plan_id"]
        donor = trial_to_clone.config
        operations = {key: "perturb" for key in self._hyperparam_mutations if new.get(key) != donor.get(key)}
        return new, operations

    def _exploit(self, tune_controller: Any, trial: Any, trial_to_clone: Any) -> None:
        before = dict(trial.config)
        epoch = _epoch(self._trial_state[trial].last_result)  # trial.last_result lags this result
        donor_epoch = _epoch(self._trial_state[trial_to_clone].last_result)
        super()._exploit(tune_controller, trial, trial_to_clone)
        if self.changes_path is None:
            return
        common = {
            "plan_id": before.get("plan_id"), "trial_id": trial.trial_id, "round": round_of(before["plan_id"]),
            "epoch": epoch, "donor_plan_id": trial_to_clone.config.get("plan_id"),
            "donor_trial_id": trial_to_clone.trial_id, "donor_epoch": donor_epoch,
            "explored_at": round(time.time(), 3),
        }  # fmt: skip
        rows = [
            {**common, "param": p.name, "old": before.get(p.name),
             "donor": trial_to_clone.config.get(p.name), "new": trial.config.get(p.name)}
            for p in mutable_params(self.space, self.held)
        ]  # fmt: skip
        CsvAppender(self.changes_path, CHANGE_COLUMNS).append(rows)


def make_pbt(spec: SweepSpec) -> SweepPBT:
    """The PBT scheduler for `spec` (:class:`~sweep.schedulers.pbt.PbtPlugin` builds it for Ray).

    Raises:
        SpecError: The space has no tuned hyperparameter PBT may change.

    Example:
        >>> from search_spaces import load_spec
        >>> spec = load_spec({"scheduler": {"type": "pbt"}, "space": {"lr": {"loguniform": [1e-4, 1]}}})
        >>> type(make_pbt(spec)).__name__
        'SweepPBT'
    """
    held = held_keys(spec.trainable)
    if not mutable_params(spec.space, held):
        raise SpecError(
            "scheduler.type: pbt perturbs tuned hyperparameters but the space has none it may change "
            f"(held: {', '.join(held)}): tune e.g. lr, or use asha"
        )
    return SweepPBT(spec, spec.space)


def pbt_configs(configs: list[dict[str, Any]], perturbation_interval: int) -> list[dict[str, Any]]:
    """The planned configs with a ``checkpoint_every`` that divides `perturbation_interval`.

    A config's own value is kept when it divides it; otherwise (absent, 0 = never, or not a divisor) it
    becomes the interval itself: PBT clones a trial at its perturbation epochs, so a checkpoint must exist
    there, and the pauses PBT makes between epochs restart trials from their last checkpoint.

    Example:
        >>> pbt_configs([{"lr": 0.1}, {"checkpoint_every": 1}, {"checkpoint_every": 3}], 4)
        [{'lr': 0.1, 'checkpoint_every': 4}, {'checkpoint_every': 1}, {'checkpoint_every': 4}]
    """
    out = []
    for config in configs:
        every = config.get("checkpoint_every")
        ok = isinstance(every, int) and every > 0 and perturbation_interval % every == 0
        out.append(dict(config) if ok else {**config, "checkpoint_every": perturbation_interval})
    return out


def _mutations(space: Space, held: tuple[str, ...]) -> dict[str, Any]:
    """Ray's ``hyperparam_mutations``: domains of the mutable params (Ray uses them to fill missing keys and
    to log; :class:`SweepPBT` does the perturbing itself)."""
    return {p.name: to_tune_domain(p) if p.is_numeric else list(p.values) for p in mutable_params(space, held)}


def _at_budget(trial: Any, state: Any) -> bool:
    """Whether `trial` has reported the last epoch of its budget (its config's ``epochs``)."""
    budget, epoch = trial.config.get("epochs"), _epoch(state.last_result)
    return isinstance(budget, int) and epoch is not None and epoch >= budget


def _epoch(result: Mapping[str, Any] | None) -> int | None:
    result = result or {}
    value = result.get("epoch", result.get("training_iteration"))
    return None if value is None else int(value)
