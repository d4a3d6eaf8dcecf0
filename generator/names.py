"""Names that become paths: forms, tickets, record numbers, prefixes and the file names of the
document store, each checked against one strict rule before it touches a path.

A rule refuses a value with a message that names what was wrong and says the rule in words, so
`fill ../../x` or a ticket prefix `a/b` never reaches the file system.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from generator.errors import UsageError, quote

# Longest file name most file systems take, in bytes of UTF-8.
NAME_BYTES = 255
# Characters no file name may hold: path separators, and those a person cannot see or that
# turn the text around (control and format characters, separators of lines and paragraphs,
# surrogates, private-use and unassigned code points).
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True)
class NameRule:
    """What a kind of name may be: a pattern, and the same said in words for error messages."""

    what: str  # "a form name"
    pattern: re.Pattern
    words: str  # "lower-case letters, digits and hyphens …"

    def check(self, value: object, where: str, error: type[UsageError] = UsageError) -> str:
        """`value` if it follows the rule, else `error` naming `where` and the rule."""
        if isinstance(value, str) and self.pattern.fullmatch(value):
            return value
        raise error(f"{where}: {quote(value)} is refused: {self.what} is {self.words}")


FORM = NameRule(
    "a form name", re.compile(r"[a-z0-9][a-z0-9-]{0,63}"),
    "lower-case letters, digits and hyphens, starting with a letter or digit, at most 64 "
    "characters (like warranty-card)")
PREFIX = NameRule(
    "a number prefix", re.compile(r"[A-Z][A-Z0-9]{0,7}"),
    "upper-case letters A-Z and digits, starting with a letter, at most 8 characters (like SH)")
TICKET = NameRule(
    "a ticket number", re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}"),
    "letters, digits and hyphens, starting with a letter or digit, at most 40 characters "
    "(like SH-2026-000001)")
RECORD_NO = NameRule(
    "a record number", re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,39}"),
    "letters, digits, dots and hyphens, starting with a letter or digit, at most 40 characters "
    "(like TS-2026-0001 or 2.1)")
DIGITS = range(1, 13)  # a counter's width: 000001; more than 12 digits no centre will need


def check_file_name(name: str, where: str, error: type[UsageError] = UsageError) -> str:
    """One file or folder name (a document, an attachment's copy, a template): refused when it
    could leave its folder, hide, or read differently from what it is."""
    problem = _file_name_problem(name) if isinstance(name, str) else "it is not text"
    if problem:
        raise error(f"{where}: {quote(name)} is refused as a file name: {problem}")
    return name


def check_store_path(path: str, where: str) -> str:
    """A path inside the document store ("SH-2026-000001/complaint_TS-2026-0001.pdf"): relative,
    each of its parts a file name `check_file_name` accepts."""
    for part in path.split("/"):
        check_file_name(part, f"{where} {quote(path)}")
    return path


def _file_name_problem(name: str) -> str | None:
    if not name:
        return "it is empty"
    if name.startswith("."):
        return "it starts with a dot (., .. and hidden files are not documents)"
    if "/" in name or "\\" in name:
        return "it holds a slash or backslash"
    if len(name.encode("utf-8")) > NAME_BYTES:
        return f"it is longer than {NAME_BYTES} bytes"
    for char in name:
        if unicodedata.category(char) in _INVISIBLE:
            return f"it holds the invisible or control character U+{ord(char):04X}"
    return None

