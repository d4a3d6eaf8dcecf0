"""PAdES signatures on agreement packets, with pyHanko: a self-signed certificate for trying it
out, loading a signer from a PKCS#12 file (refusing one that cannot sign), signing a PDF as an
incremental update, and checking every signature in a PDF.

pyHanko is the `sign` extra, imported only when a function here needs it; without it the
functions raise `MissingDependency`. `make_test_cert` needs only `cryptography`.

A PDF whose structure no longer parses raises `DamagedPdf` from `check_signatures` (callers
report it as modified). A signature whose own data cannot be validated gives a `SignatureCheck`
that is neither intact nor valid, with the reason in `problems`.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import DamagedPdf, MissingDependency, UsageError

if TYPE_CHECKING:
    from cryptography import x509
    from pyhanko.sign.signers import SimpleSigner

MISSING_PYHANKO = "signing needs the sign extra: pip install 'aftersales[sign]'"

# Key usages that allow signing documents: one of them must be present when the certificate
# limits its key usage at all.
SIGNING_KEY_USAGES = frozenset({"digital_signature", "non_repudiation"})

# Extended key usages under which a certificate may sign documents, when it names any: Adobe
# Acrobat's list (S/MIME, Adobe Authentic Documents Trust, Microsoft Document Signing) and
# RFC 9336 id-kp-documentSigning, which asn1crypto knows only by its number.
DOCUMENT_SIGNING_PURPOSES = frozenset({
    "email_protection", "adobe_authentic_documents_trust", "microsoft_document_signing",
    "1.3.6.1.5.5.7.3.36",
})

# AdES sub-indications that mean "no valid chain to a trust root" (a self-signed certificate
# that is not a root gives the second); others (expired, revoked) are named as they are.
UNCHAINED = frozenset({"NO_CERTIFICATE_CHAIN_FOUND", "CHAIN_CONSTRAINTS_FAILURE"})

# A test certificate starts a little in the past, so a clock a few minutes slow still accepts it.
CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class SignatureCheck:
    """What `check_signatures` found out about one signature."""

    field: str
    signer: str  # the signing certificate's common name, with its organisation in brackets
    signed_at: dt.datetime | None  # the time the signer's machine claimed; no timestamp proves it
    intact: bool  # the signed byte ranges' digest matches the one that was signed
    valid: bool  # intact, and the signature over that digest verifies with the certificate
    covers_whole_file: bool  # nothing after it but what PAdES allows (see check_signatures)
    trusted: bool  # the certificate chains to one of the trust roots given
    problems: list[str]  # one plain-English line per failing aspect; empty when all hold


def _require_pyhanko() -> None:
    """Raise MissingDependency unless pyHanko can be imported, and keep its log quiet."""
    try:
        import pyhanko  # noqa: F401
        import pyhanko_certvalidator  # noqa: F401
    except ImportError:
        raise MissingDependency(MISSING_PYHANKO) from None
    # pyHanko logs every failed path search (an untrusted certificate) with its traceback; with
    # no handler of its own, Python would print those on stderr. Our results carry the reason.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())


# --- a certificate to try signing with ------------------------------------------------------


def make_test_cert(out: Path, passphrase: bytes, *, name: str = "aftersales test signer",
                   organisation: str | None = None, days: int = 365,
                   force: bool = False) -> Path:
    """Write a self-signed certificate and its EC P-256 key as a PKCS#12 file (mode 0600),
    encrypted with `passphrase`. Nobody trusts it: it is for trying signing out."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    refuse_overwrite(out, force)
    if not passphrase:
        raise UsageError("the passphrase is empty; the key would be unprotected")
    if days < 1:
        raise UsageError(f"days: {days} is not a number of days the certificate can be valid")
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, name)]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    subject = x509.Name(attributes)
    key = ec.generate_private_key(ec.SECP256R1())
    start = dt.datetime.now(dt.UTC) - CLOCK_SKEW
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(start + CLOCK_SKEW + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        name.encode("utf-8"), key, certificate, None,
        serialization.BestAvailableEncryption(passphrase))
    _write_private(out, data, force)
    return out


def refuse_overwrite(out: Path, force: bool) -> None:
    """UsageError when `out` exists and replacing it was not asked for."""
    if out.exists() and not force:
        raise UsageError(f"{out} exists; it is never overwritten without --force")


def _write_private(out: Path, data: bytes, force: bool) -> None:
    """Write `data` readable by its owner only, whole or not at all; replace an existing file
    only when forced (a link, unlike a rename, refuses to replace one)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    try:
        with os.fdopen(descriptor, "wb") as stream:  # mkstemp makes it mode 0600
            stream.write(data)
        if force:
            os.replace(temporary, out)
        else:
            os.link(temporary, out)
    except FileExistsError:
        raise UsageError(f"{out} exists; it is never overwritten without --force") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


# --- loading a signer ------------------------------------------------------------------------


def load_signer(p12: Path, passphrase: bytes) -> SimpleSigner:
    """A pyHanko signer from a PKCS#12 file, refused (UsageError naming the file) when the file
    cannot be read or decrypted, or its certificate is out of date or not for signing."""
    _require_pyhanko()
    from asn1crypto import keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    try:
        data = p12.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {p12}: {exc.strerror}") from None
    key, certificate, others = _open_pkcs12(p12, data, passphrase)
    _check_dates(p12, certificate)
    signing_cert = asn1_x509.Certificate.load(
        certificate.public_bytes(serialization.Encoding.DER))
    _check_usage(p12, signing_cert)
    private = keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    chain = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
             for c in others]
    return SimpleSigner(signing_cert=signing_cert, signing_key=private,
                        cert_registry=SimpleCertificateStore.from_certs(chain))


def _open_pkcs12(p12: Path, data: bytes, passphrase: bytes):
    """The key, certificate and other certificates in a PKCS#12 file."""
    from asn1crypto import pkcs12 as asn1_pkcs12
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        key, certificate, others = pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError:
        # cryptography gives one error for both; a file whose outer structure parses is PKCS#12
        try:
            asn1_pkcs12.Pfx.load(data, strict=True).native  # noqa: B018 (parses it all)
        except ValueError:
            raise UsageError(f"{p12} is not a PKCS#12 (.p12/.pfx) file") from None
        raise UsageError(f"wrong passphrase for {p12}") from None
    if key is None or certificate is None:
        raise UsageError(f"{p12} holds no private key with its certificate; a signer needs both")
    return key, certificate, others


def _check_dates(p12: Path, certificate: x509.Certificate) -> None:
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    now = dt.datetime.now(dt.UTC)
    valid = f"valid {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
    if now > end:
        raise UsageError(f"{p12}: the certificate expired on {end:%Y-%m-%d} ({valid})")
    if now < start:
        raise UsageError(f"{p12}: the certificate is not valid yet ({valid})")


def _check_usage(p12: Path, certificate) -> None:
    """Refuse a certificate whose key usage or extended key usage rules out signing documents
    (pyHanko's own RFC 5280 reading of the two extensions)."""
    from pyhanko_certvalidator.errors import InvalidCertificateError

    try:
        _signing_usage().validate(certificate)
    except InvalidCertificateError:
        usages = certificate.key_usage_value.native if certificate.key_usage_value else []
        purposes = (certificate.extended_key_usage_value.native
                    if certificate.extended_key_usage_value else [])
        allowed = ", ".join(u.replace("_", " ") for u in [*usages, *purposes])
        raise UsageError(f"{p12}: not a signing certificate (it allows only {allowed}); "
                         f"signing needs digital signature or non-repudiation") from None


def _signing_usage():
    """The key usages a document signer's certificate must allow, as pyHanko constraints."""
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    return KeyUsageConstraints(key_usage=SIGNING_KEY_USAGES,
                             extd_key_usage=DOCUMENT_SIGNING_PURPOSES,
                             explicit_extd_key_usage_required=False)


# --- signing ---------------------------------------------------------------------------------


def sign_pdf(pdf: bytes, signer: SimpleSigner, *, field_name: str = "Signature1",
             reason: str | None = None, location: str | None = None) -> bytes:
    """`pdf` with a PAdES baseline B-B signature (SHA-256) in `field_name`, appended as an
    incremental update: the result starts with `pdf`, byte for byte."""
    _require_pyhanko()
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import SigningError

    writer = _incremental_writer(pdf)
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name, reason=reason, location=location, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES)
    try:
        return signers.sign_pdf(writer, metadata, signer).getvalue()
    except SigningError as exc:  # a field of that name that is already signed, say
        raise UsageError(f"cannot sign field {field_name}: {exc}") from None


def _incremental_writer(pdf: bytes):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    try:
        return IncrementalPdfFileWriter(io.BytesIO(pdf))
    except Exception as exc:  # pyHanko's parser raises many types on a damaged file
        raise DamagedPdf(f"the PDF to sign cannot be read: {exc}") from None


# --- checking --------------------------------------------------------------------------------


def check_signatures(pdf: bytes,
                     trust: list[x509.Certificate] | None = None) -> list[SignatureCheck]:
    """Every signature in `pdf`, checked; an unsigned PDF gives an empty list. Only the
    certificates in `trust` are trust roots (not the system's TLS roots), so a self-signed
    certificate is trusted only when it is given there. Nothing is fetched from the network.

    `covers_whole_file` holds when the signature covers the whole file, or its whole revision
    and what came after is only what PAdES allows after an approval signature: later
    signatures, their fields, and validation data (pyHanko's difference analysis). Adding a
    page or changing content after signing does not.

    Raises DamagedPdf when the file's structure cannot be read at all."""
    _require_pyhanko()
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko_certvalidator import ValidationContext

    signatures = _embedded_signatures(pdf)
    roots = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
             for c in trust or ()]
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    return [_check_one(signature, context) for signature in signatures]


def _embedded_signatures(pdf: bytes) -> list:
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    except Exception as exc:  # a damaged file fails with any of a dozen exception types
        raise DamagedPdf(f"the PDF cannot be read, so it was damaged or modified: {exc}") from None
    if not signatures and b"/ByteRange" in pdf:
        # a changed byte in a signature field's dictionary hides the signature: the file
        # would pass for an unsigned one
        raise DamagedPdf("the PDF holds signature data but no readable signature field, so "
                         "it was damaged or modified")
    return list(signatures)


def _check_one(signature, context) -> SignatureCheck:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    signer = ""
    try:
        signer = _signer_name(signature.signer_cert)
        # key usage only: pyHanko rebuilds the constraints it is given without
        # explicit_extd_key_usage_required, so an extended key usage list would reject every
        # certificate that has none (most CA-issued ones); load_signer checks it at signing
        status = validate_pdf_signature(signature, context,
                                        key_usage_settings=KeyUsageConstraints(
                                            key_usage=SIGNING_KEY_USAGES))
    except Exception as exc:  # broken signature data fails with arbitrary exception types
        return SignatureCheck(
            field=signature.field_name, signer=signer, signed_at=None, intact=False,
            valid=False, covers_whole_file=False, trusted=False,
            problems=[f"the signature cannot be validated, so it was damaged or modified: {exc}"])
    covers = _covers_whole_file(status)
    return SignatureCheck(
        field=signature.field_name, signer=_signer_name(status.signing_cert),
        signed_at=status.signer_reported_dt, intact=status.intact,
        valid=status.intact and status.valid, covers_whole_file=covers,
        trusted=status.trusted, problems=_problems(status, covers))


def _signer_name(certificate) -> str:
    subject = certificate.subject.native
    name = subject.get("common_name", "")
    organisation = subject.get("organization_name")
    return f"{name} ({organisation})" if organisation else name


def _covers_whole_file(status) -> bool:
    from pyhanko.sign.validation import SignatureCoverageLevel

    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    # docmdp_ok: the later updates stay within what the signature's modification policy (or,
    # for an approval signature, PAdES) permits; it is None when no analysis could be made
    return status.coverage == SignatureCoverageLevel.ENTIRE_REVISION and bool(status.docmdp_ok)


def _problems(status, covers_whole_file: bool) -> list[str]:
    from pyhanko.sign.validation import SignatureCoverageLevel

    problems = []
    if not status.intact:
        problems.append("the signed content was changed after signing (its digest does not "
                        "match the signed one)")
    elif not status.valid:
        problems.append("the signature does not verify with the signer's certificate")
    if not covers_whole_file:
        if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
            level = status.modification_level  # None when the difference analysis failed
            shown = level.name.lower().replace("_", " ") if level else "unknown"
            problems.append(f"the file was changed after signing beyond adding signatures "
                            f"(an appended update of level '{shown}': pages, content or "
                            f"fields)")
        else:
            problems.append("the signature does not cover the whole file it came with (its "
                            "byte ranges leave parts out)")
    if not status.trusted:
        problems.append(_trust_problem(status))
    return problems


def _trust_problem(status) -> str:
    indication = status.trust_problem_indic
    if indication is None or indication.name in UNCHAINED:
        return ("the signer's certificate is not trusted: no valid chain to a trust root "
                "given to the check (a self-signed certificate is trusted only when given as "
                "one)")
    reason = indication.name.lower().replace("_", " ")
    return f"the signer's certificate is not trusted ({reason})"
