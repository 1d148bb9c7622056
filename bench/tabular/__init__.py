"""``./dev bench tabular``: search quality on published tabular HPO results (no training: each evaluation is a
lookup of a real training run's stored result). See :mod:`bench.tabular.run`."""
