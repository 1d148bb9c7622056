"""The epoch loop of every built-in trainable, independent of Ray and of the model: it talks to a
:class:`Session` and builds whichever model its :class:`~trainables.builtin.ModelFamily` describes.

Reads top to bottom: config → data → model and optimizer → resume → for each epoch (apply nudges, set
the epoch's lr, train on shuffled mini-batches, evaluate dev, report, maybe checkpoint). Nothing here
knows the model's layers: the family resolves the config and builds the module, dropout is found by type
(:func:`set_keep_prob`) and L2 applies to whatever :func:`weight_matrices` finds.

Metrics reported each epoch:
    epoch (epochs done, 1-based), train_loss and train_accuracy (the running mean over the epoch's
    mini-batches in training mode — free, since the forward pass already computed them, but measured while
    the weights move and with dropout on, so slightly pessimistic), dev_loss and dev_accuracy (eval mode,
    whole dev split), lr (used this epoch), train_seconds (cumulative wall time of training + evaluation in
    this trial, excluding reporting and checkpoint I/O), diverged, and `nudged` on epochs where
    hyperparameters changed; and the first and last layer's gradient norms, their ratio and update/weight
    ratios, measured on the epoch's last mini-batch (:mod:`trainables.grad_stats`).

Example:
    >>> from trainables.session import LocalSession
    >>> outcome = run_training({"epochs": 3, "hidden_units": 16}, LocalSession())
    >>> outcome.stopped_epoch, outcome.diverged
    (3, False)
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from trainables.builtin import ModelFamily
from trainables.checkpoint import capture_state, check_state, restore_state
from trainables.config import validate_update
from trainables.data import Splits, load_dataset
from trainables.errors import ConfigError
from trainables.grad_stats import LayerProbe
from trainables.keys import Declaration
from trainables.model import MLP_FAMILY, set_keep_prob, weight_matrices
from trainables.optim import apply_hyperparams, build_optimizer, lr_at
from trainables.session import Session

_INIT_LOCK = threading.Lock()


@dataclass
class TrainingOutcome:
    """What a run produced: the reported metrics, the last state, and how it ended."""

    history: list[dict]
    final_state: dict
    diverged: bool
    stopped_epoch: int


def run_training(
    config: Mapping[str, Any], session: Session, *, device: str = "cpu", family: ModelFamily = MLP_FAMILY
) -> TrainingOutcome:
    """Train the model `config` describes, reporting every epoch to `session`; resume from its checkpoint.

    Never raises on divergence: a NaN/inf loss is reported once with ``diverged: True`` and ends the run.

    Args:
        config: A trial's config (the family's declared keys; unknown keys are ignored).
        session: Where metrics and checkpoints go and where a checkpoint to resume comes from.
        device: ``cpu`` or ``cuda``; the data tensors are moved there once.
        family: Which model: its config keys and builder (default the mlp; see :mod:`trainables.registry`).

    Raises:
        ConfigError: A bad config value or a checkpoint of another trainable or architecture.
        DataError: The dataset cannot be loaded.

    Example:
        >>> from trainables.session import LocalSession
        >>> run_training({"epochs": 1, "layers": 0}, LocalSession()).history[0]["epoch"]
        1
    """
    cfg = family.resolve(config)
    if cfg["threads"] is not None:
        torch.set_num_threads(cfg["threads"])

    # data: loaded once per process, kept on the device as whole tensors
    data = load_dataset(cfg["data"], label=cfg["label"], split=cfg["split"], split_seed=cfg["split_seed"])
    data = _on_device(data, device)
    n_train = len(data.y_train)
    batch_size = n_train if cfg["batch_size"] == 0 else min(cfg["batch_size"], n_train)

    # model and optimizer; `seed` fixes the init, the shuffling and the dropout masks. The default init draws
    # from torch's process-wide RNG: seeding and drawing happen under a lock, so trainables run in threads
    # (Optuna's n_jobs, a notebook) get the same initial weights as in their own processes.
    with _INIT_LOCK:
        torch.manual_seed(cfg["seed"])
        model = family.build_model(cfg, data.n_features, data.n_classes).to(device)
    optimizer = build_optimizer(model, cfg)
    layers = weight_matrices(model)
    probe = LayerProbe(layers[0], layers[-1])
    shuffle = torch.Generator().manual_seed(cfg["seed"])

    # resume: the checkpoint's tensors and RNGs, but the current config's hyperparameters (PBT)
    start_epoch, train_seconds = 0, 0.0
    state = session.restore()
    if state is not None:
        check_state(state, cfg, family.name, family.declaration.architecture)
        start_epoch, train_seconds = restore_state(state, model, optimizer, shuffle)
    set_keep_prob(model, cfg["keep_prob"])

    def capture(epochs_done: int) -> dict[str, Any]:  # the state as it stands (train_seconds included)
        return capture_state(
            model, optimizer, shuffle, epoch=epochs_done, config=cfg, train_seconds=train_seconds, trainable=family.name
        )

    history: list[dict] = []
    done = start_epoch
    for epoch in range(start_epoch, cfg["epochs"]):
        # nudges: hyperparameter changes polled at the epoch boundary
        nudged = _apply_updates(session, cfg, model, family.declaration)

        # train one epoch, then evaluate dev
        started = time.perf_counter()
        lr = lr_at(cfg["lr"], cfg["lr_decay"], cfg["decay_rate"], epoch)
        apply_hyperparams(optimizer, cfg, lr)
        train_loss, train_accuracy = train_epoch(model, optimizer, data, batch_size, shuffle, probe)
        dev_loss, dev_accuracy = evaluate(model, data.x_dev, data.y_dev)
        train_seconds += time.perf_counter() - started

        metrics: dict[str, Any] = {
            "epoch": epoch + 1,
            "train_loss": train_loss,
            "train_accuracy": train_accuracy,
            "dev_loss": dev_loss,
            "dev_accuracy": dev_accuracy,
            "lr": lr,
            "train_seconds": train_seconds,
            "diverged": False,
            **probe.stats,
        }
        if nudged:
            metrics["nudged"] = nudged

        # divergence: report once with the worst scores and stop, so schedulers rank the trial last
        if not (math.isfinite(train_loss) and math.isfinite(dev_loss)):
            metrics.update(train_loss=math.inf, train_accuracy=0.0, dev_loss=math.inf, dev_accuracy=0.0)
            metrics["diverged"] = True
            session.report(metrics, None)
            history.append(metrics)
            final = capture(epoch + 1)
            return TrainingOutcome(history, final, diverged=True, stopped_epoch=epoch + 1)

        # report, with a checkpoint every `checkpoint_every` epochs and at the last one
        done = epoch + 1
        every = cfg["checkpoint_every"]
        due = every > 0 and (done % every == 0 or done == cfg["epochs"])
        session.report(metrics, capture(done) if due else None)
        history.append(metrics)

    return TrainingOutcome(history, capture(done), diverged=False, stopped_epoch=done)


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: Splits,
    batch_size: int,
    shuffle: torch.Generator,
    probe: LayerProbe | None = None,
) -> tuple[float, float]:
    """One pass over the shuffled training split; return (mean loss, accuracy) over its mini-batches.

    A `probe` measures the layers around the epoch's last optimizer step (one measurement per epoch keeps
    the cost far below the epoch's; its ``stats`` hold the result).

    The split is gathered once per epoch in a seeded random order and mini-batches are contiguous slices
    of it: no DataLoader, no per-example Python work, no per-step indexing. Per-batch losses and correct
    counts stay on the device and are summed once at the end, so a GPU never waits on the host mid-epoch.
    """
    model.train()
    n = len(data.y_train)
    order = torch.randperm(n, generator=shuffle).to(data.x_train.device)
    x, y = data.x_train[order], data.y_train[order]
    losses, corrects, sizes = [], [], []
    bounds = batch_bounds(n, batch_size)
    for start, stop in bounds:
        xb, yb = x[start:stop], y[start:stop]
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        last = stop == bounds[-1][1]
        if probe is not None and last:
            probe.before_step()
        optimizer.step()
        if probe is not None and last:
            probe.after_step()
        losses.append(loss.detach())
        corrects.append((logits.detach().argmax(dim=1) == yb).sum())
        sizes.append(stop - start)
    weights = torch.tensor(sizes, dtype=torch.float32, device=x.device)
    mean_loss = float((torch.stack(losses) * weights).sum()) / n
    return mean_loss, float(torch.stack(corrects).sum()) / n


def batch_bounds(n: int, batch_size: int) -> list[tuple[int, int]]:
    """Slice bounds of the mini-batches; a last batch of one example joins the previous one (batch norm
    cannot normalise a single example, and one-example steps are noise anyway).

    Example:
        >>> batch_bounds(9, 4)
        [(0, 4), (4, 9)]
    """
    bounds = [(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int = 65536) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of `model` in eval mode, in a few big batches without autograd."""
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.inference_mode():
        for start in range(0, len(y), chunk):
            logits = model(x[start : start + chunk])
            yb = y[start : start + chunk]
            total_loss += F.cross_entropy(logits, yb, reduction="sum").item()
            correct += int((logits.argmax(dim=1) == yb).sum().item())
    return total_loss / max(len(y), 1), correct / max(len(y), 1)


def _apply_updates(session: Session, cfg: dict[str, Any], model: nn.Module, declared: Declaration) -> str:
    """Validate and apply polled changes to `cfg` (the config in force); return e.g. "lr=0.01" or "".

    A new `lr` is the schedule's base α₀: the epoch's rate is then ``lr_at(lr, lr_decay, decay_rate, epoch)``.
    """
    applied = []
    for key, value in session.poll_updates().items():
        try:
            cfg[key] = validate_update(key, value, cfg, declared)
        except ConfigError as err:
            session.reject_update(key, value, str(err))
            continue
        applied.append(f"{key}={cfg[key]}")
    # lr, betas, l2 reach the optimizer through apply_hyperparams at the start of every epoch
    set_keep_prob(model, cfg["keep_prob"])
    return ", ".join(applied)


_DEVICE_COPY: list[tuple[Splits, str, Splits]] = []  # (cached CPU splits, device, their copy there)


def _on_device(data: Splits, device: str) -> Splits:
    """Move the (cached) splits to `device` once per process, not once per trial."""
    if device == "cpu":
        return data
    if not (_DEVICE_COPY and _DEVICE_COPY[0][0] is data and _DEVICE_COPY[0][1] == device):
        # keep one copy only: a worker trains one dataset at a time, so don't pin old ones in GPU memory
        _DEVICE_COPY[:] = [(data, device, data.to(device))]
    return _DEVICE_COPY[0][2]
