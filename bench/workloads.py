"""The benchmark's workloads: a sweep spec each, and the configs every runner trains.

Every runner trains exactly the configs `sweep launch` plans for round 1 of the spec (same sampler, same
seed, same data string, same split seed), so their curves agree epoch for epoch. W4 is the exception: the
default two-round sweep (the bundled preset, as `./dev sweep` runs it) against one round of as many trials;
its runners are two `sweep launch`es, and no peer applies (coarse-to-fine over rounds is sweep's own recipe).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from search_spaces import parse_spec
from search_spaces.presets import DEFAULT_PRESET, preset_path
from search_spaces.yamlio import read_yaml_file

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
# W3, a workload of minutes: 5x W2's rows and twice its features (an epoch costs ~10x W2's).
W3_DATA = "spirals:n=60000,features=32"


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
    rounds: int = 1
    preset: bool = False  # W4: the bundled default preset, only samples/rounds/epochs changed
    runners: tuple[str, ...] = ()  # the runners that apply, in the order they run (set by `workloads`)

    def spec(self) -> dict[str, Any]:
        """The spec `sweep launch` runs. threads 1: one trial per core, no oversubscription;
        checkpoint_every is left at the trainable's default (1), as a user's sweep would have it."""
        if self.preset:
            spec = read_yaml_file(preset_path(DEFAULT_PRESET), DEFAULT_PRESET)
            spec["space"]["epochs"] = self.epochs
            return {**spec, "name": f"bench-{self.name.lower()}", "samples": self.samples, "rounds": self.rounds}
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
            "rounds": self.rounds,
            "space": {**SPACE, "epochs": self.epochs, "threads": 1, **self.extra},
        }

    def configs(self) -> list[dict[str, Any]]:
        """Round 1's planned configs, as sweep.run.launch plans them (plan ids r1-000, r1-001, ...)."""
        from sweep.run.rounds import RoundSlot, plan_configs

        spec = parse_spec(self.spec())
        planned = plan_configs(spec, spec.space, RoundSlot(1, None, zoom=False, samples=spec.samples))
        return [{**config, "data": self.data} for config in planned]

    def to_dict(self) -> dict[str, Any]:
        shown = ("name", "data", "samples", "epochs", "grace_period", "reduction_factor", "rounds")
        return {
            **{key: getattr(self, key) for key in shown},
            "preset": DEFAULT_PRESET if self.preset else None,
            "runners": list(self.runners),
        }

    def single_round(self) -> Workload:
        """W4's reference: the same trials as all of its rounds, in one round."""
        return replace(self, samples=self.samples * self.rounds, rounds=1)


def workloads(mode: str) -> list[Workload]:
    """W1 (short trials), W2 (longer trials), W3 (minutes) and W4 (the default two-round sweep) at the size
    of `mode`: full, quick or smoke. Smoke runs W1 with every W1 runner and a tiny W4: it measures nothing."""
    from bench.analysis import OPTUNA, RAY, RAY_TUNED, SEQUENTIAL, SINGLE_ROUND, SWEEP, SWEEP_WARM

    every = (SWEEP, SWEEP_WARM, RAY_TUNED, RAY, OPTUNA, SEQUENTIAL)
    # W3: no Ray defaults (checkpoint per epoch: minutes more) and no sequential reference (16 configs x 20
    # epochs one after another would take longer than the rest of the bench): its table has no ideal wall.
    minutes = (SWEEP, RAY_TUNED, OPTUNA)
    two_rounds = (SWEEP, SINGLE_ROUND)
    if mode == "smoke":  # seconds: exercises every code path, measures nothing
        return [
            Workload("W1", "digits", samples=4, epochs=3, runners=every),
            Workload("W4", "digits", samples=4, epochs=3, rounds=2, preset=True, runners=two_rounds),
        ]
    if mode == "quick":
        return [
            Workload("W1", "digits", samples=12, epochs=9, runners=every),
            Workload("W2", "spirals:n=4000,features=16", samples=4, epochs=6, runners=every),
            Workload("W3", "spirals:n=20000,features=32", samples=4, epochs=6, runners=minutes),
            Workload("W4", "digits", samples=12, epochs=9, rounds=2, preset=True, runners=two_rounds),
        ]
    return [
        Workload("W1", "digits", samples=48, epochs=30, runners=every),
        Workload("W2", W2_DATA, samples=16, epochs=20, runners=every),
        Workload("W3", W3_DATA, samples=16, epochs=20, runners=minutes),
        Workload("W4", "digits", samples=24, epochs=20, rounds=2, preset=True, runners=two_rounds),
    ]
