"""How fast is the `mlp` trainable's loop? Prints a markdown table.

(a) epochs per second of the default config on digits, one thread (the loop's own ``train_seconds``:
    training + dev evaluation, no reporting or checkpoint I/O);
(b) training samples per second of our loop (index permutation + tensor slicing) against a plain
    ``DataLoader(TensorDataset(...), batch_size=64, shuffle=True)`` loop doing the same model and optimizer
    steps over the same tensors.

Example:
    .venv/bin/python bench/trainable_speed.py --quick
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from trainables.config import resolve_config
from trainables.data import load_dataset
from trainables.loop import run_training, train_epoch
from trainables.model import build_model
from trainables.optim import build_optimizer
from trainables.session import LocalSession


def epochs_per_second(epochs: int) -> tuple[float, float]:
    """(epochs/s by the loop's train_seconds, epochs/s by wall clock including setup) of the defaults."""
    run_training({"epochs": 1, "checkpoint_every": 0}, LocalSession())  # warm-up: data cache, first kernels
    session = LocalSession()
    started = time.perf_counter()
    run_training({"epochs": epochs, "checkpoint_every": 0}, session)
    wall = time.perf_counter() - started
    return epochs / session.history[-1]["train_seconds"], epochs / wall


def pieces(config: dict[str, Any]) -> tuple[dict, Any, torch.nn.Module, torch.optim.Optimizer, torch.Generator]:
    """What the loop trains `config` (over the mlp's defaults) with: the resolved config, the data, the model
    (torch seed 0), its optimizer and the shuffling generator (seed 0); for the benches that time epochs."""
    cfg = resolve_config(config)
    data = load_dataset(cfg["data"])
    torch.manual_seed(0)
    model = build_model(cfg, data.n_features, data.n_classes)
    return cfg, data, model, build_optimizer(model, cfg), torch.Generator().manual_seed(0)


def samples_per_second(data_name: str, epochs: int, loader: bool) -> float:
    """Training samples/s of `epochs` epochs with the default model and optimizer, our loop or DataLoader."""
    _, data, model, optimizer, shuffle = pieces({"data": data_name})
    batches = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=64, shuffle=True)
    started = time.perf_counter()
    for _ in range(epochs):
        if not loader:
            train_epoch(model, optimizer, data, 64, shuffle)
            continue
        model.train()
        for xb, yb in batches:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return epochs * len(data.y_train) / (time.perf_counter() - started)


def loop_vs_dataloader(data_name: str, epochs: int) -> dict[str, Any]:
    """Training samples/s of our loop and of the DataLoader loop over `epochs` epochs (after a warm-up epoch: data
    cache, first kernels), and the speed-up; also the cost bench's trainable probe."""
    samples_per_second(data_name, 1, loader=False)
    ours = samples_per_second(data_name, epochs, loader=False)
    loader = samples_per_second(data_name, epochs, loader=True)
    return {"data": data_name, "epochs": epochs, "ours_samples_per_s": ours, "dataloader_samples_per_s": loader,
            "speedup": ours / loader}  # fmt: skip


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--quick", action="store_true", help="fewer epochs, smaller spirals (seconds)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    epochs = 10 if args.quick else 30
    spirals = "spirals:n=20000,features=16" if args.quick else "spirals:n=100000,features=32"
    by_loop, by_wall = epochs_per_second(epochs)

    print(f"threads: {torch.get_num_threads()}, torch {torch.__version__}\n")
    print("| measurement | value |\n|---|---|")
    print(f"| epochs/s, default config on digits (train_seconds) | {by_loop:,.1f} |")
    print(f"| epochs/s, default config on digits (wall, incl. setup) | {by_wall:,.1f} |")
    for name, n_epochs in (("digits", epochs), (spirals, 2 if args.quick else 3)):
        probe = loop_vs_dataloader(name, n_epochs)
        print(f"| samples/s on {name}, our loop | {probe['ours_samples_per_s']:,.0f} |")
        print(f"| samples/s on {name}, DataLoader loop | {probe['dataloader_samples_per_s']:,.0f} |")
        print(f"| speed-up on {name} | {probe['speedup']:.1f}× |")


if __name__ == "__main__":
    main()
