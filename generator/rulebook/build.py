"""`aftersales rulebook build`: the rulebook rendered as PDF and DOCX and recorded in the index
under its version."""

from __future__ import annotations

import datetime as dt
import json

from generator import names
from generator.documents.fill import FillResult, parse_formats
from generator.errors import ConfigError, NumberTaken, UsageError
from generator.records.filing import filing
from generator.render.fonts import find_cjk_font
from generator.rulebook.docx import render_rulebook_docx
from generator.rulebook.model import FORM_NAME, edition, inspect
from generator.rulebook.pdf import render_rulebook_pdf
from generator.workspace import Workspace


def build(workspace: Workspace, version: str, effective: dt.date,
          formats: str | list[str] | None = None):
    """Build and index the rulebook. A version, once built, is never rebuilt."""
    names.RECORD_NO.check(version, "--version")
    rulebook, problems = inspect(workspace)
    if problems:
        raise ConfigError("the rulebook's sources have problems; nothing was built:\n"
                          + "\n".join(f"  - {p}" for p in problems))
    chosen = parse_formats(formats, workspace, allowed=("pdf", "docx"))
    info = edition(workspace, rulebook, version, effective)
    data = json.dumps({"version": version, "effective": effective.isoformat(),
                       "chapters": [c.title for c in rulebook.chapters]}, ensure_ascii=False)
    source = (f"rulebook:{len(rulebook.sources)} sources", rulebook.fingerprint())

    def paths(ticket: str | None, record_no: str) -> list[str]:
        return [f"{FORM_NAME}/rulebook-v{record_no}.{fmt}" for fmt in chosen]

    try:
        with filing(workspace, form=FORM_NAME, record=version, paths=paths) as job:
            for fmt, path in zip(chosen, job.paths, strict=True):
                content = (render_rulebook_pdf(workspace, rulebook, info,
                                               find_cjk_font(workspace.config))
                           if fmt == "pdf" else render_rulebook_docx(workspace, rulebook, info))
                job.write(path, content, fmt=fmt, data=data, source=source)
    except NumberTaken as exc:
        state = "built" if exc.state == "filed" else exc.state
        raise UsageError(f"rulebook version {version} is already {state} (see `aftersales "
                         f"index list --form rulebook`); a controlled version is never rebuilt — "
                         f"give a new --version") from None
    return FillResult(FORM_NAME, None, version, job.documents)
