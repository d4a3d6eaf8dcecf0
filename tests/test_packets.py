"""Agreement packets through the CLI: built from an indexed agreement and its attachments,
signed, verified, and the signed copy filed — read back with pypdf and pyHanko."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from tests.conftest import files_in_output, need_tool, squash, write_sample

PASSPHRASE = "correct horse 马"


@pytest.fixture
def filed(run, tmp_path, ticket) -> dict:
    """A ticket with a site survey and a minor-works agreement filed (PDF and DOCX)."""
    survey = run("fill", "site-survey", "--ticket", ticket, "--format", "pdf", "--json",
                 "--data", str(write_sample(tmp_path, "site-survey", ticket)))
    assert survey.exit_code == 0, survey.output
    agreement = run("fill", "minor-works-agreement", "--ticket", ticket, "--json",
                    "--data", str(write_sample(tmp_path, "minor-works-agreement", ticket)))
    assert agreement.exit_code == 0, agreement.output
    return {"ticket": ticket, "survey": json.loads(survey.output)["record_no"],
            "agreement": json.loads(agreement.output)["record_no"]}


def attachments(folder: Path) -> dict[str, Path]:
    """Real files of each kind a packet takes."""
    from openpyxl import Workbook
    from PIL import Image
    from reportlab.pdfgen.canvas import Canvas

    folder.mkdir(exist_ok=True)
    book = Workbook()
    sheet = book.active
    sheet.append(["项目", "数量", "单价"])
    sheet.append(["聚氨酯防水涂膜", 7, 85])
    book.save(folder / "qty.xlsx")
    Image.new("RGB", (1200, 900), (180, 200, 220)).save(folder / "site1.jpg")
    canvas = Canvas(str(folder / "quote.pdf"))
    canvas.drawString(72, 720, "Quotation 2026-11-30")
    canvas.showPage()
    canvas.save()
    return {p.stem: p for p in folder.iterdir()}


def build(run, filed: dict, files: dict[str, Path], *extra: str):
    return run("packet", "build", "--agreement", filed["agreement"],
               "--attach", f"survey:{filed['survey']}", "--attach", str(files["qty"]),
               "--attach", str(files["site1"]), "--attach", str(files["quote"]),
               "--json", *extra)


def test_a_packet_holds_every_part_stamped_bookmarked_and_hashed(run, home, tmp_path, filed):
    files = attachments(tmp_path / "in")
    result = build(run, filed, files)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    packet_no, ticket = report["record_no"], filed["ticket"]
    assert re.fullmatch(r"PK-\d{4}-0001", packet_no) and report["ticket"] == ticket
    path = home / "output" / ticket / f"packet_{packet_no}.pdf"
    reader = PdfReader(path)
    total = len(reader.pages)
    assert total == report["pages"]

    # the parts in order, each with its hash, and the pages they take
    parts = report["parts"]
    assert [p.get("record_no") for p in parts[:2]] == [filed["agreement"], filed["survey"]]
    assert [p["name"] for p in parts[2:]] == ["qty.xlsx", "site1.jpg", "quote.pdf"]
    for name in ("qty", "site1", "quote"):
        part = next(p for p in parts if p["name"].startswith(name))
        assert part["sha256"] == hashlib.sha256(files[name].read_bytes()).hexdigest()
    agreement_pdf = home / "output" / ticket / f"minor-works-agreement_{filed['agreement']}.pdf"
    assert parts[0]["sha256"] == hashlib.sha256(agreement_pdf.read_bytes()).hexdigest()
    assert parts[0]["pages"][0] == 2  # after the cover
    assert parts[-1]["pages"] == [parts[-1]["pages"][0]] * 2  # one page, the quote
    assert parts[-1]["pages"][1] == total - 1  # the manifest page is last

    # one bookmark per part, at its first page, between the cover and the manifest
    marks = [(m.title, reader.get_destination_page_number(m) + 1) for m in reader.outline]
    assert len(marks) == len(parts) + 2
    assert [page for _, page in marks[1:-1]] == [p["pages"][0] for p in parts]

    # every page stamped with the ticket, the packet and its number of the whole
    for number, page in enumerate(reader.pages, start=1):
        text = squash(page.extract_text())
        assert ticket in text and packet_no in text, number
        assert f"第{number}页共{total}页" in text, number

    # the manifest page shows every hash in full, and the cover every part's page range
    manifest_page = squash(reader.pages[-1].extract_text())
    cover = squash(reader.pages[0].extract_text())
    for part in parts:
        assert part["sha256"] in manifest_page
        first, last = part["pages"]
        assert (f"{first}–{last}" if first != last else str(first)) in cover
    # each part's file name whole on one line of the cover: its column is as wide as it needs
    need_tool("pdftotext", "poppler-utils")
    cover_lines = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(path), "-"],
                                 capture_output=True, text=True, check=True).stdout.splitlines()
    for part in parts:
        assert any(part["name"] in line for line in cover_lines), part["name"]

    # packet and copies of the attached files are indexed under the ticket
    listed = run("index", "list", "--ticket", ticket, "--json")
    rows = [r for r in json.loads(listed.output) if r["record_no"] == packet_no]
    assert sorted(Path(r["path"]).name for r in rows) == sorted(
        [f"packet_{packet_no}.pdf", "03_qty.xlsx", "04_site1.jpg", "05_quote.pdf"])
    assert run("index", "verify").exit_code == 0
    checked = run("packet", "verify", str(path))
    assert checked.exit_code == 0, checked.output
    assert "intact" in checked.output and "unsigned" in checked.output


def test_the_seal_lands_on_the_signature_page(run, home, tmp_path, filed):
    from PIL import Image

    seal = tmp_path / "seal.png"
    Image.new("RGBA", (400, 400), (200, 0, 0, 160)).save(seal)
    result = run("packet", "build", "--agreement", filed["agreement"], "--seal", str(seal),
                 "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    reader = PdfReader(home / "output" / filed["ticket"] / f"packet_{report['record_no']}.pdf")
    with_images = [n for n, page in enumerate(reader.pages, start=1) if page.images]
    with_label = [n for n, page in enumerate(reader.pages, start=1)
                  if "甲方（盖章）" in squash(page.extract_text())]
    assert with_images == with_label[:1]


def make_cert(run, tmp_path, monkeypatch, name="test.p12", *extra) -> Path:
    monkeypatch.setenv("AFTERSALES_SIGN_PASSPHRASE", PASSPHRASE)
    out = tmp_path / name
    made = run("sign", "make-test-cert", "--out", str(out), *extra)
    assert made.exit_code == 0, made.output
    return out


def test_a_signed_packet_validates_and_one_changed_byte_fails(run, home, tmp_path, filed,
                                                               monkeypatch):
    cert = make_cert(run, tmp_path, monkeypatch)
    result = build(run, filed, attachments(tmp_path / "in"), "--sign", str(cert))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["signed"]
    path = home / "output" / filed["ticket"] / f"packet_{report['record_no']}.pdf"

    # pyHanko itself finds one intact, valid signature covering the whole file
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from generator.packets.signing import load_signer

    certificate = load_signer(cert, PASSPHRASE.encode()).signing_cert
    with path.open("rb") as stream:
        signatures = PdfFileReader(stream).embedded_signatures
        assert len(signatures) == 1
        status = validate_pdf_signature(signatures[0], ValidationContext(
            trust_roots=[certificate], allow_fetching=False))
        assert status.intact and status.valid and status.trusted
        assert status.coverage.name == "ENTIRE_FILE"

    checked = run("packet", "verify", str(path), "--json")
    assert checked.exit_code == 0, checked.output
    verdict = json.loads(checked.output)
    assert verdict["ok"] and any("valid, signed by" in line for line in verdict["findings"])

    # one byte changed inside the signed content
    content = bytearray(path.read_bytes())
    where = content.index(b"/Producer") if b"/Producer" in content else len(content) // 3
    content[where + 2] ^= 0x01
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(content))
    checked = run("packet", "verify", str(tampered))
    assert checked.exit_code == 1, checked.output
    assert "modified" in checked.output


def test_a_changed_part_copy_fails_verify_naming_the_part(run, home, tmp_path, filed):
    result = build(run, filed, attachments(tmp_path / "in"))
    assert result.exit_code == 0, result.output
    packet_no = json.loads(result.output)["record_no"]
    copy = home / "output" / filed["ticket"] / f"packet_{packet_no}" / "03_qty.xlsx"
    copy.write_bytes(copy.read_bytes() + b"\0")
    checked = run("packet", "verify",
                  str(home / "output" / filed["ticket"] / f"packet_{packet_no}.pdf"))
    assert checked.exit_code == 1
    assert "part 3 (qty.xlsx)" in checked.output and "changed after filing" in checked.output


def test_the_signed_copy_is_filed_once_under_the_packet_and_ticket(run, home, tmp_path, filed):
    result = run("packet", "build", "--agreement", filed["agreement"], "--json")
    packet_no = json.loads(result.output)["record_no"]
    scan = attachments(tmp_path / "in")["quote"]
    filed_copy = run("packet", "file-signed", packet_no, "--scan", str(scan), "--json")
    assert filed_copy.exit_code == 0, filed_copy.output
    document = json.loads(filed_copy.output)["documents"][0]
    assert document["sha256"] == hashlib.sha256(scan.read_bytes()).hexdigest()

    listed = json.loads(run("index", "list", "--ticket", filed["ticket"], "--json").output)
    assert [(r["form"], r["record_no"]) for r in listed if r["form"] == "packet-signed"] == [
        ("packet-signed", packet_no)]
    shown = run("ticket", "show", filed["ticket"])
    assert "packet-signed" in shown.output and f"packet_{packet_no}_signed_1.pdf" in shown.output
    assert run("index", "verify").exit_code == 0

    again = run("packet", "file-signed", packet_no, "--scan", str(scan))
    assert again.exit_code == 2 and "already filed" in again.output
    not_a_scan = run("packet", "file-signed", packet_no, "--scan",
                     str(attachments(tmp_path / "in2")["qty"]))
    assert not_a_scan.exit_code == 2 and "qty.xlsx" in not_a_scan.output


# --- bad input: a clear message naming the part, nothing written -----------------------------


def encrypted_pdf(path: Path) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret")
    with path.open("wb") as stream:
        writer.write(stream)
    return path


BAD_PARTS = {
    "missing": (lambda folder: folder / "nosuch.pdf", "nosuch.pdf"),
    "not what its extension says": (
        lambda folder: Path(folder / "photo.pdf").write_bytes(
            (folder / "site1.jpg").read_bytes()) and folder / "photo.pdf", "photo.pdf"),
    "encrypted": (lambda folder: encrypted_pdf(folder / "locked.pdf"), "encrypted"),
    "zip as xlsx": (lambda folder: Path(folder / "fake.xlsx").write_bytes(
        b"PK\x05\x06" + b"\0" * 18) and folder / "fake.xlsx", "fake.xlsx"),
}


@pytest.mark.parametrize("case", sorted(BAD_PARTS))
def test_a_bad_attachment_is_refused_naming_it_and_nothing_is_written(run, home, tmp_path,
                                                                      filed, case):
    files = attachments(tmp_path / "in")
    make, expected = BAD_PARTS[case]
    before = files_in_output(home)
    result = run("packet", "build", "--agreement", filed["agreement"],
                 "--attach", str(files["qty"]), "--attach", str(make(tmp_path / "in")))
    assert result.exit_code == 2, result.output
    assert "attachment 3" in result.output and expected in result.output
    assert files_in_output(home) == before


def test_bad_agreements_and_tickets_are_refused(run, home, tmp_path, filed):
    other = run("fill", "complaint", "--json",
                "--data", str(write_sample(tmp_path, "complaint")))
    other_ticket = json.loads(other.output)["ticket"]
    before = files_in_output(home)
    cases = [
        (["--agreement", filed["agreement"], "--ticket", other_ticket],
         f"belongs to ticket {filed['ticket']}"),
        (["--agreement", filed["survey"]], "not an agreement"),
        (["--agreement", "LX-2026-9999"], "no such record"),
        (["--agreement", filed["agreement"], "--attach", f"survey:{filed['agreement']}"],
         "not a survey"),
    ]
    for args, message in cases:
        result = run("packet", "build", *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
    assert files_in_output(home) == before


def test_wrong_passphrase_and_unusable_certificates_write_nothing(run, home, tmp_path, filed,
                                                                 monkeypatch):
    import datetime as dt

    from tests.test_signing import key_usage, self_signed

    now = dt.datetime.now(dt.UTC)
    cert = make_cert(run, tmp_path, monkeypatch)
    expired = self_signed(tmp_path, start=now - dt.timedelta(days=400),
                          end=now - dt.timedelta(days=30),
                          key_usage=key_usage(digital_signature=True), name="expired.p12")
    encipher_only = self_signed(tmp_path, start=now - dt.timedelta(days=1),
                                end=now + dt.timedelta(days=30),
                                key_usage=key_usage(key_encipherment=True), name="enc.p12")
    before = files_in_output(home)
    cases = [(cert, "wrong", "wrong passphrase"), (expired, "pw", "expired"),
             (encipher_only, "pw", "not a signing certificate")]
    for p12, passphrase, message in cases:
        monkeypatch.setenv("AFTERSALES_SIGN_PASSPHRASE", passphrase)
        result = run("packet", "build", "--agreement", filed["agreement"], "--sign", str(p12))
        assert result.exit_code == 2, result.output
        assert message in result.output and p12.name in result.output
    assert files_in_output(home) == before
    listed = json.loads(run("index", "list", "--form", "packet", "--json").output)
    assert listed == []


def test_help_shows_the_packet_commands():
    from click.testing import CliRunner

    from generator.cli import cli

    result = CliRunner().invoke(cli, ["packet", "--help"])
    assert result.exit_code == 0
    for command in ("build", "verify", "file-signed"):
        assert command in result.output
    for command in ("build", "verify", "file-signed"):
        example = CliRunner().invoke(cli, ["packet", command, "--help"]).output
        assert f"aftersales packet {command}" in example


def test_the_demo_builds_the_sample_agreements_packet_with_its_survey(run, home):
    result = run("demo", "--packet", "--json")
    assert result.exit_code == 0, result.output
    packet = json.loads(result.output)[-1]
    assert packet["form"] == "packet" and packet["record_no"].startswith("PK-")
    path = home / packet["documents"][0]["path"]
    checked = run("packet", "verify", str(path), "--json")
    assert checked.exit_code == 0, checked.output
    parts = [line for line in json.loads(checked.output)["findings"] if line.startswith("part")]
    assert [line.split(" (")[1].split("-")[0] for line in parts] == ["LX", "XK"]
