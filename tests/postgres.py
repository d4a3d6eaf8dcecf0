"""A PostgreSQL server for the tests that need one: its URL, a fresh database per test, and login
roles. `scripts/test` starts a private server (scripts/postgres) and passes its URL in
AFTERSALES_TEST_POSTGRES; set that variable yourself to use a server of your own, as a user
who may create databases and roles. URLs are SQLAlchemy-style, postgresql://user@host:port/db."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import pytest

SERVER_URL = os.environ.get("AFTERSALES_TEST_POSTGRES")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
HOW_TO_GET_ONE = ("scripts/test starts one (it installs PostgreSQL when run as root); or set "
                  "AFTERSALES_TEST_POSTGRES=postgresql://user@host:port/db")


def need_postgres() -> str:
    """The server's URL. Skip when there is none or it does not answer — except in CI, where
    every test must run."""
    reason = None
    if not SERVER_URL:
        reason = f"no PostgreSQL server for the tests: {HOW_TO_GET_ONE}"
    else:
        try:
            import psycopg
        except ImportError:
            reason = "psycopg not installed (pip install 'psycopg[binary]'; scripts/test does)"
        else:
            try:
                psycopg.connect(conninfo(SERVER_URL), connect_timeout=5).close()
            except psycopg.Error as exc:
                where = urlsplit(SERVER_URL)   # not the whole URL: it may hold a password
                reason = (f"PostgreSQL at {where.hostname}:{where.port or 5432} does not answer "
                          f"({' '.join(str(exc).split())}): {HOW_TO_GET_ONE}")
    if reason is None:
        return SERVER_URL
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def conninfo(url: str) -> str:
    """An SQLAlchemy URL as a libpq connection URL: postgresql+psycopg://… → postgresql://…"""
    parts = urlsplit(url)
    if not parts.scheme.startswith(("postgresql", "postgres")):
        raise ValueError(f"not a PostgreSQL URL: {url}")
    return urlunsplit(parts._replace(scheme="postgresql"))


def with_database(url: str, database: str) -> str:
    """The same server, user and options, another database (the scheme is kept)."""
    return urlunsplit(urlsplit(url)._replace(path="/" + quote(database, safe="")))


def database_of(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/")) or "postgres"


def _connect(url: str):
    import psycopg

    return psycopg.connect(conninfo(url), autocommit=True)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server for the duration of the block; yields its URL.
    Dropped afterwards even while connections to it are still open."""
    from psycopg import sql

    name = f"aftersales_test_{uuid.uuid4().hex[:12]}"
    with _connect(server_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(server_url, name)
    finally:
        with _connect(server_url) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(name)))


def create_role(server_url: str, name: str, password: str | None = None,
                read_only_on: str | None = None) -> str:
    """A login role `name` (an existing one is dropped first), optionally with a password; given
    a database URL in `read_only_on`, it may connect to that database and read every table now
    in its public schema. Returns the role's URL for that database (else the server's).
    Roles belong to the whole server: use names unique to the test."""
    from psycopg import sql

    role = sql.Identifier(name)
    target = read_only_on or server_url
    with _connect(server_url) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        if exists:
            # What it was granted in this database and the target goes with it; grants in a
            # database dropped since went with the database.
            if read_only_on:
                with _connect(read_only_on) as there:
                    there.execute(sql.SQL("DROP OWNED BY {}").format(role))
            conn.execute(sql.SQL("DROP OWNED BY {}").format(role))
            conn.execute(sql.SQL("DROP ROLE {}").format(role))
        create = sql.SQL("CREATE ROLE {} LOGIN").format(role)
        if password is not None:
            create += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
        conn.execute(create)
    if read_only_on:
        database = sql.Identifier(database_of(read_only_on))
        with _connect(read_only_on) as conn:
            conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, role))
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
            conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}")
                         .format(role))
    parts = urlsplit(target)
    credentials = quote(name, safe="")
    if password is not None:
        credentials += ":" + quote(password, safe="")
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{credentials}@{host}"))
