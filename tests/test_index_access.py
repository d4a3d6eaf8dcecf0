"""Where the index lives and who may touch it: auditors read without writing, a workspace moves
its index to a shared PostgreSQL server, and every wrong setting — a malformed URL, a server
that does not answer, a wrong password, a missing database — is one line naming the setting,
with nothing written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.records.database import HEAD
from tests.conftest import IN_CI, files_in_output, index_sql, write_sample

# --- auditors read without writing -------------------------------------------------------------


def read_only_runner() -> list[str]:
    """A prefix that runs a command unable to write what its user may not: as root, without
    the capabilities that let root ignore file modes (root would otherwise write anyway)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        message = "setpriv (util-linux) is needed to drop root's override of file modes"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]


def aftersales(home: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*read_only_runner(), sys.executable, "-m", "generator", *args, "--home", str(home)],
        capture_output=True, text=True, encoding="utf-8", timeout=120,
        env={**os.environ, **(env or {})})


def freeze(path: Path) -> None:
    for item in [path, *path.rglob("*")]:
        item.chmod(0o555 if item.is_dir() else 0o444)


def thaw(path: Path) -> None:
    for item in [path, *path.rglob("*")]:
        item.chmod(0o755 if item.is_dir() else 0o644)


def test_an_auditor_reads_a_read_only_workspace(home, run, tmp_path, monkeypatch):
    monkeypatch.delenv("AFTERSALES_INDEX_URL", raising=False)
    filed = json.loads(run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                           "--json").output)
    before = {p: p.stat().st_mtime_ns for p in home.rglob("*")}
    freeze(home)
    try:
        listed = aftersales(home, "index", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [r["path"] for r in json.loads(listed.stdout)] == [
            d["path"] for d in filed["documents"]]
        shown = aftersales(home, "index", "show", filed["documents"][1]["path"], "--json")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["ticket"] == filed["ticket"]
        verified = aftersales(home, "index", "verify")
        assert verified.returncode == 0, verified.stderr
        assert "OK: 2 documents verified" in verified.stdout
        # writing is refused in one line, not with a traceback
        refused = aftersales(home, "fill", "complaint", "--data",
                             str(write_sample(tmp_path, "complaint")))
        assert refused.returncode == 1, refused.stderr
        assert "read-only" in refused.stderr and "Traceback" not in refused.stderr
    finally:
        thaw(home)
    assert {p: p.stat().st_mtime_ns for p in home.rglob("*")} == before


def test_an_auditor_with_a_read_only_database_role(home, run, tmp_path, monkeypatch):
    from tests.postgres import create_role, fresh_database, need_postgres

    with fresh_database(need_postgres()) as url:
        monkeypatch.setenv("AFTERSALES_INDEX_URL", url)
        filed = json.loads(run("fill", "complaint", "--data",
                               str(write_sample(tmp_path, "complaint")), "--json").output)
        role = f"auditor_{uuid.uuid4().hex[:8]}"
        auditor = create_role(need_postgres(), role, password="s3cret", read_only_on=url)
        monkeypatch.setenv("AFTERSALES_INDEX_URL", auditor)
        result = run("index", "list", "--json")
        assert result.exit_code == 0, result.output
        assert len(json.loads(result.output)) == 2
        result = run("index", "show", filed["documents"][0]["path"])
        assert result.exit_code == 0 and filed["ticket"] in result.output
        result = run("index", "verify")
        assert result.exit_code == 0, result.output
        assert "OK: 2 documents verified" in result.output
        before = files_in_output(home)
        result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")))
        assert result.exit_code == 1, result.output
        assert "permission denied" in result.output and "may only read" in result.output
        assert files_in_output(home) == before
        monkeypatch.setenv("AFTERSALES_INDEX_URL", url)
        assert index_sql(home, "SELECT count(*) AS n FROM documents") == [{"n": 2}]


# --- a workspace moves to a shared server ------------------------------------------------------


def test_migrate_copies_the_index_to_postgresql_as_it_is(home, run, tmp_path, monkeypatch):
    """Everything is copied — ids, chains, reservations, signed checkpoints — so the copy
    verifies, and filing on it carries on with the next numbers."""
    from tests.postgres import fresh_database, need_postgres

    monkeypatch.delenv("AFTERSALES_INDEX_URL", raising=False)
    key = tmp_path / "keys" / "signing.key"
    assert CliRunner().invoke(cli, ["index", "keygen", str(key)]).exit_code == 0
    (home / "aftersales.toml").write_text(f'[index]\nsigning_key = "{key}"\n', "utf-8")
    assert run("demo").exit_code == 0
    assert run("index", "checkpoint").exit_code == 0
    original = json.loads(run("index", "list", "--json").output)

    with fresh_database(need_postgres()) as url:
        result = run("index", "migrate", "--to", url)
        assert result.exit_code == 0, result.output
        assert f"{len(original)} documents" in result.output
        assert "[index]" in result.output and "url =" in result.output
        again = run("index", "migrate", "--to", url)
        assert again.exit_code == 2 and "already holds an index" in again.output

        monkeypatch.setenv("AFTERSALES_INDEX_URL", url)
        assert json.loads(run("index", "list", "--json").output) == original
        result = run("index", "verify", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["checkpoint"]["id"] == 1
        result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                     "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["ticket"].endswith("-000002")
        assert index_sql(home, "SELECT max(id) AS id FROM documents") == [
            {"id": len(original) + 2}]
        assert index_sql(home, "SELECT version_num FROM alembic_version") == [
            {"version_num": HEAD}]
    # the original is untouched
    monkeypatch.delenv("AFTERSALES_INDEX_URL")
    assert json.loads(run("index", "list", "--json").output) == original


# --- wrong settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("postgresql://clerk:pw@db:port/centre", 2, "is not a number"),
        ("nonsense", 2, "is not a database URL"),
        ("mysql://user@localhost/centre", 2, "mysql is not supported"),
        ("postgresql://user@localhost", 2, "names no database"),
        ("postgresql://aftersales:pw@127.0.0.1:1/centre", 1, "cannot reach"),
    ],
)
def test_a_bad_index_url_is_one_line_naming_the_setting(home, run, tmp_path, url, code,
                                                        message, monkeypatch):
    monkeypatch.delenv("AFTERSALES_INDEX_URL", raising=False)
    (home / "aftersales.toml").write_text(f'[index]\nurl = "{url}"\n', "utf-8")
    for args in (("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint"))),
                 ("index", "list")):
        result = run(*args)
        assert result.exit_code == code, result.output
        assert message in result.output and "[index] url" in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert "pw@" not in result.output  # passwords are never echoed
    assert files_in_output(home) == []


def test_the_environment_names_the_setting_it_came_from(home, run, monkeypatch):
    monkeypatch.setenv("AFTERSALES_INDEX_URL", "nonsense")
    result = run("index", "list")
    assert result.exit_code == 2
    assert "AFTERSALES_INDEX_URL" in result.output


def test_a_wrong_password_or_a_missing_database(home, run, tmp_path, monkeypatch):
    from tests.postgres import create_role, fresh_database, need_postgres, with_database

    with fresh_database(need_postgres()) as url:
        role = f"clerk_{uuid.uuid4().hex[:8]}"
        right = create_role(need_postgres(), role, password="right", read_only_on=url)
        wrong = right.replace(":right@", ":wrong@")
        for target, message in ((wrong, "password authentication failed"),
                                (with_database(url, "no_such_centre"), "does not exist")):
            monkeypatch.setenv("AFTERSALES_INDEX_URL", target)
            result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")))
            assert result.exit_code == 1, result.output
            assert message in result.output and "AFTERSALES_INDEX_URL" in result.output
            assert "wrong@" not in result.output
            assert len(result.output.strip().splitlines()) == 1, result.output
        assert files_in_output(home) == []
