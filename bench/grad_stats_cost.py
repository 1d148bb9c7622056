"""What do the per-layer gradient statistics cost? Epoch time with and without them, interleaved.

Trains the same config's epochs with the loop's :func:`~trainables.loop.train_epoch`, alternating an epoch
without a probe and an epoch with one (:class:`~trainables.grad_stats.LayerProbe`, as the loop runs it),
so both see the same machine load; prints the median epoch time of each and the overhead in percent.
The target is ≤ 3 % of an epoch's time.

Example:
    .venv/bin/python -m bench.grad_stats_cost --epochs 60
    .venv/bin/python -m bench.grad_stats_cost --config layers=6 --config hidden_units=32 --config data=mnist1d
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from bench.trainable_speed import pieces
from trainables.grad_stats import LayerProbe
from trainables.loop import train_epoch
from trainables.model import weight_matrices


def epoch_times(config: dict, epochs: int) -> tuple[list[float], list[float]]:
    """(seconds per epoch without the probe, with it), epochs interleaved."""
    cfg, data, model, optimizer, shuffle = pieces(config)
    layers = weight_matrices(model)
    probe = LayerProbe(layers[0], layers[-1])
    batch = len(data.y_train) if cfg["batch_size"] == 0 else cfg["batch_size"]
    train_epoch(model, optimizer, data, batch, shuffle, probe)  # warm-up
    without, with_probe = [], []
    for _ in range(epochs):
        for use, times in ((None, without), (probe, with_probe)):
            started = time.perf_counter()
            train_epoch(model, optimizer, data, batch, shuffle, use)
            times.append(time.perf_counter() - started)
    return without, with_probe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=60, help="epochs of each kind (default 60)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--config", action="append", default=[], help="key=value over the mlp's defaults")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import yaml

    config = {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.config)}
    without, with_probe = epoch_times(config, args.epochs)
    a, b = statistics.median(without), statistics.median(with_probe)
    print(f"config: {config or 'mlp defaults'}, threads {torch.get_num_threads()}, {args.epochs} epochs each")
    print("| measurement | value |\n|---|---|")
    print(f"| median epoch, no statistics | {a * 1e3:.2f} ms |")
    print(f"| median epoch, with statistics | {b * 1e3:.2f} ms |")
    print(f"| overhead | {100 * (b - a) / a:+.2f} % |")


if __name__ == "__main__":
    main()
