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
