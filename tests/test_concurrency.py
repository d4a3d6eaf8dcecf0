"""Several `aftersales` processes filing into one workspace at the same time: every ticket and
record number is handed out once, and the index stays consistent with output/ — on SQLite and
on a shared PostgreSQL server, where nothing serialises the writers but the database itself."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from generator.documents.forms import load_form
from generator.workspace import Workspace
from tests.conftest import finish_process, start_process

pytestmark = pytest.mark.usefixtures("backend")
COMPLAINTS = 10  # processes opening a ticket each
FEEDBACKS = 4  # processes attaching to one existing ticket meanwhile
TIMEOUT = 120


def sample_file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.json"
    sample = load_form(Workspace.open(None), name).sample
    path.write_text(json.dumps(sample, default=str, ensure_ascii=False), "utf-8")
    return path


def aftersales(*args: str) -> list[str]:
    return [sys.executable, "-m", "generator", *args]


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    return start_process(args, cwd)


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    return finish_process(process, TIMEOUT)


def test_processes_filing_at_once_get_distinct_numbers(home, tmp_path):
    year = dt.date.today().year
    complaint = sample_file(tmp_path, "complaint")
    feedback = sample_file(tmp_path, "feedback")
    # cwd is an unrelated directory: --home alone says where the workspace is
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()

    # one ticket exists before the rush, for the feedback records to attach to
    code, out, err = finish(start(aftersales("fill", "complaint", "--data", str(complaint),
                                             "--home", str(home), "--json"), cwd))
    assert code == 0, err
    first = json.loads(out)["ticket"]
    assert first == f"SH-{year}-000001"

    processes = [
        start(aftersales("fill", "complaint", "--data", str(complaint), "--home", str(home),
                         "--json", "--no-prompt"), cwd)
        for _ in range(COMPLAINTS)
    ] + [
        start(aftersales("fill", "feedback", "--data", str(feedback), "--ticket", first,
                         "--home", str(home), "--json", "--no-prompt"), cwd)
        for _ in range(FEEDBACKS)
    ]
    results = [finish(p) for p in processes]
    failures = [(code, err) for code, _, err in results if code != 0]
    assert not failures, failures
    reports = [json.loads(out) for _, out, _ in results]
    opened, attached = reports[:COMPLAINTS], reports[COMPLAINTS:]

    tickets = sorted(r["ticket"] for r in opened)
    assert tickets == [f"SH-{year}-{n:06d}" for n in range(2, COMPLAINTS + 2)]
    records = sorted(r["record_no"] for r in opened)
    assert records == [f"TS-{year}-{n:04d}" for n in range(2, COMPLAINTS + 2)]
    assert {r["ticket"] for r in attached} == {first}
    records = sorted(r["record_no"] for r in attached)
    assert records == [f"FK-{year}-{n:04d}" for n in range(1, FEEDBACKS + 1)]

    # every process's documents exist with the hash it reported
    reported = {d["path"]: d["sha256"] for r in reports for d in r["documents"]}
    assert len(reported) == 2 * (COMPLAINTS + FEEDBACKS)

    code, out, err = finish(start(aftersales("index", "verify", "--home", str(home)), cwd))
    assert code == 0, out + err
    total = 2 * (COMPLAINTS + FEEDBACKS + 1)
    assert f"OK: {total} documents verified" in out

    code, out, err = finish(start(aftersales("index", "list", "--json", "--home", str(home)),
                                  cwd))
    assert code == 0, err
    rows = json.loads(out)
    files = sorted(
        p.relative_to(home).as_posix() for p in (home / "output").rglob("*")
        if p.is_file() and not p.name.startswith("index.sqlite3")
    )
    assert len(rows) == len(files) == total
    assert sorted(r["path"] for r in rows) == files
    assert len({r["id"] for r in rows}) == total
    for row in rows:
        if row["path"] in reported:
            assert row["sha256"] == reported[row["path"]]
    # the first ticket holds its complaint and every feedback: 2 + 2 * FEEDBACKS documents
    on_first = [r for r in rows if r["ticket"] == first]
    assert len(on_first) == 2 + 2 * FEEDBACKS
    assert not list((home / "output").rglob(".partial-*"))


def test_first_filings_race_to_create_the_index(home, tmp_path):
    """No index file yet: the processes also race to create the database and its tables."""
    year = dt.date.today().year
    complaint = sample_file(tmp_path, "complaint")
    assert not (home / "output").exists()
    processes = [
        start(aftersales("fill", "complaint", "--data", str(complaint), "--json", "--no-prompt"),
              home)  # the workspace is the current directory
        for _ in range(6)
    ]
    results = [finish(p) for p in processes]
    failures = [(code, err) for code, _, err in results if code != 0]
    assert not failures, failures
    tickets = sorted(json.loads(out)["ticket"] for _, out, _ in results)
    assert tickets == [f"SH-{year}-{n:06d}" for n in range(1, 7)]

    code, out, err = finish(start(aftersales("index", "verify", "--json"), home))
    assert code == 0, out + err
    report = json.loads(out)
    assert (report["ok"], report["documents"], report["problems"]) == (True, 12, [])


PROCESSES = 16
EACH = 3  # complaints filed by each process, one after another
FILER = """
import json, sys
from generator.documents.fill import fill
from generator.workspace import Workspace
workspace = Workspace.open(sys.argv[1])
data = json.load(open(sys.argv[2], encoding="utf-8"))
print(json.dumps([fill(workspace, "complaint", data).as_json() for _ in range(int(sys.argv[3]))]))
"""


def test_sixteen_processes_filing_at_once(home, tmp_path, backend):
    """16 processes, each filing 3 complaints as fast as it can: 48 distinct tickets and
    records, numbered without gaps, and every chain whole."""
    complaint = sample_file(tmp_path, "complaint")
    # the index exists before the rush (its creation is raced in the test above)
    code, _, err = finish(start(aftersales("fill", "complaint", "--data", str(complaint),
                                           "--home", str(home), "--no-prompt"), tmp_path))
    assert code == 0, err
    processes = [start([sys.executable, "-c", FILER, str(home), str(complaint), str(EACH)],
                       tmp_path) for _ in range(PROCESSES)]
    results = [finish(p) for p in processes]
    assert [err for code, _, err in results if code != 0] == []
    filed = [r for _, out, _ in results for r in json.loads(out)]
    year = dt.date.today().year
    total = PROCESSES * EACH
    assert sorted(r["ticket"] for r in filed) == [f"SH-{year}-{n:06d}"
                                                 for n in range(2, total + 2)]
    assert sorted(r["record_no"] for r in filed) == [f"TS-{year}-{n:04d}"
                                                    for n in range(2, total + 2)]
    code, out, err = finish(start(aftersales("index", "verify", "--json", "--home", str(home)),
                                  tmp_path))
    assert code == 0, out + err
    report = json.loads(out)
    assert report["problems"] == [] and report["documents"] == 2 * (total + 1)
    assert not [n for n in report["notes"] if n.startswith(("voided", "interrupted"))]
