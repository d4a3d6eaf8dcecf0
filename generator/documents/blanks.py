"""Copies of a form that are no record: blank forms to fill in by hand, and a starting DOCX
template. Written into the workspace (or where the user says), never over an existing file
unless forced."""

from __future__ import annotations

from pathlib import Path

from generator.documents.fill import parse_formats, render_blank
from generator.documents.forms import load_form
from generator.errors import UsageError
from generator.files import inside, refuse_existing, write_atomically
from generator.workspace import Workspace

BLANKS = "blank-forms"  # the workspace's folder of blank forms


def write_blank(workspace: Workspace, form_name: str, directory: Path | None = None,
                formats: str | list[str] | None = None, language: str | None = None,
                force: bool = False) -> list[Path]:
    """Write `form_name` blank in each format to `directory` (default: blank-forms/ in the
    workspace); refuses, writing none, when any of the files exists and not `force`."""
    contents = render_blank(workspace, form_name, formats, language)
    within = None if directory else workspace.root
    folder = directory or workspace.root / BLANKS
    targets = {folder / f"{form_name}.{fmt}": content for fmt, content in contents.items()}
    _write_all(targets, within, force)
    return list(targets)


def blank_in_one_format(workspace: Workspace, form_name: str,
                        formats: str | list[str] | None = None,
                        language: str | None = None) -> bytes:
    """`form_name` blank as one file's bytes (to write to standard output): `formats` must
    name exactly one format, since one stream holds one file."""
    chosen = parse_formats(formats, workspace)
    if len(chosen) != 1:
        raise UsageError(f"-o - writes one file to standard output, and {form_name} blank in "
                         f"{','.join(chosen)} is {len(chosen)} files: choose one with --format "
                         f"(like --format pdf), or write them to a directory with -o DIR")
    return render_blank(workspace, form_name, chosen, language)[chosen[0]]


def starting_template(workspace: Workspace, form_name: str) -> bytes:
    """A starting DOCX template for `form_name`, made from its layout."""
    from generator.render.docx_template import build_template

    return build_template(load_form(workspace, form_name))


def write_template(workspace: Workspace, form_name: str, output: Path | None = None,
                   force: bool = False) -> Path:
    """Write a starting DOCX template for `form_name` to `output` (default: the form's template
    in the workspace's templates/)."""
    form = load_form(workspace, form_name)
    target = output or workspace.root / "templates" / form.template_name
    _write_all({target: starting_template(workspace, form_name)},
               None if output else workspace.root, force)
    return target


def _write_all(targets: dict[Path, bytes], within: Path | None, force: bool) -> None:
    if within is not None:
        for target in targets:
            inside(target, within, "writing")
    refuse_existing(targets, force)
    for target, content in targets.items():
        write_atomically(target, content, within=within)
