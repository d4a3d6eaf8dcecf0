"""`aftersales templates check`: a customised DOCX template held against its form before a fill
meets it. The broken templates are the bundled ones edited as a person in Word would leave them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from generator.documents.forms import list_forms
from generator.workspace import Workspace, bundled_root
from tests.conftest import docx_text, write_sample

OWNER = "{{ f.owner_name }}"  # the owner's name in the bundled complaint template


def runs_with(document, text: str) -> list:
    """Every run of the document (tables and headers included) whose text is `text`."""
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        paragraphs += [p for row in table.rows for cell in row.cells for p in cell.paragraphs]
    for section in document.sections:
        paragraphs += section.header.paragraphs + section.footer.paragraphs
    return [run for p in paragraphs for run in p.runs if run.text == text]


def override(home: Path, edit: Callable, form: str = "complaint") -> Path:
    """The workspace's own copy of the bundled template of `form`, changed by `edit(document)`."""
    document = docx.Document(str(bundled_root("templates") / f"{form}.docx"))
    edit(document)
    target = home / "templates" / f"{form}.docx"
    target.parent.mkdir(exist_ok=True)
    document.save(str(target))
    return target


def retype(old: str, new: str) -> Callable:
    """An edit that changes every run whose text is `old` (a register's body row is in the
    template twice: blank, high enough to write in, and filled) to `new`."""
    def edit(document):
        runs = {id(r): r for r in runs_with(document, old)}.values()
        assert runs, f"no run {old!r} in the template"
        for run in runs:
            run.text = new
    return edit


def _raw_run(text: str):
    run, piece = OxmlElement("w:r"), OxmlElement("w:t")
    piece.text = text
    run.append(piece)
    return run


def split_into(container: str) -> Callable:
    """`{{ f.owner` in the paragraph and `_name }}` inside a hyperlink or tracked insertion."""
    def edit(document):
        (run,) = runs_with(document, OWNER)
        run.text = "{{ f.owner"
        wrapper = OxmlElement(container)
        if container == "w:ins":
            wrapper.set(qn("w:id"), "7")
            wrapper.set(qn("w:author"), "办公室")
        else:
            wrapper.set(qn("w:anchor"), "owner")
        wrapper.append(_raw_run("_name }}"))
        run._r.addnext(wrapper)
    return edit


def split_across_paragraphs(document):
    """`{{ f.owner` in the cell's paragraph, `_name }}` in a new paragraph after it."""
    (run,) = runs_with(document, OWNER)
    run.text = "{{ f.owner"
    following = OxmlElement("w:p")
    following.append(_raw_run("_name }}"))
    run._parent._p.addnext(following)


def split_by_formatting(document):
    """What Word leaves after a part of a tag is made bold: two runs, one paragraph."""
    (run,) = runs_with(document, OWNER)
    run.text = "{{ f.owner"
    rest = run._parent.add_run("_name }}")
    rest.bold = True


@pytest.fixture
def check(run):
    def invoke(*args: str):
        result = run("templates", "check", *args)
        return result.exit_code, result.output
    return invoke


def test_every_bundled_template_passes(check, home):
    code, output = check()
    assert code == 0, output
    count = len(list_forms(Workspace.open(home)))
    assert output.strip() == f"OK: {count} templates checked, no problems"
    code, output = check("--json")
    report = json.loads(output)
    assert code == 0 and report["ok"] and report["problems"] == []
    assert len(report["templates"]) == count


BROKEN = {
    "syntax error": (retype(OWNER, "{{ f.owner_name ) }}"), "",
                     "Jinja syntax error: unexpected ')'", "{{ f.owner_name ) }}"),
    "unknown field": (retype(OWNER, "{{ f.owner_nmae }}"), "f.owner_nmae",
                      "unknown variable; did you mean f.owner_name?", "{{ f.owner_nmae }}"),
    "unknown name": (retype(OWNER, "{{ owner }} {{ f.owner_name }}"), "owner",
                     "unknown variable", "{{ owner }}"),
    "unknown label": (retype("{{ L.phone }}", "{{ L.telephone }}"), "L.telephone",
                      "unknown variable", "{{ L.telephone }}"),
    "unknown in header": (retype("{{ company.name }} · {{ centre.name }}\t{{ M.service_phone }}"
                                 "：{{ centre.phone }}", "{{ company.nmae }}"),
                          "company.nmae", "unknown variable; did you mean company.name?",
                          "{{ company.nmae }}"),
    "fails when rendered": (retype(OWNER, "{{ f.owner_name(1) }}"), "",
                            "a blank fill fails: 'str' object is not callable", ""),
    "required field removed": (retype(OWNER, ""), "f.owner_name",
                               "a required field the template never shows", ""),
    "tag split across paragraphs": (split_across_paragraphs, "{{ f.owner",
                                    "the tag is not closed in its paragraph", "{{ f.owner"),
    "tag split into a hyperlink": (split_into("w:hyperlink"), "{{ f.owner_name }}",
                                   "the tag is partly inside a hyperlink", "{{ f.owner_name }}"),
    "tag split by a tracked change": (split_into("w:ins"), "{{ f.owner_name }}",
                                      "the tag is partly inside a tracked insertion",
                                      "{{ f.owner_name }}"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_override_is_named_by_file_and_tag(case, check, home):
    edit, tag, message, paragraph = BROKEN[case]
    override(home, edit)
    code, output = check("complaint")
    assert code == 1, output
    lines = [line.strip() for line in output.splitlines()]
    assert lines[0].startswith("Error: ") and lines[0].endswith(
        " problem(s) in templates/complaint.docx:")
    (line,) = [line for line in lines if message in line]
    assert line.startswith("- templates/complaint.docx")
    assert f": {tag}: {message}" in line if tag else f": {message}" in line
    assert paragraph in line

    code, output = check("complaint", "--json")
    report = json.loads(output)
    assert code == 1 and report["ok"] is False
    (problem,) = [p for p in report["problems"] if message in p["message"]]
    assert problem["file"] == "templates/complaint.docx" and problem["tag"] == tag
    assert problem["form"] == "complaint" and paragraph in problem["paragraph"]


def test_all_forms_at_once_name_only_the_broken_template(check, home):
    override(home, retype(OWNER, "{{ f.owner_nmae }}"))
    code, output = check()
    assert code == 1
    assert output.splitlines()[1:] == [
        "  - templates/complaint.docx [body]: f.owner_nmae: unknown variable; did you mean "
        "f.owner_name? (in paragraph '{{ f.owner_nmae }}')",
        "  - templates/complaint.docx: f.owner_name: a required field the template never shows"]


def test_an_unknown_column_of_a_row_loop(check, home):
    """The loop variable `r` stands for a row of the table: its columns are known, and a
    required column left out of the loop is named."""
    override(home, retype("{{ r.name }}", "{{ r.nmae }}"), form="training-record")
    code, output = check("training-record")
    assert code == 1
    assert output.splitlines()[1:] == [
        "  - templates/training-record.docx [body]: r.nmae: unknown variable (in r: an item of "
        "rows.attendees); did you mean r.name? (in paragraph '{{ r.nmae }}')",
        "  - templates/training-record.docx: rows.attendees[].name: a required field the "
        "template never shows"]


def test_a_file_that_is_no_docx(check, home):
    (home / "templates").mkdir()
    (home / "templates" / "complaint.docx").write_bytes(b"not a zip")
    code, output = check("complaint")
    assert code == 1
    assert "templates/complaint.docx: " in output and "not a Word (DOCX) file" in output


def test_an_unknown_form_is_bad_usage(check):
    code, output = check("nosuch")
    assert code == 2 and "unknown form 'nosuch'" in output


def test_a_customised_template_passes_and_is_what_fill_uses(check, home, run, tmp_path):
    """Restyled in Word: a line of the centre's own, and a tag Word split into two runs of
    different formatting (docxtpl repairs that one: the tag takes its first run's format)."""
    def customise(document):
        split_by_formatting(document)
        document.add_paragraph("本中心专用：请业主核对后签字")
    override(home, customise)
    code, output = check("complaint")
    assert code == 0, output
    assert output.strip() == "OK: templates/complaint.docx checked, no problems"

    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                 "--json")
    assert result.exit_code == 0, result.output
    (written,) = [d["path"] for d in json.loads(result.output)["documents"]
                  if d["format"] == "docx"]
    text = docx_text(home / written)
    assert "本中心专用：请业主核对后签字" in text
    assert "张伟" in text and "{{" not in text and "f.owner" not in text
