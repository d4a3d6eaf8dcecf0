# Shortcuts for developers; the README's two commands work without make.
.PHONY: demo test check bench

demo:
	scripts/demo

test:
	scripts/test

check:
	scripts/setup --test
	.venv/bin/ruff check generator tests bench
	scripts/test -q

bench:
	scripts/setup --test
	.venv/bin/python bench/fill.py
	.venv/bin/python bench/rulebook.py
	AFTERSALES_TEST_POSTGRES=$$(scripts/postgres start) .venv/bin/python bench/index.py
