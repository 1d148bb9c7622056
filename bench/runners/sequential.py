"""The full-budget reference: every config for all its epochs, one after another, in one process.

Its per-config per-epoch seconds are the cost table the ideal wall of every runner is computed from, and its
best dev accuracy is what pruning runners should match. No checkpoints: this is the training alone.

Run: python -m bench.runners.sequential JOB.json OUT.json
"""

from __future__ import annotations

import time

import torch

from bench.runners.common import read_job, trial_record, write_out
from trainables.loop import run_training
from trainables.session import LocalSession


def main() -> None:
    job, out = read_job()
    torch.set_num_threads(1)
    started = time.perf_counter()
    trials = []
    for config in job["configs"]:
        session = LocalSession()
        run_training({**config, "checkpoint_every": 0}, session)
        trials.append(trial_record(config["plan_id"], session.history))
    write_out(out, trials, inner_wall=time.perf_counter() - started)


if __name__ == "__main__":
    main()
