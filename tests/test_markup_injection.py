"""Values never become markup: clause texts and rulebook chapters are parsed before the values
go in, so a value that looks like a heading, a list item, a table row, a directive or a
template tag prints exactly as typed, wherever it lands in the line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import docx
import pytest

from generator.documents.forms import load_form
from generator.workspace import Workspace
from tests.conftest import body_text, pdf_lines, pdftotext, squash, ticket_ready_for, write_sample
from tests.test_rulebook import CHAPTER_TITLES, FRONT_MATTER, SOURCES, build_book, fresh_home

AGREEMENTS = ["minor-works-agreement", "maintenance-agreement"]
MARKUP = [
    "# 第十三条 补充条款 乙方不承担任何保修责任",
    "- 一项",
    "@form complaint",
    "| a | b |",
    "1. 第一",
    "{{ company.name }}",
    "{% raw %}",
]
# Each as typed, and after a line break, so it starts a line even where the clause text puts
# its placeholder mid-line.
VALUES = [*MARKUP, *(f"见下：\n{value}" for value in MARKUP)]
ARTICLE = re.compile(r"^第[一二三四五六七八九十]+条")
FIELD = re.compile(r"{{\s*f\.(\w+)\s*}}")


def placeholders(home: Path, name: str) -> dict[str, str]:
    """What the agreement's clauses print that a person typed: its free-text fields (choices,
    dates and numbers cannot hold markup) and the centre's name from aftersales.toml — each
    placeholder by its field key ('centre' for the name)."""
    form = load_form(Workspace.open(home), name)
    text = form.clauses[name]
    found = {key: f"f.{key}" for key in FIELD.findall(text)
             if key in form.fields and form.fields[key].type == "string"
             and not form.fields[key].choices}
    if "centre.name" in text:
        found["centre"] = "centre.name"
    return found


def with_placeholders_starting_lines(home: Path, name: str, expressions: list[str]) -> None:
    """A workspace copy of the clauses where each placeholder also starts a line of its own
    (before the closing line), as a clerk may write them."""
    source = load_form(Workspace.open(home), name).clauses[name].rstrip("\n").splitlines()
    extra = [f"{{{{ {expression} }}}}" for expression in expressions]
    path = home / "templates" / "clauses" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([*source[:-1], *extra, source[-1]]) + "\n", "utf-8")


def pdf_articles(path: Path) -> int:
    """Article headings in the PDF: lines drawn in the clause heading's 11 pt that start
    with 第…条 (the body is 10 pt), so a value read as a heading is counted."""
    return sum(1 for page in pdf_lines(path) for line in page
               if line.size == 11 and ARTICLE.match(line.text))


def docx_articles(path: Path) -> int:
    """Article headings in the DOCX: bold paragraphs starting with 第…条."""
    return sum(1 for p in docx.Document(str(path)).paragraphs
               if ARTICLE.match(p.text) and p.runs and all(r.bold for r in p.runs))


def file_agreement(run, home: Path, tmp_path: Path, name: str, ticket: str, **values) -> dict:
    result = run("fill", name, "--data", str(write_sample(tmp_path, name, ticket, **values)),
                 "--ticket", ticket, "--json")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    report = json.loads(result.output)
    return {d["format"]: home / d["path"] for d in report["documents"]}


@pytest.mark.parametrize("name", AGREEMENTS)
def test_clause_values_print_as_typed(name, run, home, ticket, tmp_path):
    ticket_ready_for(home, ticket, name)
    used = placeholders(home, name)
    fields = [key for key in used if key != "centre"]
    articles = len(re.findall(r"^## 第", load_form(Workspace.open(home), name).clauses[name],
                              re.MULTILINE))
    with_placeholders_starting_lines(home, name, list(used.values()))
    for value in VALUES:
        (home / "aftersales.toml").write_text(f"[centre]\nname = {json.dumps(value)}\n",
                                              "utf-8")
        paths = file_agreement(run, home, tmp_path, name, ticket,
                               **dict.fromkeys(fields, value))
        pdf_body = body_text(pdftotext(paths["pdf"]))
        # at least once mid-line in the clause text, and once starting a line
        assert pdf_body.count(squash(value)) >= 2 * len(used), f"{value!r} not in the PDF"
        paragraphs = [p.text for p in docx.Document(str(paths["docx"])).paragraphs]
        assert paragraphs.count(value) == len(used), f"{value!r}: DOCX lines {paragraphs}"
        assert pdf_articles(paths["pdf"]) == articles, f"{value!r} made an article heading"
        assert docx_articles(paths["docx"]) == articles, f"{value!r} made an article heading"


RULEBOOK_NAMES = ["# 第十三条 补充条款 乙方不承担任何保修责任", "@form complaint",
                  "- 一项 | a | b | {{ centre.name }} {% raw %}"]


@pytest.mark.parametrize("company", RULEBOOK_NAMES)
def test_rulebook_prints_a_company_name_as_typed(company, tmp_path_factory):
    home = fresh_home(tmp_path_factory, "injected")
    (home / "aftersales.toml").write_text(f"[company]\nname = {json.dumps(company)}\n", "utf-8")
    book = build_book(home)
    # The preface starts a paragraph with the company's name: it stays that paragraph.
    assert squash(f"{company}应当在商品房交付业主之日前") in squash(book.text)
    assert [entry.title for entry in book.outline] == [*FRONT_MATTER, *CHAPTER_TITLES]
    sections = [line[3:].strip() for line in (SOURCES / "00-preface.md").read_text("utf-8")
                .splitlines() if line.startswith("## ")]
    assert [c.title for c in book.chapters["序言"].children] == sections
    body = [p.text for p in book.document.paragraphs]
    assert any(p.startswith(f"{company}应当在") for p in body), "DOCX preface"
