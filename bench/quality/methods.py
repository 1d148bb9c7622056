"""The methods the quality bench compares, and what each needs from its runner.

Every method searches the same space (the preset's, ``mnist1d-mlp`` unless ``--preset`` names another, sampled
in each parameter's own coordinate), trains the preset's trainable by the same loop (``trainables.loop.run_training``)
on the same split, with the same epoch cap and the same successive-halving schedule (the preset's grace period and
reduction factor). A sweep method's ``rounds`` option is merged into the preset's ``rounds:``.

Example:
    >>> [m.key for m in METHODS][:2]
    ['sweep-random', 'sweep-default']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SWEEP, OPTUNA, RAY = "sweep", "optuna", "ray"


@dataclass(frozen=True)
class Method:
    """One compared method.

    Attributes:
        key: Short id used in the JSON and the plots.
        label: What the table calls it.
        runner: ``sweep`` (the ``sweep launch`` command), ``optuna`` or ``ray`` (a runner module).
        options: The runner's settings: for sweep, spec changes (``spec``), changes to the preset's ``rounds:``
            (``rounds``) and CLI flags (``flags``); for Optuna, the sampler.
    """

    key: str
    label: str
    runner: str
    options: dict[str, Any] = field(default_factory=dict)


DEFAULT = "sweep-default"  # the recipe the targets are about

METHODS = (
    Method("sweep-random", "sweep, random, 1 round, ASHA", SWEEP, {"spec": {"rounds": 1}}),
    Method(DEFAULT, "sweep, coarse to fine (default), ASHA", SWEEP, {}),
    # version 2's default: the same rounds, every one drawn up front (no model picks the trials)
    Method("sweep-v2", "sweep, version 2 default (rounds drawn up front), ASHA", SWEEP, {"rounds": {"model": "none"}}),
    Method("sweep-staged", "sweep, staged by tiers, ASHA", SWEEP, {"flags": ["--staged"]}),
    Method("sweep-tpe", "sweep, sampler tpe, ASHA", SWEEP, {"spec": {"sampler": "tpe", "rounds": 1}}),
    Method("optuna-tpe", "Optuna TPE + SuccessiveHalving", OPTUNA, {"sampler": "tpe"}),
    Method("optuna-random", "Optuna random + SuccessiveHalving", OPTUNA, {"sampler": "random"}),
    Method("ray-random", "Ray Tune hand-tuned, random + ASHA", RAY, {}),
)

PEERS = ("optuna-tpe", "optuna-random", "ray-random")  # the other tools, for the time-to-accuracy target
