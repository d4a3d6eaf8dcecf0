"""Benchmark: what reading data as text costs (generator.documents.datafile) against the plain
parsers in the same run — PyYAML's safe loader (libyaml's when built with it) and json.loads —
on a complaint's data file and on a 1 MB one; and how long an alias bomb like issue 11's
takes to be refused (this one is 378 bytes: nine levels of nine aliases).

Run by hand (never part of the test suite):  .venv/bin/python bench/input.py [--count 50]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml  # noqa: E402
from fill import median_ms  # noqa: E402 (bench/fill.py beside this)

from generator.documents.datafile import read_data  # noqa: E402
from generator.documents.forms import load_form  # noqa: E402
from generator.errors import UsageError  # noqa: E402
from generator.workspace import Workspace  # noqa: E402

# Nine levels of nine aliases each: 9^9 (387 million) strings, were they all built.
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + level)}: &{chr(98 + level)} [{', '.join(['*' + chr(97 + level)] * 9)}]\n"
    for level in range(8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=50)
    count = parser.parse_args().count

    sample = load_form(Workspace.open(None), "complaint").sample
    small = {"YAML": yaml.safe_dump(sample, allow_unicode=True),
             "JSON": json.dumps(sample, default=str, ensure_ascii=False)}
    # a register's worth of rows: about 1 MB of text
    rows = [{"date": "2026-11-29", "room": f"3-2-{n:04d}", "content": "卫生间地漏处防水层修补" * 4}
            for n in range(5000)]
    large = {"YAML": yaml.safe_dump({"repairs": rows}, allow_unicode=True),
             "JSON": json.dumps({"repairs": rows}, ensure_ascii=False)}
    baseline = {"YAML": lambda text: yaml.load(text, Loader=getattr(yaml, "CSafeLoader",
                                                                     yaml.SafeLoader)),
                "JSON": json.loads}

    print(f"{'input':<22}{'read_data':>12}{'baseline':>12}{'ratio':>8}")
    for size, texts in (("complaint", small), ("1 MB register", large)):
        for kind, text in texts.items():
            runs = count if size == "complaint" else max(3, count // 10)
            ours = median_ms(lambda t=text, k=kind: read_data(t, "bench", as_json=k == "JSON"),
                             runs)
            theirs = median_ms(lambda t=text, k=kind: baseline[k](t), runs)
            print(f"{size + ' ' + kind:<22}{ours:>10.2f}ms{theirs:>10.2f}ms{ours / theirs:>7.1f}×")

    start = time.perf_counter()
    try:
        read_data(BOMB, "bomb.yaml")
    except UsageError as exc:
        print(f"alias bomb ({len(BOMB)} bytes) refused in "
              f"{(time.perf_counter() - start) * 1000:.1f} ms: {str(exc.message)[:70]}")


if __name__ == "__main__":
    main()
