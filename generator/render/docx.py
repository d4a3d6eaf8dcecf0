"""Context → DOCX with docxtpl, in a sandboxed, autoescaping Jinja environment.

Autoescape keeps `& < >` in data from breaking the document XML (docxtpl's default would mangle
them); the sandbox keeps a user-edited template from reaching into Python. Values are only ever
substituted, never evaluated, so `{{ }}` in data prints as typed. A tag naming an unknown key
is an error, not a blank.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

from docx.shared import Cm, Emu
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from generator.errors import ConfigError
from generator.render.docx_template import use_font
from generator.render.fonts import CJKFont


class _Environment(SandboxedEnvironment):
    """docxtpl compiles each XML part of the template on every render; the parts of a given
    template never change, so keep the compiled ones (most of a render's time otherwise)."""

    @functools.lru_cache(maxsize=256)  # noqa: B019 (one environment lives as long as the process)
    def from_string(self, source, globals=None, template_class=None):
        return super().from_string(source, globals, template_class)


_ENVIRONMENT = _Environment(undefined=StrictUndefined, autoescape=True)


def jinja_environment() -> SandboxedEnvironment:
    """The environment every DOCX template renders in, for a check to parse templates in."""
    return _ENVIRONMENT


class _Template(DocxTemplate):
    """docxtpl cleans each XML part with some forty regular expressions before every render;
    the result depends on the part's XML alone (patch_xml reads no state), so keep it."""

    def patch_xml(self, src_xml: str) -> str:
        return _patched(src_xml)


@functools.lru_cache(maxsize=256)
def _patched(src_xml: str) -> str:
    return DocxTemplate.patch_xml(_Template.__new__(_Template), src_xml)


def render_docx(template: Path, ctx: dict[str, Any], font: CJKFont | None = None) -> bytes:
    """The template filled with `ctx`, its text in `font`, the workspace's CJK font, as the
    PDF's (without one, in the template's own font). A layout's charts (ctx["charts"]) go in
    as pictures, drawn in `font` (needed when there are charts), and its QR codes
    (ctx["qr_codes"]) as pictures too."""
    document = _Template(str(template))
    if font is not None:
        document.init_docx()
        use_font(document.docx, font.family)
    if any(ctx.get("charts") or ()):
        ctx = {**ctx, "charts": _chart_pictures(document, ctx["charts"], font)}
    if "qr_codes" in ctx:
        ctx = {**ctx, "qr_codes": _qr_pictures(document, ctx["qr_codes"])}
    try:
        document.render(ctx, jinja_env=_ENVIRONMENT, autoescape=True)
    except TemplateError as exc:
        raise ConfigError(f"template {template}: {exc}") from exc
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _chart_pictures(document: DocxTemplate, charts: list, font: CJKFont | None) -> list:
    """Each chart's picture (None where the layout has no chart), as wide as the template's
    text column: a PNG of what the PDF draws (render/charts.py)."""
    from generator.render.charts import png

    if font is None:
        raise ValueError("render_docx: a layout with charts needs the CJK font to draw them")
    document.init_docx()
    section = document.docx.sections[-1]  # the body's own section properties
    width = Emu(section.page_width - section.left_margin - section.right_margin)
    pictures = []
    for chart in charts:
        if not chart:
            pictures.append(chart)
            continue
        picture = png(chart, width.pt, font)
        pictures.append(InlineImage(document, io.BytesIO(picture), width=width,
                                    height=Cm(chart["height"])))
    return pictures


QR_SIZE_CM = 2.2  # fits the grid's last column (render/docx_template.py)


def _qr_pictures(document: DocxTemplate, texts: list[str | None]) -> list:
    """Each QR code's picture ("" where the layout has none, or the form is blank)."""
    if not any(texts):
        return ["" for _ in texts]  # without loading reportlab's barcodes and PIL (~60 ms)
    from generator.render.qr import qr_png

    return [InlineImage(document, io.BytesIO(qr_png(text)), width=Cm(QR_SIZE_CM))
            if text else "" for text in texts]
