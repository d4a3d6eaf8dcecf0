"""The small text markup of the rulebook and of agreement clauses, and its placeholders.

Line-based on purpose, so a clerk can edit it in any editor:

    # chapter title          ## section          ### sub-section
    a paragraph (one line)   - bullet item       1. numbered item
    | a | b |  pipe tables (the |---| line is skipped)
    @approval  @figure NAME  @form NAME  @lifecycle      (directives, alone on a line)

Placeholders are Jinja expressions (`{{ company.name }}`) rendered in a sandbox with strict
undefined values, so a misspelt name is reported instead of printing blank. Their values go
into the blocks after the markup is read (`parse_filled`): data is never markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment

DIRECTIVES = ("approval", "figure", "form", "lifecycle")
# A bullet item's mark as printed: one CJK fonts have (WenQuanYi Zen Hei lacks "•", U+2022, so
# the PDF left it blank and LibreOffice drew it in another font).
BULLET = "●"


@dataclass
class Block:
    kind: str  # heading, paragraph, bullet, numbered, table, directive
    text: str = ""
    level: int = 0  # heading level; 0 otherwise
    rows: list[list[str]] = field(default_factory=list)  # table rows, header first
    argument: str = ""  # a directive's argument: @form complaint → "complaint"
    line: int = 0


_ENV = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)
_NUMBERED = re.compile(r"^(\d+)[.、]\s+(.*)$")


def placeholders(text: str) -> set[str]:
    """Top-level names the text uses ({{ company.name }} → company)."""
    return meta.find_undeclared_variables(_ENV.parse(text))


_PLACEHOLDER = re.compile(r"{{(.*?)}}")
_MISSING = re.compile(r"has no attribute '([^']+)'|'([^']+)' is undefined")
# While the markup is read, each placeholder's value is held by a marker: characters of the
# private use area, which no markup line starts with and no template may hold.
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"
_MARKER = re.compile(f"{_MARK_OPEN}(\\d+){_MARK_CLOSE}")


def parse_filled(text: str, values: dict[str, Any], source: str = "",
                 problems: list[str] | None = None) -> list[Block]:
    """Blocks of the markup, with their placeholders filled. The markup is read before the
    values go in, so a value prints as typed whatever it starts with (`# `, `- `, `@`, `|`)
    or holds (line breaks stay in its block; `{{ }}` is text, never evaluated). Jinja
    statements ({% if %} … {% endif %}) may still span lines: they run before the parse.
    A placeholder that cannot be filled raises ValueError naming file and line, or with
    `problems` is recorded there, and the raw text is read on so the rest can be checked."""
    held: list[str] = []
    try:
        marked = _render(text, values, source, held)
    except ValueError as exc:
        if problems is None:
            raise
        problems.append(str(exc))
        marked = text
    return [_put_values(block, held) for block in parse(marked, source, problems)]


def _render(text: str, values: dict[str, Any], source: str, held: list[str]) -> str:
    """The template rendered with a marker in place of each placeholder's value (in `held`)."""
    for number, line in enumerate(text.splitlines(), 1):
        if _MARK_OPEN in line or _MARK_CLOSE in line:
            raise ValueError(f"{source}:{number}: characters U+E000 and U+E001 are reserved")

    def hold(value: Any) -> str:
        held.append(str(value))  # an undefined name raises here, as Jinja's own output would
        return f"{_MARK_OPEN}{len(held) - 1}{_MARK_CLOSE}"

    environment = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True,
                                       finalize=hold)
    try:
        return environment.from_string(text).render(values)
    except UndefinedError as exc:
        raise ValueError(_unknown_placeholder(text, exc.message or "", source, values)) from exc
    except TemplateSyntaxError as exc:
        raise ValueError(f"{source}:{exc.lineno}: bad placeholder syntax: {exc.message}") from exc


def _put_values(block: Block, held: list[str]) -> Block:
    def put(text: str) -> str:
        return _MARKER.sub(lambda match: held[int(match.group(1))], text)

    block.text, block.argument = put(block.text), put(block.argument)
    block.rows = [[put(cell) for cell in row] for row in block.rows]
    return block


def _unknown_placeholder(text: str, message: str, source: str, values: dict) -> str:
    """'file:line: unknown placeholder {{ company.nmae }}', found from Jinja's message."""
    match = _MISSING.search(message)
    name = (match.group(1) or match.group(2)) if match else ""
    for number, line in enumerate(text.splitlines(), 1):
        for expression in _PLACEHOLDER.findall(line):
            if name and re.search(rf"\b{re.escape(name)}\b", expression):
                return (f"{source}:{number}: unknown placeholder {{{{ {expression.strip()} }}}}"
                        f" (known names: {', '.join(sorted(values))})")
    return f"{source}: unknown placeholder: {message}"


def parse(text: str, source: str = "", problems: list[str] | None = None) -> list[Block]:
    """Blocks of the markup. An unknown directive raises ValueError, or with `problems` is
    recorded there and skipped, so a check can go on to report everything else."""
    blocks: list[Block] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            hashes = len(line) - len(line.lstrip("#"))
            blocks.append(Block("heading", line[hashes:].strip(), level=hashes, line=number))
        elif line.startswith("@"):
            name, _, argument = line[1:].partition(" ")
            if name not in DIRECTIVES:
                message = (f"{source}:{number}: unknown directive @{name} "
                           f"(known: {', '.join('@' + d for d in DIRECTIVES)})")
                if problems is None:
                    raise ValueError(message)
                problems.append(message)
                continue
            blocks.append(Block("directive", name, argument=argument.strip(), line=number))
        elif line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if all(set(c) <= set("-: ") for c in cells):
                continue  # the header separator
            if blocks and blocks[-1].kind == "table":
                blocks[-1].rows.append(cells)
            else:
                blocks.append(Block("table", rows=[cells], line=number))
        elif line.startswith(("- ", "* ")):
            blocks.append(Block("bullet", line[2:].strip(), line=number))
        elif match := _NUMBERED.match(line):
            blocks.append(Block("numbered", match.group(2), argument=match.group(1), line=number))
        else:
            blocks.append(Block("paragraph", line, line=number))
    return blocks
