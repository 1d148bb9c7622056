"""``choice: [a, b, …]``: one of the listed values per trial (an activation, an optimizer)."""

from __future__ import annotations

from search_spaces.scales.listed import ListScale


class ChoiceScale(ListScale):
    """Each value equally likely; zooming keeps the values the best trials used."""

    name = "choice"
    kind = "choice"
