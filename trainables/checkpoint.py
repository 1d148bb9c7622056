"""Checkpoint state of the built-in trainables: what to capture, how to restore it, how to store it.

The state is a plain dict of tensors and primitives (loadable with ``torch.load(weights_only=True)``):
model and optimizer state dicts, epochs done, the torch global RNG (dropout) and the shuffling generator,
the config in force (after nudges), the cumulative ``train_seconds`` and which built-in's model it holds
(``trainable``; a state without it is the mlp's, the only built-in before the key existed). Restoring it
makes the rest of a run identical to an uninterrupted one.

Example:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = save_state({"epoch": 3}, Path(d))
    ...     load_state(Path(d))["epoch"]
    3
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from trainables.config import STRUCTURAL
from trainables.errors import CheckpointError, ConfigError

STATE_FILE = "state.pt"


def capture_state(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    shuffle: torch.Generator,
    *,
    epoch: int,
    config: Mapping[str, Any],
    train_seconds: float,
    trainable: str = "mlp",
) -> dict[str, Any]:
    """Snapshot everything needed to continue training after `epoch` epochs."""
    state: dict[str, Any] = {
        "trainable": trainable,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "epoch": epoch,
        "torch_rng": torch.get_rng_state(),
        "shuffle_rng": shuffle.get_state(),
        "config": dict(config),
        "train_seconds": train_seconds,
    }
    if next(model.parameters()).is_cuda:  # dropout on the GPU draws from the CUDA generator
        state["cuda_rng"] = torch.cuda.get_rng_state()
    return state


def check_compatible(stored: Mapping[str, Any], config: Mapping[str, Any], keys: tuple[str, ...] = STRUCTURAL) -> None:
    """Raise ConfigError when a checkpoint's tensors cannot fit the model/optimizer `config` describes.

    Args:
        stored: The checkpoint's config (``state["config"]``).
        config: The resolved config to resume or evaluate under.
        keys: The trainable's architecture keys (default: the mlp's).
    """
    for key in keys:
        if key in stored and stored[key] != config[key]:
            raise ConfigError(
                f"config.{key}: the checkpoint was trained with {key}={stored[key]!r}, not {config[key]!r}: "
                "keep it fixed when resuming or start the trial afresh"
            )


def check_state(state: Mapping[str, Any], config: Mapping[str, Any], trainable: str, keys: tuple[str, ...]) -> None:
    """Raise ConfigError unless `state` holds a `trainable` model whose architecture `config` describes.

    Example:
        >>> check_state({"trainable": "cnn1d", "config": {}}, {}, "mlp", ())
        Traceback (most recent call last):
        trainables.errors.ConfigError: trainable: the checkpoint holds a model of the cnn1d trainable, not of mlp: \
resume or evaluate it with trainable: cnn1d, or start afresh
    """
    held = state.get("trainable", "mlp")
    if held != trainable:
        raise ConfigError(
            f"trainable: the checkpoint holds a model of the {held} trainable, not of {trainable}: "
            f"resume or evaluate it with trainable: {held}, or start afresh"
        )
    check_compatible(state.get("config", {}), config, keys)


def restore_state(
    state: Mapping[str, Any],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    shuffle: torch.Generator,
) -> tuple[int, float]:
    """Load `state` into the live objects and RNGs; return (epochs done, cumulative train_seconds).

    The optimizer's stored hyperparameters are loaded too, but the caller then overwrites them with the
    current config's (see :func:`trainables.optim.apply_hyperparams`).
    """
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["torch_rng"])
    shuffle.set_state(state["shuffle_rng"])
    if "cuda_rng" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda_rng"])
    return int(state["epoch"]), float(state["train_seconds"])


def save_state(state: Mapping[str, Any], directory: Path) -> Path:
    """Write `state` to ``directory/state.pt`` atomically (a crash never leaves half a checkpoint)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / STATE_FILE
    partial = directory / (STATE_FILE + ".partial")
    torch.save(dict(state), partial)
    os.replace(partial, target)
    return target


def load_state(directory: Path) -> dict[str, Any] | None:
    """Read ``directory/state.pt`` onto the CPU, or None when there is none.

    Raises:
        CheckpointError: the file cannot be read as a checkpoint (cut short, or damaged on disk).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = (Path(d) / STATE_FILE).write_bytes(b"PK cut short")
        ...     load_state(Path(d))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        trainables.errors.CheckpointError: .../state.pt: not a readable checkpoint (...): it was cut short or damaged
    """
    path = directory / STATE_FILE
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch's zip reader, the unpickler, a short read: each its own exception type
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"{path}: not a readable checkpoint ({reason}): it was cut short or damaged") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: not a checkpoint of sweep's (it holds a {type(state).__name__})")
    return state
