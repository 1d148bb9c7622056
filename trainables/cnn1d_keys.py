"""The cnn1d trainable's config keys, without torch: what `sweep validate` checks a spec against.

The model itself is in :mod:`trainables.cnn1d`; these keys live apart so that checking a spec (and the registry's
list of what each built-in reads) does not import torch.
"""

from __future__ import annotations

from typing import Any

from trainables.config import MLP
from trainables.keys import Declaration, KeyRule, with_examples

DEFAULTS: dict[str, Any] = {
    "conv_layers": 3,  # blocks, each halving the length; 0 = the mlp on the raw sequence
    "channels": 25,
    "kernel_size": 5,  # odd
    **MLP.defaults,
    "layers": 0,  # hidden layers of the head: 0 = flatten → logits, as in the paper
    "optimizer": "adam",
    "lr": 0.01,
    "data": "mnist1d",
}

CNN1D = Declaration(
    "cnn1d",
    with_examples(
        {
            "conv_layers": KeyRule("int", low=0),
            "channels": KeyRule("int", low=1),
            "kernel_size": KeyRule("int", low=1, odd=True),
            **MLP.keys,
        },
        DEFAULTS,
    ),
    DEFAULTS,
    MLP.metrics,
    MLP.check_combination,
    architecture=("conv_layers", "channels", "kernel_size", *MLP.architecture),
    nudgeable=MLP.nudgeable,
    acts_when=MLP.acts_when,
)
