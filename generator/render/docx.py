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

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from generator.errors import ConfigError


class _Environment(SandboxedEnvironment):
    """docxtpl compiles each XML part of the template on every render; the parts of a given
    template never change, so keep the compiled ones (most of a render's time otherwise)."""

    @functools.lru_cache(maxsize=256)  # noqa: B019 (one environment lives as long as the process)
    def from_string(self, source, globals=None, template_class=None):
        return super().from_string(source, globals, template_class)


_ENVIRONMENT = _Environment(undefined=StrictUndefined, autoescape=True)


class _Template(DocxTemplate):
    """docxtpl cleans each XML part with some forty regular expressions before every render;
    the result depends on the part's XML alone (patch_xml reads no state), so keep it."""

    def patch_xml(self, src_xml: str) -> str:
        return _patched(src_xml)


@functools.lru_cache(maxsize=256)
def _patched(src_xml: str) -> str:
    return DocxTemplate.patch_xml(_Template.__new__(_Template), src_xml)


def render_docx(template: Path, ctx: dict[str, Any]) -> bytes:
    document = _Template(str(template))
    try:
        document.render(ctx, jinja_env=_ENVIRONMENT, autoescape=True)
    except TemplateError as exc:
        raise ConfigError(f"template {template}: {exc}") from exc
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
