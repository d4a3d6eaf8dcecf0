"""Benchmark: a handover's warranty cards as one batch — 10,000 cards with --jobs 2 — beside a
bare reportlab one-page Chinese table drawn in the same run on the same cores.

Measured:
1. `aftersales batch warranty-card --data cards.csv --jobs 2 --format pdf` as the library runs
   it (reading the sheet, validating, computing the expiry dates, drawing each card, filing and
   indexing it): cards per second, the parent's peak traced memory and max RSS, and the
   workers' max RSS;
2. the baseline: the same number of processes each drawing one-page Chinese tables with
   reportlab (embedded CJK font, 8 rows × 4 columns, one file per page), pages per second;
3. the ratio of 1 to 2 (aim: >= 60 %), and peak memory (aim: < 300 MB);
4. for comparison, the DOCX route on 50 cards: docxtpl renders of the card's template, then one
   LibreOffice call converting all 50 to PDF.

Run by hand (never part of the test suite):
    .venv/bin/python bench/batch.py [--cards 10000] [--jobs 2] [--docx 50]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import resource
import shutil
import subprocess
import tempfile
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def cards_csv(path: Path, count: int) -> None:
    """`count` homes handed over, as the sales department's sheet has them."""
    from generator.documents.forms import load_form
    from generator.workspace import Workspace

    sample = load_form(Workspace.open(None), "warranty-card").sample
    keys = [k for k, v in sample.items() if not isinstance(v, list | dict)]
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=keys)
        writer.writeheader()
        for number in range(count):
            building, rest = divmod(number, 200)
            floor, room = divmod(rest, 4)
            row = {k: sample[k] for k in keys}
            row["room"] = f"{building + 1}-1-{floor + 2:02d}{room + 1:02d}"
            row["card_no"] = f"BX-SH1-{number:06d}"
            writer.writerow(row)


def bare_pages(count: int) -> float:
    """Seconds to draw `count` one-page Chinese tables, one file each (a worker's share)."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    from generator.render.fonts import find_cjk_font
    from generator.workspace import DEFAULT_CONFIG

    font = find_cjk_font(DEFAULT_CONFIG)
    pdfmetrics.registerFont(TTFont("Bench", font.path, subfontIndex=font.index))
    rows = [["保修项目", "法定最低期限", "承诺期限", "到期日"]] + [
        [f"屋面防水工程 {n}", "5 年", "5 年", "2030-06-30"] for n in range(8)]
    start = time.perf_counter()
    for _ in range(count):
        buffer = io.BytesIO()
        table = Table(rows)
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Bench", 10),
                                   ("GRID", (0, 0), (-1, -1), 0.5, "black")]))
        SimpleDocTemplate(buffer, pagesize=A4).build([table])
    return time.perf_counter() - start


def docx_route(folder: Path, count: int) -> tuple[float, float]:
    """Seconds for `count` DOCX cards by docxtpl, and for converting them all in one call."""
    from generator.documents.context import build_context
    from generator.documents.forms import load_form
    from generator.render.docx import render_docx
    from generator.workspace import Workspace

    workspace = Workspace.open(None)
    form = load_form(workspace, "warranty-card")
    template = workspace.find("templates", form.template_name)
    ctx = build_context(form, form.sample, config=workspace.config, record_no="BX-2026-0001")
    start = time.perf_counter()
    for number in range(count):
        (folder / f"card{number}.docx").write_bytes(render_docx(template, ctx))
    rendered = time.perf_counter() - start
    if not shutil.which("soffice"):
        return rendered, float("nan")
    start = time.perf_counter()
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{folder}/profile",
                    "--convert-to", "pdf", "--outdir", str(folder / "pdf"),
                    *[str(folder / f"card{n}.docx") for n in range(count)]],
                   check=True, capture_output=True, timeout=900)
    return rendered, time.perf_counter() - start


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--cards", type=int, default=10000)
    options.add_argument("--jobs", type=int, default=2)
    options.add_argument("--docx", type=int, default=50, help="cards for the DOCX route")
    args = options.parse_args()

    from generator.batch.run import run_batch
    from generator.workspace import Workspace

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "ws").mkdir()
        sheet = root / "cards.csv"
        cards_csv(sheet, args.cards)
        workspace = Workspace.open(root / "ws")
        tracemalloc.start()
        start = time.perf_counter()
        result = run_batch(workspace, "warranty-card", sheet, jobs=args.jobs, formats="pdf")
        batch_seconds = time.perf_counter() - start
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        workspace.close()
        parent_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        workers_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        assert result.filed == args.cards, result

        share = max(1, args.cards // 10 // args.jobs)  # a tenth of the cards is plenty
        start = time.perf_counter()
        with ProcessPoolExecutor(args.jobs) as pool:
            list(pool.map(bare_pages, [share] * args.jobs))
        bare_seconds = time.perf_counter() - start
        (root / "docx").mkdir()
        docx_seconds, convert_seconds = docx_route(root / "docx", args.docx)

    cards_per_second = args.cards / batch_seconds
    bare_per_second = share * args.jobs / bare_seconds
    print(f"{args.cards} warranty cards, --jobs {args.jobs}, PDF, filed and indexed "
          f"({os.cpu_count()} cores)")
    print(f"  batch                  {batch_seconds:8.1f} s   {cards_per_second:7.1f} cards/s")
    print(f"  bare reportlab table   {bare_seconds:8.1f} s   {bare_per_second:7.1f} pages/s "
          f"({share * args.jobs} pages, {args.jobs} processes)")
    ratio = cards_per_second / bare_per_second
    print(f"  ratio                  {ratio:8.0%}        aim >= 60 %: "
          f"{'met' if ratio >= 0.6 else 'NOT met'}")
    print(f"  memory: parent traced peak {traced_peak / 1e6:.1f} MB, max RSS {parent_rss:.0f} MB; "
          f"workers max RSS {workers_rss:.0f} MB (aim < 300 MB)")
    print(f"  DOCX route, {args.docx} cards: docxtpl {docx_seconds * 1000 / args.docx:.1f} ms a "
          f"card, then LibreOffice {convert_seconds * 1000 / args.docx:.0f} ms a card "
          f"(one call for all)")
    print(f"  ({dt.datetime.now():%Y-%m-%d %H:%M})")


if __name__ == "__main__":
    main()
