"""The benchmark harness cannot rot: `python -m bench.run --smoke` runs every runner and probe once on a
tiny workload (W1, with the warm path, and a tiny W4), and its JSON holds sane fields for each. No timing
assertions: the figures are noise here; only what must hold on any machine (phases within the wall, a warm
run that joined the `sweep up` Ray, the cores every runner got)."""

from __future__ import annotations

import json

import pytest

SMOKE = "cost"  # the `bench_smokes` fixture runs `python -m bench.run --smoke` for this module
RUNNERS = {"sweep launch", "sweep launch (warm)", "ray hand-tuned", "ray defaults", "optuna", "sequential"}
SWEEP_PHASES = {"startup", "ray_init", "rounds", "finish", "shutdown", "run_sweep_other", "exit"}


@pytest.mark.ray
@pytest.mark.slow
def test_bench_smoke(bench_smokes) -> None:
    code, log, out = bench_smokes.result(SMOKE)
    assert code == 0, log
    result = json.loads(out.read_text())

    records = result["workloads"]["W1"]["records"]
    expected = RUNNERS if not result["notes"] else RUNNERS - {"optuna"}  # optuna is an optional extra
    assert {r["runner"] for r in records} == expected
    for record in records:
        assert record["ok"], record.get("error")
        assert record["wall"] > 0
        assert record["trials"] == 4 and record["epochs"] > 0
        assert 0 < record["efficiency"] <= 1.5, record
        assert 0 <= record["best_dev_accuracy"] <= 1
        assert record["wall_over_ideal"] > 0 and record["wall_vs_sweep"] > 0
    assert not result["workloads"]["W1"]["epoch1_mismatches"]  # identical configs, identical curves
    ray_runs = [r for r in records if r["runner"] not in ("optuna", "sequential")]
    assert all(r["ray_init"] > 0 for r in ray_runs)
    cores = result["cores"]
    for record in records:  # the phases run from the process's start and add up to (nearly) its wall
        assert -0.1 < record["unaccounted"] < record["wall"], (record["runner"], record["phases"], record["wall"])
        assert record["phases"]["startup" if "sweep" in record["runner"] else "interpreter_and_imports"] > 0
    by_runner = {r["runner"]: r for r in records}
    cold, warm = by_runner["sweep launch"], by_runner["sweep launch (warm)"]
    assert set(cold["phases"]) == SWEEP_PHASES and set(warm["phases"]) == SWEEP_PHASES
    assert cold["ray_started_here"] is True and warm["ray_started_here"] is False  # warm joined `sweep up`'s Ray
    assert cold["cluster_cpus"] == warm["cluster_cpus"] == cores
    assert result["workloads"]["W1"]["warm_ray"]["cpus"] == cores

    w4 = {r["runner"]: r for r in result["workloads"]["W4"]["records"]}
    assert set(w4) == {"sweep launch", "sweep launch, 1 round"}
    assert all(r["ok"] for r in w4.values()), [r.get("error") for r in w4.values()]
    assert w4["sweep launch"]["trials"] == w4["sweep launch, 1 round"]["trials"] == 8  # 2 rounds x 4 vs 1 x 8
    rounds = {t["plan_id"][:2] for t in w4["sweep launch"]["trials_detail"]}
    assert rounds == {"r1", "r2"}
    for record in w4.values():
        assert 0 < record["trial_cpu"] <= 1.05, record["trial_spans"]
    named = {t["target"]: t for t in result["targets"]}
    for target in (
        "W1 cold: sweep wall ≤ 1.0 × hand-tuned Ray Tune",
        "W1 warm: sweep wall ≤ 1.0 × Optuna",
        "W4: 2-round wall ≤ 1.15 × one round of the same trials",
    ):
        assert target in named, sorted(named)
    assert named["W4: 2-round wall ≤ 1.15 × one round of the same trials"]["met"] is not None

    (point,) = result["scale"]
    assert point["ok"] and point["trials_done"] == 8 and point["driver_maxrss_mb"] > 0
    assert result["trainable"]["speedup"] > 0
    assert len(result["load_at_start"]) == 3
    assert result["targets"]


def test_the_optuna_runner_queues_configs_in_sweeps_own_coordinates() -> None:
    """The cost bench's Optuna study gets back the configs it queued, each drawn as `sampler: tpe` draws it (β as
    log10(1 − β), a batch size as its base-2 exponent): one mapping of a space to Optuna for every peer."""
    optuna = pytest.importorskip("optuna", reason="optuna is the bench extra")
    from bench.runners.optuna_runner import enqueue
    from search_spaces import Space

    space = Space.from_dict({"beta1": {"beta": [0.9, 0.999]}, "batch_size": {"pow2": [16, 256]}, "epochs": 3})
    configs = [{"plan_id": f"r1-00{k}", "beta1": b, "batch_size": n, "epochs": 3} for k, (b, n) in
               enumerate([(0.99, 32), (0.9, 256), (0.999, 16)])]  # fmt: skip
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    config_of = enqueue(study, space, configs)
    for config in configs:
        trial = study.ask()
        assert config_of(trial) == config
        assert trial.params["batch_size"] == {32: 5, 256: 8, 16: 4}[config["batch_size"]]
        beta = trial.distributions["beta1"]
        assert (beta.low, beta.high) == pytest.approx((-3.0, -1.0)) and not beta.log


def test_sweep_launchs_phases_come_from_its_events_and_add_up_to_its_wall(tmp_path) -> None:
    """The bench times `sweep launch` from the events it writes (`--events`): consecutive phases from the fork to
    the reaping, so they add up to the wall exactly; a run whose events lack a phase is an error, not a run
    without timings."""
    from bench.runners.sweep_cli import EVENTS_FILE, timings

    def phase(name: str, started: float, ended: float) -> str:
        return json.dumps({"event": "PhaseTimed", "time": ended, "phase": name, "started": started, "ended": ended})

    lines = [phase("ray_start", 101.0, 103.0),
             json.dumps({"event": "SweepStarted", "time": 103.1, "ray_started_here": True, "cpus": 2.0}),
             phase("rounds", 103.5, 110.0), phase("final_test", 110.2, 110.6), phase("summary", 110.1, 111.0),
             phase("ray_shutdown", 111.0, 112.0), phase("sweep", 100.5, 112.25)]  # fmt: skip
    (tmp_path / EVENTS_FILE).write_text("\n".join(lines) + "\n")
    timed = timings(tmp_path, started_at=99.0, ended_at=113.0)
    assert timed["phases"] == pytest.approx({"startup": 1.5, "ray_init": 2.0, "rounds": 6.5, "finish": 0.9,
                                             "shutdown": 1.0, "run_sweep_other": 1.35, "exit": 0.75})  # fmt: skip
    assert sum(timed["phases"].values()) == pytest.approx(113.0 - 99.0)
    assert timed["phase_detail"] == pytest.approx({"final_test": 0.4})
    assert timed["ray_started_here"] is True and timed["cluster_cpus"] == 2.0

    (tmp_path / EVENTS_FILE).write_text("\n".join(lines[:-1]) + "\n")  # the driver died before the end
    with pytest.raises(RuntimeError, match=r"lack the phases \['sweep'\]"):
        timings(tmp_path, 99.0, 113.0)
