"""One exception family for the whole library.

Every error a user can cause is an `AftersalesError`; it is also a `click.ClickException`, so the
CLI shows its message and exits with its code without any translation layer. Library code never
calls `sys.exit`.
"""

from __future__ import annotations

import unicodedata

import click

# How much of a user's value a message quotes: enough to recognise it, never a whole file.
QUOTED_LENGTH = 60
# Characters that act on a terminal (ESC starts a colour or cursor sequence, CR overwrites the
# line), reorder or hide text (bidi controls, zero-width characters) or cannot be encoded at
# all (lone surrogates from undecodable file names): a message shows them as \u escapes.
INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def escape_invisible(text: str, keep: str = "\n") -> str:
    """`text` with every control, format and separator character (but those in `keep`) written
    as a `\\u` escape, so printing it shows what it holds; Chinese and other text unchanged."""
    return "".join(char if char in keep or unicodedata.category(char) not in INVISIBLE
                   else _escape(char) for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def shorten(text: str, limit: int = QUOTED_LENGTH) -> str:
    """`text` cut to `limit` characters, saying how long it was: "abc… (10,000,000 characters)"."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def quote(value: object, limit: int = QUOTED_LENGTH) -> str:
    """A user's value as a message quotes it: text in quotes ('fax'), anything else as Python
    writes it; cut to `limit` characters and with invisible characters (line breaks too)
    escaped, so a value of any length or content gives a readable one-line message."""
    if not isinstance(value, str):
        return escape_invisible(shorten(repr(value), limit), keep="")
    mark = '"' if "'" in value and '"' not in value else "'"
    shown = escape_invisible(value[:limit], keep="").replace("\\u000a", "\\n")
    more = f"… ({len(value):,} characters)" if len(value) > limit else ""
    return f"{mark}{shown}{mark}{more}"


class AftersalesError(click.ClickException):
    """Base class: a runtime failure (exit code 1)."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)

    def format_message(self) -> str:
        # Messages quote file names, keys and values a user (or an attacker) chose.
        return escape_invisible(self.message)

    def as_json(self) -> dict:
        """The error as `--json` prints it: the message and the failing fields, if any."""
        return {"error": self.format_message(), "fields": []}


class UsageError(AftersalesError):
    """Bad usage or bad input that the user can fix (exit code 2)."""

    exit_code = 2


class ConfigError(UsageError):
    """aftersales.toml, a form or a schema is wrong."""


class UnknownForm(UsageError):
    """No form of that name in the workspace or the bundled defaults."""


class UnknownTicket(UsageError):
    """The ticket number is not in the index."""


class ValidationFailed(UsageError):
    """The input does not satisfy the form's schema; `problems` holds one line per failing field,
    `fields` the same problems taken apart ({"field", "key", "label", "message"}) for --json."""

    def __init__(self, form: str, problems: list[str], fields: list[dict] | None = None) -> None:
        self.problems = problems
        self.fields = fields if fields is not None else [
            {"field": None, "key": None, "label": None, "message": p} for p in problems]
        noun = "field" if len(problems) == 1 else "fields"
        self.headline = f"{form}: {len(problems)} {noun} failed validation; nothing was written."
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{self.headline}\n{lines}")

    def as_json(self) -> dict:
        return {"error": escape_invisible(self.headline), "fields": self.fields}


class MissingDependency(AftersalesError):
    """A system component (font, converter) is not installed."""


class DamagedPdf(AftersalesError):
    """A PDF whose structure cannot be read any more: truncated, damaged, or changed so that
    its cross-reference table or objects no longer parse. A checker reports it as modified."""


class IndexUnavailable(AftersalesError):
    """The index cannot be opened: a server that does not answer, a wrong password, a database
    file that cannot be read, or a schema this version cannot use."""


class IndexBusy(AftersalesError):
    """Another process held the index longer than the configured wait."""


class NumberTaken(UsageError):
    """A record number given by the user (a rulebook version) is already filed or in flight."""

    def __init__(self, form: str, record_no: str, state: str) -> None:
        self.form, self.record_no, self.state = form, record_no, state
        super().__init__(f"{form} {record_no} is already {state}")


class RowTaken(UsageError):
    """A batch row already filed (or being filed by another process)."""

    def __init__(self, batch_key: str, record_no: str) -> None:
        self.batch_key, self.record_no = batch_key, record_no
        super().__init__(f"batch row {batch_key} is already filed as {record_no}")


class Interrupted(AftersalesError):
    """The process was asked to stop (SIGTERM) part-way; what it began was voided."""

    exit_code = 143
