"""PBT as the sweep sees it: no milestones, a report every epoch, the winner scored from its checkpoint.

Ray's population itself (:class:`~sweep.schedulers.pbt_population.SweepPBT`, the perturbation, ``pbt_changes.csv``) is
in :mod:`sweep.schedulers.pbt_population`, which imports Ray; this module does not, so the registry stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from search_spaces import SpecError, SweepSpec
from search_spaces.scheduler_spec import PbtSettings, SchedulerSpec
from sweep.schedulers.base import RayContext, SchedulerPlugin

if TYPE_CHECKING:
    from ray.tune.schedulers import TrialScheduler


class PbtPlugin(SchedulerPlugin[PbtSettings]):
    """Population-based training over the trainable's checkpoints.

    It never stops a trial short (it clones and perturbs), so it has no milestones; it decides at every
    perturbation epoch from each trial's latest report, so trials report every epoch; a winner's
    hyperparameters changed as it trained, so it is scored from its last checkpoint, never retrained.

    Example:
        >>> from search_spaces import parse_spec
        >>> spec = parse_spec({"scheduler": "pbt", "space": {"lr": {"loguniform": [1e-4, 1]}}})
        >>> PbtPlugin().refuse(spec.replace(sampler="tpe"), staged=False)
        Traceback (most recent call last):
        search_spaces.errors.SpecError: sampler: tpe learns from configs that PBT mutates; use sampler random \
with pbt, or asha
    """

    name = "pbt"
    settings_type = PbtSettings
    batches_reports = False
    retrains_winner = False

    def make(self, context: RayContext) -> TrialScheduler:
        from sweep.schedulers.pbt_population import make_pbt

        scheduler = make_pbt(context.spec)
        if context.sweep_root is not None:  # perturb in the sweep's base space; record exploits under its root
            scheduler.bind(context.space, context.sweep_root)
        return scheduler

    def describe(self, spec: SchedulerSpec, max_t: int) -> str:
        settings = self.settings(spec)
        return (
            f"every {settings.perturbation_interval} epochs the bottom {settings.quantile_fraction:.0%} "
            "clone a top trial and perturb its hyperparameters"
        )

    def refuse(self, spec: SweepSpec, staged: bool) -> None:
        if spec.sampler == "tpe":
            raise SpecError("sampler: tpe learns from configs that PBT mutates; use sampler random with pbt, or asha")
        if staged:
            raise SpecError(
                "--staged: pbt perturbs every tier at once, so a stage could not hold earlier tiers at their best; "
                "drop --staged or use scheduler asha"
            )

    def checkpoint_interval(self, spec: SchedulerSpec) -> int | None:
        """PBT clones a trial only at an epoch where it saved a checkpoint: one at every perturbation epoch."""
        return self.settings(spec).perturbation_interval
