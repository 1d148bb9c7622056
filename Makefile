# Shortcuts for ./dev (the README's commands need only bash and Python 3.11).
.PHONY: sweep test bench bench-quick clean
sweep:
	./dev sweep
test:
	./dev test
bench:
	./dev bench
bench-quick:
	./dev bench --quick
clean:
	rm -rf .venv sweeps runs .pytest_cache .mypy_cache .ruff_cache
