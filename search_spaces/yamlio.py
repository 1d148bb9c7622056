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

MAX_SPEC_BYTES = 1_000_000  # a spec is a page of YAML; anything larger is the wrong file


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping that names the same key twice (YAML would silently keep the last value)."""

    def __init__(self, key: Any, mark: yaml.Mark) -> None:
        super().__init__(problem=f"duplicate key {key!r}", problem_mark=mark)
        self.key = key


class SpecLoader(yaml.SafeLoader):
    """A safe loader that also reads ``1e-4`` and ``5E3`` as floats, and refuses duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` merges are not duplicates
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if duplicate:
                raise DuplicateKeyError(key, key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def load_yaml_text(text: str, where: str) -> Any:
    """Parse YAML text; a syntax error becomes ``<where>: invalid YAML at line N: <problem>``.

    Example:
        >>> load_yaml_text("lr: [1e-4, 1]", "my_spec.yaml")
        {'lr': [0.0001, 1]}
    """
    try:
        return yaml.load(text, Loader=SpecLoader)  # noqa: S506  (SpecLoader is a SafeLoader)
    except DuplicateKeyError as err:
        line = err.problem_mark.line + 1 if err.problem_mark is not None else "?"
        raise SpecError(
            f"{where}: duplicate key {err.key!r} at line {line}: keep one (YAML would silently use the last)"
        ) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = err.problem or err.context or "cannot parse"
        raise SpecError(f"{where}: invalid YAML{line}: {problem}") from None
    except yaml.YAMLError as err:
        raise SpecError(f"{where}: invalid YAML: {one_line(str(err))}") from None
    except RecursionError:
        raise SpecError(f"{where}: invalid YAML: nested too deeply: flatten it") from None
    except ValueError as err:  # a value the YAML types cannot hold: a 5000-digit integer, a 13th month
        raise SpecError(f"{where}: invalid YAML: {one_line(str(err))}: write the value differently") from None


def one_line(text: str, limit: int = 200) -> str:
    """Whitespace collapsed, cut at `limit` characters: YAML's own messages span lines."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def decode_spec_bytes(data: bytes, where: str) -> str:
    """UTF-8 text of a spec file (a UTF-8 byte-order mark is allowed), else a SpecError naming the encoding.

    Example:
        >>> decode_spec_bytes("lr: 0.1".encode("utf-16"), "my_spec.yaml")
        Traceback (most recent call last):
        search_spaces.errors.SpecError: my_spec.yaml: the file is UTF-16 text, not UTF-8: save it as UTF-8
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SpecError(f"{where}: the file is UTF-16 text, not UTF-8: save it as UTF-8")
    if b"\x00" in data:
        raise SpecError(f"{where}: the file is binary (it holds NUL bytes), not a YAML spec: give a .yaml text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise SpecError(
            f"{where}: not UTF-8 text (byte 0x{data[err.start]:02x} at line {line}): save the file as UTF-8"
        ) from None


def read_yaml_file(path: Path, where: str) -> Any:
    """Read and parse a YAML file (see :func:`load_yaml_text`)."""
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise SpecError(
                f"{where}: {size} bytes is too large for a spec (at most {MAX_SPEC_BYTES}): give the spec's YAML file"
            )
        data = path.read_bytes()
    except OSError as err:
        raise SpecError(f"{where}: cannot read: {err.strerror or err}") from None
    return load_yaml_text(decode_spec_bytes(data, where), where)


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
    except (yaml.YAMLError, ValueError, RecursionError):
        value = raw
    return key, value
