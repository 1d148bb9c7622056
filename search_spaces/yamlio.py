"""YAML reading for specs: exponent floats (``1e-4``) as numbers, errors as one-line SpecErrors.

PyYAML follows YAML 1.1, where ``1e-4`` (no dot) is a *string*; a learning-rate range written
``[1e-4, 1]`` would then fail validation. The loader here adds the YAML 1.2 float form.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from search_spaces.errors import SpecError


class SpecLoader(yaml.SafeLoader):
    """A safe loader that also reads ``1e-4`` and ``5E3`` as floats."""


SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def load_yaml_text(text: str, where: str) -> Any:
    """Parse YAML text; a syntax error becomes ``<where>: invalid YAML at line N: <problem>``.

    Example:
        >>> load_yaml_text("lr: [1e-4, 1]", "spec.yaml")
        {'lr': [0.0001, 1]}
    """
    try:
        return yaml.load(text, Loader=SpecLoader)  # noqa: S506  (SpecLoader is a SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = err.problem or err.context or "cannot parse"
        raise SpecError(f"{where}: invalid YAML{line}: {problem}") from None
    except yaml.YAMLError as err:
        raise SpecError(f"{where}: invalid YAML: {err}") from None


def read_yaml_file(path: Path, where: str) -> Any:
    """Read and parse a YAML file (see :func:`load_yaml_text`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SpecError(f"{where}: cannot read: {err.strerror or err}") from None
    return load_yaml_text(text, where)


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split a ``--set key=value`` override; the value is read as a YAML scalar.

    Example:
        >>> parse_assignment("lr=0.1")
        ('lr', 0.1)
        >>> parse_assignment("optimizer=adam")
        ('optimizer', 'adam')
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or not raw.strip():
        raise SpecError(f"--set {text!r}: expected key=value")
    try:
        value = yaml.load(raw, Loader=SpecLoader)  # noqa: S506
    except yaml.YAMLError:
        value = raw
    return key, value
