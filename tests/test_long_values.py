"""Every value the schema accepts lays out (issue 11, deliverable 4): each form filled with
every text field at its maximum length over many lines, and every row table at its most rows,
comes out whole and in order in the PDF and the DOCX — over as many pages as it takes, a row
table's header repeated on each."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4, landscape

from generator.documents.forms import Field, Form, load_form, localised
from generator.render.pdf import MARGIN
from generator.workspace import Workspace
from tests.conftest import (
    libreoffice_pdfs,
    sample_forms,
    squash,
    ticket_ready_for,
    ticketless_forms,
    write_sample,
)

FORMS = sample_forms()
NO_TICKET = ticketless_forms()
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# A row table the schema puts no limit on gets this many rows.
ROWS_WITHOUT_LIMIT = 12
# The lines a long value is made of, in turn: mostly one character (the most lines, so the
# tallest value, a length allows), now and then a line long enough to wrap in any cell.
# Or, the tallest of all, nothing but line breaks between its first and last line.
TEXT = "维修a地漏b防水c顶棚d批灰e"
LINES = {"mixed": (1, 2, 1, 1, 40, 1, 1, 3, 1, 80), "blank": (0,)}


def long_text(tag: str, length: int, lines: str = "mixed") -> str:
    """Exactly `length` characters: `tag` (which tells the values apart) on the first and the
    last line, between them `lines`: Chinese and Latin text, mostly one character a line, or
    blank lines."""
    end, words = "\n" + tag, itertools.cycle(TEXT)
    text = tag
    for size in itertools.cycle(LINES[lines]):
        if len(text) >= length - len(end):
            break
        text += "\n" + "".join(itertools.islice(words, size))
    text = text[:length - len(end)]
    return text + end


def tags():
    """V01:, V02: ... short enough for the shortest field to carry twice."""
    return (f"V{number:02x}:" for number in range(1, 256))


def free_text(fld: Field) -> bool:
    """A field that takes any text up to a length (not a choice, a pattern, a date...)."""
    return (fld.type == "string" and not fld.choices and "maxlength" in fld.rules
            and "regex" not in fld.rules and not fld.rules.get("readonly"))


def kept_as_sampled(form: Form) -> set[str]:
    """Fields that must keep the sample's value: a party's unit (the configured parties),
    ticket numbers (tickets in the index), and row tables whose figures must add up (their
    rows are not multiplied)."""
    keep = {"ticket_no"}
    responsibility = form.definition.get("responsibility") or {}
    if responsibility.get("unit"):
        keep.add(responsibility["unit"])
    for rule in form.definition.get("checks", []):
        if rule.get("rows") and ({"sums_to", "shares"} & set(rule)):
            keep.add(f"rows:{rule['rows']}")
    return keep


def long_data(form: Form, sample: dict, lines: str) -> dict:
    """The form's sample with every free-text field at its longest and every row table at its
    most rows (their free-text cells at their longest too)."""
    data, keep, tag = dict(sample), kept_as_sampled(form), tags()
    for key, fld in form.fields.items():
        if fld.columns and sample.get(key):
            rows = sample[key]
            count = (len(rows) if f"rows:{key}" in keep
                     else fld.rules.get("maxlength", ROWS_WITHOUT_LIMIT))
            data[key] = [
                {column: long_text(next(tag), cell.rules["maxlength"], lines)
                 if free_text(cell) and column not in keep else row.get(column)
                 for column, cell in fld.columns.items() if column in row or free_text(cell)}
                for row in itertools.islice(itertools.cycle(rows), count)
            ]
        elif free_text(fld) and key not in keep:
            data[key] = long_text(next(tag), fld.rules["maxlength"], lines)
    return data


def long_values(data: dict) -> list[str]:
    """The long texts in `data`, in order."""
    values = []
    for value in data.values():
        if isinstance(value, list):
            values += [cell for row in value if isinstance(row, dict) for cell in row.values()
                       if isinstance(cell, str) and cell.startswith("V")]
        elif isinstance(value, str) and value.startswith("V"):
            values.append(value)
    return values


# --- reading the PDF back, column by column ----------------------------------------------------


def page_columns(path: Path) -> list[dict[float, str]]:
    """Each page's text by the left edge of its lines — a table's column, a text box — read
    down the page and squashed; the running header and footer, in the margins, left out."""
    pages = []
    for page in PdfReader(str(path)).pages:
        lines: dict[float, list[tuple[float, str]]] = defaultdict(list)
        top = float(page.mediabox.height) - MARGIN

        def visit(text, cm, tm, _font, _size, lines=lines, top=top):
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            if text.strip() and MARGIN < y < top:
                lines[round(x, 1)].append((y, text))

        page.extract_text(visitor_text=visit)
        pages.append({x: squash("".join(t for _, t in sorted(pieces, key=lambda p: -p[0])))
                      for x, pieces in lines.items()})
    return pages


def repeated_header(column: str, headers: list[str]) -> str:
    """The header label a page's column starts with, if any."""
    return next((h for h in sorted(headers, key=len, reverse=True) if column.startswith(h)), "")


def running_columns(pages: list[dict[float, str]], headers: list[str]) -> list[str]:
    """Each column's text on over pages, without the header labels that start it on a page:
    a value split over pages reads as one."""
    columns: dict[float, str] = defaultdict(str)
    for page in pages:
        for x, text in page.items():
            columns[x] += text[len(repeated_header(text, headers)):]
    return list(columns.values())


def _without(text: str, parts: list[str]) -> str:
    for part in parts:
        text = text.replace(part, "")
    return text


def pages_with(pages: list[dict[float, str]], text: str) -> list[int]:
    return [number for number, page in enumerate(pages) if any(text in t for t in page.values())]


def docx_texts(path: Path) -> list[str]:
    """Every paragraph and table cell of a DOCX, nested tables included."""
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]

    def cells(table):
        for row in table.rows:
            for cell in row.cells:
                texts.append(cell.text)
                for inner in cell.tables:
                    cells(inner)

    for table in document.tables:
        cells(table)
    return texts


def docx_row_tables(path: Path) -> int:
    """How many tables have a header row that Word and LibreOffice repeat on each page (the
    row tables); it fails if a row of theirs may not break across pages."""
    document = docx.Document(str(path))
    count = 0
    for table in document.tables:
        rows = table._tbl.tr_lst
        if rows and rows[0].find(f"{W}trPr/{W}tblHeader") is not None:
            count += 1
            unbreakable = [row for row in rows if row.find(f"{W}trPr/{W}cantSplit") is not None]
            assert not unbreakable, "a row table's rows must break across pages"
    return count


# --- the test ------------------------------------------------------------------------------------


def fill_long(name: str, lines: str, run, home: Path, ticket: str, tmp_path: Path
              ) -> tuple[dict, dict]:
    """Fill `name` with its long data through the CLI: (the data, the JSON report)."""
    workspace = Workspace.open(home)
    form = load_form(workspace, name)
    sample = json.loads(write_sample(tmp_path, name, ticket=ticket).read_text("utf-8"))
    data = long_data(form, sample, lines)
    data_file = tmp_path / f"{name}-long.json"
    data_file.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    ticket_args = []
    if name not in NO_TICKET and form.ticket_mode != "opens":
        ticket_ready_for(home, ticket, name)
        ticket_args = ["--ticket", ticket]
    result = run("fill", name, "--data", str(data_file), "--no-prompt", "--json", *ticket_args)
    assert result.exit_code == 0, result.output
    return data, json.loads(result.output)


# Blank lines make the most pages (a 2,000-character text over some 40): the forms with a
# layout of their own (a landscape register, a grid beside a QR code, sealed signatures) only.
CASES = [(name, "mixed") for name in FORMS] + [
    (name, "blank") for name in ("repair-register", "warranty-card")]


@pytest.mark.parametrize(("name", "lines"), CASES)
def test_every_long_value_comes_back_whole(name, lines, run, home, ticket, tmp_path):
    form = load_form(Workspace.open(home), name)
    data, report = fill_long(name, lines, run, home, ticket, tmp_path)
    paths = {d["format"]: home / d["path"] for d in report["documents"]}
    values = long_values(data)
    assert values

    in_docx = docx_texts(paths["docx"])
    missing = [v[:12] for v in values if not any(v in text for text in in_docx)]
    assert not missing, f"the DOCX lacks (or changed) {missing}"
    row_tables = [item for item in form.layout if "table" in item]
    assert docx_row_tables(paths["docx"]) == len(row_tables)

    headers = {table: [form.fields[item["table"]].columns[c].label("zh")
                      for c in item.get("columns") or form.fields[item["table"]].columns]
               for item in form.layout if "table" in item for table in [item["table"]]}
    pages = page_columns(paths["pdf"])
    columns = running_columns(pages, [squash(h) for hs in headers.values() for h in hs])
    missing = [v[:12] for v in values if not any(squash(v) in text for text in columns)]
    assert not missing, f"the PDF lacks (or broke up) {missing}"
    assert len(pages) > 1, "values at their longest fit on one page?"

    sections = [squash(title) for title in
                (localised(item.get("section"), "zh") for item in form.layout) if title]
    for table, header in headers.items():
        tagged = long_values({table: data.get(table) or []})
        if not tagged:
            continue
        first, last = tagged[0][:4], tagged[-1][:4]  # a value's tag starts and ends it
        spans = range(pages_with(pages, first)[0], pages_with(pages, last)[-1] + 1)
        labels = [squash(h) for h in header]
        if len(spans) == 1:  # on one page, beside tables with the same column labels
            continue
        for page in spans:
            where = f"{table}, page {page + 1} of pages {spans[0] + 1}-{spans[-1] + 1}"
            # its header row once: not again mid-page where a row was split
            # (a section title may hold a label: 按楼栋 over 楼栋, on the table's first page)
            printed = min(sum(_without(text, sections).count(label)
                              for text in pages[page].values()) for label in labels)
            assert printed == 1, f"{where}: the header row printed {printed} times"
            if page > spans[0]:  # and at the top of the table on every later page
                starts = {repeated_header(text, labels) for text in pages[page].values()}
                assert set(labels) <= starts, f"{where}: the header row is not on top"


# Word's footer (page x of y) stands in the bottom margin, its top line above the margin's edge.
FOOTER = MARGIN + 10


def table_columns(path: Path, bounds: list[float]) -> list[list[str]]:
    """Each page's text between each pair of `bounds` (x, pt: a table's column edges), line by
    line down the page, squashed: LibreOffice draws a line in pieces, one per script."""
    pages = []
    for page in PdfReader(str(path)).pages:
        pieces: list[list[tuple[float, float, str]]] = [[] for _ in bounds[1:]]
        top = float(page.mediabox.height) - MARGIN

        def visit(text, cm, tm, _font, _size, pieces=pieces, top=top):
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            for column, (left, right) in enumerate(itertools.pairwise(bounds)):
                if text.strip() and FOOTER < y < top and left <= x < right:
                    pieces[column].append((-y, x, text))

        page.extract_text(visitor_text=visit)
        pages.append([squash("".join(t for *_, t in sorted(column))) for column in pieces])
    return pages


def test_libreoffice_prints_a_long_register_whole(run, home, ticket, tmp_path):
    """The DOCX of a register of long rows, printed by a real LibreOffice: every value of its
    rows whole, over pages, its header row on top of each."""
    form = load_form(Workspace.open(home), "repair-register")
    data, report = fill_long("repair-register", "mixed", run, home, ticket, tmp_path)
    docx_path = next(home / d["path"] for d in report["documents"] if d["format"] == "docx")
    item = form.layout[1]
    # the columns as the renderer sized them, from the left margin (the template's margins
    # are the PDF's, and the table fills the width)
    table = next(t for t in docx.Document(str(docx_path)).tables
                 if len(t.columns) == len(item["columns"]))
    edges = list(itertools.accumulate((column.width.pt for column in table.columns), initial=0))
    assert edges[-1] == pytest.approx(landscape(A4)[0] - 2 * MARGIN, abs=1)
    # the outer edges open: Word's tables stand out into the margin by the cells' padding
    bounds = [0, *(MARGIN + edge for edge in edges[1:-1]), float("inf")]
    pages = table_columns(libreoffice_pdfs([docx_path], tmp_path)[docx_path], bounds)
    assert len(pages) > 1
    header = [squash(form.fields["repairs"].columns[c].label("zh")) for c in item["columns"]]
    # the last page may hold no rows: the totals grid and the signatures, which keep with
    # the register's end (the grid), went on together
    if not any(text.startswith(label) for text, label in zip(pages[-1], header, strict=True)):
        pages.pop()
    for number, page in enumerate(pages[1:], 2):
        assert [repeated_header(text, header) for text in page] == header, number
    columns = ["".join(page[column][len(header[column]):] for page in pages)
               for column in range(len(header))]
    missing = [v[:12] for v in long_values({"repairs": data["repairs"]})
               if not any(squash(v) in text for text in columns)]
    assert not missing, f"LibreOffice's PDF lacks (or broke up) {missing}"
