"""`run_sweep` from Python: a function object as the trainable; the pre-flight stops a bad spec before trials."""

from __future__ import annotations

import pytest

from search_spaces import SpecError, load_spec
from sweep import RunOptions, run_sweep
from sweep.store import schema as S
from tests.conftest import tiny_spec

pytestmark = [pytest.mark.ray, pytest.mark.slow, pytest.mark.usefixtures("ray_instance")]


def test_a_function_object_defined_here_is_the_trainable(tmp_path):
    from ray import tune

    def train(config):  # as a notebook defines it: no module file a worker could import it from
        for epoch in range(1, 3):
            tune.report({"epoch": epoch, "dev_accuracy": 1.0 - abs(config["x"] - 0.3) / epoch})

    spec = {"name": "fn", "samples": 3, "scheduler": "fifo", "space": {"x": {"uniform": [0, 1]}}}
    result = run_sweep(spec, RunOptions(storage=str(tmp_path), quiet=True), trainable=train)

    assert len(result.trials) == 3 and (result.trials[S.STATUS] == S.COMPLETED).all()
    assert (result.trials[S.EPOCHS] == 2).all()
    assert result.state["summary"]["best"]["plan_id"] == result.best()[S.PLAN_ID]


def test_preflight_stops_a_bad_spec_before_any_trial_and_leaves_nothing(tmp_path):
    spec = load_spec(tiny_spec(space={**tiny_spec()["space"], "optimizer": "adamw"}))
    with pytest.raises(SpecError, match=r"space.optimizer: unknown optimizer 'adamw'"):
        run_sweep(spec, RunOptions(storage=str(tmp_path), quiet=True))
    assert not list(tmp_path.iterdir()), "a spec that never ran left a directory"
