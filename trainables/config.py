"""The `mlp` trainable's config keys: their defaults and the rules that validate them.

A trial's config is whatever the orchestrator sampled plus its own bookkeeping keys, so unknown keys are
ignored; a known key with a wrong value raises :class:`ConfigError` naming the key, the rule and the fix.

Example:
    >>> cfg = resolve_config({"lr": 0.1, "trial_note": "ignored"})
    >>> cfg["lr"], cfg["optimizer"], "trial_note" in cfg
    (0.1, 'momentum', False)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from search_spaces.checks import show
from search_spaces.errors import SweepError


class ConfigError(SweepError):
    """A config value the trainable cannot use; the message starts with `config.<key>:`."""


OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")
INITS = ("he", "xavier", "default")
SCHEDULES = ("none", "inverse_time", "exponential", "inverse_sqrt", "step")

DEFAULTS: dict[str, Any] = {
    # architecture
    "layers": 1,  # hidden layers; 0 = softmax regression
    "hidden_units": 64,
    "activation": "relu",
    "init": "he",
    "batch_norm": False,
    # regularisation
    "l2": 0.0,  # λ: weight_decay on weight matrices only (gradient of λ/2·Σ‖W‖²)
    "keep_prob": 1.0,  # inverted dropout keeps each hidden unit with this probability; 1.0 = off
    # optimisation
    "optimizer": "momentum",
    "lr": 0.05,
    "momentum": 0.9,  # β of `momentum`: v = β·v + (1−β)·dW (Ng's form)
    "beta1": 0.9,  # Adam's first-moment decay
    "beta2": 0.999,  # Adam's second-moment decay, and RMSprop's decay (torch `alpha`)
    "eps": 1e-8,
    "batch_size": 64,  # 0 or ≥ training-set size = batch gradient descent
    # learning-rate decay
    "lr_decay": "none",
    "decay_rate": 0.1,
    # run
    "epochs": 30,
    "seed": 0,
    "data": "digits",
    "label": "label",
    "split": [0.6, 0.2, 0.2],
    "split_seed": 0,
    "checkpoint_every": 1,
    "threads": None,
}

# Hyperparameters that may change at an epoch boundary without rebuilding the model ("nudges", PBT).
NUDGEABLE = ("lr", "momentum", "beta1", "beta2", "eps", "l2", "keep_prob", "lr_decay", "decay_rate")

# Keys a checkpoint's model/optimizer tensors depend on: restoring under different values cannot work.
STRUCTURAL = ("layers", "hidden_units", "batch_norm", "optimizer")


def resolve_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `config` over :data:`DEFAULTS`, validate every known key and drop unknown ones.

    Args:
        config: A trial's config; keys the trainable does not know are ignored.

    Returns:
        A new dict with exactly the keys of :data:`DEFAULTS`, values normalised (ints, floats, a list split).

    Raises:
        ConfigError: A known key has a value the trainable cannot use.

    Example:
        >>> resolve_config({"optimizer": "adam"})["optimizer"]
        'adam'
    """
    cfg = {key: validate_value(key, config.get(key, default)) for key, default in DEFAULTS.items()}
    check_combination(cfg)
    return cfg


def check_combination(cfg: Mapping[str, Any]) -> None:
    """Rules that involve two keys (raise ConfigError)."""
    if cfg["lr_decay"] in ("exponential", "step") and not 0.0 < cfg["decay_rate"] <= 1.0:
        raise ConfigError(
            f"config.decay_rate: {cfg['decay_rate']!r} must be in (0, 1] for lr_decay={cfg['lr_decay']} "
            "(the lr is multiplied by it): set e.g. decay_rate=0.95"
        )


def validate_value(key: str, value: Any) -> Any:
    """Validate and normalise one known key's value; raise ConfigError naming the key and the fix."""
    rule = _RULES.get(key)
    return value if rule is None else rule(key, value)


def validate_update(key: str, value: Any, cfg: Mapping[str, Any]) -> Any:
    """Validate a mid-training change of `key` against the config in force; return the normalised value."""
    if key not in NUDGEABLE:
        allowed = ", ".join(NUDGEABLE)
        raise ConfigError(f"config.{key}: cannot change during training: change one of {allowed}")
    new = validate_value(key, value)
    check_combination({**cfg, key: new})
    return new


# --- the declaration: one rule per key, readable by a validator ---------------------------------------


@dataclass(frozen=True)
class KeyRule:
    """What one config key accepts: its kind, range or choices; calling it validates and normalises a value.

    Attributes:
        kind: ``int``, ``float``, ``choice``, ``bool``, ``text``, ``split`` or ``optional_int`` (None or an int).
        low, high: the range of ``int``/``float``/``optional_int`` keys (None: unbounded).
        low_open, high_open: whether the float range excludes its ends.
        choices: the values of a ``choice`` key; `what` names them in messages (``optimizer``).

    Example:
        >>> KeyRule("float", 0.0, 1.0, low_open=True)("keep_prob", 1.5)
        Traceback (most recent call last):
        trainables.config.ConfigError: config.keep_prob: 1.5 must be a number in (0, 1]: set e.g. keep_prob=1.0
    """

    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    what: str = ""

    @property
    def integral(self) -> bool:
        """Whether the key takes whole numbers only (a continuous scale cannot feed it)."""
        return self.kind in ("int", "optional_int")

    def __call__(self, key: str, value: Any) -> Any:
        if self.kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                raise ConfigError(f"config.{key}: unknown {self.what} {show(value)} (choose {', '.join(self.choices)})")
            return value
        if self.kind == "optional_int" and value is None:
            return None
        if self.integral:
            if not _whole(value) or (self.low is not None and int(value) < self.low):
                bound = "an integer" if self.low is None else f"an integer ≥ {self.low:g}"
                raise ConfigError(f"config.{key}: {show(value)} is not {bound}: set e.g. {key}={_example(key)}")
            return int(value)
        if self.kind == "float":
            return self._float(key, value)
        if self.kind == "bool":
            if isinstance(value, bool) or (isinstance(value, numbers.Integral) and value in (0, 1)):
                return bool(value)
            raise ConfigError(f"config.{key}: {show(value)} is not a boolean: set {key}=true or {key}=false")
        if self.kind == "text":
            if not isinstance(value, str) or not value:
                raise ConfigError(
                    f"config.{key}: {show(value)} is not a non-empty text: set e.g. {key}={DEFAULTS[key]}"
                )
            return value
        return _split(key, value)

    def _float(self, key: str, value: Any) -> float:
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and _finite(value)
        if ok:
            x = float(value)
            ok = (x > low if self.low_open else x >= low) and (x < high if self.high_open else x <= high)
        if not ok:
            lo = ("(" if self.low_open else "[") + f"{low:g}"
            hi = f"{high:g}" + (")" if self.high_open else "]")
            raise ConfigError(
                f"config.{key}: {show(value)} must be a number in {lo}, {hi}: set e.g. {key}={DEFAULTS[key]}"
            )
        return float(value)


@dataclass(frozen=True)
class Declaration:
    """What a trainable accepts and reports, so a spec can be checked before anything runs.

    Attributes:
        name: the trainable's short name.
        keys: config key → its :class:`KeyRule`.
        defaults: config key → the value used when a config leaves it out.
        metrics: the metric names every report carries (what a sweep can rank on).
        check_combination: rules involving several keys (raises ConfigError).

    Example:
        >>> MLP.keys["epochs"]("epochs", "three")
        Traceback (most recent call last):
        trainables.config.ConfigError: config.epochs: 'three' is not an integer ≥ 1: set e.g. epochs=30
        >>> "dev_accuracy" in MLP.metrics
        True
    """

    name: str
    keys: Mapping[str, KeyRule]
    defaults: Mapping[str, Any]
    metrics: tuple[str, ...]
    check_combination: Callable[[Mapping[str, Any]], None] = lambda cfg: None


def _whole(value: Any) -> bool:
    # Samplers often hand out floats (quniform) or numpy scalars; accept whole numbers of any kind.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return isinstance(value, numbers.Integral) or (_finite(value) and float(value).is_integer())


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer beyond the float range
        return False


def _example(key: str) -> Any:
    return DEFAULTS.get(key) if DEFAULTS.get(key) is not None else 1


def _split(key: str, value: Any) -> list[float]:
    try:
        parts = [float(v) for v in value]
    except (TypeError, ValueError, OverflowError):
        parts = []
    if len(parts) != 3 or min(parts) < 0 or parts[0] <= 0 or parts[1] <= 0 or abs(sum(parts) - 1) > 1e-6:
        raise ConfigError(
            f"config.split: {show(value)} must be three train/dev/test fractions (train, dev > 0) summing to 1: "
            "set e.g. split=[0.6, 0.2, 0.2]"
        )
    return parts


def _choice(options: tuple[str, ...], what: str) -> KeyRule:
    return KeyRule("choice", choices=options, what=what)


def _int(low: int | None) -> KeyRule:
    return KeyRule("int", low=low)


def _float(low: float, high: float, low_open: bool = False, high_open: bool = False) -> KeyRule:
    return KeyRule("float", low, high, low_open, high_open)


_RULES: dict[str, KeyRule] = {
    "layers": _int(0),
    "hidden_units": _int(1),
    "activation": _choice(ACTIVATIONS, "activation"),
    "init": _choice(INITS, "init"),
    "batch_norm": KeyRule("bool"),
    "l2": _float(0.0, math.inf),
    "keep_prob": _float(0.0, 1.0, low_open=True),
    "optimizer": _choice(OPTIMIZERS, "optimizer"),
    "lr": _float(0.0, math.inf, low_open=True),
    "momentum": _float(0.0, 1.0, high_open=True),
    "beta1": _float(0.0, 1.0, high_open=True),
    "beta2": _float(0.0, 1.0, high_open=True),
    "eps": _float(0.0, math.inf, low_open=True),
    "batch_size": _int(0),
    "lr_decay": _choice(SCHEDULES, "lr_decay schedule"),
    "decay_rate": _float(0.0, math.inf),
    "epochs": _int(1),
    "seed": _int(None),
    "data": KeyRule("text"),
    "label": KeyRule("text"),
    "split": KeyRule("split"),
    "split_seed": _int(None),
    "checkpoint_every": _int(0),
    "threads": KeyRule("optional_int", low=1),
}

# What the mlp reports every epoch (see trainables.loop); any of the numeric ones can rank a sweep.
METRICS = ("dev_accuracy", "dev_loss", "train_accuracy", "train_loss", "lr", "train_seconds", "epoch")

MLP = Declaration("mlp", _RULES, DEFAULTS, METRICS, check_combination)

_DECLARATIONS = {"mlp": MLP}


def declaration(trainable: str) -> Declaration | None:
    """The declaration of a built-in trainable; None for a user's own (``package.module:function``).

    Example:
        >>> declaration("mlp").name, declaration("mypkg.train:train")
        ('mlp', None)
    """
    return _DECLARATIONS.get(trainable)
