"""A fill killed at any instant leaves nothing that needs a person to clean up.

On each index backend, one workspace takes TRIALS fills of the sample forms, each its own
`python -m generator fill` process, killed — SIGKILL or SIGTERM, half each — at a random moment
of its run or, every third trial, as soon as its reservation appears in the index: inside the
window between taking the numbers and recording the documents. After every kill:

- while a killed fill's reservation is still 'reserved', `index verify` is ok and explains it
  in an "interrupted: FORM RECORD_NO" note;
- the next fill of the same form succeeds; after it no `.partial-*` file is left and no
  reservation is still 'reserved' (it voided what the killed fill left).

At the end every sample form fills again; `index verify` is ok and names every voided number
in a "voided: FORM RECORD_NO" note, with a 'voided' event in the history for each; no ticket or
record number was handed out twice or skipped; no voided number left a file behind; every filed
record's documents are there. At least one kill must have hit the window (a voided number), so
the test really exercises it.

The moments are drawn from random.Random(SEED) (set AFTERSALES_KILL_SEED to try others); the
processes' timing still varies from run to run.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from generator.documents.forms import load_form
from generator.workspace import Workspace
from tests.conftest import (
    finish_process,
    index_sql,
    sample_forms,
    start_process,
    ticket_ready_for,
    write_sample,
)

SEED = int(os.environ.get("AFTERSALES_KILL_SEED", "20260707"))
TRIALS = 60
AT_RESERVATION = 3  # every third trial is killed as soon as its reservation is in the index
POLL_SECONDS = 0.003
TIMEOUT = 120


@dataclass
class Trial:
    number: int
    form: str
    signal: signal.Signals
    when: str  # "at reservation" or "after 0.42 s"
    returncode: int | None = None
    stderr: str = ""
    left_reserved: list[str] = field(default_factory=list)  # pending right after the kill
    voided: list[str] = field(default_factory=list)  # voided by the kill or the fill after it

    def __str__(self) -> str:
        tail = self.stderr.strip().splitlines()[-3:]
        return (f"trial {self.number} (seed {SEED}): {self.form}, {self.signal.name} "
                f"{self.when}, exit {self.returncode}" + (f", stderr: {tail}" if tail else ""))


def reservation_rows(home: Path) -> list[dict]:
    return index_sql(home, "SELECT id, form, record_no, ticket, opens_ticket, state, note, paths "
                           "FROM reservations ORDER BY id")


def described(row: dict) -> str:
    return f"{row['form']} {row['record_no']}"


def partials(home: Path) -> list[str]:
    return sorted(p.relative_to(home).as_posix() for p in (home / "output").rglob(".partial-*"))


def start_fill(home: Path, cwd: Path, form: str, sample: Path,
               ticket: str | None) -> subprocess.Popen:
    args = [sys.executable, "-m", "generator", "fill", form, "--data", str(sample),
            "--home", str(home), "--no-prompt", "--json"]
    if ticket:
        args += ["--ticket", ticket]
    return start_process(args, cwd)


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    return finish_process(process, TIMEOUT)


def kill_at_reservation(process: subprocess.Popen, home: Path, sig: signal.Signals) -> None:
    """Signal the process as soon as a reservation is 'reserved' (its own: nothing else runs)."""
    deadline = time.monotonic() + TIMEOUT
    while process.poll() is None and time.monotonic() < deadline:
        if index_sql(home, "SELECT id FROM reservations WHERE state = 'reserved'"):
            break
        time.sleep(POLL_SECONDS)
    process.send_signal(sig)  # does nothing once the process has ended


def sequence(number: str) -> tuple[str, int]:
    """"TS-2026-0007" → ("TS-2026-", 7)."""
    prefix, digits = re.fullmatch(r"(.*?)(\d+)", number).groups()
    return prefix, int(digits)


def assert_no_gaps(numbers: list[str], what: str, context: str) -> None:
    """Numbers handed out once each, and none skipped: per prefix, 1…N."""
    assert len(numbers) == len(set(numbers)), f"{what} handed out twice: {sorted(numbers)}; " \
                                              f"{context}"
    by_prefix: dict[str, list[int]] = {}
    for number in numbers:
        prefix, value = sequence(number)
        by_prefix.setdefault(prefix, []).append(value)
    for prefix, values in by_prefix.items():
        assert sorted(values) == list(range(1, len(values) + 1)), \
            f"{what} {prefix}…: a number is missing from the reservations: {sorted(values)}; " \
            f"{context}"


@pytest.mark.usefixtures("backend")
def test_fill_killed_at_any_moment_leaves_a_workspace_the_next_fill_cleans(run, home, tmp_path,
                                                                            backend):
    rng = random.Random(SEED)
    forms = sample_forms()
    bundled = Workspace.open(None)
    modes = {name: load_form(bundled, name).ticket_mode for name in forms}
    # a form that moves its ticket is filed on a ticket of its own, walked to where it belongs
    moving = {name for name in forms if load_form(bundled, name).definition.get("moves")
              and modes[name] == "requires"}
    cwd = tmp_path / "elsewhere"  # --home alone says where the workspace is
    cwd.mkdir()
    samples = {"complaint": write_sample(tmp_path, "complaint")}

    def fill_in_process(form: str, context: str, on: str | None = None) -> dict:
        args = ["fill", form, "--data", str(samples[form]), "--no-prompt", "--json"]
        if modes[form] == "requires":
            args += ["--ticket", on or ticket]
        result = run(*args)
        assert result.exit_code == 0, f"{context}: the next fill of {form} failed: " \
                                      f"{result.output}"
        fill_in_process.notes = result.stderr
        return json.loads(result.stdout)

    # a ticket for the forms that need one, and the time an uninterrupted fill takes
    ticket = fill_in_process("complaint", "setup")["ticket"]
    samples.update({name: write_sample(tmp_path, name, ticket=ticket) for name in forms})
    began = time.monotonic()
    code, _, err = finish(start_fill(home, cwd, "complaint", samples["complaint"], None))
    full = time.monotonic() - began
    assert code == 0, err

    trials: list[Trial] = []

    def summary() -> str:
        hit = [t for t in trials if t.voided]
        counts = {sig.name: sum(t.signal == sig for t in hit)
                  for sig in (signal.SIGKILL, signal.SIGTERM)}
        at_reservation = sum(t.when == "at reservation" for t in hit)
        return (f"[{backend}, seed {SEED}, a fill takes {full:.2f} s: {len(hit)} of "
                f"{len(trials)} trials voided a number ({counts['SIGKILL']} by SIGKILL, "
                f"{counts['SIGTERM']} by SIGTERM; {at_reservation} killed at reservation), "
                f"{sum(bool(t.left_reserved) for t in trials)} left a reservation for the next "
                f"fill to void]")

    for number in range(1, TRIALS + 1):
        form = forms[(number - 1) % len(forms)]
        sig = signal.SIGKILL if number % 2 else signal.SIGTERM
        at_reservation = number % AT_RESERVATION == 0
        delay = 0.0 if at_reservation else rng.uniform(0, full)
        trial = Trial(number, form, sig, "at reservation" if at_reservation
                      else f"after {delay:.3f} s")
        trials.append(trial)
        before = {r["id"] for r in reservation_rows(home) if r["state"] == "voided"}
        on = ticket
        if form in moving:
            on = fill_in_process("complaint", f"{trial}: its ticket")["ticket"]
            ticket_ready_for(home, on, form)

        process = start_fill(home, cwd, form, samples[form],
                             on if modes[form] == "requires" else None)
        if at_reservation:
            kill_at_reservation(process, home, sig)
        else:
            time.sleep(delay)
            process.send_signal(sig)
        # how the killed fill ended (0, -signal, 143…) is not the point: what it left is
        trial.returncode, _, trial.stderr = finish(process)

        pending = [r for r in reservation_rows(home) if r["state"] == "reserved"]
        trial.left_reserved = [described(r) for r in pending]
        if pending:
            # a reading command explains what the kill left, and takes none of it for a problem
            result = run("index", "verify", "--json")
            report = json.loads(result.stdout)
            assert result.exit_code == 0 and report["problems"] == [], f"{trial}: {report}"
            for row in pending:
                assert any(note.startswith(f"interrupted: {described(row)} ")
                           for note in report["notes"]), f"{trial}: {report['notes']}"

        fill_in_process(form, str(trial), on)
        for row in pending:  # the fill says what it voided on its way
            assert f"note: voided {described(row)}, left half-filed" in fill_in_process.notes, \
                f"{trial}: {fill_in_process.notes!r}"
        assert partials(home) == [], f"{trial}: {summary()}"
        rows = reservation_rows(home)
        assert [described(r) for r in rows if r["state"] == "reserved"] == [], f"{trial}"
        trial.voided = [described(r) for r in rows
                        if r["state"] == "voided" and r["id"] not in before]
        for row in rows:
            if row["state"] == "voided" and row["id"] not in before:
                assert row["note"].startswith("interrupted: "), f"{trial}: {row}"

    # every form fills again with no cleanup by hand, each where the procedure files it
    result = run("demo", "--json")
    assert result.exit_code == 0, f"after the trials: {result.output}"
    assert {r["form"] for r in json.loads(result.stdout)} == set(forms)

    result = run("index", "verify", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, f"{summary()}: {report}"
    assert (report["ok"], report["problems"]) == (True, []), f"{summary()}: {report}"

    rows = reservation_rows(home)
    assert {r["state"] for r in rows} <= {"filed", "voided"}, summary()
    assert_no_gaps([r["record_no"] for r in rows], "record numbers", summary())
    assert_no_gaps([r["ticket"] for r in rows if r["opens_ticket"]], "ticket numbers", summary())

    voided = [r for r in rows if r["state"] == "voided"]
    assert voided, f"no kill hit the window between reserving and recording: {summary()}"
    assert any(t.voided for t in trials if t.when == "at reservation"), summary()
    assert sum(len(t.voided) for t in trials) == len(voided), summary()
    for row in voided:
        assert any(note.startswith(f"voided: {described(row)} ") for note in report["notes"]), \
            f"{described(row)} is voided but verify does not say so: {summary()}"
    events = index_sql(home, "SELECT detail FROM events WHERE kind = 'voided'")
    in_history = sorted(json.loads(e["detail"])["record_no"] for e in events)
    assert in_history == sorted(r["record_no"] for r in voided), summary()

    files = [p for p in (home / "output").rglob("*") if p.is_file()]
    for row in voided:
        left = [p.name for p in files if row["record_no"] in p.name]
        assert left == [], f"voided {described(row)} left {left}: {summary()}"
    for row in rows:
        if row["state"] == "filed":
            for path in json.loads(row["paths"]):
                assert (home / "output" / path).is_file(), f"{described(row)}: {path} missing"
    documents = index_sql(home, "SELECT DISTINCT record_no FROM documents")
    assert sorted(d["record_no"] for d in documents) == \
        sorted(r["record_no"] for r in rows if r["state"] == "filed"), summary()
    print(summary())


def test_stopped_while_its_commit_is_in_flight_the_record_is_kept(run, home, tmp_path,
                                                                  monkeypatch):
    """SIGTERM while the server is committing the record: the commit stands, the documents
    stay, and the message says it was recorded after all (no false "voided", which would make
    a clerk file it twice). The commit is slowed on a PostgreSQL server (SQLite's cannot be),
    so the signal lands in it."""
    from tests.postgres import fresh_database, need_postgres

    with fresh_database(need_postgres()) as url:
        monkeypatch.setenv("AFTERSALES_INDEX_URL", url)
        stop_during_commit(run, home, tmp_path)


def stop_during_commit(run, home: Path, tmp_path: Path) -> None:
    data = write_sample(tmp_path, "complaint")
    assert run("fill", "complaint", "--data", str(data)).exit_code == 0  # the schema exists
    index_sql(home, """CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.state = 'filed' THEN PERFORM pg_sleep(1.5); END IF; RETURN NULL; END $$""")
    index_sql(home, """CREATE CONSTRAINT TRIGGER slow_commit AFTER UPDATE ON reservations
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()""")
    process = start_fill(home, tmp_path, "complaint", data, None)
    deadline = time.monotonic() + TIMEOUT
    while process.poll() is None and time.monotonic() < deadline:
        if index_sql(home, "SELECT 1 FROM pg_stat_activity WHERE query = 'COMMIT' "
                           "AND state = 'active'"):
            break
        time.sleep(POLL_SECONDS)
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    code, out, err = finish(process)
    index_sql(home, "DROP TRIGGER slow_commit ON reservations")
    assert code == 143, err
    error = json.loads(out)  # under --json, an error is JSON on standard output
    assert error["exit_code"] == 143
    assert "stopped while filing complaint" in error["error"], error
    assert "recorded after all" in error["error"], error
    assert index_sql(home, "SELECT state FROM reservations ORDER BY id") == [
        {"state": "filed"}, {"state": "filed"}]
    result = run("index", "verify", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["documents"] == 4
