"""Issue 11, names and files: a name that is a path is refused before it touches one, nothing is
written outside the workspace's folders (symlinks included), every written file is as readable
as the index (respecting umask), nothing is overwritten without --force, and a failed write
(a file-size limit) leaves no temporary file, no index row and no traceback."""

from __future__ import annotations

import json
import os
import resource
import shutil
import stat
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import (
    REPO,
    files_in_output,
    finish_process,
    index_sql,
    start_process,
    write_sample,
)
from tests.test_batch import complaints_csv

FORM_RULE = "a form name is lower-case letters, digits and hyphens"


def filed_documents(home: Path) -> list[str]:
    """Paths of the documents the index holds (none when there is no index yet)."""
    if not (home / "output" / "index.sqlite3").exists():
        return []
    return [row["path"] for row in index_sql(home, "SELECT path FROM documents")]


def every_file(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def temporary_files(folder: Path) -> list[str]:
    """Anything a write left half-done: `.partial-*` documents, `.NAME.partial-*` files."""
    return [p.name for p in folder.rglob("*") if ".partial" in p.name]


# --- names that are paths ----------------------------------------------------------------------


@pytest.mark.parametrize("command", [
    ("fill", "../../evil", "--no-prompt"),
    ("forms", "blank", "../../evil"),
    ("forms", "template", "../../evil"),
    ("forms", "show", "../../evil"),
    ("batch", "../../evil", "--data", "DATA"),
])
def test_a_form_name_that_is_a_path_is_refused_and_nothing_is_written(run, home, tmp_path,
                                                                     command):
    # a real form where the path leads (outside the workspace): at main it was read and its
    # blank copy and template written beside it
    shutil.copy(REPO / "forms" / "complaint.yaml", tmp_path / "evil.yaml")
    sheet = complaints_csv(tmp_path / "sheet.csv", 1)
    before = every_file(tmp_path)
    result = run(*[str(sheet) if arg == "DATA" else arg for arg in command])
    assert result.exit_code == 2, result.output
    assert "'../../evil' is refused" in result.output
    assert FORM_RULE in result.output
    assert every_file(tmp_path) == before
    assert filed_documents(home) == []


@pytest.mark.parametrize(("setting", "named"), [
    ('prefix = "a/b"', "'tickets.prefix': 'a/b' is refused: a number prefix is upper-case"),
    ('prefix = ".."', "'tickets.prefix': '..' is refused"),
    ('prefix = "../x"', "'tickets.prefix': '../x' is refused"),
    ("digits = -3", "'tickets.digits' must be a whole number from 1 to 12, not -3"),
    ("digits = 0", "'tickets.digits' must be a whole number from 1 to 12, not 0"),
])
def test_a_ticket_prefix_or_width_that_cannot_name_a_folder_is_refused(run, home, tmp_path,
                                                                       setting, named):
    (home / "aftersales.toml").write_text(f"[tickets]\n{setting}\n", "utf-8")
    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")))
    assert result.exit_code == 2, result.output
    assert named in result.output
    assert "Traceback" not in result.output
    assert files_in_output(home) == []
    assert filed_documents(home) == []


@pytest.mark.parametrize(("change", "named"), [
    (("record_prefix: TS", "record_prefix: ../TS"), "record_prefix: '../TS' is refused"),
    (("record_prefix: TS", "record_prefix: TS\ntemplate: ../../x.docx"),
     "template: '../../x.docx' is refused as a file name"),
])
def test_a_workspace_form_whose_names_are_paths_is_refused(run, home, tmp_path, change, named):
    (home / "forms").mkdir()
    text = (REPO / "forms" / "complaint.yaml").read_text("utf-8")
    assert change[0] in text
    (home / "forms" / "complaint.yaml").write_text(text.replace(*change), "utf-8")
    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")))
    assert result.exit_code == 2, result.output
    assert named in result.output
    assert files_in_output(home) == []


def test_a_rulebook_version_too_long_for_a_file_name_is_refused(run, home):
    result = run("rulebook", "build", "--version", "1" * 300, "--effective", "2026-12-01")
    assert result.exit_code == 2, result.output
    assert "a record number is letters, digits, dots and hyphens" in result.output
    assert files_in_output(home) == []


# --- containment -------------------------------------------------------------------------------


def test_a_symlinked_folder_in_output_pointing_outside_is_refused(run, home, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (home / "output").mkdir()
    # the folder the first ticket's documents go to
    (home / "output" / "SH-2026-000001").symlink_to(outside)
    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")))
    assert result.exit_code == 2, result.output
    assert f"resolves to {outside.resolve()}" in result.output
    assert "outside" in result.output and "nothing was written" in result.output
    assert list(outside.iterdir()) == []
    assert filed_documents(home) == []
    # the number is voided, not left in flight: the next complaint files normally
    again = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")))
    assert again.exit_code == 0, again.output
    assert list(outside.iterdir()) == []


def test_a_symlinked_workspace_folder_is_refused_for_blank_forms_and_templates(run, home,
                                                                               tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    for folder in ("blank-forms", "templates"):
        (home / folder).symlink_to(outside)
    for command in (("forms", "blank", "complaint"), ("forms", "template", "complaint")):
        result = run(*command)
        assert result.exit_code == 2, result.output
        assert "outside" in result.output
    assert list(outside.iterdir()) == []


# --- modes -------------------------------------------------------------------------------------


@pytest.fixture
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


@pytest.mark.parametrize("umask", [0o022, 0o027], indirect=True)
def test_every_written_file_is_as_readable_as_the_umask_says(run, home, tmp_path, umask):
    inputs = tmp_path / "in"
    inputs.mkdir()
    complaint = run("fill", "complaint", "--data", str(write_sample(inputs, "complaint")),
                    "--format", "docx,pdf,xlsx,csv", "--json")
    assert complaint.exit_code == 0, complaint.output
    ticket = json.loads(complaint.output)["ticket"]
    agreement = run("fill", "minor-works-agreement", "--ticket", ticket, "--json", "--data",
                    str(write_sample(inputs, "minor-works-agreement", ticket)))
    assert agreement.exit_code == 0, agreement.output
    photo = inputs / "site1.jpg"
    Image.new("RGB", (120, 90), (180, 200, 220)).save(photo)
    commands = [
        ("packet", "build", "--agreement", json.loads(agreement.output)["record_no"],
         "--attach", str(photo)),
        ("batch", "complaint", "--data", str(complaints_csv(inputs / "sheet.csv", 2, bad={2})),
         "--jobs", "1", "--format", "pdf", "--combine"),
        ("forms", "blank", "complaint"),
        ("forms", "template", "complaint"),
        ("rulebook", "build", "--version", "1.0", "--effective", "2026-12-01", "--format",
         "pdf"),
        ("summary", "monthly", "--period", "2026-11", "--format", "pdf,docx"),
    ]
    for command in commands:
        result = run(*command)
        refused_row = command[0] == "batch"  # exit 2: it reports its bad row
        assert result.exit_code == (2 if refused_row else 0), result.output
    written = every_file(home)
    kinds = {p.relative_to(home).parts[0] for p in written}
    assert {"output", "batches", "blank-forms", "templates"} <= kinds
    assert any(p.name.startswith("packet_") for p in written)
    assert any(p.name.startswith("rulebook-") for p in written)
    assert any(p.name.endswith("errors.csv") for p in written)
    wanted = 0o666 & ~umask
    modes = {p.relative_to(home).as_posix(): oct(stat.S_IMODE(p.stat().st_mode))
             for p in written}
    assert {path: mode for path, mode in modes.items() if mode != oct(wanted)} == {}


# --- overwriting -------------------------------------------------------------------------------


def test_forms_blank_twice_refuses_naming_the_files_and_force_overwrites(run, home):
    first = run("forms", "blank", "complaint")
    assert first.exit_code == 0, first.output
    docx, pdf = (home / "blank-forms" / f"complaint.{fmt}" for fmt in ("docx", "pdf"))
    pdf.write_bytes(b"kept")
    again = run("forms", "blank", "complaint")
    assert again.exit_code == 2, again.output
    assert f"{docx}, {pdf} exist; use --force to overwrite them" in again.output
    assert pdf.read_bytes() == b"kept"
    forced = run("forms", "blank", "complaint", "--force")
    assert forced.exit_code == 0, forced.output
    assert pdf.read_bytes().startswith(b"%PDF")


# --- failed writes -----------------------------------------------------------------------------


def big_complaint(folder: Path) -> Path:
    """A complaint whose PDF is large (over half a megabyte): a thousand different characters
    in each long field, each a glyph of the embedded font."""
    many = "".join(chr(0x4E00 + 3 * i) for i in range(1000))
    folder.mkdir()
    return write_sample(folder, "complaint", description=many,
                        remarks="".join(chr(0x6000 + 3 * i) for i in range(1000)))


def limited(args: list, home: Path, limit: int) -> tuple[int, str, str]:
    """`aftersales ARGS` in a process that may not write a file past `limit` bytes (Python
    ignores SIGXFSZ, so the write raises EFBIG)."""
    def set_limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return finish_process(start_process([sys.executable, "-m", "generator", *args], home,
                                        preexec_fn=set_limit))


def index_size(home: Path) -> int:
    return (home / "output" / "index.sqlite3").stat().st_size


@pytest.mark.parametrize("command", ["fill", "batch", "packet"])
def test_a_write_past_the_file_size_limit_fails_cleanly(run, home, tmp_path, command):
    data = big_complaint(tmp_path / "big")
    sheet = tmp_path / "big.jsonl"
    sheet.write_text(data.read_text("utf-8") + "\n", "utf-8")
    opened = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                 "--json")
    assert opened.exit_code == 0, opened.output
    ticket = json.loads(opened.output)["ticket"]
    args = {"fill": ["fill", "complaint", "--data", data, "--format", "pdf"],
            "batch": ["batch", "complaint", "--data", sheet, "--jobs", "1", "--format", "pdf"]}
    if command == "packet":
        agreement = run("fill", "minor-works-agreement", "--ticket", ticket, "--json",
                        "--data", str(write_sample(tmp_path, "minor-works-agreement", ticket)))
        assert agreement.exit_code == 0, agreement.output
        photo = tmp_path / "noise.png"
        Image.frombytes("RGB", (600, 600), os.urandom(600 * 600 * 3)).save(photo)
        args["packet"] = ["packet", "build", "--agreement",
                          json.loads(agreement.output)["record_no"], "--attach", photo]
    documents = filed_documents(home)
    # room for the index to grow by a command's worth, not for the new document
    code, out, err = limited(args[command], home, index_size(home) + 200_000)
    assert code == 1, out + err
    assert "File too large" in err and "nothing was left half-written" in err
    assert "Traceback" not in err
    assert temporary_files(home) == []
    assert filed_documents(home) == documents
    assert files_in_output(home) == sorted(f"output/{path}" for path in documents)


def test_a_blank_form_past_the_file_size_limit_fails_cleanly(home, tmp_path):
    code, out, err = limited(["forms", "blank", "complaint", "--format", "pdf"], home, 8_000)
    assert code == 1, out + err
    assert "File too large" in err and "Traceback" not in err
    assert temporary_files(home) == []
    assert not (home / "blank-forms" / "complaint.pdf").exists()
