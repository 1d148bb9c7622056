"""Durations in specs and on the command line: ``90``, ``90s``, ``10m``, ``2h`` → seconds."""

from __future__ import annotations

import math
import re
from typing import Any

from search_spaces.errors import SpecError

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_FORM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")
FORMS = "a positive number of seconds, or a duration like 90s, 10m, 2h, 1.5h"


class DurationError(SpecError):
    """A duration that is not a positive number of seconds."""


def parse_duration(text: Any, what: str = "time_budget") -> float:
    """Seconds in `text`: ``90``, ``90s``, ``10m``, ``2h``; anything else is a one-line error.

    Example:
        >>> parse_duration("10m"), parse_duration("90s"), parse_duration(45)
        (600.0, 90.0, 45.0)
    """
    if isinstance(text, bool):
        raise DurationError(f"{what}: got {text!r}; give {FORMS}")
    if isinstance(text, int | float):
        seconds = float(text)
    else:
        match = _FORM.match(str(text))
        if not match:
            raise DurationError(f"{what}: cannot read {str(text)!r} as a duration; give {FORMS}")
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if not seconds > 0 or math.isinf(seconds):
        raise DurationError(f"{what}: got {text!r}, which is not a positive duration; give {FORMS}")
    return seconds
