"""``grid: [a, b, …]``: every listed value, crossed with the rest of the space (seeds, a few settings to compare)."""

from __future__ import annotations

from search_spaces.scales.listed import ListScale


class GridScale(ListScale):
    """Each round runs every value: ``n`` draws of the other params per grid combination; never zoomed."""

    name = "grid"
    kind = "grid"
