"""Plan ids, the key of every results table: ``r<round>-<index>`` (``r2-007``), stable across restarts.

Example:
    >>> plan_id(2, 7), round_of("r2-007"), round_or_none("3f9a_00001")
    ('r2-007', 2, None)
"""

from __future__ import annotations

import re
from typing import Any

_PLAN_ID = re.compile(r"^r(\d+)-\d+$")


def plan_id(round_number: int, index: int) -> str:
    """The id of the `index`-th config planned for round `round_number`."""
    return f"r{round_number}-{index:03d}"


def round_or_none(plan: Any) -> int | None:
    """The round of a plan id; None for an id of another form (a plain Ray Tune trial's)."""
    match = _PLAN_ID.match(str(plan))
    return int(match.group(1)) if match else None


def round_of(plan: Any) -> int:
    """The round of a plan id (ValueError for anything else)."""
    number = round_or_none(plan)
    if number is None:
        raise ValueError(f"not a plan id: {plan!r}")
    return number
