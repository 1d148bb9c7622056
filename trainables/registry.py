"""The built-in trainables by short name, and any other trainable as ``package.module:function``.

Each built-in is one module exposing a :class:`~trainables.builtin.BuiltinTrainable` as ``BUILTIN``;
registering one is adding its module to :data:`_MODULES`. The orchestrator asks :func:`builtin` for the
record (config keys, architecture keys, test-set scoring, ...) instead of assuming a model.

Example:
    >>> builtin_names()
    ['cnn1d', 'mlp']
    >>> resolve_trainable("mlp").__name__
    'train'
    >>> resolve_callable("trainables.mlp:train_and_test").__name__
    'train_and_test'
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from trainables.errors import ConfigError
from trainables.keys import Declaration

if TYPE_CHECKING:
    from trainables.builtin import BuiltinTrainable

# Short name → the module holding its record (``BUILTIN``), and where its config keys are declared without torch.
_MODULES = {
    "mlp": "trainables.mlp",
    "cnn1d": "trainables.cnn1d",
}
_DECLARATIONS = {
    "mlp": ("trainables.config", "MLP"),
    "cnn1d": ("trainables.cnn1d_keys", "CNN1D"),
}


class _Records(Mapping[str, "BuiltinTrainable"]):
    """Short name → record, for every built-in; a record's module (and with it torch) is imported when first read,
    so the names and :func:`declaration` cost nothing: `sweep validate` and `show` import no torch."""

    def __getitem__(self, name: str) -> BuiltinTrainable:
        if name not in _MODULES:
            raise KeyError(name)
        record: BuiltinTrainable = importlib.import_module(_MODULES[name]).BUILTIN
        return record

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)

    def __contains__(self, name: object) -> bool:
        return name in _MODULES


BUILTINS: Mapping[str, BuiltinTrainable] = _Records()


def declaration(name: str) -> Declaration:
    """The config keys, ranges, defaults and metrics of the built-in `name`, without importing its model (torch).

    Example:
        >>> declaration("cnn1d").defaults["data"]
        'mnist1d'
    """
    if name not in _DECLARATIONS:
        builtin(name)  # raises the unknown-name error, with its did-you-mean
    module, attribute = _DECLARATIONS[name]
    found: Declaration = getattr(importlib.import_module(module), attribute)
    return found


def builtin(name: str) -> BuiltinTrainable:
    """The record of the built-in trainable `name`.

    Raises:
        ConfigError: `name` is not a built-in (the message names the known ones).

    Example:
        >>> builtin("cnn1d").train.__module__
        'trainables.cnn1d'
        >>> builtin("cnn")
        Traceback (most recent call last):
        trainables.errors.ConfigError: trainable: unknown built-in 'cnn' (did you mean 'cnn1d'? built-ins: cnn1d, mlp)
    """
    if name not in BUILTINS:
        close = difflib.get_close_matches(name, list(BUILTINS), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(f"trainable: unknown built-in {name!r} ({hint}built-ins: {', '.join(builtin_names())})")
    return BUILTINS[name]


def builtin_names() -> list[str]:
    """The short names of the built-in trainables, sorted."""
    return sorted(BUILTINS)


def resolve_trainable(name: str) -> Callable[[dict], None]:
    """The Ray function trainable called `name`: a built-in (``mlp``, ``cnn1d``) or ``package.module:function``.

    Raises:
        ConfigError: Malformed reference, missing module or attribute, not callable.
    """
    return BUILTINS[name].train if name in BUILTINS else resolve_callable(name)


def resolve_train_and_test(name: str) -> Callable[..., dict[str, Any]] | None:
    """The in-process `train_and_test` of a built-in trainable, or None for a user's trainable."""
    return BUILTINS[name].train_and_test if name in BUILTINS else None


def evaluate_checkpoint(
    config: Mapping[str, Any], state: Mapping[str, Any], *, device: str = "cpu"
) -> dict[str, float]:
    """Score a built-in's checkpoint state on the test split with the model the state holds.

    The state names its trainable (a state without the name is the mlp's), so a caller holding a
    checkpoint need not know which built-in made it.

    Example:
        >>> from trainables.loop import run_training
        >>> from trainables.session import LocalSession
        >>> state = run_training({"epochs": 1, "hidden_units": 8}, LocalSession()).final_state
        >>> sorted(evaluate_checkpoint({"hidden_units": 8}, state))
        ['test_accuracy', 'test_loss']
    """
    return builtin(str(state.get("trainable", "mlp"))).evaluate_checkpoint(config, state, device=device)


def resolve_callable(reference: str, role: str = "trainable", usage: str = "trainable: mypkg.train:train"
                     ) -> Callable[..., Any]:  # fmt: skip
    """Import ``package.module:function`` and return the function (ConfigError with the fix otherwise); `role`
    names what the reference is in the messages (``--model`` for gradcheck's factory) and `usage` shows the form.

    Example:
        >>> resolve_callable("os.path", role="--model", usage="--model pkg.mod:build")
        Traceback (most recent call last):
        trainables.errors.ConfigError: --model 'os.path': not package.module:function: write e.g. --model pkg.mod:build
    """
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        builtins = f"not a built-in ({', '.join(builtin_names())}) nor" if role == "trainable" else "not"
        raise ConfigError(f"{role} {reference!r}: {builtins} package.module:function: write e.g. {usage}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ConfigError(
            f"{role} {reference!r}: cannot import module {module_name!r} ({err}): "
            "check the name and that it is importable (installed or on PYTHONPATH)"
        ) from None
    except Exception as err:  # the module's own code raised while importing (SyntaxError, RuntimeError, ...)
        raise ConfigError(
            f"{role} {reference!r}: importing {module_name!r} raised {type(err).__name__}: {err}: fix the module"
        ) from None
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ConfigError(f"{role} {reference!r}: {module_name!r} has no {attribute!r}: fix the name")
        target = getattr(target, part)
    if not callable(target):
        raise ConfigError(f"{role} {reference!r}: {attribute!r} is not callable: point at a function")
    return target
