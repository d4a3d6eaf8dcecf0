"""Connecting to the index's database — SQLite in the workspace by default, or a shared
PostgreSQL server — bringing its schema up to date with Alembic, and turning the drivers' errors
into one-line messages that name the setting to fix.

Nothing here knows what the tables mean; `generator.records.index` does.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from generator.errors import ConfigError, IndexBusy, IndexUnavailable, MissingDependency
from generator.records.schema import HEAD

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Revisions this version can read and write; anything else was written by a newer version.
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005")
LEGACY = "legacy"  # an index from before Alembic: tables, but no alembic_version
# pg_advisory_lock keys: (space, id) pairs, so ours never meet another application's
LOCK_SPACE = 0x0AF7E
MIGRATION_LOCK = 0


@dataclass(frozen=True)
class Location:
    """Where the index is, and which setting said so (for messages)."""

    url: sa.URL
    setting: str
    sqlite_path: Path | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.sqlite_path is not None

    def shown(self) -> str:
        if self.sqlite_path is not None:
            return str(self.sqlite_path)
        return self.url.set(drivername="postgresql").render_as_string(hide_password=True)


def locate(root: Path, config: dict, environ: dict | None = None) -> Location:
    """The index named by AFTERSALES_INDEX_URL, `[index] url`, or else `[index] path`."""
    environ = os.environ if environ is None else environ
    raw, setting = environ.get("AFTERSALES_INDEX_URL", ""), "AFTERSALES_INDEX_URL"
    if not raw:
        raw, setting = config["index"]["url"], "[index] url"
    if not raw:
        path = root / config["index"]["path"]
        return Location(sa.URL.create("sqlite", database=str(path)), "[index] path", path)
    try:
        url = sa.make_url(raw)
        url.port  # parsed lazily: a port that is not a number fails here  # noqa: B018
    except ValueError:
        raise ConfigError(f"{setting}: the port in {_mask(raw)!r} is not a number") from None
    except sa_exc.ArgumentError:
        raise ConfigError(
            f"{setting}: {_mask(raw)!r} is not a database URL; write "
            f"postgresql://USER:PASSWORD@HOST:PORT/DATABASE or sqlite:///PATH"
        ) from None
    backend = url.drivername.split("+")[0]
    if backend in ("postgresql", "postgres"):
        if not url.database:
            raise ConfigError(f"{setting}: {_mask(raw)!r} names no database; add /DATABASE")
        return Location(url.set(drivername="postgresql+psycopg"), setting)
    if backend == "sqlite":
        if not url.database:
            raise ConfigError(f"{setting}: an in-memory SQLite index would be lost; give a file, "
                              f"like sqlite:///output/index.sqlite3")
        path = Path(url.database)
        path = path if path.is_absolute() else root / path
        return Location(sa.URL.create("sqlite", database=str(path)), setting, path)
    raise ConfigError(f"{setting}: {backend} is not supported; use postgresql://… (a shared "
                      f"server) or sqlite:///PATH (one machine)")


def _mask(raw: str) -> str:
    """The URL without its password, however malformed."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", raw)


# --- engines ---------------------------------------------------------------------------------


def create_engine(location: Location, *, write: bool, busy_seconds: float) -> sa.Engine:
    if location.is_sqlite:
        return _sqlite_engine(location.sqlite_path, write=write, busy_seconds=busy_seconds)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise MissingDependency(
            f"{location.setting} names a PostgreSQL server, which needs the psycopg driver: "
            f"pip install 'aftersales[postgresql]'"
        ) from None
    milliseconds = int(busy_seconds * 1000)
    engine = sa.create_engine(
        location.url, pool_size=2, max_overflow=2,
        connect_args={"connect_timeout": 10,
                      "options": f"-c lock_timeout={milliseconds} -c timezone=UTC",
                      "application_name": "aftersales"},
    )
    return engine


def _sqlite_engine(path: Path, *, write: bool, busy_seconds: float) -> sa.Engine:
    def connect() -> sqlite3.Connection:
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: SQLAlchemy's "begin" event below says BEGIN itself
            db = sqlite3.connect(path, timeout=busy_seconds, isolation_level=None,
                                 check_same_thread=False)
            _retry_while_locked(lambda: db.execute("PRAGMA journal_mode = WAL"), busy_seconds)
            # In WAL mode NORMAL never corrupts the file; a power cut may lose the last commit,
            # and `index verify` then names the documents it left unindexed.
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            return db
        # Readers never write, not even the -wal and -shm files, so an auditor can read a
        # workspace they may not change. A WAL database in a folder we cannot write is only
        # readable as immutable (nobody can be writing it then: nobody can write there).
        uri = f"file:{quote(str(path))}?mode=ro"
        try:
            db = sqlite3.connect(uri, uri=True, timeout=busy_seconds, isolation_level=None,
                                 check_same_thread=False)
            db.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        except sqlite3.OperationalError:
            db = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None,
                                 check_same_thread=False)
        return db

    engine = sa.create_engine("sqlite://", creator=connect, poolclass=sa.pool.QueuePool,
                              pool_size=2, max_overflow=2)

    @event.listens_for(engine, "begin")
    def begin(conn: sa.Connection) -> None:
        # IMMEDIATE takes the write lock at once, so two writers never both read a value
        # before either writes it; readers take a snapshot with a plain BEGIN.
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _retry_while_locked(action, seconds: float):
    """Switching a new database to WAL needs it to itself, and SQLite answers "locked" at once
    there rather than waiting (the busy timeout does not apply): when several processes create
    the index together, wait and try again."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


# --- errors ----------------------------------------------------------------------------------


@contextmanager
def explained(location: Location, busy_seconds: float) -> Iterator[None]:
    """Database errors as one-line messages that say which setting to check."""
    try:
        yield
    except sa_exc.DBAPIError as exc:
        raise explain(exc, location, busy_seconds) from exc


def explain(exc: sa_exc.DBAPIError, location: Location, busy_seconds: float) -> Exception:
    original = exc.orig
    text = str(original).strip().splitlines()[0] if str(original).strip() else type(
        original).__name__
    sqlstate = getattr(original, "sqlstate", None)
    where = f"the index at {location.shown()} ({location.setting})"
    if location.is_sqlite:
        if "locked" in text or "busy" in text:
            return IndexBusy(f"{where} stayed busy for {busy_seconds:g} s (another aftersales "
                             f"process is writing it); try again, or raise [index] "
                             f"busy_timeout")
        if "readonly" in text or "read-only" in text:
            return IndexUnavailable(f"{where} is read-only here: {text}; this command needs to "
                                    f"write it")
        return IndexUnavailable(f"{where} cannot be opened: {text}")
    if sqlstate == "55P03":
        return IndexBusy(f"{where} kept a record locked for {busy_seconds:g} s (another "
                         f"aftersales process is writing it); try again, or raise [index] "
                         f"busy_timeout")
    if sqlstate in ("42501",) or "permission denied" in text:
        return IndexUnavailable(f"{where}: {text}; this user may only read the index")
    if "password authentication failed" in text or "no password supplied" in text:
        return IndexUnavailable(f"{where}: {text}; check the user and password in "
                                f"{location.setting}")
    if "does not exist" in text and "database" in text:
        return IndexUnavailable(f"{where}: {text}; create it (createdb) or fix the database "
                                f"name in {location.setting}")
    if isinstance(exc, sa_exc.OperationalError) and sqlstate is None:
        return IndexUnavailable(f"cannot reach {where}: {text}; check that the server is "
                                f"running and the host and port in {location.setting}")
    return IndexUnavailable(f"{where}: {text}")


# --- schema ----------------------------------------------------------------------------------


def revision(conn: sa.Connection) -> str | None:
    """The schema revision of the database: None when it has no index tables yet, LEGACY for
    an index from before Alembic."""
    names = set(sa.inspect(conn).get_table_names())
    if "alembic_version" in names:
        found = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        if found:
            return found
    return LEGACY if "documents" in names else None


def check_readable(found: str | None, location: Location) -> None:
    """Refuse a schema this version cannot read (without changing anything)."""
    check_known(found, location)
    if found is not None and found != HEAD:
        raise IndexUnavailable(
            f"the index at {location.shown()} has an older layout (revision {found}); upgrade "
            f"it in place with `aftersales index upgrade` (reading commands never write)"
        )


def upgrade(conn: sa.Connection, location: Location, store_prefix: str) -> None:
    """Bring the schema to HEAD with Alembic, inside one locked transaction, so that processes
    racing to create or upgrade the index take turns and the loser finds the work done."""
    conn.execution_options(immediate=True)  # SQLite: hold the write lock from the first read
    with conn.begin():
        if not location.is_sqlite:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_SPACE, MIGRATION_LOCK)))
        found = revision(conn)
        if found == HEAD:
            return
        check_known(found, location)
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        config.attributes["store_prefix"] = store_prefix
        try:
            command.upgrade(config, HEAD)
        except RuntimeError as exc:  # a migration that refuses the data it found
            raise IndexUnavailable(f"{location.shown()}: {exc}") from None


def check_known(found: str | None, location: Location) -> None:
    """Refuse an index written by a newer version: its layout may mean things this one does
    not know."""
    if found is not None and found != LEGACY and found not in KNOWN_REVISIONS:
        raise IndexUnavailable(
            f"the index at {location.shown()} was written by a newer aftersales (schema "
            f"revision {found}; this version knows up to {HEAD}); upgrade aftersales"
        )
