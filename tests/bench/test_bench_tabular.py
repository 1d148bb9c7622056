"""The tabular search-quality bench: its smoke run, its snapping, and random search's curve against theory."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest

from bench.tabular import run, tasks
from bench.tabular.methods import METHODS, make
from bench.tabular.simulate import cut, simulate


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("tabular") / "smoke.json"
    assert run.main(["--smoke", "--cores", "1", "--out", str(out)]) == 0
    assert out.with_name("smoke-k1.png").stat().st_size > 0 and out.with_name("smoke-k8.png").stat().st_size > 0
    return json.loads(out.read_text())


def test_the_smoke_gives_every_method_exactly_the_budget_and_non_negative_regrets(smoke):
    assert smoke["settings"]["tasks"] == ["car", "phoneme"] and smoke["settings"]["seeds"] == 2
    for k in ("1", "8"):
        per_method = smoke["curves"][k]["16"]
        assert set(per_method) == set(METHODS) - set(run.VARIANTS)
        for method, per_task in per_method.items():
            for task, curves in per_task.items():
                assert len(curves) == 2, (method, task)
                assert all(len(curve) == 16 for curve in curves), (method, task)
                assert all(r >= 0 for curve in curves for r in curve), (method, task)
        ranks = smoke["summaries"][k]["ranks"]["16"]
        assert math.isclose(sum(ranks.values()), sum(range(1, len(ranks) + 1)))


def test_the_smoke_records_and_prints_each_methods_cpu_seconds(smoke, capsys):
    cpu = smoke["cpu_seconds"]
    assert set(cpu["methods"]) == set(METHODS) - set(run.VARIANTS)
    assert all(seconds > 0 for seconds in cpu["methods"].values())
    assert cpu["total"] >= sum(cpu["methods"].values())
    for method, seconds in cpu["methods"].items():
        assert seconds == pytest.approx(cpu["by_workers"]["1"][method] + cpu["by_workers"]["8"][method], abs=0.02)
    run.print_cpu({"methods": {"optuna-tpe": 30.0, "sweep-default": 90.0}, "total": 125.0}, 70.0, 2)
    lines = capsys.readouterr().out.splitlines()
    assert "120 in the runs, 125 in all; 70 s wall on 2 cores" in lines[1]
    assert lines[2].split() == ["sweep-default", "90.0", "s", "75.0%"] and lines[3].split()[0] == "optuna-tpe"


def test_a_run_without_random_search_still_writes_its_results_and_says_why_it_has_no_speed_ups(tmp_path, capsys):
    out = tmp_path / "peers.json"
    argv = ["--smoke", "--tasks", "car", "--methods", "optuna-random", "--workers", "1", "--cores", "1"]
    assert run.main([*argv, "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert len(result["curves"]["1"]["16"]["optuna-random"]["car"]) == 2
    assert result["summaries"]["1"]["speedup"] == {} and result["summaries"]["1"]["median_speedup"] == {}
    assert "speed-ups: none (sweep-random, their yardstick, was not among --methods)" in capsys.readouterr().out


@pytest.mark.parametrize("method", ["optuna-tpe", "optuna-random", "ray-hyperopt", "sweep-tpe"])
def test_a_run_cut_to_a_smaller_budget_is_the_run_made_at_that_budget(method):
    """Methods whose asks ignore the budget run once, at the largest: the cut must be the shorter run exactly."""
    assert not METHODS[method].plans_on_budget
    table = tasks.load("vehicle")

    def run_at(budget: int):
        asker = make(METHODS[method], table.space.to_dict(), table.metric, table.mode, budget, 4, 3,
                     Path(tempfile.mkdtemp()))  # fmt: skip
        return simulate(table, asker, budget, 4, 3)

    long = run_at(40)
    for budget in (12, 25):
        short, made = cut(table, long, budget), run_at(budget)
        assert (short.regret, short.rows, short.observed) == (made.regret, made.rows, made.observed), budget


def test_sweeps_methods_plan_on_their_budget_and_run_once_per_budget():
    args = run.parse(["--tasks", "car", "--seeds", "1", "--workers", "8", "--budgets", "32", "100"])
    jobs = run.jobs_of(args, "scratch")
    budgets = {m: sorted(j[3] for j in jobs if j[0] == m) for m in args.methods}
    assert budgets["sweep-default"] == [(32,), (100,)] and budgets["sweep-staged"] == [(32,), (100,)]
    assert budgets["optuna-tpe"] == budgets["sweep-tpe"] == [(32, 100)]
    assert budgets["optuna-gp"] == [(32,)]  # --gp-budget 32
    assert [(j[0], j[3]) for j in jobs[:4]] == [
        ("optuna-gp", (32,)),
        ("ray-hyperopt", (32, 100)),
        ("sweep-default", (100,)),
        ("sweep-staged", (100,)),
    ]  # the long runs first


def test_a_pool_process_runs_torch_on_one_thread_as_well():
    """Optuna's GPSampler runs on torch, loaded by the worker's start: a limit set before it loads misses it."""
    run.start_worker(["optuna-gp"], [])
    import torch

    assert torch.get_num_threads() == 1


class Recording:
    """Wraps a method's asker and keeps every config it drew."""

    def __init__(self, inner) -> None:
        self.inner, self.drawn = inner, []

    def ask(self):
        got = self.inner.ask()
        if got is not None:
            self.drawn.append(got[1])
        return got

    def tell(self, handle, value) -> None:
        self.inner.tell(handle, value)


@pytest.mark.parametrize("method", ["sweep-default", "sweep-staged", "optuna-tpe", "ray-hyperopt"])
def test_snapping_maps_every_drawn_value_to_a_table_level(method):
    table = tasks.load("vehicle")
    asker = Recording(make(METHODS[method], table.space.to_dict(), table.metric, table.mode, 24, 4, 0,
                           Path(tempfile.mkdtemp())))  # fmt: skip
    assert len(simulate(table, asker, 24, 4, 0).regret) == 24
    for config in asker.drawn:
        snapped = table.snap(config)
        for name, levels in table.levels.items():
            assert snapped[name] in levels
        table.index(snapped)  # a row of the table


def test_snapping_is_in_the_parameters_own_coordinate():
    table = tasks.load("car")
    snapped = table.snap({"learning_rate_init": 0.01, "batch_size": 32, "width": 1024, "depth": 3, "alpha": 2e-8})
    # log10: 0.01 is nearer 5.99e-3 (−2.22) than 2.15e-2 (−1.67), 2e-8 (−7.7) nearer 1e-8 than 7.7e-8 (−7.11);
    # log2: 32 (5) nearer 40 (5.32) than 25 (4.64)
    assert snapped["learning_rate_init"] == pytest.approx(5.9948424e-3) and snapped["batch_size"] == 40
    assert snapped["alpha"] == pytest.approx(1e-8) and snapped["width"] == 1024


def expected_regret_of_random(table: tasks.Table, evaluations: int, cell_probability: np.ndarray) -> float:
    """E[regret of the best of `evaluations` independent draws], each cell drawn with its probability (no noise
    to speak of: the best reading is the best cell)."""
    order = np.argsort(-table.means)
    regrets = table.best - table.means[order]
    inside = np.cumsum(cell_probability[order])  # P(a draw lands in the top j cells)
    reach = 1 - (1 - inside) ** evaluations  # P(the best of n is in the top j)
    return float(np.sum(regrets * np.diff(np.concatenate([[0.0], reach]))))


def test_random_searchs_curve_has_the_expected_statistics_on_a_table_whose_best_is_known():
    table = tasks.synthetic(size=6, noise=1e-4)
    # log10 α uniform on [−5, 0] snaps to 6 levels 1 apart: the end levels take half a cell (0.1), the rest 0.2;
    # log2 of the batch size is drawn among its 6 powers of two, each a level
    lr = np.array([0.1, 0.2, 0.2, 0.2, 0.2, 0.1])
    cells = np.outer(lr, np.full(6, 1 / 6)).ravel()
    curves = []
    for seed in range(300):
        asker = make(METHODS["optuna-random"], table.space.to_dict(), table.metric, table.mode, 12, 1, seed,
                     Path(tempfile.mkdtemp()))  # fmt: skip
        curves.append(simulate(table, asker, 12, 1, seed).regret)
    observed = np.array(curves)
    for n in (1, 4, 12):
        mean, error = observed[:, n - 1].mean(), observed[:, n - 1].std() / math.sqrt(len(curves))
        assert abs(mean - expected_regret_of_random(table, n, cells)) < 4 * error + 1e-9, n
