"""Pooling quality-bench results taken over different seeds (`python -m bench.quality.pool`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.quality import aggregate
from bench.quality.modes import MODES
from bench.quality.pool import PoolError, main, pool


def _run(method: str, seed: int, final: float) -> dict:
    trials = [{"id": "r1-000", "config": {"lr": 0.01}, "reports": [[10.0, 1, final - 0.1], [100.0, 2, final]]}]
    return {"method": method, "seed": seed, "ok": True, "trials_detail": trials,
            "figures": aggregate.run_figures(trials, 120.0), "test_accuracy": final - 0.01}  # fmt: skip


def _result(seeds: range, gain: float = 0.005, budget_s: float = 120.0) -> dict:
    runs = []
    for seed in seeds:
        base = 0.68 + 0.01 * (seed % 4)  # the seed moves both methods together
        runs += [_run("sweep-random", seed, base), _run("sweep-default", seed, base + gain + 0.001 * (seed % 2))]
    full = MODES["full"].to_dict() | {"seeds": len(seeds), "budget_s": budget_s}
    return {"mode": full, "cores": 2, "preset": "mnist1d-mlp", "spec": {}, "notes": [],
            "methods": {"sweep-random": "random", "sweep-default": "default"}, "runs": runs}  # fmt: skip


def test_pools_the_runs_of_every_seed() -> None:
    header, runs, pooled = pool({"a.json": _result(range(0, 3)), "b.json": _result(range(3, 8))})
    assert header["seeds"] == list(range(8)) and pooled.seeds == 8 and len(runs) == 16
    assert header["pooled_from"] == ["a.json", "b.json"] and pooled.budget_s == 120.0


def test_pooling_computes_each_runs_figures_from_its_trials() -> None:
    older = _result(range(0, 2))
    for run in older["runs"]:
        run["found_model"] = True
        del run["figures"]["epoch_seconds"]  # written before the bench had this figure
    _, runs, _ = pool({"a.json": older})
    assert [run["figures"]["epoch_seconds"] for run in runs] == [90.0] * 4  # 100 s - 10 s over epochs 1 to 2
    assert all(run["figures"]["best_dev"]["100%"] == run["trials_detail"][0]["reports"][1][2] for run in runs)


def test_refuses_a_seed_twice_and_a_different_setting() -> None:
    with pytest.raises(PoolError, match=r"b.json: sweep-random seed 2 is in a.json too: .*--first-seed"):
        pool({"a.json": _result(range(0, 3)), "b.json": _result(range(2, 5))})
    with pytest.raises(PoolError, match=r"b.json: budget_s is 30.0, a.json has 120.0"):
        pool({"a.json": _result(range(0, 3)), "b.json": _result(range(3, 5), budget_s=30.0)})
    with pytest.raises(PoolError, match=r"c.json: not a quality bench result"):
        pool({"a.json": _result(range(0, 3)), "c.json": {"mode": {}}})


def test_the_pooled_targets_pair_every_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # three seeds alone give a wide interval; eight pooled give the paired interval over all eight
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_result(range(0, 3))))
    b.write_text(json.dumps(_result(range(3, 8))))
    out = tmp_path / "pooled.json"
    assert main([str(a), str(b), "--out", str(out)]) == 0
    pooled = json.loads(out.read_text())
    ahead = pooled["targets"][0]
    assert ahead["met"] is True and "paired t over 8 seeds" in ahead["figures"], ahead
    assert pooled["summary"]["sweep-default"]["runs"] == 8
    assert Path(pooled["plots"]["time"]).read_bytes()[:4] == b"\x89PNG"
    assert "8 seed(s)" in capsys.readouterr().out


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not json")
    assert main([str(bad), "--out", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {bad}: not a readable bench result") and "\n" not in err
    assert not (tmp_path / "x.json").exists()
