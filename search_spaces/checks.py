"""Small validation helpers shared by the spec and parameter parsers: every failure is a SpecError
whose message names where, the rule and the got-value."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from search_spaces.errors import SpecError

SHOW_LIMIT = 80  # characters of a got-value in a message: enough to recognise it, never a wall of text


def show(value: Any) -> str:
    """The got-value as the user would recognise it (``'ten'``, ``[0, 1]``, ``0.5``), cut to one short line.

    Example:
        >>> show((0, 1)), show(10**5000)
        ('[0, 1]', 'an integer of about 5001 digits')
    """
    if isinstance(value, tuple):
        value = list(value)
    try:
        text = repr(value)
    except ValueError:  # an integer too long for str(): Python refuses over 4300 digits
        if isinstance(value, int):
            return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
        return "a value too large to show"
    except RecursionError:
        return "a nested value"
    return text if len(text) <= SHOW_LIMIT else text[: SHOW_LIMIT - 1] + "…"


def text_of(key: Any) -> str:
    """A key or value as text: ``str(key)``, or :func:`show` for a key Python will not print (a huge integer)."""
    try:
        return str(key)
    except ValueError:
        return show(key)


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
