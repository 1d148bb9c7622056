"""Coarse to fine, point by point: a zoomed round samples small regions around each of its best trials.

One box spanning the best trials (:func:`search_spaces.zoom.zoom`) barely narrows a space of many params:
per axis, a dozen good trials cover most of each range, and the corners of the box hold few of them. A
region around each of the best trials keeps every param near a value that worked *together with the
others*, which is where the course's "zoom in and sample more densely" pays.

Each region is the zoom of one trial: ± `margin` × the width of the space the trial was drawn from, in the
param's own coordinate (log10 α, log10(1 − β), log2 of a batch size), clipped to the next round's envelope; a
choice holds the trial's value. The
round's samples are shared in proportion to 1/rank (the best region gets the most), and interleaved, so a
budget that ends the round early has still sampled around every centre.
"""

from __future__ import annotations

from typing import Any

from search_spaces.sampling import sample_configs
from search_spaces.space import Space
from search_spaces.zoom import rank, zoom


def best_regions(
    space: Space,
    envelope: Space,
    results: list[tuple[dict[str, Any], float]],
    mode: str,
    count: int,
    margin: float,
    ranked: bool = False,
) -> list[Space]:
    """One region per trial among the best `count`, best first.

    Args:
        space: the space the results were drawn from, the previous round's (its widths set each region's size).
        envelope: the next round's one-box zoom; no region leaves it.
        results: (config, metric) per trial; non-finite metrics rank last.
        mode: ``max`` or ``min``.
        count: how many of the best trials get a region (fewer when fewer trials have results).
        margin: half a region's width, as a fraction of the round's width.
        ranked: `results` are best first already (see :func:`~search_spaces.zoom.zoom`).

    Example:
        >>> s = Space.from_dict({"lr": {"loguniform": [1e-4, 1]}, "bn": {"choice": [False, True]}})
        >>> results = [({"lr": 1e-3, "bn": True}, 0.9), ({"lr": 0.1, "bn": False}, 0.8), ({"lr": 1e-4}, 0.1)]
        >>> [(r["lr"].range_text(), r["bn"].range_text()) for r in best_regions(s, s, results, "max", 2, 0.1)]
        [('[0.000398107, 0.00251189]', '[True]'), ('[0.0398107, 0.251189]', '[False]')]
    """
    ordered = results if ranked else rank(results, mode)
    return [zoom(space, envelope, [(config, 1.0)], mode, 1.0, margin) for config, _ in ordered[:count]]


def shares(samples: int, regions: int) -> list[int]:
    """`samples` split over `regions` in proportion to 1/rank (largest remainders), best first.

    Example:
        >>> shares(32, 3), shares(2, 3)
        ([17, 9, 6], [1, 1, 0])
    """
    weights = [1.0 / (k + 1) for k in range(regions)]
    exact = [samples * w / sum(weights) for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(regions), key=lambda k: (counts[k] - exact[k], k))
    for k in by_remainder[: samples - sum(counts)]:
        counts[k] += 1
    return counts


def sample_regions(regions: list[Space], samples: int, sampler: str, seed: int) -> list[dict[str, Any]]:
    """`samples` configs drawn from `regions` (see :func:`shares`), interleaved in proportion to each share.

    Example:
        >>> a = Space.from_dict({"x": {"uniform": [0, 1]}})
        >>> b = Space.from_dict({"x": {"uniform": [5, 6]}})
        >>> [int(c["x"]) for c in sample_regions([a, b], 3, "random", seed=0)]
        [0, 5, 0]
    """
    drawn: list[tuple[float, int, dict[str, Any]]] = []
    for k, (region, n) in enumerate(zip(regions, shares(samples, len(regions)), strict=True)):
        if n == 0:
            continue
        configs = sample_configs(region, n, sampler, seed + 7919 * k)
        drawn += [(i / len(configs), k, config) for i, config in enumerate(configs)]  # each centre once first
    return [config for *_, config in sorted(drawn, key=lambda item: (item[0], item[1]))]
