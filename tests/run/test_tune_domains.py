"""Ray Tune's form of a space (sweep.run.tune_domains): native domains where Ray has one, the rest through
``from_unit``. Imports Ray's search-space classes only; starts no Ray."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from search_spaces import Param, load_spec
from search_spaces.scales import SCALES
from sweep.run.tune_domains import UnitDomain, to_tune_domain, to_tune_domains
from tests.search_spaces.test_params import space

N = 20_000


def test_tune_domains_are_native_ray_domains() -> None:
    from ray.tune.search import sample

    s = space().hold("act", "relu").with_param(Param.from_entry("bs", {"pow2": [16, 64]}))
    domains = to_tune_domains(s.with_param(Param.from_entry("g", {"grid": [1, 2]})))
    assert isinstance(domains["lr"], sample.Float) and isinstance(domains["lr"].sampler, sample.LogUniform)
    assert isinstance(domains["layers"], sample.Integer)
    assert (domains["layers"].lower, domains["layers"].upper) == (1, 4)
    assert isinstance(domains["bs"], sample.Categorical) and domains["bs"].categories == [16, 32, 64]
    assert domains["g"] == {"grid_search": [1, 2]} and domains["epochs"] == 20 and domains["act"] == "relu"
    beta = domains["momentum"]
    assert isinstance(beta, sample.Float) and isinstance(beta, UnitDomain)
    x = beta.sample(size=N, random_state=np.random.default_rng(0))
    assert x.min() >= 0.8 and x.max() <= 0.999
    # log10(1 - β) uniform on [-3, log10 0.2]: the share below 0.99 is (log10 0.2 + 2) / (log10 0.2 + 3)
    expected = (math.log10(0.2) + 2) / (math.log10(0.2) + 3)
    assert abs(np.mean(x < 0.99) - expected) < 0.02
    assert isinstance(beta.sample(random_state=1), float)


def test_the_preset_maps_every_parameter() -> None:
    preset = load_spec("digits-momentum").space
    domains = to_tune_domains(preset)
    assert domains["epochs"] == 20 and set(domains) == set(preset.names)


@pytest.mark.parametrize("name", list(SCALES))
def test_every_scale_maps_to_a_domain_whose_draws_it_contains(name: str) -> None:
    param = Param.from_entry("p", {name: SCALES[name].examples[0]})
    domain = to_tune_domain(param)
    if param.kind == "fixed":
        assert domain == param.values[0]
    elif param.kind == "grid":
        assert domain == {"grid_search": param.levels()}
    else:
        draws = [domain.sample(random_state=seed) for seed in range(50)]
        assert all(param.contains(v) for v in draws), draws


def test_unit_domain_pickles_and_says_what_it_is() -> None:
    param = Param.from_entry("m", {"beta": [0.9, 0.999]})
    domain = pickle.loads(pickle.dumps(UnitDomain(param)))
    assert domain.param == param and domain.domain_str == "beta [0.9, 0.999]"
    assert domain.is_valid(0.95) and not domain.is_valid(0.9999)
    assert 0.9 <= domain.sample(random_state=0) <= 0.999
