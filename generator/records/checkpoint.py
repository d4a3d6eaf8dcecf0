"""`aftersales index checkpoint`: sign the history as it stands.

A checkpoint lists the hash of every document and event row added since the checkpoint before
(its manifest) and signs a statement of it with the Ed25519 key (see generator.records.signing).
It refuses to sign a history whose rows, chains or earlier checkpoints do not verify, and a key
other than the one that signed before. Files are not hashed again here: each row carries its
file's SHA-256, and that is what gets signed, so a file changed before or after is still caught.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from generator.errors import AftersalesError, ConfigError
from generator.records import ledger
from generator.records.index import Index
from generator.records.schema import checkpoints, documents, events, tickets
from generator.records.signing import (
    FINGERPRINT_CHARS,
    KEY_ENV,
    Keys,
    checkpoint_hash,
    history_rows,
    label,
    statement_bytes,
)
from generator.records.verify import Report, check_checkpoints, check_history


@dataclass
class Taken:
    id: int
    at: str
    hash: str
    key_id: str
    documents: int
    events: int
    entries: int
    log: Path | None


def take(index: Index, keys: Keys) -> Taken:
    """Sign the index's history as it stands: every row since the last checkpoint."""
    if keys.private is None:
        raise ConfigError(
            "no signing key: set [index] signing_key in aftersales.toml (or "
            f"{KEY_ENV}) to a key file made with `aftersales index keygen PATH`"
        )
    # 1. where history ends now: every row up to these ids is committed (writers wait for the
    #    lock, and a PostgreSQL writer holds its ids until it commits)
    with index.writing() as conn:
        if index.is_postgresql:
            conn.exec_driver_sql("LOCK TABLE documents, events IN SHARE ROW EXCLUSIVE MODE")
        last = conn.execute(sa.select(checkpoints).order_by(checkpoints.c.id.desc())
                            .limit(1)).mappings().first()
        upto = (conn.execute(sa.select(sa.func.coalesce(sa.func.max(documents.c.id), 0)))
                .scalar_one(),
                conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.id), 0)))
                .scalar_one())
    previous = json.loads(last["statement"]) if last else None
    if previous and previous.get("key") != keys.key_id:
        raise ConfigError(
            f"{keys.setting}: this key ({keys.key_id}) is not the one that signed checkpoint "
            f"{last['id']} ({previous.get('key')}); sign with that key — a checkpoint under a "
            f"new key would let anyone re-sign the history")
    after = (previous["last_document"], previous["last_event"]) if previous else (0, 0)

    # 2. refuse to sign a history that does not verify — rows, chains, and the checkpoints
    #    before (signed by this key, unaltered, none missing)
    with index.reading(snapshot=True) as conn:
        report = Report()
        check_history(conn, index, report.problems, check_checkpoints(conn, index, keys, report))
        if report.problems:
            raise AftersalesError(
                "the history does not verify, so it was not signed; run `aftersales index "
                "verify` and resolve these first:\n"
                + "\n".join(f"  - {p}" for p in report.problems))
        manifest, counted = _manifest(conn, after, upto)
        totals = {name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                  for name, table in (("documents", documents), ("events", events),
                                      ("tickets", tickets))}

    at = dt.datetime.now().isoformat(sep=" ", timespec="seconds")
    statement = {
        "checkpoint": (last["id"] if last else 0) + 1,
        "at": at,
        "previous": last["hash"] if last else ledger.GENESIS,
        "last_document": upto[0],
        "last_event": upto[1],
        **totals,
        "entries": counted,
        "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
        "key": keys.key_id,
    }
    body = statement_bytes(statement)
    signature = keys.private.sign(body).hex()
    digest = checkpoint_hash(body, signature)
    # 3. record it, unless another checkpoint was taken meanwhile
    with index.writing() as conn:
        newest = conn.execute(sa.select(sa.func.max(checkpoints.c.id))).scalar()
        if newest != (last["id"] if last else None):
            raise AftersalesError("another checkpoint was taken meanwhile; run `aftersales "
                                  "index checkpoint` again")
        conn.execute(checkpoints.insert().values(
            id=statement["checkpoint"], at=at, statement=body.decode("utf-8"),
            manifest=manifest, signature=signature, hash=digest))
    if keys.log is not None:
        with open(keys.log, "a", encoding="utf-8") as log:
            log.write(json.dumps({"checkpoint": statement["checkpoint"], "at": at,
                                  "hash": digest, "index": index.location.shown()},
                                 ensure_ascii=False) + "\n")
    return Taken(statement["checkpoint"], at, digest, keys.key_id, totals["documents"],
                 totals["events"], counted, keys.log)


def _manifest(conn: sa.Connection, after: tuple[int, int],
              upto: tuple[int, int]) -> tuple[bytes, int]:
    deflate = zlib.compressobj(6)
    parts, count = [], 0
    for kind, row in history_rows(conn, after, upto):
        line = json.dumps([ledger.chain_name(row["ticket"]), row["entry"], kind, row["id"],
                           ledger.row_hash(kind, row)[:FINGERPRINT_CHARS],
                           label(kind, row)], ensure_ascii=False)
        parts.append(deflate.compress(line.encode("utf-8") + b"\n"))
        count += 1
    parts.append(deflate.flush())
    return b"".join(parts), count
