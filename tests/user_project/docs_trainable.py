"""A function trainable written the way Ray Tune's docs write one: tune.report, tune.get_checkpoint,
Checkpoint.from_directory. It knows nothing of sweep: the seed, data and epochs arrive as config keys."""

import json
import os
import tempfile

from ray import tune


def train(config):
    start, weight = 0, 0.0
    checkpoint = tune.get_checkpoint()
    if checkpoint:
        with checkpoint.as_directory() as directory:
            with open(os.path.join(directory, "state.json")) as file:
                state = json.load(file)
            start, weight = state["epoch"], state["weight"]
    for epoch in range(start, config.get("epochs", 5)):
        weight += config.get("lr", 0.1) * (1.0 - weight)
        # the seed nudges the score by a known amount, so a test can tell which seed a run had
        metrics = {"dev_accuracy": weight + (config.get("seed", 0) % 97) * 1e-4, "seed_seen": config.get("seed", -1)}
        with tempfile.TemporaryDirectory() as directory:
            with open(os.path.join(directory, "state.json"), "w") as file:
                json.dump({"epoch": epoch + 1, "weight": weight}, file)
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(directory))
