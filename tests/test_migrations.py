"""The index's schema is made and upgraded by Alembic migrations: an index written by the version
before upgrades in place, a newer one is refused, and the tables the code uses are the tables the
migrations make — on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from generator.records import database
from generator.records.schema import HEAD, metadata
from tests.conftest import files_in_output, index_sql, index_url, write_sample

V1 = Path(__file__).parent / "data" / "workspace-v1"
V1_DOCUMENTS = [
    "output/SH-2026-000001/complaint_TS-2026-0001.pdf",
    "output/SH-2026-000001/feedback_FK-2026-0001.pdf",
    "output/SH-2026-000001/feedback_FK-2026-0001.docx",
    "output/SH-2026-000002/complaint_TS-2026-0002.docx",
    "output/repair-register/repair-register_WX-2026-0001.pdf",
]


def scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(database.MIGRATIONS))
    return ScriptDirectory.from_config(config)


def test_head_and_known_revisions_follow_the_scripts():
    directory = scripts()
    assert directory.get_current_head() == HEAD
    revisions = [r.revision for r in directory.walk_revisions()]
    assert sorted(revisions) == sorted(database.KNOWN_REVISIONS)


@pytest.mark.usefixtures("backend")
def test_the_migrations_make_the_tables_the_code_uses(home, run, tmp_path):
    """schema.py (what the queries use) and the migrations (what the database has) agree:
    Alembic's own comparison finds nothing to change."""
    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")))
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(index_url(home))
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    # the partial unique index is declared in the migration only (SQLAlchemy cannot reflect
    # its condition on every database): leave index differences to the next test
    differences = [d for d in differences if d[0] not in ("add_index", "remove_index")]
    assert differences == []


@pytest.mark.usefixtures("backend")
def test_listing_by_form_uses_an_index(home, run, tmp_path, backend):
    """`index list --form` and walking a ticket's chain must not scan the whole table (a
    million documents): the indexes exist and the planner uses them."""
    assert run("fill", "complaint", "--data",
               str(write_sample(tmp_path, "complaint"))).exit_code == 0
    if backend == "sqlite":
        plan = index_sql(home, "EXPLAIN QUERY PLAN SELECT * FROM documents WHERE form = 'x'")
        assert "documents_form" in " ".join(str(r["detail"]) for r in plan)
        plan = index_sql(home, "EXPLAIN QUERY PLAN SELECT * FROM events WHERE ticket = 'x'")
        assert "events_chain" in " ".join(str(r["detail"]) for r in plan)
        names = {r["name"] for r in index_sql(home, "SELECT name FROM sqlite_master "
                                                    "WHERE type = 'index'")}
    else:
        names = {r["indexname"] for r in index_sql(home, "SELECT indexname FROM pg_indexes "
                                                         "WHERE schemaname = 'public'")}
    assert {"documents_form", "documents_chain", "events_chain", "reservations_state",
            "reservations_number"} <= names


def copy_v1(tmp_path: Path) -> Path:
    home = tmp_path / "old"
    shutil.copytree(V1, home)
    return home


def test_an_index_from_the_version_before_upgrades_in_place(tmp_path, monkeypatch):
    monkeypatch.delenv("AFTERSALES_INDEX_URL", raising=False)
    home = copy_v1(tmp_path)
    from click.testing import CliRunner

    from generator.cli import cli

    def run(*args):
        return CliRunner().invoke(cli, [*args, "--home", str(home)], catch_exceptions=False)

    # reading commands never write: they say how to upgrade, and change nothing
    before = (home / "output" / "index.sqlite3").read_bytes()
    for args in (("index", "list"), ("index", "verify")):
        result = run(*args)
        assert result.exit_code == 1, result.output
        assert "older layout" in result.output and "aftersales index upgrade" in result.output
    assert (home / "output" / "index.sqlite3").read_bytes() == before

    # a writing command upgrades it by itself, and numbering carries on
    result = run("fill", "feedback", "--ticket", "SH-2026-000002", "--data",
                 str(write_sample(tmp_path, "feedback")), "--json", "--no-prompt")
    assert result.exit_code == 0, result.output
    filed = json.loads(result.output)
    assert filed["record_no"] == "FK-2026-0002"
    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                 "--json")
    assert json.loads(result.output)["ticket"] == "SH-2026-000003"

    rows = json.loads(run("index", "list", "--json").output)
    assert [r["path"] for r in rows][:5] == V1_DOCUMENTS
    assert [r["id"] for r in rows][:5] == [1, 2, 3, 4, 5]
    result = run("index", "verify", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["problems"] == [] and report["documents"] == 9
    # the old rows are links of the new chains, with their paths now relative to the store
    stored = index_sql(home, "SELECT path, entry FROM documents WHERE ticket = 'SH-2026-000001'"
                             " ORDER BY entry")
    assert [r["path"] for r in stored] == [p.removeprefix("output/") for p in V1_DOCUMENTS[:3]]
    assert [r["entry"] for r in stored] == [2, 4, 5]  # opened, complaint, filed, feedback…
    assert index_sql(home, "SELECT version_num FROM alembic_version") == [
        {"version_num": HEAD}]


def test_index_upgrade_says_what_it_did(tmp_path, monkeypatch):
    monkeypatch.delenv("AFTERSALES_INDEX_URL", raising=False)
    home = copy_v1(tmp_path)
    from click.testing import CliRunner

    from generator.cli import cli

    result = CliRunner().invoke(cli, ["index", "upgrade", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert f"from legacy to revision {HEAD}" in result.output
    result = CliRunner().invoke(cli, ["index", "upgrade", "--home", str(home)])
    assert f"is up to date (revision {HEAD})" in result.output
    result = CliRunner().invoke(cli, ["index", "verify", "--home", str(home)])
    assert result.exit_code == 0 and "OK: 5 documents verified" in result.output


def test_a_tampered_old_index_is_not_laundered_by_the_upgrade(tmp_path, monkeypatch):
    """Carrying a row that fails the old chain into the new one would hide the tampering: the
    upgrade stops, names the row, and leaves the index as it was."""
    monkeypatch.delenv("AFTERSALES_INDEX_URL", raising=False)
    home = copy_v1(tmp_path)
    index_sql(home, "UPDATE documents SET data = '{}' WHERE id = 2")
    before = (home / "output" / "index.sqlite3").read_bytes()
    from click.testing import CliRunner

    from generator.cli import cli

    result = CliRunner().invoke(cli, ["index", "upgrade", "--home", str(home)])
    assert result.exit_code != 0
    assert "cannot upgrade the index" in result.output
    assert "document 2 (output/SH-2026-000001/feedback_FK-2026-0001.pdf)" in result.output
    assert (home / "output" / "index.sqlite3").read_bytes() == before


@pytest.mark.usefixtures("backend")
def test_an_index_from_a_newer_version_is_refused(home, run, tmp_path):
    assert run("fill", "complaint", "--data",
               str(write_sample(tmp_path, "complaint"))).exit_code == 0
    index_sql(home, "UPDATE alembic_version SET version_num = '0099'")
    before = files_in_output(home)
    for args in (("index", "list"), ("fill", "complaint", "--data",
                                     str(write_sample(tmp_path, "complaint")))):
        result = run(*args)
        assert result.exit_code == 1, result.output
        assert "written by a newer aftersales (schema revision 0099" in result.output
        assert "Traceback" not in result.output
    assert files_in_output(home) == before
    assert index_sql(home, "SELECT count(*) AS n FROM documents") == [{"n": 2}]
