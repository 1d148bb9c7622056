"""The bench's picture: mean regret against evaluations, one panel per task (log regret axis)."""

from __future__ import annotations

from pathlib import Path

from bench.tabular.score import Curves, mean_curve


def plot_regret(curves: Curves, tasks: list[str], labels: dict[str, str], title: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(4, len(tasks))
    rows = -(-len(tasks) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
    for ax, task in zip(axes.flat, tasks, strict=False):
        for method in sorted(curves):
            curve = mean_curve(curves[method][task])
            ax.plot(range(1, len(curve) + 1), curve + 1e-6, label=labels.get(method, method),
                    lw=2.2 if method == "sweep-default" else 1.0)  # fmt: skip
        ax.set_yscale("log")
        ax.set_title(task, fontsize=9)
        ax.set_xlabel("evaluations", fontsize=8)
        ax.set_ylabel("mean regret (+1e-6)", fontsize=8)
    for ax in list(axes.flat)[len(tasks) :]:
        ax.axis("off")
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=4, fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 0.96))
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
