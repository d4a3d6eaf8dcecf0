"""Benchmark: the wall time of one `aftersales fill` process against `aftersales --help`.

Issue 13 asks that a fill from the command line take at most 5× `aftersales --help` on the same
machine. Each figure is the median of N subprocess runs of the installed command, run in rounds:

- help:                  `aftersales --help`
- fill, first, cold:     a new workspace (the fill creates its index) and an empty font cache
- fill, first, warm:     a new workspace, the parsed font already cached
- fill, later, warm:     a workspace whose index exists: the everyday case
- fill pdf / docx only:  as "later, warm", one format
- floor:                 a process that only imports the CLI and the libraries a DOCX+PDF fill
                         cannot do without (SQLAlchemy, reportlab's platypus, docxtpl, cerberus,
                         PyYAML): no fill can be quicker than this

Run by hand (never part of the test suite):  .venv/bin/python bench/cli.py [--count 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from generator.documents.forms import load_form
from generator.workspace import Workspace

FLOOR = "import generator.cli, sqlalchemy, reportlab.platypus, docxtpl, cerberus, yaml"


def command() -> list[str]:
    found = shutil.which("aftersales") or str(Path(sys.executable).parent / "aftersales")
    return [found]


def child_environment(cache: Path) -> dict[str, str]:
    environment = dict(os.environ, AFTERSALES_CACHE_DIR=str(cache))
    # An installed package has its bytecode compiled; without it every run would compile the
    # package's modules again and measure that instead.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


@dataclass
class Scenario:
    name: str
    arguments: Callable[[], list[str]]  # called before each run (a new workspace, say)
    before: Callable[[], None] = lambda: None  # prepares each run, untimed


def wall_ms(scenario: Scenario, environment: dict[str, str]) -> float:
    arguments = scenario.arguments()
    scenario.before()
    start = time.perf_counter()
    subprocess.run(arguments, check=True, capture_output=True, env=environment)
    return (time.perf_counter() - start) * 1000


def medians_ms(scenarios: list[Scenario], count: int, environment) -> dict[str, float]:
    """Each scenario's median over `count` rounds. A round runs every scenario once, so a
    machine busy with something else slows help and fill alike and the ratio holds."""
    times: dict[str, list[float]] = {s.name: [] for s in scenarios}
    for round_number in range(count + 1):
        for scenario in scenarios:
            ms = wall_ms(scenario, environment)
            if round_number:  # the first round warms the disk cache and compiles bytecode
                times[scenario.name].append(ms)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=15, help="runs per figure (median)")
    count = parser.parse_args().count
    scratch = Path(tempfile.mkdtemp(prefix="aftersales-bench-cli-"))
    try:
        run(scratch, count)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(scratch: Path, count: int) -> None:
    data = scratch / "complaint.yaml"
    workspace = Workspace.open(scratch)
    sample = load_form(workspace, "complaint").sample
    workspace.close()
    data.write_text(yaml.safe_dump(sample, allow_unicode=True), encoding="utf-8")
    cache = scratch / "cache"
    environment = child_environment(cache)
    aftersales = command()
    workspaces = iter(range(10**6))

    def fill(home: Path, formats: str = "docx,pdf") -> list[str]:
        home.mkdir(exist_ok=True)
        return [*aftersales, "fill", "complaint", "--home", str(home), "--data", str(data),
                "--no-prompt", "--format", formats]

    def new_workspace() -> list[str]:
        return fill(scratch / f"workspace-{next(workspaces)}")

    def empty_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    existing = scratch / "existing"
    subprocess.run(fill(existing), check=True, capture_output=True, env=environment)

    def fixed(arguments: list[str]) -> Callable[[], list[str]]:
        return lambda: arguments

    figures = medians_ms([
        Scenario("aftersales --help", fixed([*aftersales, "--help"])),
        Scenario("floor: imports only", fixed([sys.executable, "-c", FLOOR])),
        Scenario("fill, first, cold cache", new_workspace, empty_cache),
        Scenario("fill, first, warm cache", new_workspace),
        Scenario("fill, later, warm cache", fixed(fill(existing))),
        Scenario("fill pdf only, later", fixed(fill(existing, "pdf"))),
        Scenario("fill docx only, later", fixed(fill(existing, "docx"))),
    ], count, environment)
    help_ms = figures.pop("aftersales --help")
    print(f"aftersales --help              {help_ms:7.0f} ms   (median of {count} rounds)")
    for name, ms in figures.items():
        print(f"{name:30} {ms:7.0f} ms   {ms / help_ms:5.1f}× help")
    print("target (issue 13): a fill at most 5× help")


if __name__ == "__main__":
    main()
