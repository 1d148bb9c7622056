"""The full-budget reference: every config for all its epochs, one after another, in one process.

Its per-config per-epoch seconds are the cost table the ideal wall of every runner is computed from, and its
best dev accuracy is what pruning runners should match. No checkpoints: this is the training alone.

Run: python -m bench.runners.sequential JOB.json OUT.json
"""

from __future__ import annotations

import torch

from bench.job import Phases, TrialRecorder, read_job, train, write_out
from trainables.session import LocalSession


def main() -> None:
    phases = Phases()
    job, out = read_job()
    torch.set_num_threads(1)
    phases.mark("imports")
    recorder = TrialRecorder(job)
    for config in job["configs"]:
        keep = lambda metrics, config=config: recorder.add(config["plan_id"], config, metrics)  # noqa: E731
        train({**config, "checkpoint_every": 0}, LocalSession(on_report=keep))
    phases.mark("train")
    write_out(out, recorder.records(), phases)


if __name__ == "__main__":
    main()
