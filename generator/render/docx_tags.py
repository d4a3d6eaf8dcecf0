"""What docxtpl makes of a DOCX template: the Jinja source of each part, and the tags it mangles.

docxtpl does not read a template as a document: it cleans each part's XML with regular
expressions (`DocxTemplate.patch_xml`) and compiles the result as one Jinja template. A tag that
Word split into several runs of one paragraph is repaired there — the XML between its pieces is
deleted, so the tag takes its first run's formatting. The same deletion is what mangles a tag
whose pieces lie in different paragraphs, table cells, or inside and outside a hyperlink, a
tracked change or a content control: paragraphs merge, a table row loses cells, or the part's
XML is left unbalanced (the body is then silently "recovered" by lxml, a header fails to load).
No error is raised for any of these, so `split_tags` finds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from zipfile import BadZipFile

from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from lxml.etree import XMLSyntaxError

from generator.errors import ConfigError, escape_invisible, shorten

W_P, W_T = qn("w:p"), qn("w:t")
FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
# The core properties docxtpl renders as templates too (DocxTemplate.render_properties).
PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
# What holds a run besides a paragraph, as a person editing in Word knows it.
CONTAINERS = {"hyperlink": "a hyperlink", "ins": "a tracked insertion",
              "moveTo": "a tracked move", "smartTag": "a smart tag",
              "sdtContent": "a content control", "fldSimple": "a field",
              "customXml": "a custom XML element", "p": "the paragraph"}
TAG_BEGIN = {"variable_begin": "variable_end", "block_begin": "block_end",
             "comment_begin": "comment_end"}


@dataclass
class TemplatePart:
    """One part of a template as docxtpl compiles it: `source` has a paragraph per line
    (docxtpl's own layout, so Jinja's line numbers name paragraphs), `lines` their text."""

    name: str  # body, header1, footer2, footnotes, title (a document property)
    source: str

    def text_of_line(self, number: int) -> str:
        """What a person sees of the source's line `number` (from 1): its text, tags included."""
        lines = self.source.splitlines()
        line = lines[number - 1] if 0 < number <= len(lines) else ""
        return re.sub(r"<[^>]+>", "", line)


@dataclass
class SplitTag:
    """A tag docxtpl cannot repair: `tag` as a person reads it, the text of its paragraph."""

    part: str
    tag: str
    paragraph: str
    reason: str


def open_template(path: Path) -> DocxTemplate:
    """The template read as docxtpl reads it; ConfigError naming the file if it is no DOCX."""
    document = DocxTemplate(str(path))
    try:
        document.init_docx()
    except (PackageNotFoundError, BadZipFile, KeyError, XMLSyntaxError) as exc:
        raise ConfigError(f"{path}: not a Word (DOCX) file that can be read: {exc}") from exc
    return document


def _part_name(part) -> str:
    name = str(part.partname).rsplit("/", 1)[-1].removesuffix(".xml")
    return "body" if name == "document" else name


def _xml_parts(document: DocxTemplate):
    """(name, XML text) of every part docxtpl renders: the body, headers, footers, footnotes."""
    yield "body", document.get_xml()
    for uri in (document.HEADER_URI, document.FOOTER_URI):
        for _, part in document.get_headers_footers(uri):
            yield _part_name(part), document.get_part_xml(part)
    for part in document.docx.part.package.parts:
        if part.content_type == FOOTNOTES:
            yield _part_name(part), part.blob.decode("utf-8")


def template_parts(document: DocxTemplate) -> list[TemplatePart]:
    """The Jinja source docxtpl compiles for each part of the template, and each document
    property that holds text."""
    parts = []
    for name, xml in _xml_parts(document):
        patched = document.patch_xml(xml)
        # render_xml_part's own step: each paragraph starts a line
        parts.append(TemplatePart(name, re.sub(r"<w:p([ >])", r"\n<w:p\1", patched)))
    properties = document.docx.core_properties
    parts += [TemplatePart(name, getattr(properties, name)) for name in PROPERTIES
              if getattr(properties, name)]
    return parts


def split_tags(document: DocxTemplate, environment: SandboxedEnvironment) -> list[SplitTag]:
    """Every tag of the template whose pieces docxtpl would join by deleting document
    structure: one not closed in its paragraph, or one whose runs sit in different containers
    of the paragraph."""
    found = []
    for name, xml in _xml_parts(document):
        root = parse_xml(xml.encode("utf-8"))
        for paragraph in root.iter(W_P):
            found += _split_in_paragraph(name, paragraph, environment)
    return found


def _split_in_paragraph(part: str, paragraph, environment) -> list[SplitTag]:
    # the paragraph's own text elements (a text box's paragraphs are paragraphs of their own)
    pieces = [t for t in paragraph.iter(W_T) if next(t.iterancestors(W_P)) is paragraph]
    text = "".join(t.text or "" for t in pieces)
    if "{" not in text:
        return []
    owners = [t for t in pieces for _ in (t.text or "")]  # the w:t of each character
    shown = shorten(escape_invisible(text, keep=""), 80)
    found = []
    for start, end, closed in _tags(text, environment):
        tag = text[start:end]
        if not closed:
            found.append(SplitTag(part, tag, shown, "the tag is not closed in its paragraph: "
                                  "it runs on into the next paragraph or table cell, which "
                                  "docxtpl would merge into this one"))
            continue
        holders = {owners[i].getparent().getparent() for i in range(start, end)}
        if len(holders) > 1:
            kinds = sorted({CONTAINERS.get(h.tag.rsplit("}", 1)[-1], h.tag) for h in holders
                            if h is not paragraph})
            found.append(SplitTag(part, tag, shown,
                                  f"the tag is partly inside {' and '.join(kinds)}; docxtpl "
                                  f"would leave the XML unbalanced — retype the tag in one go, "
                                  f"outside it (accept tracked changes first)"))
    return found


def _tags(text: str, environment) -> list[tuple[int, int, bool]]:
    """(start, end, closed) of each Jinja tag in `text`, found by Jinja's own lexer."""
    try:
        tokens = list(environment.lex(text))
    except TemplateSyntaxError:
        return []  # the syntax check reports it
    spans, offset, start, closing = [], 0, None, None
    for _, kind, value in tokens:
        if kind in TAG_BEGIN and start is None:
            start, closing = offset, TAG_BEGIN[kind]
        offset += len(value)
        if kind == closing:
            spans.append((start, offset, True))
            start, closing = None, None
    if start is not None:
        spans.append((start, len(text), False))
    return spans
