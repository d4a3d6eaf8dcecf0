"""PAdES signatures on packets (generator.packets.signing, `aftersales sign`): real certificates
made with cryptography, real PDFs written by pypdf, signed and validated by pyHanko."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import stat
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from generator.errors import DamagedPdf, MissingDependency, UsageError
from generator.packets.signing import check_signatures, load_signer, make_test_cert, sign_pdf

PASSPHRASE = "示例 passphrase 1"
ORGANISATION = "示例置业有限公司"
AGREEMENT_TEXT = "Party B shall finish the works by 2026-12-31"


@pytest.fixture
def passphrase(monkeypatch) -> bytes:
    monkeypatch.setenv("AFTERSALES_SIGN_PASSPHRASE", PASSPHRASE)
    return PASSPHRASE.encode("utf-8")


@pytest.fixture
def company_p12(run, home, passphrase) -> Path:
    """A test certificate made the way a user would: `sign make-test-cert`, passphrase from
    the environment."""
    result = run("sign", "make-test-cert", "--out", "company.p12",
                 "--organisation", ORGANISATION)
    assert result.exit_code == 0, result.output
    return home / "company.p12"


@pytest.fixture
def signer(company_p12, passphrase):
    return load_signer(company_p12, passphrase)


def certificate_of(p12: Path, passphrase: bytes) -> x509.Certificate:
    return pkcs12.load_key_and_certificates(p12.read_bytes(), passphrase)[1]


def packet_pdf(pages: int = 2) -> bytes:
    """A packet as the packets are assembled: pages joined by pypdf's PdfWriter. The pages are
    drawn by reportlab without compression, so their text can be found in the bytes."""
    drawn = io.BytesIO()
    page = canvas.Canvas(drawn, pageCompression=0)
    for number in range(1, pages + 1):
        page.drawString(72, 720, f"{AGREEMENT_TEXT} (page {number})")
        page.showPage()
    page.save()
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(drawn.getvalue())))
    assembled = io.BytesIO()
    writer.write(assembled)
    return assembled.getvalue()


def self_signed(tmp_path: Path, *, start: dt.datetime, end: dt.datetime,
                key_usage: x509.KeyUsage, name: str = "bad.p12") -> Path:
    """A PKCS#12 file holding a certificate shaped as the test needs."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "someone")])
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(key_usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / name
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"someone", key, certificate, None, serialization.BestAvailableEncryption(b"pw")))
    return path


def key_usage(**allowed: bool) -> x509.KeyUsage:
    flags = dict.fromkeys(
        ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
         "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"), False)
    return x509.KeyUsage(**{**flags, **allowed})


NOW = dt.datetime.now(dt.UTC)


# --- the test certificate ------------------------------------------------------------------


def test_make_test_cert_writes_a_signing_certificate_readable_by_its_owner_only(
        run, home, passphrase):
    result = run("sign", "make-test-cert", "--out", "company.p12", "--organisation", ORGANISATION,
                 "--days", "30")
    assert result.exit_code == 0, result.output
    path = home / "company.p12"
    assert f"wrote {path.resolve()}" in result.output
    assert "for trying signing only: self-signed" in result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key, certificate, _ = pkcs12.load_key_and_certificates(path.read_bytes(), passphrase)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "aftersales test signer"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == ORGANISATION
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_encipherment
    expected_end = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    assert abs(certificate.not_valid_after_utc - expected_end) < dt.timedelta(minutes=1)
    assert certificate.not_valid_before_utc < dt.datetime.now(dt.UTC)


def test_make_test_cert_never_overwrites_without_force(run, home, passphrase, company_p12):
    before = company_p12.read_bytes()
    result = run("sign", "make-test-cert", "--out", "company.p12")
    assert result.exit_code == 2
    assert f"{home / 'company.p12'} exists; it is never overwritten without --force" \
        in result.output
    assert company_p12.read_bytes() == before
    assert run("sign", "make-test-cert", "--out", "company.p12", "--force").exit_code == 0
    assert company_p12.read_bytes() != before
    assert stat.S_IMODE(company_p12.stat().st_mode) == 0o600
    assert [p.name for p in home.iterdir()] == ["company.p12"]  # no temporary file left


def test_make_test_cert_without_a_passphrase_says_to_set_the_variable(run, home, monkeypatch):
    monkeypatch.delenv("AFTERSALES_SIGN_PASSPHRASE", raising=False)
    result = run("sign", "make-test-cert", "--out", "company.p12")
    assert result.exit_code == 2
    assert "no passphrase: set AFTERSALES_SIGN_PASSPHRASE" in result.output
    assert not (home / "company.p12").exists()


def test_make_test_cert_refuses_an_empty_passphrase(tmp_path):
    with pytest.raises(UsageError, match="the passphrase is empty"):
        make_test_cert(tmp_path / "t.p12", b"")
    assert not (tmp_path / "t.p12").exists()


def test_make_test_cert_help_has_an_example(run):
    result = run("sign", "make-test-cert", "--help")
    assert result.exit_code == 0
    assert "aftersales sign make-test-cert --out test.p12" in result.output


# --- refusing a signer ---------------------------------------------------------------------


def test_wrong_passphrase_is_refused_naming_the_file(company_p12):
    with pytest.raises(UsageError) as refused:
        load_signer(company_p12, b"not the passphrase")
    assert str(refused.value.message) == f"wrong passphrase for {company_p12}"


def test_a_file_that_is_not_pkcs12_is_refused(tmp_path):
    png = tmp_path / "seal.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    with pytest.raises(UsageError, match=re.escape(f"{png} is not a PKCS#12 (.p12/.pfx) file")):
        load_signer(png, b"pw")


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(UsageError, match=r"cannot read .*absent\.p12: No such file"):
        load_signer(tmp_path / "absent.p12", b"pw")


def test_an_expired_certificate_is_refused_naming_its_dates(tmp_path):
    start, end = NOW - dt.timedelta(days=400), NOW - dt.timedelta(days=35)
    path = self_signed(tmp_path, start=start, end=end,
                       key_usage=key_usage(digital_signature=True))
    with pytest.raises(UsageError) as refused:
        load_signer(path, b"pw")
    assert f"the certificate expired on {end:%Y-%m-%d}" in refused.value.message
    assert f"valid {start:%Y-%m-%d}" in refused.value.message


def test_a_certificate_not_valid_yet_is_refused(tmp_path):
    start = NOW + dt.timedelta(days=3)
    path = self_signed(tmp_path, start=start, end=NOW + dt.timedelta(days=30),
                       key_usage=key_usage(digital_signature=True))
    with pytest.raises(UsageError, match=f"not valid yet \\(valid {start:%Y-%m-%d}"):
        load_signer(path, b"pw")


def test_a_key_encipherment_certificate_is_not_a_signing_certificate(tmp_path):
    path = self_signed(tmp_path, start=NOW - dt.timedelta(days=1), end=NOW + dt.timedelta(days=9),
                       key_usage=key_usage(key_encipherment=True))
    with pytest.raises(UsageError, match=f"{path}: not a signing certificate \\(it allows only "
                                         f"key encipherment\\)"):
        load_signer(path, b"pw")


def test_without_pyhanko_signing_names_the_extra(company_p12, passphrase, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyhanko", None)  # `import pyhanko` now fails
    with pytest.raises(MissingDependency, match=re.escape(
            "signing needs the sign extra: pip install 'aftersales[sign]'")):
        load_signer(company_p12, passphrase)
    with pytest.raises(MissingDependency):
        check_signatures(packet_pdf())


# --- signing and checking ------------------------------------------------------------------


def test_a_pypdf_packet_is_signed_as_an_incremental_pades_update(signer, company_p12,
                                                                 passphrase):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    unsigned = packet_pdf()
    signed = sign_pdf(unsigned, signer, reason="甲乙双方确认", location="示例市")
    assert signed.startswith(unsigned) and len(signed) > len(unsigned)
    # checked by pyHanko directly, independently of check_signatures
    [embedded] = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    assert embedded.field_name == "Signature1"
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.sig_object["/Reason"] == "甲乙双方确认"
    status = validate_pdf_signature(embedded, ValidationContext(
        trust_roots=[signer.signing_cert], allow_fetching=False))
    assert status.intact and status.valid and status.trusted
    assert status.md_algorithm == "sha256"
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    # the packet still reads as before
    assert [p.extract_text() for p in PdfReader(io.BytesIO(signed)).pages] == \
        [p.extract_text() for p in PdfReader(io.BytesIO(unsigned)).pages]


def test_check_signatures_names_the_signer_and_trusts_only_what_it_is_given(
        signer, company_p12, passphrase):
    signed = sign_pdf(packet_pdf(), signer)
    [untrusted] = check_signatures(signed)
    assert untrusted.field == "Signature1"
    assert untrusted.signer == f"aftersales test signer ({ORGANISATION})"
    assert abs(untrusted.signed_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert untrusted.intact and untrusted.valid and untrusted.covers_whole_file
    assert not untrusted.trusted
    assert untrusted.problems == [
        "the signer's certificate is not trusted: no valid chain to a trust root given to "
        "the check (a self-signed certificate is trusted only when given as one)"]
    [trusted] = check_signatures(signed, trust=[certificate_of(company_p12, passphrase)])
    assert trusted.trusted and trusted.intact and trusted.valid and trusted.covers_whole_file
    assert trusted.problems == []


def test_a_certificate_from_a_trusted_authority_is_trusted(tmp_path):
    """A signer whose certificate a CA issued (digitalSignature only, no extended key usage,
    as many CAs issue them) is trusted when the CA is."""
    authority_key, signer_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    authority_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "示例 CA")])
    signer_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "张三"),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION)])
    start, end = NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=30)
    authority = (
        x509.CertificateBuilder().subject_name(authority_name).issuer_name(authority_name)
        .public_key(authority_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .sign(authority_key, hashes.SHA256()))
    issued = (
        x509.CertificateBuilder().subject_name(signer_name).issuer_name(authority_name)
        .public_key(signer_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(key_usage(digital_signature=True), critical=True)
        .sign(authority_key, hashes.SHA256()))
    p12 = tmp_path / "zhang.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"zhang", signer_key, issued, [authority], serialization.BestAvailableEncryption(b"pw")))
    [check] = check_signatures(sign_pdf(packet_pdf(), load_signer(p12, b"pw")),
                               trust=[authority])
    assert check.signer == f"张三 ({ORGANISATION})"
    assert check.intact and check.valid and check.covers_whole_file and check.trusted, \
        check.problems


def test_an_unsigned_pdf_has_no_signatures(passphrase):
    assert check_signatures(packet_pdf()) == []


def test_one_changed_letter_in_the_signed_content_breaks_the_signature(signer):
    signed = sign_pdf(packet_pdf(), signer)
    at = signed.index(b"Party B shall finish")
    tampered = signed[:at] + b"Party C" + signed[at + len(b"Party B"):]
    assert len(tampered) == len(signed)
    [check] = check_signatures(tampered)
    assert not check.intact and not check.valid
    assert "the signed content was changed after signing" in check.problems[0]


def test_a_changed_xref_entry_inside_the_signed_range_breaks_the_signature(signer):
    signed = sign_pdf(packet_pdf(), signer)
    entry = re.search(rb"xref\n0 \d+\n0000000000 65535 f \n(\d{10}) 00000 n", signed)
    digit = entry.start(1)
    tampered = signed[:digit] + b"1" + signed[digit + 1:]
    [check] = check_signatures(tampered)
    assert not check.intact


def add_a_page(writer: PdfWriter) -> None:
    writer.add_blank_page(595, 842)


def change_the_text(writer: PdfWriter) -> None:
    content = writer.pages[0].get_contents()
    content.set_data(content.get_data().replace(b"2026-12-31", b"2027-12-31"))
    writer.pages[0].replace_contents(content)


@pytest.mark.parametrize("change, shows", [
    (add_a_page, lambda reader: len(reader.pages) == 3),
    (change_the_text, lambda reader: "2027-12-31" in reader.pages[0].extract_text()),
], ids=["add_a_page", "change_the_text"])
def test_an_update_appended_after_signing_is_reported(signer, change, shows):
    signed = sign_pdf(packet_pdf(), signer)
    writer = PdfWriter(io.BytesIO(signed), incremental=True)
    change(writer)
    updated = io.BytesIO()
    writer.write(updated)
    assert updated.getvalue().startswith(signed)
    assert shows(PdfReader(updated))  # a reader sees the change
    [check] = check_signatures(updated.getvalue())
    assert check.intact and check.valid  # what was signed is still there, unchanged
    assert not check.covers_whole_file
    assert any("the file was changed after signing" in p for p in check.problems)


def test_a_second_signature_leaves_the_first_covering_the_file(signer, company_p12, passphrase):
    both = sign_pdf(sign_pdf(packet_pdf(), signer, field_name="PartyA"), signer,
                    field_name="PartyB")
    checks = check_signatures(both, trust=[certificate_of(company_p12, passphrase)])
    assert [c.field for c in checks] == ["PartyA", "PartyB"]
    assert all(c.intact and c.valid and c.covers_whole_file and c.trusted for c in checks)


def test_a_field_that_is_signed_already_is_refused(signer):
    signed = sign_pdf(packet_pdf(), signer)
    with pytest.raises(UsageError, match="cannot sign field Signature1"):
        sign_pdf(signed, signer)


def test_sign_time_for_a_20_page_packet(signer):
    """Measured, not judged (design.md anchors ~11–21 ms); shown with pytest -s."""
    import time

    pdf = packet_pdf(20)
    started = time.perf_counter()
    signed = sign_pdf(pdf, signer)
    print(f"\nPAdES B-B signature of a 20-page packet: "
          f"{(time.perf_counter() - started) * 1000:.1f} ms")
    assert len(PdfReader(io.BytesIO(signed)).pages) == 20


# --- damaged files -------------------------------------------------------------------------


def test_a_file_whose_structure_no_longer_parses_is_reported_as_damaged(signer):
    signed = sign_pdf(packet_pdf(), signer)
    at = signed.rindex(b"startxref\n") + len(b"startxref\n")
    with pytest.raises(DamagedPdf, match="the PDF cannot be read, so it was damaged or modified"):
        check_signatures(signed[:at] + b"x" + signed[at + 1:])
    with pytest.raises(DamagedPdf):
        check_signatures(b"not a PDF at all")


def test_no_changed_byte_in_the_signed_ranges_passes_or_escapes_as_a_traceback(signer):
    """Every 7th byte of what the signature covers, changed in turn: each time the check either
    reports the file damaged or finds a signature that is not intact, valid and covering."""
    signed = sign_pdf(packet_pdf(), signer)
    start, length, after, rest = map(int, re.search(
        rb"/ByteRange \[\s*(\d+) (\d+) (\d+) (\d+)", signed).groups())
    covered = [*range(start, start + length, 7), *range(after, after + rest, 7)]
    passed = []
    for at in covered:
        tampered = bytearray(signed)
        tampered[at] ^= 0x04
        try:
            checks = check_signatures(bytes(tampered))
        except DamagedPdf:
            continue
        if not checks or all(c.intact and c.valid and c.covers_whole_file for c in checks):
            passed.append(at)
    assert not passed, f"changes at {passed} went unnoticed"


def test_make_test_cert_makes_its_directory_and_leaves_no_temporary_file(tmp_path):
    path = make_test_cert(tmp_path / "sub" / "t.p12", b"pw", days=1)
    assert path.is_file() and os.listdir(path.parent) == ["t.p12"]
