"""`aftersales rulebook build`: the rulebook rendered as PDF and DOCX and recorded in the index
under its version."""

from __future__ import annotations

import datetime as dt
import json
import re

from generator.documents.fill import FillResult, parse_formats, recording
from generator.errors import ConfigError, UsageError
from generator.records.index import index_of
from generator.render.fonts import find_cjk_font
from generator.rulebook.docx import render_rulebook_docx
from generator.rulebook.model import FORM_NAME, edition, inspect
from generator.rulebook.pdf import render_rulebook_pdf
from generator.workspace import Workspace


def build(workspace: Workspace, version: str, effective: dt.date,
          formats: str | list[str] | None = None):
    """Build and index the rulebook. A version, once built, is never rebuilt."""
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.\-]*", version):
        raise UsageError(f"--version: use letters, digits, dots and hyphens (like 2.1); "
                         f"got {version!r}")
    rulebook, problems = inspect(workspace)
    if problems:
        raise ConfigError("the rulebook's sources have problems; nothing was built:\n"
                          + "\n".join(f"  - {p}" for p in problems))
    if any(d["record_no"] == version for d in index_of(workspace).documents(form=FORM_NAME)):
        raise UsageError(f"rulebook version {version} is already built (see `aftersales index "
                         f"list --form rulebook`); a controlled version is never rebuilt — "
                         f"give a new --version")
    chosen = parse_formats(formats, workspace)
    info = edition(workspace, rulebook, version, effective)
    contents = {}
    if "pdf" in chosen:
        contents["pdf"] = render_rulebook_pdf(workspace, rulebook, info,
                                              find_cjk_font(workspace.config))
    if "docx" in chosen:
        contents["docx"] = render_rulebook_docx(workspace, rulebook, info)

    stamp = dt.datetime.now().isoformat(sep=" ", timespec="seconds")
    data = json.dumps({"version": version, "effective": effective.isoformat(),
                       "chapters": [c.title for c in rulebook.chapters]}, ensure_ascii=False)
    source = (f"rulebook:{len(rulebook.sources)} sources", rulebook.fingerprint())
    result = FillResult(FORM_NAME, None, version)
    with recording(workspace) as recorder:
        for fmt in chosen:
            final = workspace.output_dir / FORM_NAME / f"rulebook-v{version}.{fmt}"
            result.documents.append(recorder.write(
                final, contents[fmt], ticket=None, form=FORM_NAME, record_no=version, fmt=fmt,
                data=data, source=source, stamp=stamp))
    return result
