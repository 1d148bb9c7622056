"""The course's gradient check: is backpropagation computing the loss's gradient? (`sweep gradcheck`)

The check builds the model one config describes, in float64 with dropout off, takes a small batch of the
training split, and compares the gradient backpropagation gives, dθ, with the two-sided difference
quotient of the loss, dθ_approx[i] = (J(θ + ε·eᵢ) − J(θ − ε·eᵢ)) / 2ε, over every parameter (or an even
sample of them for a large model). The course's figure is the relative difference

    ‖dθ_approx − dθ‖₂ / (‖dθ_approx‖₂ + ‖dθ‖₂)

read against its thresholds: below 1e-7 fine; up to 1e-3 look closer (the layer with the largest difference
is named); 1e-3 or more wrong. ``torch.autograd.gradcheck`` (float64, its fast mode: one random projection
of the Jacobian) gives a second, independent verdict. Both read the model in training mode (batch norm on
the batch's statistics, as training backpropagates through it) with every dropout module at p = 0.

A model of your own is checked through a factory with the built-ins' signature,
``build(config, n_features, n_classes) -> torch.nn.Module`` (logits for inputs of shape
``(batch, n_features)``), named as ``package.module:function``.

Example:
    >>> from trainables.registry import builtin
    >>> family = builtin("mlp").family  # a built-in's model, on the config resolved over the family's defaults
    >>> report = check_model(family.build_model, family.resolve({"hidden_units": 8}), examples=4)
    >>> report.verdict, report.relative_difference < 1e-7
    ('fine', True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from sweep.run.trial_guard import one_line
from sweep_errors import SweepError

FINE = 1e-7  # below this: backprop is right
WRONG = 1e-3  # from this on: a bug (between the two: look closer)
EPS = 1e-6  # the difference quotient's step; float64 keeps its rounding error near 1e-10
MAX_PARAMS = 20_000  # coordinates checked at most (2 forward passes each); an even sample beyond


class ModelError(SweepError):
    """The model cannot be checked: its factory fails, or what it builds has no gradient or no logits."""


@dataclass
class GradcheckReport:
    """What the check found.

    Attributes:
        relative_difference: the course's figure over every coordinate checked.
        per_tensor: parameter name → the same figure over its coordinates (the place to look closer).
        checked, total: coordinates compared, and the model's parameter count.
        examples: the batch size used.
        torch_passed: ``torch.autograd.gradcheck``'s verdict (fast mode, float64).
        torch_message: its first line when it failed.
    """

    relative_difference: float
    per_tensor: dict[str, float]
    checked: int
    total: int
    examples: int
    torch_passed: bool
    torch_message: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """``fine``, ``look closer`` or ``wrong`` by the course's thresholds (and torch's verdict)."""
        return verdict(self.relative_difference, self.torch_passed)

    @property
    def failed(self) -> bool:
        return self.verdict == "wrong"

    def worst(self) -> tuple[str, float]:
        """The parameter tensor with the largest relative difference (a NaN one before any)."""
        name = max(self.per_tensor, key=lambda k: (math.isnan(self.per_tensor[k]), self.per_tensor[k]))
        return name, self.per_tensor[name]


def verdict(difference: float, torch_passed: bool = True) -> str:
    """The course's reading of a relative difference.

    Example:
        >>> verdict(3e-10), verdict(2e-6), verdict(0.02), verdict(1e-9, torch_passed=False)
        ('fine', 'look closer', 'wrong', 'wrong')
    """
    if not torch_passed or not math.isfinite(difference) or difference >= WRONG:
        return "wrong"
    return "fine" if difference < FINE else "look closer"


def relative_difference(approx: torch.Tensor, exact: torch.Tensor) -> float:
    """‖approx − exact‖ / (‖approx‖ + ‖exact‖); 0 when both are zero.

    Example:
        >>> relative_difference(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]))
        0.0
    """
    denominator = float(approx.norm() + exact.norm())
    return float((approx - exact).norm()) / denominator if denominator > 0 else 0.0


def check_model(
    build: Callable[[Mapping[str, Any], int, int], nn.Module],
    config: Mapping[str, Any],
    *,
    examples: int = 16,
    seed: int = 0,
    max_params: int = MAX_PARAMS,
) -> GradcheckReport:
    """Check the backprop of the model ``build(config, n_features, n_classes)`` on `config`'s data.

    Raises:
        DataError: the data cannot be loaded.
        ModelError: the factory fails or gives something backprop cannot be checked on (:func:`check_module`).
    """
    from trainables.data import load_dataset

    data = load_dataset(
        str(config.get("data", "digits")),
        label=str(config.get("label", "label")),
        split=config.get("split", (0.6, 0.2, 0.2)),
        split_seed=int(config.get("split_seed", 0)),
    )
    torch.manual_seed(seed)
    try:
        model = build(config, data.n_features, data.n_classes)
    except Exception as err:  # the user's factory: whatever it raises is its own mistake, said in one line
        raise ModelError(f"building the model raised {one_line(err)}: fix the factory") from None
    if not isinstance(model, nn.Module):
        raise ModelError(f"the factory returned {type(model).__name__}, not a torch.nn.Module: return the model")
    x = data.x_train[:examples].double()
    y = data.y_train[:examples]
    return check_module(model.double(), x, y, seed=seed, max_params=max_params, classes=data.n_classes)


def check_module(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    seed: int = 0,
    max_params: int = MAX_PARAMS,
    classes: int | None = None,
) -> GradcheckReport:
    """Compare backprop's gradient of the mean cross-entropy with the difference quotient, in float64.

    Raises:
        ModelError: the model has no trainable parameters, or its forward pass on `x` fails or gives no
            (batch, `classes`) logits.

    Example:
        >>> model = nn.Linear(3, 2).double()
        >>> check_module(model, torch.randn(4, 3, dtype=torch.float64), torch.tensor([0, 1, 1, 0])).verdict
        'fine'
        >>> check_module(nn.Linear(3, 2).double(), torch.randn(4, 3, dtype=torch.float64), torch.tensor([0, 1, 2, 0]),
        ...              classes=3)
        Traceback (most recent call last):
        sweep.checks.gradcheck.ModelError: its output has shape (4, 2), not the (4, 3) logits of the data's 3 classes: \
give its last layer 3 outputs
    """
    for module in model.modules():  # dropout off: the check needs a deterministic J
        if isinstance(module, nn.Dropout):
            module.p = 0.0
    model.train()
    # batch norm on the batch's statistics, as in training, without updating running ones (vmap cannot)
    torch.func.replace_all_batch_norm_modules_(model)
    params = {name: p for name, p in model.named_parameters() if p.requires_grad}
    if not params:
        raise ModelError("the model has no trainable parameters: there is no gradient to check")
    _check_logits(model, x, classes if classes is not None else int(y.max()) + 1, exact=classes is not None)
    names = list(params)

    def loss_of(*tensors: torch.Tensor) -> torch.Tensor:
        out = torch.func.functional_call(model, dict(zip(names, tensors, strict=True)), (x,))
        return F.cross_entropy(out, y)

    # backprop's gradient
    inputs = [p.detach().clone().requires_grad_(True) for p in params.values()]
    grads = torch.autograd.grad(loss_of(*inputs), inputs, allow_unused=True)
    exact = [g.detach() if g is not None else torch.zeros_like(t) for g, t in zip(grads, inputs, strict=True)]

    # the difference quotient over every coordinate (an even sample of them for a large model)
    total = sum(t.numel() for t in inputs)
    chosen = _coordinates(total, max_params, seed)
    theta = torch.cat([t.detach().reshape(-1) for t in inputs])
    shapes = [t.shape for t in inputs]

    def loss_at(flat: torch.Tensor) -> torch.Tensor:
        return loss_of(
            *(part.view(shape) for part, shape in zip(flat.split([s.numel() for s in shapes]), shapes, strict=True))
        )

    approx = _difference_quotients(loss_at, theta, chosen)
    backprop = torch.cat([g.reshape(-1) for g in exact]).to(torch.float64)[chosen]
    per_tensor, start = {}, 0
    for name, t in zip(names, inputs, strict=True):
        mask = (chosen >= start) & (chosen < start + t.numel())
        if bool(mask.any()):
            per_tensor[name] = relative_difference(approx[mask], backprop[mask])
        start += t.numel()
    overall = relative_difference(approx, backprop)

    # torch's own check, fast mode: one random projection of the Jacobian, a few passes
    passed, message = _torch_gradcheck(loss_of, inputs)
    notes = [] if len(chosen) == total else [f"{len(chosen):,} of {total:,} parameters sampled evenly"]
    return GradcheckReport(overall, per_tensor, len(chosen), total, len(y), passed, message, notes)


def _check_logits(model: nn.Module, x: torch.Tensor, classes: int, exact: bool = True) -> None:
    """One forward pass: it must run on `x` and give (batch, `classes`) logits (at least `classes` unless
    `exact`: the labels seen so far), or the check cannot start."""
    expected = (len(x), classes)
    try:
        with torch.no_grad():
            out = model(x)
    except Exception as err:  # the user's forward pass
        raise ModelError(
            f"its forward pass on a batch of shape {tuple(x.shape)} raised {one_line(err)}: the model takes "
            "(batch, n_features) inputs and returns (batch, n_classes) logits"
        ) from None
    if not isinstance(out, torch.Tensor):
        raise ModelError(f"its forward pass returned {type(out).__name__}, not a tensor of logits {expected}")
    if out.dim() != 2 or len(out) != len(x) or out.shape[1] < classes or (exact and out.shape[1] != classes):
        raise ModelError(
            f"its output has shape {tuple(out.shape)}, not the {expected} logits of the data's {classes} classes"
            + (f": give its last layer {classes} outputs" if out.dim() == 2 and len(out) == len(x) else "")
        )


def _difference_quotients(
    loss_at: Callable[[torch.Tensor], torch.Tensor], theta: torch.Tensor, chosen: torch.Tensor
) -> torch.Tensor:
    """(J(θ + ε·eᵢ) − J(θ − ε·eᵢ)) / 2ε for each chosen i: batches of perturbed θ through ``torch.func.vmap``
    (hundreds of forward passes in one), or one pass at a time for a model vmap cannot batch."""
    out = torch.empty(len(chosen), dtype=torch.float64)
    batched = torch.func.vmap(loss_at)
    chunk = max(1, min(512, 4_000_000 // max(1, theta.numel())))
    with torch.no_grad():
        try:
            for start in range(0, len(chosen), chunk):
                index = chosen[start : start + chunk]
                steps = torch.zeros(len(index), theta.numel(), dtype=theta.dtype)
                steps[torch.arange(len(index)), index] = EPS
                plus, minus = batched(theta + steps), batched(theta - steps)
                out[start : start + len(index)] = ((plus - minus) / (2 * EPS)).cpu()
            return out
        except (RuntimeError, NotImplementedError, ValueError):  # an op without a batching rule
            pass
        for k, i in enumerate(chosen.tolist()):
            kept = float(theta[i])
            theta[i] = kept + EPS
            plus_one = float(loss_at(theta))
            theta[i] = kept - EPS
            minus_one = float(loss_at(theta))
            theta[i] = kept
            out[k] = (plus_one - minus_one) / (2 * EPS)
    return out


def _torch_gradcheck(fn: Callable[..., torch.Tensor], inputs: list[torch.Tensor]) -> tuple[bool, str]:
    from torch.autograd.gradcheck import GradcheckError

    try:
        ok = torch.autograd.gradcheck(fn, tuple(inputs), eps=EPS, atol=1e-5, rtol=1e-3, fast_mode=True)
        return bool(ok), ""
    except GradcheckError as err:
        return False, str(err).strip().splitlines()[0].rstrip(",")


def _coordinates(total: int, limit: int, seed: int) -> torch.Tensor:
    """Every coordinate, or `limit` of them drawn without replacement (seeded), sorted."""
    if total <= limit:
        return torch.arange(total)
    generator = torch.Generator().manual_seed(seed)
    return torch.randperm(total, generator=generator)[:limit].sort().values
