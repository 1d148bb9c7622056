"""A run's winner and its one evaluation on the test split.

The winner is the trial with the best dev accuracy reported within the budget. It is retrained in the bench
process for the epochs it had trained by then (the trainable is deterministic: same config, seed and split
give the same model, as ``sweep``'s own retrain relies on) and scored once on the test split, the same way
for every method. The test split is read only here.

Example:
    >>> trials = [{"id": "a", "config": {}, "reports": [[1.0, 1, 0.4], [2.0, 2, 0.6], [9.0, 3, 0.9]]}]
    >>> winner(trials, budget_s=5.0)["epochs"], winner(trials, budget_s=5.0)["dev_accuracy"]
    (2, 0.6)
"""

from __future__ import annotations

from typing import Any


def winner(trials: list[dict[str, Any]], budget_s: float) -> dict[str, Any] | None:
    """The best trial within the budget: its id, config, best dev accuracy and epochs trained by then."""
    best: dict[str, Any] | None = None
    for trial in trials:
        within = [r for r in trial["reports"] if r[0] <= budget_s]
        if not within:
            continue
        top = max(r[2] for r in within)
        if best is None or top > best["dev_accuracy"]:
            epochs = max(r[1] for r in within)
            best = {"id": trial["id"], "config": trial["config"], "dev_accuracy": top, "epochs": epochs}
    return best


def score_on_test(config: dict[str, Any], epochs: int, data: str, trainable: str = "mlp") -> float:
    """Retrain `config` (a model of the built-in `trainable`) for `epochs` epochs on one thread and return its
    accuracy on the test split."""
    import torch

    from trainables.registry import builtin

    torch.set_num_threads(1)
    run = {**config, "data": data, "epochs": int(epochs), "threads": 1, "checkpoint_every": 0}
    return float(builtin(trainable).train_and_test(run)["test_accuracy"])
