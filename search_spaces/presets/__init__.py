"""Bundled sweep specs (package data): ``sweep launch digits-adam`` runs ``digits-adam.yaml``."""

from __future__ import annotations

from pathlib import Path

DEFAULT_PRESET = "digits-momentum"
_DIR = Path(__file__).resolve().parent


def preset_names() -> list[str]:
    """The bundled preset names, the default first.

    Example:
        >>> preset_names()[0]
        'digits-momentum'
    """
    names = sorted(p.stem for p in _DIR.glob("*.yaml"))
    return sorted(names, key=lambda n: n != DEFAULT_PRESET)


def preset_path(name: str) -> Path:
    """The YAML file of preset `name` (it need not exist; see :func:`preset_names`)."""
    return _DIR / f"{name}.yaml"
