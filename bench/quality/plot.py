"""The two pictures: best-so-far dev accuracy against wall-clock seconds, and against epochs trained (search
quality with each system's speed taken out). One line per method (the mean over seeds) with its 95 % band."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def plot_curves(curves: dict[str, Any], labels: dict[str, str], x_label: str, title: str, path: Path) -> Path:
    """Plot ``curves = {"x": [...], "methods": {key: {"mean": [...], "ci95": [...]}}}`` to the PNG `path`.

    Example:
        >>> curves = {"x": [0, 1, 2], "methods": {"m": {"mean": [None, 0.5, 0.6], "ci95": [None, None, None]}}}
        >>> plot_curves(curves, {"m": "M"}, "seconds", "t", Path("/tmp/q.png")).name  # doctest: +SKIP
        'q.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.asarray(curves["x"], dtype=float)
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    lowest = 1.0
    for key, line in curves["methods"].items():
        mean = np.asarray([np.nan if v is None else v for v in line["mean"]], dtype=float)
        half = np.asarray([np.nan if v is None else v for v in line["ci95"]], dtype=float)
        style = "-" if key.startswith("sweep") else "--"
        (drawn,) = ax.plot(x, mean, style, label=labels.get(key, key), linewidth=1.8)
        if not np.isnan(mean).all():
            lowest = min(lowest, float(np.nanmin(mean)))
        if not np.isnan(half).all():  # accuracies live in [0, 1]: so does the drawn band (2 seeds make it wide)
            low, high = np.clip(mean - half, 0.0, 1.0), np.clip(mean + half, 0.0, 1.0)
            ax.fill_between(x, low, high, color=drawn.get_color(), alpha=0.15, linewidth=0)
    ax.set_ylim(max(lowest - 0.05, 0.0), 1.0)
    ax.set_xlabel(x_label)
    ax.set_ylabel("best dev accuracy so far (mean over seeds, 95% band)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.set_xlim(0.0, float(x.max()) if len(x) else 1.0)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
