"""How history is hashed: one function per kind of row, shared by the writer, `index verify`,
checkpoints and the migrations.

A ticket's documents and events form one chain: each row carries its place in the chain
(`entry`, 1, 2, …), the hash of the row before it (`prev_hash`, GENESIS for the first) and its
own `row_hash`, a SHA-256 over its fields. Editing or removing a row breaks the chain; a
checkpoint signs the rows' hashes, so rewriting a row and every hash after it is caught too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64
NO_TICKET = ""  # the chain of documents and events that belong to no ticket

# The fields each row's hash covers, in order: everything but its id and the hash itself.
FIELDS = {
    "document": ("ticket", "entry", "form", "record_no", "format", "path", "sha256", "size",
                 "created_at", "data", "template", "template_sha256", "prev_hash"),
    "event": ("ticket", "entry", "at", "kind", "detail", "prev_hash"),
}


def canonical(values: Any) -> bytes:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def row_hash(kind: str, row: Mapping[str, Any]) -> str:
    """The hash of a document or event row, over `FIELDS[kind]` and the kind itself."""
    return hashlib.sha256(canonical([kind, *(row[f] for f in FIELDS[kind])])).hexdigest()


def ticket_digest(number: str, opened_at: str, data: str, state: str) -> str:
    """What a ticket's `opened` event vouches for: the ticket row as it was opened."""
    return hashlib.sha256(canonical(["ticket", number, opened_at, data, state])).hexdigest()


def chain_name(ticket: str | None) -> str:
    return NO_TICKET if ticket is None else ticket


def link(kind: str, row: dict[str, Any], entry: int, prev_hash: str) -> str:
    """Make `row` the `entry`-th link after `prev_hash`; returns (and sets) its hash."""
    row["entry"] = entry
    row["prev_hash"] = prev_hash
    row["row_hash"] = row_hash(kind, row)
    return row["row_hash"]


def fold(facts: dict[str, Any], sets: Mapping[str, Any] | None) -> dict[str, Any]:
    """A ticket's facts after an event that sets `sets`: tables merge key by key, None removes
    a key, anything else replaces it."""
    merged = dict(facts)
    for key, value in (sets or {}).items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = fold(merged[key], value)
        elif isinstance(value, Mapping):
            merged[key] = fold({}, value)
        else:
            merged[key] = value
    return merged


def facts_text(facts: dict[str, Any]) -> str:
    return json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False)
