"""`index verify`: every indexed file is there with its hash, every file is indexed, every
ticket's hash chain is whole."""

from __future__ import annotations

from pathlib import Path

from generator.records.index import GENESIS, index_of, row_hash
from generator.workspace import Workspace, sha256_file

# Files in output/ that are not documents: the placeholder and the index database itself.
NOT_DOCUMENTS = (".gitkeep",)


def verify(workspace: Workspace) -> list[str]:
    """Problems found, one line each; an empty list means the records are intact."""
    problems = []
    rows = index_of(workspace).documents()
    heads: dict[str | None, str] = {}
    for row in rows:
        path = workspace.root / row["path"]
        if not path.is_file():
            problems.append(f"missing: {row['path']} (document {row['id']})")
        elif sha256_file(path) != row["sha256"]:
            problems.append(f"changed: {row['path']} (document {row['id']}): its SHA-256 "
                            f"is no longer the one indexed")
        expected_prev = heads.get(row["ticket"], GENESIS)
        if row["prev_hash"] != expected_prev or row_hash(row) != row["row_hash"]:
            problems.append(f"tampered index row: document {row['id']} ({row['path']}) does "
                            f"not continue the hash chain of ticket {row['ticket'] or '-'}")
        heads[row["ticket"]] = row["row_hash"]

    indexed = {row["path"] for row in rows}
    index_files = {workspace.index_path.resolve()}
    index_files |= {Path(f"{workspace.index_path.resolve()}{s}") for s in ("-wal", "-shm",
                                                                           "-journal")}
    output = workspace.output_dir
    if output.is_dir():
        for path in sorted(output.rglob("*")):
            if not path.is_file() or path.name in NOT_DOCUMENTS or path.resolve() in index_files:
                continue
            relative = workspace.relative(path)
            if relative not in indexed:
                problems.append(f"unindexed: {relative} (not produced by aftersales, or its "
                                f"index row is gone)")
    return problems
