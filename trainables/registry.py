"""Names of trainables → callables: the built-ins by short name, anything else as ``package.module:function``.

Example:
    >>> resolve_trainable("mlp").__name__
    'train'
    >>> resolve_callable("trainables.mlp:train_and_test").__name__
    'train_and_test'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from trainables.config import ConfigError

# Built-in trainables: short name → (function trainable, train-and-test-in-process helper).
BUILTINS: dict[str, tuple[str, str]] = {
    "mlp": ("trainables.mlp:train", "trainables.mlp:train_and_test"),
}


def resolve_trainable(name: str) -> Callable[[dict], None]:
    """The Ray function trainable called `name`: a built-in (``mlp``) or ``package.module:function``.

    Raises:
        ConfigError: Unknown built-in, malformed reference, missing module or attribute, not callable.
    """
    reference = BUILTINS[name][0] if name in BUILTINS else name
    return resolve_callable(reference)


def resolve_train_and_test(name: str) -> Callable[..., dict[str, Any]] | None:
    """The in-process `train_and_test` of a built-in trainable, or None for a user's trainable."""
    return resolve_callable(BUILTINS[name][1]) if name in BUILTINS else None


def resolve_callable(reference: str) -> Callable[..., Any]:
    """Import ``package.module:function`` and return the function (ConfigError with the fix otherwise)."""
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise ConfigError(
            f"trainable {reference!r}: not a built-in ({', '.join(BUILTINS)}) nor package.module:function: "
            "write e.g. trainable: mypkg.train:train"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ConfigError(
            f"trainable {reference!r}: cannot import module {module_name!r} ({err}): "
            "check the name and that it is importable (installed or on PYTHONPATH)"
        ) from None
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ConfigError(f"trainable {reference!r}: {module_name!r} has no {attribute!r}: fix the name")
        target = getattr(target, part)
    if not callable(target):
        raise ConfigError(f"trainable {reference!r}: {attribute!r} is not callable: point at a function")
    return target


def builtin_names() -> list[str]:
    """The short names of the built-in trainables."""
    return sorted(BUILTINS)
