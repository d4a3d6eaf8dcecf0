"""Locks are short: numbers are taken in one short transaction, rendering happens outside any
lock, documents are recorded in a second one. A long render never holds up a complaint filed
meanwhile, and a database that someone else holds too long ends in a clear message — on SQLite
and on PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from generator.documents.forms import load_form
from generator.workspace import Workspace
from tests.conftest import files_in_output, index_sql, index_url, write_sample

pytestmark = pytest.mark.usefixtures("backend")
WAIT = 180  # seconds a subprocess may take before the test gives up on it (never asserted)


def aftersales(home: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "generator", *args, "--home", str(home)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8")


def big_register(tmp_path: Path, rows: int) -> Path:
    data = load_form(Workspace.open(None), "repair-register").sample
    data["repairs"] = [dict(data["repairs"][i % len(data["repairs"])]) for i in range(rows)]
    path = tmp_path / "register.json"
    path.write_text(json.dumps(data, ensure_ascii=False, default=str), "utf-8")
    return path


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def reserved(home: Path) -> list[dict]:
    try:
        return index_sql(home, "SELECT form, record_no FROM reservations "
                               "WHERE state = 'reserved'")
    except sa.exc.OperationalError:
        return []  # the index is still being created
    except sa.exc.ProgrammingError:
        return []


def test_a_long_render_does_not_hold_up_a_complaint(home, run, tmp_path):
    """While a 2,000-row register is being drawn (its numbers taken, its reservation open), a
    complaint in another process is filed start to finish."""
    assert run("fill", "complaint", "--data",
               str(write_sample(tmp_path, "complaint"))).exit_code == 0  # the index exists
    register = aftersales(home, "fill", "repair-register", "--data",
                          str(big_register(tmp_path, 2000)), "--no-prompt", "--json")
    try:
        wait_for(lambda: any(r["form"] == "repair-register" for r in reserved(home))
                 or register.poll() is not None, "the register's reservation")
        assert register.poll() is None, register.communicate()
        complaint = aftersales(home, "fill", "complaint", "--data",
                               str(write_sample(tmp_path, "complaint")), "--json")
        out, err = complaint.communicate(timeout=WAIT)
        assert complaint.returncode == 0, err
        # the register was still being drawn the whole time the complaint took
        assert any(r["form"] == "repair-register" for r in reserved(home)), \
            "the register finished first: this run did not overlap the two"
        assert register.poll() is None
        assert json.loads(out)["ticket"].endswith("-000002")
    finally:
        out, err = register.communicate(timeout=WAIT)
    assert register.returncode == 0, err
    assert run("index", "verify").exit_code == 0


def hold_the_index(home: Path, backend: str):
    """Another client holding the index (a write lock on SQLite, the counters table locked on
    PostgreSQL) until the returned function is called."""
    if backend == "sqlite":
        db = sqlite3.connect(home / "output" / "index.sqlite3", isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        return lambda: (db.execute("ROLLBACK"), db.close())
    engine = sa.create_engine(index_url(home))
    conn = engine.connect()
    conn.begin()
    conn.execute(sa.text("LOCK TABLE counters IN ACCESS EXCLUSIVE MODE"))
    return lambda: (conn.rollback(), conn.close(), engine.dispose())


def test_a_busy_index_ends_in_a_clear_message(home, run, tmp_path, backend):
    data = str(write_sample(tmp_path, "complaint"))
    assert run("fill", "complaint", "--data", data).exit_code == 0
    (home / "aftersales.toml").write_text("[index]\nbusy_timeout = 1\n", "utf-8")
    before = files_in_output(home)
    release = hold_the_index(home, backend)
    try:
        result = run("fill", "complaint", "--data", data)
    finally:
        release()
    assert result.exit_code == 1, result.output
    assert "stayed busy for 1 s" in result.output or "locked for 1 s" in result.output
    assert "busy_timeout" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert files_in_output(home) == before
    result = run("fill", "complaint", "--data", data, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ticket"].endswith("-000002")


def test_verify_during_filing_reports_no_work_in_progress(home, run, tmp_path):
    """`index verify` reads one snapshot: files of fills in flight, and their .partial-*
    files, are not problems."""
    data = write_sample(tmp_path, "complaint")
    assert run("fill", "complaint", "--data", str(data)).exit_code == 0
    loop = ("import json, sys\n"
            "from generator.documents.fill import fill\n"
            "from generator.workspace import Workspace\n"
            "workspace = Workspace.open(sys.argv[1])\n"
            "data = json.load(open(sys.argv[2], encoding='utf-8'))\n"
            "for _ in range(int(sys.argv[3])):\n"
            "    fill(workspace, 'complaint', data)\n")
    fillers = [subprocess.Popen([sys.executable, "-c", loop, str(home), str(data), "8"],
                                stderr=subprocess.PIPE, text=True) for _ in range(3)]
    reports = []
    try:
        while any(f.poll() is None for f in fillers):
            result = run("index", "verify", "--json")
            reports.append(json.loads(result.output))
            assert result.exit_code == 0, result.output
    finally:
        for filler in fillers:
            _, err = filler.communicate(timeout=WAIT)
            assert filler.returncode == 0, err
    assert reports, "the fillers finished before verify ran once"
    assert all(r["problems"] == [] for r in reports)
    final = json.loads(run("index", "verify", "--json").output)
    assert final["ok"] and final["documents"] == 2 * (1 + 3 * 8)
    assert not [p for p in (home / "output").rglob(".partial-*")]
