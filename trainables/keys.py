"""How a trainable declares its config keys: one validating rule per key, and the declaration of them all.

A rule (:class:`KeyRule`) is data a validator can read (``sweep validate`` checks a spec's ranges against it)
and a callable that validates and normalises one value, raising :class:`ConfigError` with the key, the rule
and the fix. A :class:`Declaration` gathers a trainable's rules, defaults, metrics and which keys are
architecture (fixed for a checkpoint's life) or nudgeable (changeable between epochs).

Example:
    >>> KeyRule("int", low=1, odd=True)("k", 4)
    Traceback (most recent call last):
    trainables.errors.ConfigError: config.k: 4 is even but must be odd (centred on each step): set e.g. k=5
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sweep_errors import show
from trainables.errors import ConfigError


@dataclass(frozen=True)
class KeyRule:
    """What one config key accepts: its kind, range or choices; calling it validates and normalises a value.

    Attributes:
        kind: ``int``, ``float``, ``choice``, ``bool``, ``text``, ``split`` or ``optional_int`` (None or an int).
        low, high: the range of ``int``/``float``/``optional_int`` keys (None: unbounded).
        low_open, high_open: whether the float range excludes its ends.
        choices: the values of a ``choice`` key; `what` names them in messages (``optimizer``).
        odd: an ``int`` key that takes odd values only (a convolution kernel centred on each step).
        example: the value a message suggests (a trainable's default for the key).
        sensible_low, sensible_high: the range a practitioner would try (α ≤ 1, β ≤ 0.9999): advice that
            widens a range never goes past it, though the key accepts more. None: the rule's own bound.

    Example:
        >>> KeyRule("float", 0.0, 1.0, low_open=True, example=1.0)("keep_prob", 1.5)
        Traceback (most recent call last):
        trainables.errors.ConfigError: config.keep_prob: 1.5 must be a number in (0, 1]: set e.g. keep_prob=1.0
    """

    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    what: str = ""
    odd: bool = False
    example: Any = None
    sensible_low: float | None = None
    sensible_high: float | None = None

    def sensible(self) -> tuple[float, float]:
        """The range worth trying: the sensible bounds, else the rule's (±inf when unbounded).

        Example:
            >>> KeyRule("float", 0.0, math.inf, low_open=True, sensible_high=1.0).sensible()
            (0.0, 1.0)
        """
        low = self.sensible_low if self.sensible_low is not None else self.low
        high = self.sensible_high if self.sensible_high is not None else self.high
        return (-math.inf if low is None else float(low), math.inf if high is None else float(high))

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
            example = 1 if self.example is None else self.example
            if not _whole(value) or (self.low is not None and int(value) < self.low):
                bound = "an integer" if self.low is None else f"an integer ≥ {self.low:g}"
                raise ConfigError(f"config.{key}: {show(value)} is not {bound}: set e.g. {key}={example}")
            if self.odd and int(value) % 2 == 0:
                raise ConfigError(
                    f"config.{key}: {show(value)} is even but must be odd (centred on each step): "
                    f"set e.g. {key}={int(value) + 1}"
                )
            return int(value)
        if self.kind == "float":
            return self._float(key, value)
        if self.kind == "bool":
            if isinstance(value, bool) or (isinstance(value, numbers.Integral) and value in (0, 1)):
                return bool(value)
            raise ConfigError(f"config.{key}: {show(value)} is not a boolean: set {key}=true or {key}=false")
        if self.kind == "text":
            if not isinstance(value, str) or not value:
                raise ConfigError(f"config.{key}: {show(value)} is not a non-empty text: set e.g. {key}={self.example}")
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
                f"config.{key}: {show(value)} must be a number in {lo}, {hi}: set e.g. {key}={self.example}"
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
        architecture: keys a checkpoint's tensors depend on: a resume, a PBT clone or a nudge cannot change them.
        nudgeable: keys that may change at an epoch boundary without rebuilding the model (nudges).
        acts_when: key → (another key, the values of it under which the key acts): ``decay_rate`` does
            nothing while ``lr_decay`` is ``none``, so advice judges it only on trials where it acted.

    Example:
        >>> from trainables.config import MLP
        >>> MLP.keys["epochs"]("epochs", "three")
        Traceback (most recent call last):
        trainables.errors.ConfigError: config.epochs: 'three' is not an integer ≥ 1: set e.g. epochs=30
        >>> "dev_accuracy" in MLP.metrics
        True
    """

    name: str
    keys: Mapping[str, KeyRule]
    defaults: Mapping[str, Any]
    metrics: tuple[str, ...]
    check_combination: Callable[[Mapping[str, Any]], None] = lambda cfg: None
    architecture: tuple[str, ...] = ()
    nudgeable: tuple[str, ...] = ()
    acts_when: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    def acts(self, key: str, config: Mapping[str, Any]) -> bool:
        """Whether `key` acts in `config` (a missing condition key takes the trainable's default).

        Example:
            >>> from trainables.config import MLP
            >>> MLP.acts("decay_rate", {"lr_decay": "none"}), MLP.acts("decay_rate", {"lr_decay": "step"})
            (False, True)
        """
        if key not in self.acts_when:
            return True
        other, values = self.acts_when[key]
        return config.get(other, self.defaults.get(other)) in values

    def check_keys(self, keys: Iterable[str]) -> None:
        """Raise a one-line ConfigError for the first key the trainable does not read (with a did-you-mean).

        Example:
            >>> from trainables.config import MLP
            >>> MLP.check_keys(["lr", "lrr"])
            Traceback (most recent call last):
            trainables.errors.ConfigError: config.lrr: the mlp trainable has no config key 'lrr' (did you mean 'lr'?)
        """
        for key in keys:
            if key not in self.keys:
                close = difflib.get_close_matches(key, list(self.keys), n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}?" if close else f"its keys: {', '.join(self.keys)}"
                raise ConfigError(f"config.{key}: the {self.name} trainable has no config key {key!r} ({hint})")


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


def with_examples(rules: Mapping[str, KeyRule], defaults: Mapping[str, Any]) -> dict[str, KeyRule]:
    """The rules, each suggesting the trainable's default for its key (1 where that is None) in messages."""
    examples = {key: 1 if defaults.get(key) is None else defaults[key] for key in rules}
    return {key: replace(rule, example=examples[key]) for key, rule in rules.items()}
