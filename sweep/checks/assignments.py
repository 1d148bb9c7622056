"""`--set key=value` checked against the keys a trainable reads: a typo is refused with a did-you-mean.

A built-in trainable declares its config keys (:func:`trainables.config.declaration`). A user's trainable
reads the keys of the spec's space plus the contract keys every trainable receives (``data``, ``seed``,
``epochs``; see docs/trainable.md, the contract); anything else it would silently ignore.

Example:
    >>> from search_spaces import load_spec
    >>> check_assignments(load_spec("digits-momentum"), ["lrr"])
    Traceback (most recent call last):
    search_spaces.errors.SpecError: --set lrr: the mlp trainable has no config key 'lrr' (did you mean 'lr'?)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from search_spaces import SpecError, SweepSpec

CONTRACT_KEYS = ("data", "seed", "epochs")  # what sweep itself puts in every trial's config (with plan_id)


def known_keys(spec: SweepSpec) -> list[str]:
    """The config keys `spec`'s trainable reads."""
    from trainables.registry import BUILTINS, declaration

    if spec.trainable in BUILTINS:
        return list(declaration(spec.trainable).keys)
    return list(dict.fromkeys([*spec.space, *CONTRACT_KEYS]))


def check_assignments(spec: SweepSpec, keys: Iterable[str]) -> None:
    """Raise a one-line SpecError for the first key the trainable does not read.

    Raises:
        SpecError: ``--set lrr: the mlp trainable has no config key 'lrr' (did you mean 'lr'?)``.
    """
    from trainables.registry import BUILTINS

    known = known_keys(spec)
    for key in keys:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        if spec.trainable in BUILTINS:
            hint = f"did you mean {close[0]!r}?" if close else f"its keys: {', '.join(known)}"
            raise SpecError(f"--set {key}: the {spec.trainable} trainable has no config key {key!r} ({hint})")
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise SpecError(
            f"--set {key}: not a key of the spec's space nor {', '.join(CONTRACT_KEYS)} ({hint}known: "
            f"{', '.join(known)}): to pass a new key to {spec.trainable}, add it to the spec's space"
        )


def check_held_values(spec: SweepSpec, holds: Iterable[tuple[str, object]]) -> None:
    """A `--set` value of the wrong kind for its parameter is refused before any directory or Ray exists: a
    number for a numeric scale (an integer for ``int``/``pow2``), and for a numeric constant (`epochs: 3`).

    Example:
        >>> from search_spaces import load_spec
        >>> check_held_values(load_spec("digits-momentum"), [("lr", "abc")])
        Traceback (most recent call last):
        search_spaces.errors.SpecError: --set lr=abc: lr is loguniform (a number) in the spec; give a number, e.g. \
--set lr=0.05
    """
    from search_spaces.params import CONSTANT_SCALE, NUMERIC_SCALES

    for name, value in holds:
        if name not in spec.space.names:
            continue
        param = spec.space[name]
        constant = param.values[0] if param.scale == CONSTANT_SCALE and param.values else None
        numeric = param.scale in NUMERIC_SCALES or (_number(constant) and not isinstance(constant, bool))
        if not numeric:
            continue
        whole = param.scale in ("int", "pow2") or isinstance(constant, int)
        if _number(value) and not isinstance(value, bool) and not (whole and not float(value).is_integer()):  # type: ignore[arg-type]
            continue
        kind = "a whole number" if whole else "a number"
        if constant is not None:
            described, example = f"{constant!r}", constant
        else:
            described = f"{param.scale} ({kind})"
            example = int(param.low or 1) if whole else (param.default if _number(param.default) else param.low)
        raise SpecError(
            f"--set {name}={value}: {name} is {described} in the spec; give {kind}, e.g. --set {name}={example}"
        )


def _number(value: object) -> bool:
    return isinstance(value, int | float)
