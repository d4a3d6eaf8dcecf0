"""One exception family for the whole library.

Every error a user can cause is an `AftersalesError`; it is also a `click.ClickException`, so the
CLI shows its message and exits with its code without any translation layer. Library code never
calls `sys.exit`.
"""

from __future__ import annotations

import click


class AftersalesError(click.ClickException):
    """Base class: a runtime failure (exit code 1)."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)


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
    """The input does not satisfy the form's schema; `problems` holds one line per failing field."""

    def __init__(self, form: str, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        noun = "field" if len(problems) == 1 else "fields"
        super().__init__(
            f"{form}: {len(problems)} {noun} failed validation; nothing was written.\n{lines}"
        )


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
