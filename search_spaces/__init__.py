"""Search spaces for sweeps: the spec language, sampling on the right scale, and coarse-to-fine zoom.

Example:
    >>> from search_spaces import load_spec, sample_configs
    >>> spec = load_spec("digits-momentum")
    >>> configs = sample_configs(spec.space, 4, "sobol", seed=0)
    >>> 0.8 <= configs[0]["momentum"] <= 0.999
    True

Ray is never imported here: Ray Tune's form of a space is the orchestrator's (:mod:`sweep.run.tune_domains`).
"""

from __future__ import annotations

from search_spaces.errors import SpecError, SweepError
from search_spaces.params import SCALES, Param
from search_spaces.presets import DEFAULT_PRESET, preset_names
from search_spaces.sampling import baseline_config, sample_configs
from search_spaces.space import Space
from search_spaces.spec import ResourcesSpec, RoundsSpec, SchedulerSpec, SweepSpec, load_spec, parse_spec
from search_spaces.yamlio import parse_assignment
from search_spaces.zoom import zoom, zoom_lines

__all__ = [
    "DEFAULT_PRESET",
    "SCALES",
    "Param",
    "ResourcesSpec",
    "RoundsSpec",
    "SchedulerSpec",
    "SpecError",
    "Space",
    "SweepError",
    "SweepSpec",
    "baseline_config",
    "load_spec",
    "parse_assignment",
    "parse_spec",
    "preset_names",
    "sample_configs",
    "zoom",
    "zoom_lines",
]
