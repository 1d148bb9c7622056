"""Ray's restored Tuner, whether it lives in this process or, over Ray Client (``--address ray://``), in an actor
on the cluster: the run config it saved at launch, read; and the sweep's configs, built anew for the directory
being resumed, put in place of the launch's. One path for both, so a copied or moved sweep resumed over Ray
Client writes where it now is, as it does with a direct address.

Ray's own `Tuner.restore` over Ray Client builds Ray's `TunerInternal` in an actor, whose attributes can be
set only through its methods; the sweep builds the same actor from a subclass with one more method.
"""

from __future__ import annotations

from typing import Any

import ray
from ray import tune
from ray.tune.impl.tuner_internal import TunerInternal


class ConfigurableTunerInternal(TunerInternal):
    """Ray's `TunerInternal`, with a method to replace its configs (an actor's state changes only through one)."""

    def replace_configs(self, tune_config: tune.TuneConfig, run_config: tune.RunConfig) -> None:
        self._tune_config, self._run_config = tune_config, run_config


def restore(path: str, trainable: Any) -> tune.Tuner:
    """`Tuner.restore(path, trainable, resume_unfinished=True, resume_errored=False)`, in this process or, over
    Ray Client, in an actor whose configs :func:`replace_configs` can replace."""
    if not ray.util.client.ray.is_connected():
        return tune.Tuner.restore(path, trainable, resume_unfinished=True, resume_errored=False)
    from ray.air.util.node import _force_on_current_node

    resume = tune.ResumeConfig()  # Ray's defaults: unfinished trials resume, errored ones are skipped
    actor_class: Any = _force_on_current_node(ray.remote(num_cpus=0)(ConfigurableTunerInternal))
    actor = actor_class.remote(
        restore_path=path, resume_config=resume, trainable=trainable, param_space=None, storage_filesystem=None
    )  # what Ray's Tuner.restore does over Ray Client, with the subclass
    return tune.Tuner(_tuner_internal=actor)


def saved_run_config(tuner: tune.Tuner) -> tune.RunConfig:
    """The run config the restored `tuner` brought back (the launch's settings, re-rooted by Ray to where the
    experiment is now)."""
    local = getattr(tuner, "_local_tuner", None)
    if local is not None:
        return local._run_config
    remote: Any = tuner._remote_tuner
    saved: tune.RunConfig = ray.get(remote.get_run_config.remote())
    return saved


def replace_configs(tuner: tune.Tuner, tune_config: tune.TuneConfig, run_config: tune.RunConfig) -> None:
    """Puts the sweep's configs in place of those the restored `tuner` brought back."""
    local = getattr(tuner, "_local_tuner", None)
    if local is not None:
        local._tune_config, local._run_config = tune_config, run_config
    else:
        remote: Any = tuner._remote_tuner
        ray.get(remote.replace_configs.remote(tune_config, run_config))
