"""The bundled DOCX templates are what `aftersales forms template` makes from the layouts, so
a layout and its template cannot drift apart unnoticed."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

from generator.documents.forms import list_forms, load_form
from generator.render.docx_template import build_template
from generator.workspace import DEFAULT_CONFIG, Workspace
from tests.conftest import REPO

BUNDLED = Workspace(root=REPO / "tests", config=DEFAULT_CONFIG)  # no forms/ here: bundled only
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def texts(docx_bytes: bytes) -> dict[str, list[str]]:
    """The text runs of each part with text (body, header, footer), in order."""
    parts = {}
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as archive:
        for name in archive.namelist():
            if name.startswith("word/") and name.endswith(".xml") and (
                    "document" in name or "header" in name or "footer" in name):
                tree = etree.fromstring(archive.read(name))
                parts[name] = [t.text or "" for t in tree.iter(f"{W}t", f"{W}instrText")]
    return parts


@pytest.mark.parametrize("name", list_forms(BUNDLED))
def test_bundled_template_matches_its_layout(name):
    form = load_form(BUNDLED, name)
    committed = (REPO / "templates" / form.template_name).read_bytes()
    assert texts(committed) == texts(build_template(form)), (
        f"templates/{form.template_name} is out of date with forms/{name}.yaml; "
        f"run: aftersales forms template {name} --force (in the repository)"
    )
