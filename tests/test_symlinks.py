"""`index verify` reports every symlink in the document store as a problem, naming the link and
its target: a document is a file, never a link (what a link shows can change without the link
changing, and one pointing outside reaches files the store should not)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


def _document(home: Path, complaint: dict, fmt: str = "pdf") -> Path:
    return home / next(d["path"] for d in complaint["documents"] if d["format"] == fmt)


def _verify(run) -> list[str]:
    result = run("index", "verify", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert not report["ok"]
    return report["problems"]


def test_a_link_to_a_file_outside_the_workspace(run, home, complaint, tmp_path):
    """The issue's example: such a link crashed verify or passed as a plain stray file."""
    secret = tmp_path / "secret.txt"
    secret.write_text("not a document")
    os.symlink(secret, home / "output" / "leak.pdf")
    assert _verify(run) == [f"symlink: output/leak.pdf -> {secret}: points outside the "
                            f"workspace; remove it (documents are files, never links)"]


def test_a_link_to_an_indexed_document(run, home, complaint):
    target = _document(home, complaint)
    os.symlink(target.name, target.parent / "copy.pdf")
    shown = target.relative_to(home).as_posix()
    assert _verify(run) == [f"symlink: {Path(shown).parent}/copy.pdf -> {target.name}: a second "
                            f"name for the indexed document {shown}; remove it (documents are "
                            f"files, never links)"]


def test_an_indexed_document_replaced_by_a_link(run, home, complaint, tmp_path):
    target = _document(home, complaint)
    kept = tmp_path / "kept.pdf"
    target.rename(kept)
    target.symlink_to(kept)
    problems = _verify(run)
    assert problems == [f"symlink: {target.relative_to(home).as_posix()} -> {kept}: points "
                        f"outside the workspace; remove it (documents are files, never links)"]


def test_a_dangling_link(run, home, complaint):
    os.symlink("/nowhere/at/all.pdf", home / "output" / "gone.pdf")
    assert _verify(run) == ["symlink: output/gone.pdf -> /nowhere/at/all.pdf: dangling (its "
                            "target cannot be reached); remove it (documents are files, never "
                            "links)"]


@pytest.mark.parametrize("where", ["outside", "inside"])
def test_a_linked_folder(run, home, complaint, tmp_path, where):
    folder = tmp_path / "elsewhere" if where == "outside" else home / "templates"
    folder.mkdir()
    (folder / "stray.pdf").write_bytes(b"%PDF-")
    os.symlink(folder, home / "output" / "more")
    assert _verify(run) == [f"symlink: output/more -> {folder}: a linked folder {where} the "
                            f"workspace, whose files are not checked; remove it (documents are "
                            f"files, never links)"]


def test_the_human_report_names_every_link_and_keeps_the_exit_code(run, home, complaint,
                                                                  tmp_path):
    os.symlink(tmp_path, home / "output" / "up")
    os.symlink("missing", home / "output" / "down")
    result = run("index", "verify")
    assert result.exit_code == 1
    assert "2 problem(s) in" in result.output
    assert "  - symlink: output/down -> missing: dangling" in result.output
    assert f"  - symlink: output/up -> {tmp_path}: a linked folder outside" in result.output
