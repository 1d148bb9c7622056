"""The default preset's real sweep ends with advice a practitioner would follow, and its next spec does what
the lines say (a real Ray sweep of the default preset: about a minute on 2 cores)."""

from __future__ import annotations

import math

import pytest

from search_spaces import load_spec


@pytest.mark.ray
@pytest.mark.slow
def test_the_default_presets_advice_can_be_followed(tmp_path, ray_instance) -> None:
    from sweep import RunOptions, run_sweep
    from sweep.analysis import analyze
    from sweep.analysis.next_sweep import plan_next, write_next_spec
    from trainables.config import MLP

    spec = load_spec(None).replace(samples=16)
    result = run_sweep(spec, RunOptions(storage=str(tmp_path), quiet=True, final_test=False, dashboard=False))
    analysis = analyze(result.path, plots=False)
    advice = list(analysis.advice)
    lines = "\n".join(a.text for a in advice)
    # every widened range is one a practitioner would try: inside the mlp's sensible ranges, at most a
    # decade (the scale's step) past the bound it crowds
    for item in advice:
        if item.kind == "edge":
            param, old = item.change, spec.space[item.param]
            low, high = MLP.keys[item.param].sensible()
            assert low <= float(param.extent()[0]) and float(param.extent()[1]) <= high, item.text
            grown = max(
                old.coord_bounds()[0] - param.coord_bounds()[0], param.coord_bounds()[1] - old.coord_bounds()[1]
            )
            assert grown <= max(1.0, old.coord_bounds()[1] - old.coord_bounds()[0]) + 1e-9, item.text
    # the lines agree: nothing the tiers line holds is widened, nothing a bias/variance line moves is held
    tiers = next((a for a in advice if a.kind == "tiers"), None)
    held = set(tiers.change or ()) if tiers is not None else set()
    assert not held & {a.param for a in advice if a.kind == "edge"}, lines
    assert "decay_rate: the best trials crowd" not in lines or "lr_decay" in lines  # judged where it acted
    # the next spec validates and each change comes from the line its header names
    nxt, changes = plan_next(analysis.spec, analysis.result, analysis.importance, advice)
    for change in changes:
        assert advice[change.line - 1].kind == change.kind, (change, lines)
    for number, item in enumerate(advice, start=1):
        if item.kind in ("edge", "bias", "variance") or (item.kind == "tiers" and item.change):
            assert any(c.line == number for c in changes), (item.text, changes)
    for item in advice:
        if item.kind == "edge":
            assert nxt.space[item.param].range_text() == item.change.range_text()
    for name in held:
        assert nxt.space[name].is_fixed
    written = load_spec(write_next_spec(analysis, tmp_path / "next.yaml"))
    assert written.space.to_dict() == nxt.space.to_dict()
    assert all(math.isfinite(float(v)) for p in nxt.space.tuned() if p.is_numeric for v in p.extent())
