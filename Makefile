# Shortcuts for developers; the README's two commands work without make.
.PHONY: demo test check bench

demo:
	scripts/demo

test:
	scripts/test

check:
	scripts/setup --test
	.venv/bin/ruff check generator tests bench
	.venv/bin/python -m pytest -q

bench:
	scripts/setup --test
	.venv/bin/python bench/fill.py
