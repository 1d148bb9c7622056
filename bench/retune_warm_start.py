"""Re-tuning with and without a warm start: does round 1 with the earlier sweep's best configs reach a good
score in fewer trials than a cold sweep, on a changed dataset?

The earlier sweep is the given spec on its own split; each new sweep trains on another split
(``split_seed``), cold (random draws only) and warm (``--warm-start`` with the earlier sweep's top configs in
place of the last draws), with the same sampling seed. For each seed it prints the trials (in plan order)
until the running best reaches the target, and each sweep's final best.

Example:
    .venv/bin/python -m bench.retune_warm_start --seeds 4 --samples 12 --target 0.97
"""

from __future__ import annotations

import argparse
import statistics
import tempfile

import pandas as pd

from sweep.store import schema as S


def trials_to(trials: pd.DataFrame, target: float) -> int | None:
    """1-based position in plan order of the first trial whose best metric reaches `target` (None: never)."""
    ordered = trials.sort_values(S.PLAN_ID)
    hits = [i for i, v in enumerate(pd.to_numeric(ordered[S.BEST], errors="coerce"), start=1) if v >= target]
    return hits[0] if hits else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec", default="digits-momentum")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--samples", type=int, default=12)
    parser.add_argument("--target", type=float, default=0.97)
    parser.add_argument("--split-seed", type=int, default=1, help="the changed dataset's split")
    parser.add_argument("--top", type=int, default=3)
    args = parser.parse_args()

    from search_spaces import load_spec
    from sweep import RunOptions, run_sweep
    from sweep.cluster.local import connect

    connect(cpus=2, dashboard=False, warm=False)
    storage = tempfile.mkdtemp(prefix="warm-bench-")
    options = RunOptions(storage=storage, quiet=True, final_test=False, dashboard=False)
    base = load_spec(args.spec)
    old = run_sweep(base.replace(name="old", samples=args.samples * 2), options)
    print(f"earlier sweep: best {float(old.best()[S.BEST]):.4f} ({len(old.trials)} trials, split_seed 0)")
    print("| seed | cold: trials to target | warm: trials to target | cold best | warm best |\n|---|---|---|---|---|")
    rows = []
    for seed in range(1, args.seeds + 1):
        spec = base.replace(samples=args.samples, seed=seed, rounds=base.rounds.__class__(count=1))
        spec = spec.replace(space=spec.space.hold("split_seed", args.split_seed))
        cold = run_sweep(spec.replace(name=f"cold{seed}"), options)
        warm_options = RunOptions(**{**options.to_dict(), "warm_start": str(old.path), "warm_top": args.top})
        warm = run_sweep(spec.replace(name=f"warm{seed}"), warm_options)
        row = (trials_to(cold.trials, args.target), trials_to(warm.trials, args.target),
               float(cold.best()[S.BEST]), float(warm.best()[S.BEST]))  # fmt: skip
        rows.append(row)
        print(f"| {seed} | {row[0] or 'never'} | {row[1] or 'never'} | {row[2]:.4f} | {row[3]:.4f} |", flush=True)
    never = args.samples + 1  # a sweep that never reached the target counts as one trial past its budget
    cold_n = [r[0] or never for r in rows]
    warm_n = [r[1] or never for r in rows]
    print(f"mean trials to {args.target}: cold {statistics.mean(cold_n):.1f}, warm {statistics.mean(warm_n):.1f} "
          f"(never = {never}); mean best: cold {statistics.mean(r[2] for r in rows):.4f}, "
          f"warm {statistics.mean(r[3] for r in rows):.4f}")  # fmt: skip
    import ray

    ray.shutdown()


if __name__ == "__main__":
    main()
