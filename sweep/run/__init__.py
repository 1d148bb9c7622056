"""The run loop: one Ray Tune Tuner per sweep, its searcher and scheduler wiring, budget, recorder."""
