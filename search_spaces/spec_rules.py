"""The rules a spec's own fields obey, checked whenever a :class:`SweepSpec` is built (parsed, or changed with
``replace``): a spec object is valid by construction, whichever way it was made."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from search_spaces.checks import show
from search_spaces.errors import SpecError

if TYPE_CHECKING:
    from search_spaces.spec import SweepSpec

MAX_SAMPLES = 100_000  # configs per round; each is planned up front and written to the round's plan
MAX_SEED = 2**32 - 1  # what every seeded generator downstream (numpy, scipy's Sobol, torch) accepts
_PLAIN_NAME = re.compile(r"^\w[\w .,+=@-]{0,99}$")


def check_spec_fields(spec: SweepSpec) -> None:
    """The name, the counts and the scales' bounds; a one-line SpecError naming the key and the fix."""
    check_name(spec.name)
    check_counts(spec)
    check_space_shape(spec)


def check_name(name: str) -> None:
    """A sweep name becomes a directory name under --storage: no path separators, no `..`, no hidden names.

    Example:
        >>> check_name("../../etc/x")
        Traceback (most recent call last):
        search_spaces.errors.SpecError: name: '../../etc/x' must be a plain name (letters, digits, spaces, \
. _ - + = @ ,; no '/' or '..'; at most 100 characters): e.g. name: digits-momentum
    """
    if not _PLAIN_NAME.match(name) or ".." in name or name != name.strip():
        raise SpecError(
            f"name: {show(name)} must be a plain name (letters, digits, spaces, . _ - + = @ ,; no '/' or '..'; "
            "at most 100 characters): e.g. name: digits-momentum"
        )


def check_counts(spec: SweepSpec) -> None:
    """`samples` at least 1 and small enough to plan, `seed` a 32-bit non-negative integer, `max_concurrent` sane."""
    if spec.samples < 1:
        raise SpecError(f"samples: must be an integer ≥ 1, got {show(spec.samples)}")
    if spec.samples > MAX_SAMPLES:
        raise SpecError(
            f"samples: {_count(spec.samples)} configs per round is more than {MAX_SAMPLES}: "
            "lower it (add rounds to spend more compute)"
        )
    if not 0 <= spec.seed <= MAX_SEED:
        raise SpecError(f"seed: must be an integer in [0, {MAX_SEED}], got {show(spec.seed)}")
    if spec.max_concurrent is not None and spec.max_concurrent < 1:
        raise SpecError(f"max_concurrent: must be an integer ≥ 1, got {show(spec.max_concurrent)}")
    if spec.max_concurrent is not None and spec.max_concurrent > MAX_SAMPLES:
        raise SpecError(f"max_concurrent: must be at most {MAX_SAMPLES}, got {show(spec.max_concurrent)}")


def _count(n: int) -> str:
    return f"{n:.3g}" if n < 10**300 else show(n)  # 1e+30, not 31 digits; beyond floats, show() says how long


def check_space_shape(spec: SweepSpec) -> None:
    """`pow2` bounds that are themselves powers of two (and the like, per scale). An empty space is a spec
    (its defaults); the pre-flight refuses to launch it."""
    for param in spec.space.values():
        problem = param.scale_type.loose_bounds(param)
        if problem:
            raise SpecError(f"space.{param.name}: {problem}")
