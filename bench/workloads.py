"""The benchmark's workloads: a sweep spec each, and the configs every runner trains.

Every runner trains exactly the configs `sweep launch` plans for round 1 of the spec (same sampler, same
seed, same data string, same split seed), so their curves agree epoch for epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from search_spaces import parse_spec, sample_configs

# W1's space from the issue: lr 10^U[-4,0], momentum 1-10^U[-3,-1] (`beta` samples log10(1-v) uniformly),
# batch 2^{4..8}, hidden 16-256, layers 1-3, SGD with momentum.
SPACE: dict[str, Any] = {
    "optimizer": "momentum",
    "lr": {"loguniform": [1e-4, 1]},
    "momentum": {"beta": [0.9, 0.999]},
    "batch_size": {"pow2": [16, 256]},
    "hidden_units": {"int": [16, 256]},
    "layers": {"int": [1, 3]},
}

# One epoch of the W2 data averages ~0.4 s on one core over W2's configs (measured: n=20000 gave 0.63 s).
W2_DATA = "spirals:n=12000,features=16"


@dataclass(frozen=True)
class Workload:
    """One benchmark workload: `samples` configs trained for up to `epochs` epochs under ASHA."""

    name: str
    data: str
    samples: int
    epochs: int
    grace_period: int = 2
    reduction_factor: int = 3
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def spec(self) -> dict[str, Any]:
        """The spec `sweep launch` runs. threads 1: one trial per core, no oversubscription;
        checkpoint_every is left at the trainable's default (1), as a user's sweep would have it."""
        return {
            "name": f"bench-{self.name.lower()}",
            "trainable": "mlp",
            "data": self.data,
            "metric": "dev_accuracy",
            "mode": "max",
            "samples": self.samples,
            "sampler": "random",
            "seed": self.seed,
            "scheduler": {
                "type": "asha",
                "grace_period": self.grace_period,
                "reduction_factor": self.reduction_factor,
            },
            "rounds": 1,
            "space": {**SPACE, "epochs": self.epochs, "threads": 1, **self.extra},
        }

    def configs(self) -> list[dict[str, Any]]:
        """Round 1's planned configs, as sweep.api plans them (plan ids r1-000, r1-001, ...)."""
        spec = parse_spec(self.spec())
        planned = []
        for index, config in enumerate(sample_configs(spec.space, spec.samples, spec.sampler, spec.seed)):
            planned.append({**config, "data": self.data, "plan_id": f"r1-{index:03d}"})
        return planned

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "data": self.data,
            "samples": self.samples,
            "epochs": self.epochs,
            "grace_period": self.grace_period,
            "reduction_factor": self.reduction_factor,
        }


def workloads(mode: str) -> list[Workload]:
    """W1 (short trials) and W2 (longer trials) at the size of `mode`: full, quick or smoke."""
    if mode == "smoke":  # seconds: exercises every code path, measures nothing
        return [Workload("W1", "digits", samples=4, epochs=3)]
    if mode == "quick":
        return [
            Workload("W1", "digits", samples=12, epochs=9),
            Workload("W2", "spirals:n=4000,features=16", samples=4, epochs=6),
        ]
    return [Workload("W1", "digits", samples=48, epochs=30), Workload("W2", W2_DATA, samples=16, epochs=20)]
