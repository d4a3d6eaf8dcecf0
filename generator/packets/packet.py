"""Agreement packets as records: build one from an indexed agreement and its attachments, check
one that comes back, and file the copy both parties signed.

    build(workspace, agreement="LX-2026-0001", attachments=["survey:XK-2026-0003", "qty.xlsx"])
    check(workspace, Path("output/SH-2026-000001/packet_PK-2026-0001.pdf"))
    file_signed(workspace, "PK-2026-0001", [Path("signed.pdf")])

Everything a packet is made of is read, checked and converted before a number is taken, so a
bad attachment, a wrong passphrase or an agreement of another ticket writes nothing. The packet
and copies of the attached files are filed under the agreement's ticket (form `packet`); a signed
copy is filed under the same number (form `packet-signed`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import names
from generator.documents.fill import FillResult
from generator.documents.forms import load_form
from generator.documents.validate import describe_characters, unprintable
from generator.errors import NumberTaken, UsageError, shorten
from generator.packets.assemble import PacketInfo, assemble, read_manifest
from generator.packets.parts import Part, part_from_bytes, read_attachment, to_pdf
from generator.records.filing import filing
from generator.records.index import Numbering, index_of
from generator.render.fonts import find_cjk_font
from generator.workspace import Workspace

FORM = "packet"
SIGNED_FORM = "packet-signed"
PREFIX = "PK"
# an indexed record to attach: XK-2026-0003, or with the form it must be: survey:XK-2026-0003
RECORD = re.compile(r"(?:(?P<form>[a-z][a-z0-9-]*):)?(?P<record>[A-Z]{1,6}-\d{4}-[0-9A-Za-z-]+)")
SCAN_KINDS = ("pdf", "image")


@dataclass
class Packet:
    """A built packet: what `packet build` reports."""

    result: FillResult
    parts: list[dict[str, Any]]
    pages: int
    signed: bool


def build(workspace: Workspace, *, agreement: str, attachments: list[str],
          ticket: str | None = None, seal: Path | None = None, signer: Any = None,
          now: dt.datetime | None = None) -> Packet:
    """Build, sign (with a loaded `signer`, see packets.signing.load_signer) and file the packet
    of `agreement` (a record number) with `attachments` (files, or record numbers of indexed
    documents)."""
    now = now or dt.datetime.now()
    index = index_of(workspace)
    head, form = _agreement(workspace, index, agreement)
    if ticket is not None and head["ticket"] not in (None, ticket):
        raise UsageError(f"--agreement {agreement} belongs to ticket {head['ticket']}, not "
                         f"{ticket}; a packet holds one ticket's papers")
    ticket = head["ticket"] or ticket
    if ticket is not None and index.ticket(ticket) is None:
        raise UsageError(f"--ticket: unknown ticket {shorten(ticket)}")
    language = workspace.language
    parts = [_indexed_part(index, head, form.title(language), 1)]
    parts += [_attachment(workspace, index, spec, number, ticket)
              for number, spec in enumerate(attachments, start=2)]
    font = find_cjk_font(workspace.config)
    for part in parts:
        _check_printable_name(part, font.can_draw)
    pages = [(part, to_pdf(part, font=font)) for part in parts]
    seal_image = _read_seal(seal) if seal is not None else None
    data = json.loads(head["data"])
    info = PacketInfo(packet_no="", ticket=ticket or "", title=_packet_title(form, language),
                      parties=[data[k] for k in ("party_a", "party_b") if data.get(k)],
                      created=now.date(), language=language)
    copies = [part for part in parts if part.record_no is None]

    def paths(ticket: str | None, record_no: str) -> list[str]:
        folder = f"{ticket or FORM}/packet_{record_no}"
        return [f"{folder}.pdf"] + [f"{folder}/{_copy_name(part.number, part.name)}"
                                 for part in copies]

    record = Numbering(f"record:{PREFIX}:{now.year}", f"{PREFIX}-{now.year}-", 4)
    with filing(workspace, form=FORM, record=record, ticket=ticket, paths=paths,
                stamp=now.isoformat(sep=" ", timespec="seconds")) as job:
        info.packet_no = job.record_no
        content = assemble(info, pages, font=font, seal=seal_image,
                           seal_on=_seal_anchor(form, language) if seal_image else None)
        if signer is not None:
            from generator.packets.signing import sign_pdf

            content = sign_pdf(content, signer, reason=f"{info.title} {job.record_no}",
                               location=workspace.config["centre"].get("name"))
        manifest = read_manifest(content)
        stored = json.dumps({"agreement": agreement, "signed": signer is not None,
                             "manifest": manifest}, ensure_ascii=False)
        source = (f"packet:{len(parts)} parts",
                  hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest())
        job.write(job.paths[0], content, fmt="pdf", data=stored, source=source)
        for path, part in zip(job.paths[1:], copies, strict=True):
            job.write(path, part.content, fmt=part.name.rsplit(".", 1)[-1].lower(),
                      data=json.dumps({"packet": job.record_no, "part": part.title},
                                      ensure_ascii=False), source=(part.name, part.sha256))
    return Packet(FillResult(FORM, job.ticket, job.record_no, job.documents),
                  manifest["parts"], _page_count(content), signer is not None)


def _agreement(workspace: Workspace, index, record_no: str):
    """The agreement's indexed PDF row and its form; refused unless the form makes packets."""
    rows = [row for row in index.documents(record_no=record_no) if row["format"] == "pdf"]
    if not rows:
        known = any(True for _ in index.documents(record_no=record_no))
        raise UsageError(f"--agreement {record_no}: " + (
            "it was filed without a PDF; fill it again with --format pdf" if known
            else "no such record in the index (see `aftersales index list`)"))
    head = rows[0]
    form = load_form(workspace, head["form"])
    if "packet" not in form.definition:
        raise UsageError(f"--agreement {record_no} is a {form.title('zh')} ({form.name}), not an "
                         f"agreement; packets are made of "
                         f"{', '.join(_packet_forms(workspace))}")
    return head, form


def _packet_forms(workspace: Workspace) -> list[str]:
    return [name for name in workspace.names("forms", ".yaml")
            if "packet" in load_form(workspace, name).definition]


def _packet_title(form, language: str) -> str:
    title = form.definition["packet"].get("title") or {}
    return title.get(language) or title.get("zh") or form.title(language)


def _seal_anchor(form, language: str) -> str:
    anchor = form.definition["packet"].get("seal_on") or {}
    return anchor.get(language) or anchor.get("zh")


def _indexed_part(index, row: dict[str, Any], title: str, number: int) -> Part:
    """An indexed document's PDF as a part, refused if it changed since it was filed."""
    path = index.store.path(index.store.key(row["path"]))
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"part {number} ({row['record_no']}): cannot read {row['path']}: "
                         f"{exc.strerror}") from None
    digest = hashlib.sha256(content).hexdigest()
    if digest != row["sha256"]:
        raise UsageError(f"part {number} ({row['record_no']}): {row['path']} was changed after "
                         f"it was filed (its SHA-256 differs from the index); see "
                         f"`aftersales index verify`")
    return part_from_bytes(number, path.name, content, title=f"{title} {row['record_no']}",
                           record_no=row["record_no"])


def _attachment(workspace: Workspace, index, spec: str, number: int,
                ticket: str | None) -> Part:
    """`--attach SPEC`: a file, else an indexed record (optionally `form:` checked)."""
    path = Path(spec)
    match = RECORD.fullmatch(spec)
    if match is None or path.exists():
        # the file is copied into the packet's folder under its own name
        names.check_file_name(path.name, f"attachment {number}")
        return read_attachment(path, number)
    rows = [row for row in index.documents(record_no=match["record"])
            if row["format"] == "pdf"]
    if not rows:
        raise UsageError(f"attachment {number} ({spec}): no file of that name, and no record "
                         f"{match['record']} with a PDF in the index")
    row = rows[0]
    wanted = match["form"]
    if wanted and not (row["form"] == wanted or row["form"].endswith("-" + wanted)):
        raise UsageError(f"attachment {number} ({spec}): {match['record']} is a {row['form']}, "
                         f"not a {wanted}")
    if row["ticket"] not in (None, ticket):
        raise UsageError(f"attachment {number} ({spec}): {match['record']} belongs to ticket "
                         f"{row['ticket']}, not {ticket}")
    title = load_form(workspace, row["form"]).title(workspace.language)
    return _indexed_part(index, row, title, number)


def _check_printable_name(part: Part, can_draw: Callable[[str], bool]) -> None:
    """An attached file's name is printed on the cover and under its pages: it takes the same
    characters as a form's values (README "Characters")."""
    bad = unprintable(part.name, can_draw)
    if bad:
        raise UsageError(f"{part.label}: its file name cannot be printed: "
                         f"{describe_characters(bad)}; rename the file")


def _read_seal(path: Path) -> bytes:
    part = read_attachment(path, 0, title="seal")
    if part.kind != "image":
        raise UsageError(f"--seal {path}: a seal is a PNG or JPEG image, not {part.kind}")
    return part.content


def _copy_name(number: int, name: str) -> str:
    """The attached file's name in the packet's folder: numbered, so two files of one name
    (two folders' site1.jpg) do not collide."""
    return f"{number:02d}_{name}"


def _page_count(pdf: bytes) -> int:
    """Pages of the packet as built: its cover and manifest may take more than one each."""
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def sample_packet(workspace: Workspace, results: list[FillResult]) -> Packet | None:
    """The demo's packet: the first agreement it filed, with the site surveys of its ticket
    (those filed as PDF); none when the demo wrote no PDF."""
    def with_pdf(result: FillResult) -> bool:
        return any(document.format == "pdf" for document in result.documents)

    agreement = next((r for r in results if with_pdf(r)
                      and "packet" in load_form(workspace, r.form).definition), None)
    if agreement is None:
        return None
    surveys = [f"survey:{r.record_no}" for r in results
               if r.form == "site-survey" and r.ticket == agreement.ticket and with_pdf(r)]
    return build(workspace, agreement=agreement.record_no, attachments=surveys)


# --- checking a packet ------------------------------------------------------------------------


@dataclass
class PacketCheck:
    """What `packet verify` found: each finding a line; any problem makes it fail."""

    path: str
    packet_no: str | None = None
    ticket: str | None = None
    findings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "packet": self.packet_no, "ticket": self.ticket,
                "ok": self.ok, "findings": self.findings, "problems": self.problems}


def check(workspace: Workspace, path: Path) -> PacketCheck:
    """Check a packet file: intact against the index, its signatures, and its manifest against
    the parts the index holds."""
    report = PacketCheck(str(path))
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it: {exc.strerror}") from None
    try:
        manifest = read_manifest(content)
    except Exception as exc:  # noqa: BLE001 — any parse failure means the file is damaged
        manifest = None
        report.problems.append(f"modified: the file cannot be read as a PDF any more "
                               f"({type(exc).__name__}: {str(exc)[:200]})")
    if manifest is None:
        if not report.problems:
            report.problems.append("not a packet: it carries no manifest.json")
        return report
    report.packet_no, report.ticket = manifest.get("packet"), manifest.get("ticket") or None
    index = index_of(workspace)
    _check_filed(index, report, content)
    _check_signatures(report, content)
    for part in manifest.get("parts", []):
        _check_part(index, report, part)
    return report


def _check_filed(index, report: PacketCheck, content: bytes) -> None:
    digest = hashlib.sha256(content).hexdigest()
    rows = [row for row in index.documents(form=FORM, record_no=report.packet_no)
            if row["format"] == "pdf"]
    if not rows:
        report.problems.append(f"packet {report.packet_no} is not in this workspace's index")
    elif rows[0]["sha256"] == digest:
        report.findings.append(f"intact: identical to {rows[0]['path']} as filed "
                               f"(SHA-256 {digest[:16]}…)")
    else:
        report.problems.append(f"modified: its SHA-256 {digest[:16]}… differs from the "
                               f"{rows[0]['sha256'][:16]}… filed as {rows[0]['path']}")


def _check_signatures(report: PacketCheck, content: bytes) -> None:
    try:
        from generator.packets.signing import check_signatures
        checks = check_signatures(content)
    except ImportError:  # the sign extra is optional; say what was not checked
        report.findings.append("signatures not checked: pip install 'aftersales[sign]'")
        return
    if not checks:
        report.findings.append("unsigned")
    for signature in checks:
        if signature.valid and signature.covers_whole_file:
            trust = "" if signature.trusted else " (certificate not from a trusted authority)"
            report.findings.append(f"signature {signature.field}: valid, signed by "
                                   f"{signature.signer} at {signature.signed_at}{trust}")
        else:
            report.problems.append(f"signature {signature.field} by {signature.signer}: "
                                   + "; ".join(signature.problems or ["invalid"]))


def _check_part(index, report: PacketCheck, part: dict[str, Any]) -> None:
    name = f"part {part['number']} ({part.get('record_no') or part['name']})"
    if part.get("record_no"):
        rows = [row for row in index.documents(record_no=part["record_no"])
                if row["format"] == "pdf"]
    else:
        rows = [row for row in index.documents(form=FORM, record_no=report.packet_no)
                if row["path"].endswith("/" + _copy_name(part["number"], part["name"]))]
    if not rows:
        report.problems.append(f"{name}: not in the index")
        return
    row = rows[0]
    if row["sha256"] != part["sha256"]:
        report.problems.append(f"{name}: the manifest says SHA-256 {part['sha256'][:16]}…, the "
                               f"index {row['sha256'][:16]}…")
        return
    try:
        current = hashlib.sha256(index.store.path(index.store.key(row["path"]))
                                 .read_bytes()).hexdigest()
    except OSError as exc:
        report.problems.append(f"{name}: {row['path']} cannot be read: {exc.strerror}")
        return
    if current != part["sha256"]:
        report.problems.append(f"{name}: {row['path']} was changed after filing")
    else:
        report.findings.append(f"{name}: matches the manifest ({row['path']})")


# --- the signed copy --------------------------------------------------------------------------


def file_signed(workspace: Workspace, packet_no: str, scans: list[Path],
                now: dt.datetime | None = None) -> FillResult:
    """File the copy both parties signed (a PDF, or photos of its pages) under the packet's
    number and ticket, each file with its SHA-256."""
    now = now or dt.datetime.now()
    if not scans:
        raise UsageError("give the signed copy with --scan FILE (a PDF, or one image per page)")
    index = index_of(workspace)
    rows = [row for row in index.documents(form=FORM, record_no=packet_no)
            if row["format"] == "pdf"]
    if not rows:
        raise UsageError(f"no packet {packet_no} in the index (see `aftersales index list "
                         f"--form packet`)")
    packet = rows[0]
    parts = [read_attachment(path, number) for number, path in enumerate(scans, start=1)]
    for part in parts:
        if part.kind not in SCAN_KINDS:
            raise UsageError(f"--scan {part.name}: a signed copy is a PDF or images (PNG, "
                             f"JPEG), not {part.kind}")
    data = json.dumps({"packet": packet_no, "packet_sha256": packet["sha256"],
                       "scans": [{"name": p.name, "sha256": p.sha256} for p in parts]},
                      ensure_ascii=False)
    folder = packet["path"].rsplit("/", 1)[0]

    def paths(ticket: str | None, record_no: str) -> list[str]:
        return [f"{index.store.key(folder)}/packet_{record_no}_signed_{n}"
                f".{p.name.rsplit('.', 1)[-1].lower()}" for n, p in enumerate(parts, start=1)]

    try:
        with filing(workspace, form=SIGNED_FORM, record=packet_no, ticket=packet["ticket"],
                    paths=paths, stamp=now.isoformat(sep=" ", timespec="seconds")) as job:
            for path, part in zip(job.paths, parts, strict=True):
                job.write(path, part.content, fmt=part.name.rsplit(".", 1)[-1].lower(),
                          data=data, source=(part.name, part.sha256))
    except NumberTaken:
        raise UsageError(f"the signed copy of {packet_no} is already filed (see `aftersales "
                         f"index list --form {SIGNED_FORM}`); it is never replaced") from None
    return FillResult(SIGNED_FORM, job.ticket, job.record_no, job.documents)
