"""The record of a built-in trainable: everything the orchestrator asks of one, in one place.

A built-in is a model family the shared epoch loop (:mod:`trainables.loop`) can train — its config keys and
its model builder (:class:`ModelFamily`) — plus the entry points built on that loop and what the
orchestrator may do with it (:class:`BuiltinTrainable`). The orchestrator asks the record instead of
assuming the mlp: which keys a ``--set`` may name, which keys a PBT clone or a nudge must keep, how to score
a checkpoint on the test split, what a worker loads ahead of its first trial. Records are listed in
:mod:`trainables.registry`.

Example:
    >>> from trainables.registry import builtin
    >>> record = builtin("cnn1d")
    >>> record.default_data, "kernel_size" in record.architecture_keys, "lr" in record.perturbable_keys
    ('mnist1d', True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from trainables.config import resolve_config
from trainables.keys import Declaration

# Keys of the run, not of learning: Population Based Training never perturbs them (nor the architecture).
RUN_KEYS = ("epochs", "seed", "data", "label", "split", "split_seed", "checkpoint_every", "threads")


@dataclass(frozen=True)
class ModelFamily:
    """What the epoch loop needs to train one kind of model: its config keys and how to build it.

    Attributes:
        name: the built-in's short name (each checkpoint records it, so no other model loads it).
        declaration: its config keys: rules, defaults, metrics, architecture and nudgeable keys.
        build_model: ``(resolved config, n_features, n_classes) → torch.nn.Module`` giving logits for
            inputs of shape ``(batch, n_features)``; seeded by the caller.
    """

    name: str
    declaration: Declaration
    build_model: Callable[[Mapping[str, Any], int, int], Any]

    def resolve(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The config over this family's defaults, validated; unknown keys dropped (ConfigError otherwise)."""
        return resolve_config(config, self.declaration)


@dataclass(frozen=True)
class BuiltinTrainable:
    """A built-in trainable as the orchestrator sees it.

    Attributes:
        family: the model family its entry points train (name, config keys, model builder).
        train: the Ray Tune function trainable, ``train(config, reporting=None)``; a module-level function,
            so Ray pickles it by reference.
        train_and_test: ``train_and_test(config, session=None, *, device="cpu")``: train one config in this
            process, then score it once on the test split (``sweep train``, retests, a retrained winner).
        evaluate_checkpoint: ``evaluate_checkpoint(config, state, *, device="cpu")``: score a checkpoint's
            state on the test split (``test_loss``, ``test_accuracy``).
        batches_reports: whether `train` takes the orchestrator's batched-report policy
            (:class:`trainables.session.ReportPolicy`, passed as ``reporting``).
        supports_babysit: whether ``sweep babysit`` can train it: the shared loop in this process, taking
            nudges of :attr:`nudgeable_keys` between epochs (``run_training(..., family=record.family)``).
    """

    family: ModelFamily
    train: Callable[..., None]
    train_and_test: Callable[..., dict[str, Any]]
    evaluate_checkpoint: Callable[..., dict[str, float]]
    batches_reports: bool = True
    supports_babysit: bool = True

    @property
    def name(self) -> str:
        return self.family.name

    @property
    def declaration(self) -> Declaration:
        return self.family.declaration

    @property
    def config_keys(self) -> tuple[str, ...]:
        """Every key it reads; anything else in a config is ignored (see :meth:`check_keys`)."""
        return tuple(self.declaration.keys)

    @property
    def architecture_keys(self) -> tuple[str, ...]:
        """Keys a checkpoint's tensors depend on: a resume, a PBT clone or a nudge must keep them."""
        return self.declaration.architecture

    @property
    def perturbable_keys(self) -> tuple[str, ...]:
        """Keys a PBT clone may change before continuing from the donor's checkpoint."""
        held = {*self.architecture_keys, *RUN_KEYS}
        return tuple(key for key in self.config_keys if key not in held)

    @property
    def nudgeable_keys(self) -> tuple[str, ...]:
        """Keys a running loop takes between epochs without a restart (``sweep nudge``)."""
        return self.declaration.nudgeable

    @property
    def default_data(self) -> str:
        """The dataset a config without ``data`` trains on."""
        return str(self.declaration.defaults["data"])

    def resolve(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The config over its defaults, validated (ConfigError naming the key and the fix)."""
        return self.family.resolve(config)

    def check_keys(self, keys: Iterable[str]) -> None:
        """A one-line ConfigError for the first key it does not read, with a did-you-mean.

        Example:
            >>> from trainables.registry import builtin
            >>> builtin("mlp").check_keys(["lrr"])
            Traceback (most recent call last):
            trainables.errors.ConfigError: config.lrr: the mlp trainable has no config key 'lrr' (did you mean 'lr'?)
        """
        self.declaration.check_keys(keys)

    def prewarm(self, data: str | None = None) -> None:
        """Load `data` (default :attr:`default_data`) into this process's dataset cache, as a trial would.

        For a worker before its first trial, or the driver before the winner's test evaluation: the
        datasets are cached per process and ``mnist1d`` is generated once and cached on disk, so the
        trial that follows pays neither. Raises what loading raises (DataError, ConfigError).
        """
        from trainables.data import load_dataset

        defaults = self.declaration.defaults
        load_dataset(
            data or self.default_data,
            label=defaults["label"],
            split=defaults["split"],
            split_seed=defaults["split_seed"],
        )
