"""The one path every document takes: input → validate → enrich → render → write → index.

Nothing is written unless validation passes. The numbers are taken, the documents drawn and
written, and their rows recorded through `generator.records.filing`: a failure part-way (a
template error, a full disk, a kill) leaves no document and voids the numbers it took, so a
document exists on disk exactly when it has an index row.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from generator.documents.checks import check_dates
from generator.documents.compute import blank_tables, complete
from generator.documents.context import build_context
from generator.documents.forms import Form, load_form
from generator.documents.validate import canonical_keys, validate
from generator.errors import UnknownTicket, UsageError, ValidationFailed, shorten
from generator.records.filing import WrittenDocument, filing
from generator.records.index import Numbering, Opening, index_of
from generator.render.fonts import find_cjk_font
from generator.tickets import procedure
from generator.tickets.lifecycle import load_lifecycle
from generator.workspace import Workspace, sha256_file

FORMATS = ("docx", "pdf", "xlsx", "csv")


@dataclass
class FillResult:
    form: str
    ticket: str | None
    record_no: str
    documents: list[WrittenDocument] = field(default_factory=list)
    opened_ticket: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "ticket": self.ticket,
            "record_no": self.record_no,
            "documents": [
                {"path": d.path, "format": d.format, "sha256": d.sha256} for d in self.documents
            ],
        }


def to_json(data: dict[str, Any]) -> str:
    """Validated data as stored in the index: dates ISO, money as a decimal string."""

    def encode(value: Any) -> Any:
        if isinstance(value, dt.date | dt.time):
            return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        raise TypeError(f"cannot store {type(value).__name__}")

    # allow_nan=False: NaN and Infinity are not JSON; no reader of the index could load them
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=encode, allow_nan=False)


def parse_formats(formats: str | list[str] | None, workspace: Workspace,
                  allowed: tuple[str, ...] = FORMATS) -> list[str]:
    if formats is None:
        chosen = [f for f in workspace.config["documents"]["formats"] if f in allowed]
    elif isinstance(formats, str):
        chosen = [f.strip().lower() for f in formats.split(",") if f.strip()]
    else:
        chosen = list(formats)
    unknown = [f for f in chosen if f not in allowed]
    if unknown or not chosen:
        raise UsageError(f"--format: expected a comma-separated list of {', '.join(allowed)}; "
                         f"got {','.join(chosen) or 'nothing'}")
    return list(dict.fromkeys(chosen))


def apply_defaults(form: Form, data: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """Fill `meta.default: now|today` fields the input leaves out."""
    filled = dict(data)
    for key, fld in form.fields.items():
        default = fld.meta.get("default")
        if key in filled or default is None:
            continue
        filled[key] = {"now": now.replace(second=0, microsecond=0), "today": now.date()}.get(
            default, default
        )
    return filled


def inherit(form: Form, data: dict[str, Any], ticket: dict[str, Any] | None) -> dict[str, Any]:
    """Copy the ticket's owner, room and the like into a follow-on record that leaves them out."""
    if not ticket or not form.inherit:
        return data
    opening = json.loads(ticket["data"])
    filled = dict(data)
    for key in form.inherit:
        if key not in filled and key in opening:
            filled[key] = opening[key]
    return filled


def resolve_ticket(workspace: Workspace, form: Form, ticket: str | None) -> dict | None:
    if ticket is None:
        if form.ticket_mode == "requires":
            raise UsageError(
                f"form '{form.name}' belongs to a ticket: give --ticket NO "
                f"(a complaint opens one; see `aftersales index list`)"
            )
        return None
    if form.ticket_mode == "none":
        raise UsageError(f"form '{form.name}' belongs to no ticket; leave out --ticket")
    found = index_of(workspace, write=True).ticket(ticket)
    if found is None:
        raise UnknownTicket(f"unknown ticket {shorten(ticket)}; see `aftersales index list` "
                            f"for tickets")
    return found


def prefill(
    workspace: Workspace, form: Form, data: dict[str, Any], ticket: str | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The input with defaults and the ticket's inherited values added (what prompts skip)."""
    if not isinstance(data, dict):
        raise ValidationFailed(form.name, ["the input must be a mapping of field: value"])
    data = canonical_keys(form, data)
    return inherit(form, apply_defaults(form, data, now), resolve_ticket(workspace, form, ticket))


def prepare(
    workspace: Workspace, form: Form, data: dict[str, Any], ticket: str | None,
    now: dt.datetime, language: str | None = None,
) -> dict[str, Any]:
    """Prefilled and validated: the data that will be rendered (in any format: every format
    takes the same characters)."""
    return _prepared(workspace, form, data, ticket, now, language)[0]


def _prepared(
    workspace: Workspace, form: Form, data: dict[str, Any], ticket: str | None,
    now: dt.datetime, language: str | None,
) -> tuple[dict[str, Any], dict | None]:
    """The validated data with its computed columns filled in, its dates and figures checked
    against each other (and the form's computed fields) and the ticket's history; and the
    ticket's row."""
    # one character policy for every format: what the PDF could not print, no format takes
    font = find_cjk_font(workspace.config)
    if not isinstance(data, dict):
        raise ValidationFailed(form.name, ["the input must be a mapping of field: value"])
    found = resolve_ticket(workspace, form, ticket)
    data = inherit(form, apply_defaults(form, canonical_keys(form, data), now), found)
    language = language or workspace.language
    valid = validate(form, data, font.can_draw)
    clean, computed, problems = complete(form, valid, language, workspace)
    if problems:
        raise ValidationFailed(form.name, problems)
    facts = json.loads(found["facts"]) if found else None
    problems = check_dates(form, {**clean, **computed}, facts,
                           lambda number: index_of(workspace).ticket(number) is not None,
                           language)
    if problems:
        raise ValidationFailed(form.name, problems)
    return clean, found


def plan_ticket(workspace: Workspace, form: Form, clean: dict[str, Any], found: dict | None,
                opens: bool, now: dt.datetime) -> tuple[Opening | None, list, str | None]:
    """What filing `form` does to its ticket: the opening (a new ticket's first facts), the
    moves and updates the procedure prescribes, and the state they are planned from."""
    if not opens and found is None:
        return None, [], None
    lifecycle = load_lifecycle(workspace)
    config = workspace.config
    own = {key: _fact(clean[key]) for key in form.definition.get("facts") or [] if key in clean}
    by = os.environ.get("AFTERSALES_USER") or getpass.getuser()
    opening = None
    if opens:
        at = procedure.stamp(clean.get(form.definition.get("time")) or now)
        state = form.definition.get("stage") or lifecycle.initial
        facts = {**procedure.opening(lifecycle, config, clean, at), **own}
        opening = Opening(to_json(clean), state, facts)
        number = "(new)"
    else:
        state, facts, number = found["state"], json.loads(found["facts"]), found["number"]
    try:
        changes = procedure.form_changes(lifecycle, config, form.name, form.definition, clean,
                                         number, state, {**facts, **own}, by)
    except procedure.UnitRefused as exc:
        raise _unit_refused(form, exc) from exc
    if own and not opens:
        if changes:
            changes[0].sets = {**own, **changes[0].sets}
        else:
            changes = [procedure.Change(None, own, {"by": by, "at": procedure.stamp(now),
                                                     "form": form.name})]
    return opening, changes, state


def _unit_refused(form: Form, refused: procedure.UnitRefused) -> UsageError:
    """A unit the configuration does not list for the party, named by the form's fields that
    gave them (the party's too, as changing either may be the fix)."""
    spec = form.definition.get("responsibility") or {}
    named = [f"{form.fields[key].label()} ({key})" for key in (spec.get("unit"), spec.get("party"))
             if isinstance(key, str) and key in form.fields]
    if not named:
        return refused
    return ValidationFailed(form.name, [f"{' / '.join(named)}: {refused.message}"])


def _fact(value: Any) -> Any:
    """A value as a ticket's facts keep it (JSON)."""
    if isinstance(value, dt.date):
        return procedure.stamp(value)
    return str(value) if isinstance(value, Decimal) else value


def _render(workspace: Workspace, form: Form, fmt: str, ctx: dict) -> tuple[bytes, Path]:
    """Bytes of one format, and the file it was made from (template or layout)."""
    if fmt == "docx":
        from generator.render.docx import render_docx

        template = workspace.find("templates", form.template_name)
        if template is None:
            raise UsageError(
                f"form '{form.name}' has no template templates/{form.template_name}; "
                f"make one with `aftersales forms template {form.name}`"
            )
        # in the PDF's font (found already, _prepared), which also draws the charts' pictures
        # and measures the columns as the PDF does
        return render_docx(template, ctx, find_cjk_font(workspace.config), form), template
    if fmt == "xlsx":
        from generator.render.xlsx import render_xlsx

        return render_xlsx(form, ctx), form.sources["form"]
    if fmt == "csv":
        from generator.render.csv import render_csv

        return render_csv(form, ctx), form.sources["form"]
    from generator.render.pdf import render_pdf

    return render_pdf(form, ctx, find_cjk_font(workspace.config)), form.sources["form"]


def render_blank(workspace: Workspace, form_name: str, formats: str | list[str] | None = None,
                 language: str | None = None) -> dict[str, bytes]:
    """A form as printed for filling in by hand: each format's bytes. Nothing is indexed."""
    form = load_form(workspace, form_name)
    language = language or workspace.language
    ctx = build_context(form, blank_tables(form, workspace, language), config=workspace.config,
                        blank=True, language=language)
    return {fmt: _render(workspace, form, fmt, ctx)[0]
            for fmt in parse_formats(formats, workspace)}


def source_of(workspace: Workspace, path: Path) -> tuple[str, str]:
    """What the index records a document was made from: the template's (or layout's) name in
    the workspace, or `bundled:…`, and its SHA-256."""
    try:
        identity = workspace.relative(path)
    except ValueError:
        identity = f"bundled:{path.parent.name}/{path.name}"
    stat = path.stat()
    return identity, _sha256_of(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _sha256_of(path: str, _mtime: int, _size: int) -> str:
    """A source file's hash, read again only when the file changes (a batch fills thousands of
    records from the same template)."""
    return sha256_file(path)


def fill(
    workspace: Workspace,
    form_name: str,
    data: dict[str, Any],
    *,
    ticket: str | None = None,
    formats: str | list[str] | None = None,
    language: str | None = None,
    now: dt.datetime | None = None,
    record_no: str | None = None,
    batch_key: str | None = None,
) -> FillResult:
    """Validate `data` for `form_name`, render each format, write and index the documents.
    `record_no` gives the record its number (a settlement's period) instead of the next one
    of the form's counter; a number once filed is never filed again. `batch_key` names the
    batch row being filed ("<batch>:<row>"), so a row is never filed twice (RowTaken)."""
    now = now or dt.datetime.now()
    language = language or workspace.language
    form = load_form(workspace, form_name)
    chosen = parse_formats(formats, workspace)
    clean, found = _prepared(workspace, form, data, ticket, now, language)
    stored = to_json(clean)
    config = workspace.config
    opens = ticket is None and form.ticket_mode == "opens"
    opening, changes, state = plan_ticket(workspace, form, clean, found, opens, now)
    prefix = config["tickets"]["prefix"]
    new_ticket = (Numbering(f"ticket:{prefix}:{now.year}", f"{prefix}-{now.year}-",
                            config["tickets"]["digits"]) if opens else None)
    record = record_no or Numbering(f"record:{form.record_prefix}:{now.year}",
                                    f"{form.record_prefix}-{now.year}-", 4)

    def paths(ticket: str | None, record_no: str) -> list[str]:
        return [f"{ticket or form.name}/{form.name}_{record_no}.{fmt}" for fmt in chosen]

    with filing(workspace, form=form.name, record=record, ticket=ticket,
                new_ticket=new_ticket, paths=paths, batch_key=batch_key,
                stamp=now.isoformat(sep=" ", timespec="seconds")) as job:
        job.opening, job.changes, job.expect_state = opening, changes, state
        ctx = build_context(form, clean, config=config, record_no=job.record_no,
                            ticket=job.ticket or "", language=language)
        for fmt, path in zip(chosen, job.paths, strict=True):
            content, source = _render(workspace, form, fmt, ctx)
            job.write(path, content, fmt=fmt, data=stored, source=source_of(workspace, source))
    return FillResult(form.name, job.ticket, job.record_no, job.documents, opened_ticket=opens)
