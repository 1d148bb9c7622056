"""Per-layer gradient and weight statistics: the course's reading of vanishing and exploding gradients.

Once per epoch, on the epoch's last mini-batch, the loop measures the first and the last weighted layer
(the first and last :func:`~trainables.model.weight_matrices`): the Frobenius norm of each one's gradient
of the loss, their ratio, and each one's update/weight ratio ‖ΔW‖/‖W‖ of the optimizer step just taken.

- ``grad_norm_first``, ``grad_norm_last``: ‖∂L/∂W₁‖ and ‖∂L/∂W_L‖ (before weight decay and momentum).
- ``grad_ratio``: ``grad_norm_first / grad_norm_last``. Near 1 the signal reaches the first layer; far below 1
  (orders of magnitude, growing with depth) the gradients vanish on the way back, far above 1 they explode.
- ``update_ratio_first``, ``update_ratio_last``: ‖W_after − W_before‖ / ‖W_before‖ of one step; around 1e-3
  is the usual healthy size, far below it the layer barely learns, near 1 the step rewrites the layer.

One measurement per epoch costs a copy of two weight tensors and five norms, far below an epoch's training
(``python -m bench.grad_stats_cost`` measures it); the keys are optional in the trainable contract, so a
user's trainable may report the same names for the advisor to read.

Example:
    >>> import torch
    >>> w1, w2 = torch.nn.Parameter(torch.ones(2, 2)), torch.nn.Parameter(torch.ones(1, 2))
    >>> w1.grad, w2.grad = torch.full((2, 2), 0.5), torch.full((1, 2), 2.0)
    >>> probe = LayerProbe(w1, w2)
    >>> probe.before_step()
    >>> with torch.no_grad():
    ...     w1 -= 0.1 * w1.grad
    ...     w2 -= 0.1 * w2.grad
    >>> {k: round(v, 4) for k, v in probe.after_step().items()}  # doctest: +NORMALIZE_WHITESPACE
    {'grad_norm_first': 1.0, 'grad_norm_last': 2.8284, 'grad_ratio': 0.3536, 'update_ratio_first': 0.05,
     'update_ratio_last': 0.2}
"""

from __future__ import annotations

import math

import torch

# The keys a report may carry (the built-ins always do; a user's trainable may).
GRAD_NORM_FIRST = "grad_norm_first"
GRAD_NORM_LAST = "grad_norm_last"
GRAD_RATIO = "grad_ratio"
UPDATE_RATIO_FIRST = "update_ratio_first"
UPDATE_RATIO_LAST = "update_ratio_last"
STAT_KEYS = (GRAD_NORM_FIRST, GRAD_NORM_LAST, GRAD_RATIO, UPDATE_RATIO_FIRST, UPDATE_RATIO_LAST)


class LayerProbe:
    """Measures the first and last layer around one optimizer step.

    Call :meth:`before_step` after ``loss.backward()`` and before ``optimizer.step()``, then
    :meth:`after_step` after it; the second returns the statistics (see the module docstring).

    Args:
        first: the first layer's weight tensor (a Parameter with ``.grad`` filled by backward).
        last: the last layer's weight tensor (the same one for a model with one weighted layer).
    """

    def __init__(self, first: torch.Tensor, last: torch.Tensor) -> None:
        self.first, self.last = first, last
        self._grads: tuple[torch.Tensor, torch.Tensor] | None = None
        self._before: tuple[torch.Tensor, torch.Tensor] | None = None
        self.stats: dict[str, float] = {}  # the last :meth:`after_step`'s statistics

    def before_step(self) -> None:
        """Record both gradients' norms and a copy of both weights (the step changes them in place)."""
        self._grads = (_grad_norm(self.first), _grad_norm(self.last))
        self._before = (self.first.detach().clone(), self.last.detach().clone())

    def after_step(self) -> dict[str, float]:
        """The statistics of the step just taken (NaN for what cannot be measured, e.g. no gradient)."""
        if self._grads is None or self._before is None:
            raise RuntimeError("LayerProbe.after_step called before before_step")
        g_first, g_last = (float(g) for g in self._grads)
        self.stats = layer_stats(
            g_first,
            g_last,
            update_ratio(self._before[0], self.first.detach()),
            update_ratio(self._before[1], self.last.detach()),
        )
        return self.stats


def layer_stats(grad_first: float, grad_last: float, update_first: float, update_last: float) -> dict[str, float]:
    """The report's keys from the two gradient norms and the two update ratios.

    Example:
        >>> layer_stats(1e-6, 1e-2, 1e-7, 1e-3)["grad_ratio"] == 1e-6 / 1e-2
        True
    """
    ratio = grad_first / grad_last if grad_last > 0 else math.nan
    return {
        GRAD_NORM_FIRST: grad_first,
        GRAD_NORM_LAST: grad_last,
        GRAD_RATIO: ratio,
        UPDATE_RATIO_FIRST: update_first,
        UPDATE_RATIO_LAST: update_last,
    }


def update_ratio(before: torch.Tensor, after: torch.Tensor) -> float:
    """‖after − before‖ / ‖before‖ (NaN for an all-zero `before`).

    Example:
        >>> update_ratio(torch.tensor([3.0, 4.0]), torch.tensor([3.0, 4.5]))
        0.1
    """
    norm = float(before.norm())
    return float((after - before).norm()) / norm if norm > 0 else math.nan


def _grad_norm(weight: torch.Tensor) -> torch.Tensor:
    if weight.grad is None:
        return torch.tensor(math.nan)
    return weight.grad.detach().norm()
