"""The full-budget reference: every config for all its epochs, one after another, in one process.

Its per-config per-epoch seconds are the cost table the ideal wall of every runner is computed from, and its
best dev accuracy is what pruning runners should match. No checkpoints: this is the training alone.

Run: python -m bench.runners.sequential JOB.json OUT.json
"""

from __future__ import annotations

import torch

from bench.job import Phases, read_job, trial_record, write_out
from trainables.loop import run_training
from trainables.session import LocalSession


def main() -> None:
    phases = Phases()
    job, out = read_job()
    torch.set_num_threads(1)
    phases.mark("imports")
    trials = []
    for config in job["configs"]:
        session = LocalSession()
        run_training({**config, "checkpoint_every": 0}, session)
        trials.append(trial_record(config["plan_id"], session.history))
    phases.mark("train")
    write_out(out, trials, phases)


if __name__ == "__main__":
    main()
