"""`aftersales index migrate --to URL`: copy a workspace's index to another database (a shared
PostgreSQL server, typically) without changing the original.

Every row is copied as it is — ids, hashes, chains, reservations, checkpoints — so the copy
verifies exactly as the original did, and the signatures still hold. The target must be empty;
its schema is created by the same migrations as any new index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from generator.errors import UsageError
from generator.records import database
from generator.records.index import Index
from generator.records.schema import ALL_TABLES, chains

BATCH = 2000


@dataclass
class Copied:
    target: str
    rows: dict[str, int]


def migrate(source: Index, target_url: str, root, config: dict,
            progress: Callable[[str, int], None] | None = None) -> Copied:
    location = database.locate(root, {**config, "index": {**config["index"], "url": target_url}},
                               environ={})
    if location.shown() == source.location.shown():
        raise UsageError("--to names the index this workspace already uses")
    source.upgrade()  # copy from the newest layout
    target = Index(location, source.store, source.busy_seconds)
    try:
        with target._explained():
            engine = database.create_engine(location, write=True,
                                            busy_seconds=source.busy_seconds)
            try:
                with engine.connect() as conn:
                    occupied = database.revision(conn) is not None and _has_rows(conn)
                    conn.rollback()
            finally:
                engine.dispose()
        if occupied:
            raise UsageError(f"--to: {location.shown()} already holds an index; give an empty "
                             f"database")
        connection = target.writer()  # creates the schema
        copied = {}
        with source.reading(snapshot=True) as reader, target._explained():
            with connection.begin():
                for table in ALL_TABLES:
                    copied[table.name] = _copy(reader, connection, table, progress)
                if target.is_postgresql:
                    for table in ALL_TABLES:
                        if "id" in table.c:
                            connection.execute(sa.text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))
            _same_heads(reader, connection, location)
    finally:
        target.close()
    return Copied(location.shown(), copied)


def _has_rows(conn: sa.Connection) -> bool:
    names = set(sa.inspect(conn).get_table_names())
    return any(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
               for table in ALL_TABLES if table.name in names)


def _copy(reader: sa.Connection, writer: sa.Connection, table: sa.Table,
          progress: Callable[[str, int], None] | None) -> int:
    key = table.c.id if "id" in table.c else list(table.primary_key)[0]
    result = reader.execute(sa.select(table).order_by(key).execution_options(
        stream_results=True, yield_per=BATCH))
    count = 0
    for batch in result.mappings().partitions(BATCH):
        writer.execute(table.insert(), [dict(row) for row in batch])
        count += len(batch)
        if progress:
            progress(table.name, count)
    return count


def _same_heads(reader: sa.Connection, writer: sa.Connection, location) -> None:
    """The copy ends every chain where the original does."""
    query = sa.select(chains.c.name, chains.c.entries, chains.c.head).order_by(chains.c.name)
    if list(reader.execute(query)) != list(writer.execute(query)):
        raise UsageError(f"the copy at {location.shown()} does not match the original; it is "
                         f"incomplete — drop it and run again")
