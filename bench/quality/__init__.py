"""The search-quality benchmark: which method finds the better MNIST-1D model in the same wall-clock budget.

``./dev bench quality [--quick | --smoke] [--preset mnist1d-cnn1d]`` (``python -m bench.quality``) runs each
method on a preset's space and trainable (``mnist1d-mlp`` by default, or the 1-D CNN's), each in a fresh process
with the same budget on the same cores, over several search seeds, and writes a JSON and two PNGs to
``bench/results/``.

Modules, one concept each: :mod:`~bench.quality.modes` (sizes), :mod:`~bench.quality.methods` (what is
compared), :mod:`~bench.job` (what a runner process reads and writes), the runners
(:mod:`~bench.quality.sweep_method`; the peers are the cost bench's :mod:`bench.runners.optuna_runner` and
:mod:`bench.runners.ray_tuned`),
:mod:`bench.measure` (a budgeted subprocess), :mod:`~bench.quality.score` (the winner's one test
evaluation), :mod:`~bench.quality.aggregate` (curves and t-intervals), :mod:`~bench.quality.targets`,
:mod:`~bench.quality.plot`, :mod:`bench.report` (shared with the cost bench) and :mod:`~bench.quality.run` (the
driver).
"""
