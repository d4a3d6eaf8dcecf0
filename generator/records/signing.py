"""Signing the history: keys, manifests and signed statements (used by `index checkpoint` and
`index verify`).

Hash chains alone catch an edited row, but not someone with write access to the database who
rewrites a row and recomputes every hash after it. A checkpoint closes that gap: it lists the
hash of every document and event row added since the checkpoint before (its *manifest*), and
signs a statement of it — counts, the manifest's hash, the previous checkpoint's hash — with an
Ed25519 key kept outside the database. `index verify` compares each row with what a checkpoint
signed, so a rewritten, removed or inserted row is named, as is a whole ticket that vanished.

Checkpoints are chained too, and each one taken is also appended to a log beside the key
(KEY.checkpoints), so deleting the newest checkpoints from the database is noticed on a machine
that holds the log. What happened after the newest checkpoint is protected only by the chains.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from generator.errors import ConfigError, UsageError
from generator.records import ledger
from generator.records.schema import checkpoints, documents, events

KEY_ENV = "AFTERSALES_SIGNING_KEY"
FINGERPRINT_CHARS = 32  # of a row's SHA-256, in hex: 128 bits


@dataclass
class Keys:
    """The key pair as configured: the private half signs, the public half checks."""

    private: Any | None
    public: Any | None
    setting: str
    path: Path | None  # the private key's file; its checkpoint log sits beside it

    @property
    def key_id(self) -> str | None:
        return key_id(self.public) if self.public is not None else None

    @property
    def log(self) -> Path | None:
        return Path(f"{self.path}.checkpoints") if self.path else None


@dataclass(frozen=True)
class SignedEntry:
    """One row as a checkpoint signed it."""

    chain: str
    entry: int
    kind: str  # document or event
    id: int
    fingerprint: str
    label: str  # a document's path, an event's kind: enough to name it if it disappears
    checkpoint: int

    @property
    def order(self) -> tuple[str, int]:
        return self.chain, self.entry


def key_id(public) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_keys(root: Path, config: dict, environ: dict | None = None) -> Keys:
    """The signing key from AFTERSALES_SIGNING_KEY or `[index] signing_key`, else the public
    key from `[index] public_key`; neither configured gives empty Keys."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    environ = os.environ if environ is None else environ
    private_path, setting = environ.get(KEY_ENV, ""), KEY_ENV
    if not private_path:
        private_path, setting = config["index"]["signing_key"], "[index] signing_key"
    if private_path:
        path = _resolve(root, private_path)
        data = _read_key(path, setting)
        try:
            private = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{setting}: {path} is not an unencrypted PEM private key "
                              f"({exc}); make one with `aftersales index keygen`") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise ConfigError(f"{setting}: {path} is not an Ed25519 key; make one with "
                              f"`aftersales index keygen`")
        return Keys(private, private.public_key(), setting, path)
    public_path = config["index"]["public_key"]
    if public_path:
        setting = "[index] public_key"
        path = _resolve(root, public_path)
        data = _read_key(path, setting)
        try:
            public = serialization.load_pem_public_key(data)
        except ValueError as exc:
            raise ConfigError(f"{setting}: {path} is not a PEM public key ({exc})") from None
        if not isinstance(public, Ed25519PublicKey):
            raise ConfigError(f"{setting}: {path} is not an Ed25519 public key")
        return Keys(None, public, setting, None)
    return Keys(None, None, "", None)


def _resolve(root: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else root / path


def _read_key(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{setting}: {path} does not exist; make a key with `aftersales index "
                          f"keygen {path}`") from None
    except OSError as exc:
        raise ConfigError(f"{setting}: cannot read {path}: {exc.strerror}") from None


def keygen(path: Path) -> tuple[Path, Path, str]:
    """Write a new Ed25519 private key (mode 0600) and its public half (PATH.pub)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    public_path = Path(f"{path}.pub")
    for existing in (path, public_path):
        if existing.exists():
            raise UsageError(f"{existing} exists; a signing key is never overwritten (move it "
                             f"away first if you really mean to replace it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    public_path.write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return path, public_path, key_id(private.public_key())


# --- manifests -------------------------------------------------------------------------------


def _order(table: sa.Table):
    return table.c.ticket.nulls_first(), table.c.entry, table.c.id


def history_rows(conn: sa.Connection, after: tuple[int, int] = (0, 0),
                 upto: tuple[int, int] | None = None) -> Iterator[tuple[str, dict]]:
    """Document and event rows, in chain order ('' first, then by ticket, then by entry), as
    (kind, row); only ids in (after, upto] per table when given."""
    streams = []
    for position, (kind, table) in enumerate((("document", documents), ("event", events))):
        query = sa.select(table).order_by(*_order(table))
        if after[position]:
            query = query.where(table.c.id > after[position])
        if upto is not None:
            query = query.where(table.c.id <= upto[position])
        streams.append(_tagged(kind, conn.execute(streamed(query))))
    return heapq.merge(*streams, key=lambda item: (ledger.chain_name(item[1]["ticket"]),
                                                   item[1]["entry"] or 0, item[1]["id"]))


def streamed(query):
    """A query whose rows come a batch at a time (a server-side cursor on PostgreSQL)."""
    return query.execution_options(stream_results=True, yield_per=2000)


def _tagged(kind: str, result) -> Iterator[tuple[str, Any]]:
    for row in result.mappings():
        yield kind, row


def label(kind: str, row: Any) -> str:
    """A document's store path, an event's kind: enough to name a row that disappears."""
    return row["path"] if kind == "document" else row["kind"]


def read_manifest(blob: bytes, checkpoint: int) -> Iterator[SignedEntry]:
    """The manifest's entries in chain order, decompressed a piece at a time."""
    inflate = zlib.decompressobj()
    pending = b""
    for start in range(0, len(blob), 1 << 16):
        pending += inflate.decompress(blob[start:start + (1 << 16)])
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield _entry(line, checkpoint)
    pending += inflate.flush()
    for line in pending.split(b"\n"):
        if line:
            yield _entry(line, checkpoint)


def _entry(line: bytes, checkpoint: int) -> SignedEntry:
    chain, entry, kind, row_id, fingerprint, text = json.loads(line)
    return SignedEntry(chain, entry, kind, row_id, fingerprint, text, checkpoint)


def signed_entries(conn: sa.Connection) -> Iterator[SignedEntry]:
    """Every row any checkpoint signed, in chain order."""
    ids = conn.execute(sa.select(checkpoints.c.id).order_by(checkpoints.c.id)).scalars().all()

    def one(checkpoint_id: int) -> Iterator[SignedEntry]:
        # a separate query per checkpoint, so only one manifest is in memory at a time
        blob = conn.execute(sa.select(checkpoints.c.manifest).where(
            checkpoints.c.id == checkpoint_id)).scalar_one()
        yield from read_manifest(blob, checkpoint_id)

    return heapq.merge(*(one(i) for i in ids), key=lambda e: e.order)


# --- statements ------------------------------------------------------------------------------


def statement_bytes(statement: dict[str, Any]) -> bytes:
    return json.dumps(statement, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def checkpoint_hash(statement: bytes, signature: str) -> str:
    return hashlib.sha256(statement + b"\0" + signature.encode("ascii")).hexdigest()


