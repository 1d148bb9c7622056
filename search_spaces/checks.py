"""Small validation helpers shared by the spec and parameter parsers: every failure is a SpecError
whose message names where, the rule and the got-value."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from search_spaces.errors import SpecError
from sweep_errors import SHOW_LIMIT, show, text_of  # noqa: F401  (re-exported: the spec parsers use them)


def fmt(value: Any) -> str:
    """Short display form of a value in a range or list: ``0.0001``, ``1``, ``1e-09``, ``adam``, ``[16, 32]``."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    return text_of(value)


def join(prefix: str, key: str) -> str:
    """Dotted location: ``join("space", "lr") == "space.lr"``; an empty prefix gives the key."""
    return f"{prefix}.{key}" if prefix else key


def reject_unknown(where: str, data: Mapping[Any, Any], allowed: Iterable[str]) -> None:
    """Raise on the first key of `data` not in `allowed`, suggesting the closest allowed key.

    Example:
        >>> reject_unknown("", {"samplr": 1}, ["sampler", "seed"])
        Traceback (most recent call last):
        search_spaces.errors.SpecError: samplr: unknown key (did you mean 'sampler'?)
    """
    allowed = list(allowed)
    for key in data:
        if key in allowed:
            continue
        text = text_of(key)
        close = difflib.get_close_matches(text, allowed, n=1, cutoff=0.6)
        if not close and len(text) >= 3:  # a prefix, like `grace` for `grace_period`
            close = [a for a in allowed if a.startswith(text) or text.startswith(a)][:1]
        hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(allowed)}"
        raise SpecError(f"{join(where, text)}: unknown key ({hint})")


def is_number(value: Any) -> bool:
    """True for finite ints and floats (not bools); an integer past a float's range is not one."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond ~1.8e308: every range check would overflow on it
        return False


def is_int(value: Any) -> bool:
    """True for ints and integral floats (``3.0``), never bools."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def need_mapping(where: str, value: Any) -> Mapping[Any, Any]:
    """`value` itself if it is a mapping, else a SpecError."""
    if not isinstance(value, Mapping):
        raise SpecError(f"{where}: must be a mapping, got {show(value)}")
    return value


def need_int(where: str, value: Any, minimum: int | None = None) -> int:
    """An integer (at least `minimum` when given)."""
    if not is_int(value) or (minimum is not None and value < minimum):
        rule = "an integer" if minimum is None else f"an integer ≥ {minimum}"
        raise SpecError(f"{where}: must be {rule}, got {show(value)}")
    return int(value)


def need_number(where: str, value: Any, rule: str, test: Callable[[float], bool] | None = None) -> float:
    """A finite number passing `test` (a range rule, described in words by `rule`)."""
    if not is_number(value) or (test is not None and not test(value)):
        raise SpecError(f"{where}: must be {rule}, got {show(value)}")
    return float(value)


def need_str(where: str, value: Any) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"{where}: must be a non-empty string, got {show(value)}")
    return value


def need_choice(where: str, value: Any, choices: Iterable[str], what: str) -> str:
    """One of `choices`: ``scheduler.type: unknown scheduler 'ashaa' (choose asha, fifo, pbt)``."""
    choices = list(choices)
    if value not in choices:
        raise SpecError(f"{where}: unknown {what} {show(value)} (choose {', '.join(choices)})")
    return str(value)


def need_flag(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"{where}: must be true or false, got {show(value)}")
    return value
