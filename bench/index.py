"""Benchmark: the records index under load, on SQLite and on PostgreSQL.

1. Fill throughput: 1, 2 and 4 processes fill complaints (DOCX + PDF, the bundled sample) into
   one workspace at once, each after an untimed warm-up fill; fills per second, the speed-up
   over one process (aim: 2 processes >= 1.7x one), and the time spent in the index's two
   transactions (Index.reserve and Index.record) beside the whole fill. A bare reportlab page
   drawn in the same run gives the scale.
2. Locks: complaints filed alone, then while another process draws a 2,000-row repair register;
   the longest a complaint spends in the index's transactions, waits included (aim: never more
   than a second — the lock is not held while rendering).
3. Whole-index commands over synthetic indexes of 10,000 and 100,000 documents (valid hash
   chains: per ticket an "opened" event, a DOCX and a PDF row, a "filed" event; 200-byte
   files): wall time and peak memory of `aftersales index verify --json` and
   `aftersales index list --json`, and verify's own cost per document once the time to hash
   the files (measured apart, as verify reads them) and the command's start-up are taken off
   (aims: linear, memory flat — under 200 MB at 1M documents — and under 0.05 ms per document).

PostgreSQL is measured when a server is given: --postgres URL, or AFTERSALES_TEST_POSTGRES (the
URL `scripts/postgres start` prints). Every measurement gets a fresh database, dropped after.

Run by hand (never part of the test suite):
    .venv/bin/python bench/index.py [--fills 100] [--processes 1,2,4] [--sizes 10000,100000]
                                    [--postgres URL] [--parts fill,locks,verify] [--json]
A million documents only when asked: --sizes 10000,100000,1000000 (a million small files).
Progress goes to stderr; the table (or, with --json, every figure as JSON) to stdout.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fill import bare_reportlab_page, median_ms  # noqa: E402 (bench/fill.py beside this)

from generator.documents.fill import fill, prepare, source_of, to_json  # noqa: E402
from generator.documents.forms import load_form  # noqa: E402
from generator.records import ledger  # noqa: E402
from generator.records.index import Index, index_of, open_index  # noqa: E402
from generator.records.schema import (  # noqa: E402
    chains,
    counters,
    documents,
    events,
    reservations,
    tickets,
)
from generator.records.store import DocumentStore  # noqa: E402
from generator.render.fonts import find_cjk_font  # noqa: E402
from generator.workspace import Workspace, sha256_file  # noqa: E402

FORM = "complaint"
# settings of the caller's shell that would send the measured commands elsewhere
FOREIGN_ENV = ("AFTERSALES_INDEX_URL", "AFTERSALES_HOME", "AFTERSALES_SIGNING_KEY")


def say(message: str) -> None:
    print(f"[bench/index] {message}", file=sys.stderr, flush=True)


# --- PostgreSQL: a fresh database per measurement (as tests/postgres.py makes them) ----------


def conninfo(url: str) -> str:
    """An SQLAlchemy URL as a libpq connection URL: postgresql+psycopg://… → postgresql://…"""
    return urlunsplit(urlsplit(url)._replace(scheme="postgresql"))


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server for the duration of the block; yields its URL."""
    import psycopg
    from psycopg import sql

    name = f"aftersales_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(conninfo(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path="/" + quote(name, safe="")))
    finally:
        with psycopg.connect(conninfo(server_url), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(name)))


def database_for(backend: str, server_url: str | None):
    """A context giving the index URL for one measurement: None (SQLite in the workspace) or
    a fresh PostgreSQL database."""
    return nullcontext(None) if backend == "sqlite" else fresh_database(server_url)


def write_config(home: Path, url: str | None) -> None:
    """The workspace's settings: the SQLite index beside (not inside) the document store, so
    the store holds documents only whichever backend reads it; or the PostgreSQL URL."""
    lines = ["[index]", 'path = "index.sqlite3"']
    if url:
        lines.append(f"url = {json.dumps(url)}")
    (home / "aftersales.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- 1. fill throughput ----------------------------------------------------------------------


@contextmanager
def index_timer() -> Iterator[dict[str, list[float]]]:
    """Seconds spent in each call of Index.reserve and Index.record (the two transactions,
    lock waits included) while the block runs."""
    calls: dict[str, list[float]] = {"reserve": [], "record": []}
    originals = {name: getattr(Index, name) for name in calls}

    def timed(name: str):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return originals[name](*args, **kwargs)
            finally:
                calls[name].append(time.perf_counter() - start)
        return wrapper

    for name in calls:
        setattr(Index, name, timed(name))
    try:
        yield calls
    finally:
        for name, method in originals.items():
            setattr(Index, name, method)


def fill_worker(home: str, fills: int, formats: str, barrier, results) -> None:
    """One filling process: a warm-up fill, then (once every process is ready) `fills` fills,
    timing Index.reserve and Index.record, the two transactions, on the way."""
    try:
        workspace = Workspace.open(home)
        sample = load_form(workspace, FORM).sample
        fill(workspace, FORM, sample, formats=formats)  # imports, fonts, connections, recover
    except BaseException:
        barrier.abort()
        results.put({"error": traceback.format_exc()})
        return
    try:
        barrier.wait(timeout=600)
        durations = []
        with index_timer() as calls:
            start = time.time()  # wall clock: compared across processes
            for _ in range(fills):
                began = time.perf_counter()
                fill(workspace, FORM, sample, formats=formats)
                durations.append(time.perf_counter() - began)
            end = time.time()
        workspace.close()
    except BaseException:
        results.put({"error": traceback.format_exc()})
        return
    results.put({"start": start, "end": end, "durations": durations,
                 **{name: sum(seconds) for name, seconds in calls.items()}})


def measure_fills(backend: str, url: str | None, processes: int, fills: int,
                  formats: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="aftersales-bench-") as home:
        write_config(Path(home), url)
        workspace = Workspace.open(home)
        index_of(workspace).writer()  # the schema, made once before the race
        workspace.close()

        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(processes)
        results = context.Queue()
        workers = [context.Process(target=fill_worker,
                                   args=(home, fills, formats, barrier, results))
                   for _ in range(processes)]
        for worker in workers:
            worker.start()
        try:
            done = collect(results, workers)
        finally:
            for worker in workers:
                worker.join(timeout=60)
        errors = [r["error"] for r in done if "error" in r]
        if errors:
            raise RuntimeError(f"a filling process failed ({backend}, {processes} "
                               f"processes):\n{errors[0]}")

        # everything filed, and the index whole after the race
        from generator.records.signing import load_keys
        from generator.records.verify import verify

        workspace = Workspace.open(home)
        records = index_of(workspace)
        expected = (fills + 1) * processes * len(formats.split(","))
        indexed = records.count()
        report = verify(records, load_keys(workspace.root, workspace.config, environ={}))
        workspace.close()

    seconds = max(r["end"] for r in done) - min(r["start"] for r in done)
    total = fills * processes
    durations = [d for r in done for d in r["durations"]]
    index_seconds = sum(r["reserve"] + r["record"] for r in done)
    return {
        "backend": backend, "processes": processes, "fills": total, "seconds": seconds,
        "fills_per_second": total / seconds,
        "median_fill_ms": statistics.median(durations) * 1000,
        "mean_fill_ms": statistics.fmean(durations) * 1000,
        "reserve_ms_per_fill": sum(r["reserve"] for r in done) / total * 1000,
        "record_ms_per_fill": sum(r["record"] for r in done) / total * 1000,
        "index_share": index_seconds / sum(durations),
        "documents_indexed": indexed, "documents_expected": expected,
        "verify_ok": report.ok, "verify_problems": report.problems[:5],
    }


def collect(results, workers) -> list[dict]:
    """One result from every worker; an error for any that died without giving one."""
    done: list[dict] = []
    while len(done) < len(workers):
        try:
            done.append(results.get(timeout=5))
        except queue.Empty:
            if all(not worker.is_alive() for worker in workers) and results.empty():
                codes = [worker.exitcode for worker in workers]
                done += [{"error": f"a filling process died (exit codes {codes})"}] * (
                    len(workers) - len(done))
    return done


def fill_part(backends: list[tuple[str, str | None]], process_counts: list[int], fills: int,
              formats: str) -> dict:
    font = find_cjk_font(Workspace.open(Path(__file__).resolve().parent).config)
    bare_reportlab_page(font.name)  # warm-up
    baseline = median_ms(lambda: bare_reportlab_page(font.name), 30)
    say(f"bare reportlab page: {baseline:.1f} ms")
    runs = []
    for backend, server in backends:
        single = None
        for processes in process_counts:
            say(f"fills: {backend}, {processes} process(es), {fills} fills each")
            with database_for(backend, server) as url:
                run = measure_fills(backend, url, processes, fills, formats)
            if processes == 1:
                single = run["fills_per_second"]
            run["speedup"] = run["fills_per_second"] / single if single else None
            run["vs_baseline"] = run["median_fill_ms"] / baseline
            runs.append(run)
            say(f"  {run['fills_per_second']:.1f} fills/s")
    return {"baseline_ms": baseline, "fills_per_process": fills, "formats": formats,
            "runs": runs}


# --- 2. whole-index commands at scale --------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """What every synthetic complaint is made of: its data as the index stores it, what its
    DOCX and PDF are made from, its record prefix and the state it opens its ticket in."""

    data: str
    sources: dict[str, tuple[str, str]]
    record_prefix: str
    state: str
    ticket_prefix: str


def numbers(sample: Sample, serial: int) -> tuple[str, str]:
    return f"{sample.ticket_prefix}-2026-{serial:06d}", f"{sample.record_prefix}-2026-{serial:04d}"


def synthetic_tickets(sample: Sample, count: int) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    """(ticket serial, [(format, store path)]) of the `count` synthetic documents in filing
    order: two per ticket (DOCX, PDF), the last ticket one when `count` is odd."""
    for serial in range(1, (count + 1) // 2 + 1):
        ticket, record_no = numbers(sample, serial)
        formats = ("docx", "pdf")[:min(2, count - 2 * (serial - 1))]
        yield serial, [(fmt, f"{ticket}/{FORM}_{record_no}.{fmt}") for fmt in formats]


def file_content(path: str, fmt: str, size: int) -> bytes:
    head = f"synthetic {fmt} for aftersales bench/index.py: {path}\n".encode()
    filler = hashlib.sha256(path.encode()).hexdigest().encode()
    return (head + filler * (size // len(filler) + 1))[:size]


def synthetic_batches(store: Path, sample: Sample, count: int, file_bytes: int,
                      timing: dict[str, float], batch: int = 2000
                      ) -> Iterator[dict[str, list[dict]]]:
    """The index rows of `count` documents, `batch` tickets at a time, each ticket's rows
    linked into its hash chain as Index.record links them; writes the files meanwhile. Adds
    the seconds spent hashing rows (what verify must redo for every row) to timing["rows"]."""
    names = ("tickets", "chains", "reservations", "documents", "events")
    rows: dict[str, list[dict]] = {name: [] for name in names}
    for serial, files in synthetic_tickets(sample, count):
        ticket_rows(rows, sample, serial, files, store, file_bytes, timing)
        if len(rows["tickets"]) >= batch:
            yield rows
            rows = {name: [] for name in names}
    if rows["tickets"]:
        yield rows


def ticket_rows(rows: dict[str, list[dict]], sample: Sample, serial: int,
                files: list[tuple[str, str]], store: Path, file_bytes: int,
                timing: dict[str, float]) -> None:
    """One complaint as `fill` files it: its ticket, its reservation (filed), and its chain —
    the "opened" event, one document row per file, the "filed" event."""
    ticket, record_no = numbers(sample, serial)
    stamp = (dt.datetime(2026, 3, 1, 8, 0) + dt.timedelta(seconds=serial)).isoformat(sep=" ")
    what = {"form": FORM, "record_no": record_no}
    paths = [path for _, path in files]
    rows["tickets"].append({"number": ticket, "state": sample.state, "opened_at": stamp,
                            "data": sample.data})
    rows["reservations"].append({
        "form": FORM, "record_no": record_no, "ticket": ticket, "opens_ticket": True,
        "state": "filed", "owner": "bench|0|0|0", "reserved_at": stamp, "settled_at": stamp,
        "paths": json.dumps(paths), "note": None})
    digest = ledger.ticket_digest(ticket, stamp, sample.data, sample.state)
    chain: list[tuple[str, dict]] = [("event", event(ticket, stamp, "opened", {
        **what, "state": sample.state, "ticket_sha256": digest}))]
    (store / ticket).mkdir(parents=True, exist_ok=True)
    for fmt, path in files:
        content = file_content(path, fmt, file_bytes)
        (store / path).write_bytes(content)
        chain.append(("document", {
            "ticket": ticket, "form": FORM, "record_no": record_no, "format": fmt,
            "path": path, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content),
            "created_at": stamp, "data": sample.data, "template": sample.sources[fmt][0],
            "template_sha256": sample.sources[fmt][1]}))
    chain.append(("event", event(ticket, stamp, "filed", {**what, "documents": paths})))
    head = ledger.GENESIS
    started = time.perf_counter()
    for entry, (kind, values) in enumerate(chain, start=1):
        head = ledger.link(kind, values, entry, head)
    timing["rows"] += time.perf_counter() - started
    for kind, values in chain:
        rows["documents" if kind == "document" else "events"].append(values)
    rows["chains"].append({"name": ticket, "entries": len(chain), "head": head})


def event(ticket: str, at: str, kind: str, detail: dict) -> dict:
    return {"ticket": ticket, "at": at, "kind": kind,
            "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True)}


def load_sample(workspace: Workspace) -> Sample:
    form = load_form(workspace, FORM)
    clean = prepare(workspace, form, form.sample, None, dt.datetime(2026, 3, 1, 8, 0))
    sources = {"docx": source_of(workspace, workspace.find("templates", form.template_name)),
               "pdf": source_of(workspace, form.sources["form"])}
    return Sample(to_json(clean), sources, form.record_prefix,
                  form.definition.get("stage", "received"),
                  workspace.config["tickets"]["prefix"])


def build_synthetic(home: Path, count: int, file_bytes: int, urls: dict[str, str | None]
                    ) -> tuple[float, float]:
    """Fill the workspace's store with `count` files and every index in `urls` (backend →
    URL, None for SQLite in the workspace) with their rows. Returns the seconds it took, and
    the seconds of it spent hashing the rows (ledger.link)."""
    started = time.perf_counter()
    write_config(home, None)
    workspace = Workspace.open(home)
    sample = load_sample(workspace)
    indexes: list[Index] = []
    for url in urls.values():
        config = copy.deepcopy(workspace.config)
        config["index"]["url"] = url or ""
        indexes.append(open_index(workspace.root, config, workspace.output_dir))
    connections = [index.writer() for index in indexes]  # the schema, through the migrations
    tables = (("tickets", tickets), ("chains", chains), ("reservations", reservations),
              ("documents", documents), ("events", events))
    done = 0
    timing = {"rows": 0.0}
    for rows in synthetic_batches(workspace.output_dir, sample, count, file_bytes, timing):
        for conn in connections:
            with conn.begin():
                for name, table in tables:
                    conn.execute(table.insert(), rows[name])
        done += len(rows["documents"])
        if done % 50_000 < len(rows["documents"]):
            say(f"  built {done} of {count} documents")
    made = (count + 1) // 2
    for conn in connections:
        if made:
            with conn.begin():
                conn.execute(counters.insert(), [
                    {"name": f"ticket:{sample.ticket_prefix}:2026", "value": made},
                    {"name": f"record:{sample.record_prefix}:2026", "value": made}])
    for index in indexes:
        index.close()
    for url in urls.values():
        if url:  # what autovacuum would have done by the time anyone verifies
            import psycopg

            with psycopg.connect(conninfo(url), autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started, timing["rows"]


# Runs one command and reports its own peak memory. ru_maxrss of a child of this (large)
# process would count this process's pages at the moment of the exec, so a small launcher
# forks the command instead: the launcher's few MB are all that can leak into the figure.
LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{usage.ru_maxrss} {time.perf_counter() - start}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(arguments: list[str], env: dict[str, str], keep_output: bool
                 ) -> tuple[float, float, int, bytes, bytes]:
    """Run a command; its wall seconds, peak memory in MB (its own max RSS), exit code,
    stdout (when kept; else it goes to /dev/null) and stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            open(os.devnull, "wb") as null, tempfile.TemporaryDirectory() as temp:
        figures = Path(temp, "figures")
        code = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(figures), *arguments],
                              stdout=out if keep_output else null, stderr=err,
                              env=env).returncode
        out.seek(0)
        err.seek(0)
        kilobytes, seconds = figures.read_text().split()
        return float(seconds), int(kilobytes) / 1024, code, out.read(), err.read()


def aftersales_command() -> list[str]:
    """The `aftersales` of this Python (its full path: the launcher execs it)."""
    beside = Path(sys.executable).parent / "aftersales"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("aftersales")
    return [found] if found else [sys.executable, "-m", "generator"]


def measure_commands(home: Path, backend: str, url: str | None, count: int,
                     runs: int = 1) -> dict:
    """`index verify --json` and `index list --json` over the workspace: the median wall
    time of `runs` runs, the highest peak memory, and what verify found."""
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENV}
    if url:
        env["AFTERSALES_INDEX_URL"] = url
    command = [*aftersales_command(), "index"]
    where = ["--json", "--home", str(home)]
    verifies = [run_measured([*command, "verify", *where], env, keep_output=True)
                for _ in range(runs)]
    lists = [run_measured([*command, "list", *where], env, keep_output=False)
             for _ in range(runs)]
    _, _, code, out, err = verifies[-1]
    try:
        report = json.loads(out)
    except ValueError:
        report = {"ok": False, "documents": None,
                  "problems": [f"exit {code}: {err.decode(errors='replace').strip()[-2000:]}"]}
    failed = [run for run in lists if run[2]]
    if failed:
        raise RuntimeError(f"index list failed ({backend}, {count} documents): "
                           f"{failed[0][4].decode(errors='replace').strip()[-2000:]}")
    return {"backend": backend, "documents": count, "runs": runs,
            "verify_s": statistics.median(run[0] for run in verifies),
            "verify_peak_mb": max(run[1] for run in verifies), "verify_exit": code,
            "ok": report.get("ok"), "verified_documents": report.get("documents"),
            "problems": len(report.get("problems") or []),
            "first_problems": (report.get("problems") or [])[:5],
            "list_s": statistics.median(run[0] for run in lists),
            "list_peak_mb": max(run[1] for run in lists)}


def hash_seconds(store: Path, count: int) -> float:
    """What verify spends hashing: sha256_file over every file, the way verify reads them
    (the store walked in verify's order, untimed, then every file hashed, timed)."""
    paths = [store / path for path in DocumentStore(store, store.parent).walk()]
    if len(paths) != count:
        raise RuntimeError(f"the store holds {len(paths)} files, not {count}")
    start = time.perf_counter()
    for path in paths:
        sha256_file(path)
    return time.perf_counter() - start


def verify_part(backends: list[tuple[str, str | None]], sizes: list[int],
                file_bytes: int) -> dict:
    runs = []
    startup: dict[str, dict] = {}
    for count in [0, *sizes]:  # 0: the commands' start-up, over an empty index
        with tempfile.TemporaryDirectory(prefix="aftersales-bench-") as temp:
            home = Path(temp)
            with databases(backends) as urls:
                say(f"verify: building {count} documents ({', '.join(urls)})")
                build_s, row_hashing = build_synthetic(home, count, file_bytes, urls)
                hashing = hash_seconds(home / "output", count) if count else 0.0
                for backend, url in urls.items():
                    say(f"verify: {backend}, {count} documents: index verify, index list")
                    run = measure_commands(home, backend, url, count, runs=1 if count else 3)
                    run.update(build_s=build_s, hash_s=hashing, row_hash_s=row_hashing)
                    if count == 0:
                        startup[backend] = run
                        continue
                    empty = startup[backend]
                    run["verify_ms_per_doc"] = (run["verify_s"] - empty["verify_s"]) / count * 1000
                    run["verify_own_ms_per_doc"] = (run["verify_s"] - empty["verify_s"]
                                                    - hashing) / count * 1000
                    run["hash_ms_per_doc"] = hashing / count * 1000
                    # the rows' hashes, which verify recomputes: part of its own cost
                    run["row_hash_ms_per_doc"] = row_hashing / count * 1000
                    run["list_ms_per_doc"] = (run["list_s"] - empty["list_s"]) / count * 1000
                    runs.append(run)
                    if not run["ok"]:
                        say(f"  verify did NOT report ok: {run['first_problems']}")
    linearity = {}
    for backend in startup:
        mine = [run for run in runs if run["backend"] == backend]
        if len(mine) > 1 and mine[0]["verify_ms_per_doc"] > 0 and mine[0]["list_ms_per_doc"] > 0:
            small, large = mine[0], mine[-1]
            linearity[backend] = {
                "from": small["documents"], "to": large["documents"],
                "verify_per_doc_ratio": large["verify_ms_per_doc"] / small["verify_ms_per_doc"],
                "list_per_doc_ratio": large["list_ms_per_doc"] / small["list_ms_per_doc"],
                "verify_peak_mb_growth": large["verify_peak_mb"] - small["verify_peak_mb"],
                "list_peak_mb_growth": large["list_peak_mb"] - small["list_peak_mb"]}
    return {"file_bytes": file_bytes, "startup": list(startup.values()), "runs": runs,
            "linearity": linearity}


@contextmanager
def databases(backends: list[tuple[str, str | None]]) -> Iterator[dict[str, str | None]]:
    """backend → index URL for one size: None for SQLite, a fresh database for PostgreSQL."""
    with ExitStack() as stack:
        yield {backend: stack.enter_context(database_for(backend, server))
               for backend, server in backends}


# --- 3. a complaint beside a long render ----------------------------------------------------


def big_register(path: Path, rows: int) -> Path:
    data = load_form(Workspace.open(None), "repair-register").sample
    data["repairs"] = [dict(data["repairs"][i % len(data["repairs"])]) for i in range(rows)]
    path.write_text(json.dumps(data, ensure_ascii=False, default=str), "utf-8")
    return path


def measure_beside_render(backend: str, url: str | None, rows: int, complaints: int) -> dict:
    """Complaints filed alone, then while another process draws a `rows`-row repair register
    (its numbers taken, its reservation open): the time each complaint spends in the index's
    transactions, waits included, is what a lock held during rendering would inflate."""
    with tempfile.TemporaryDirectory(prefix="aftersales-bench-") as home:
        write_config(Path(home), url)
        workspace = Workspace.open(home)
        sample = load_form(workspace, FORM).sample
        fill(workspace, FORM, sample)  # warm-up: imports, fonts, the schema

        def complaints_timed() -> tuple[list[float], list[float]]:
            walls = []
            with index_timer() as calls:
                for _ in range(complaints):
                    began = time.perf_counter()
                    fill(workspace, FORM, sample)
                    walls.append(time.perf_counter() - began)
            return walls, [a + b for a, b in zip(calls["reserve"], calls["record"],
                                                 strict=True)]

        alone_walls, alone_index = complaints_timed()
        register = subprocess.Popen(
            [*aftersales_command(), "fill", "repair-register", "--data",
             str(big_register(Path(home) / "register.json", rows)), "--home", home,
             "--no-prompt"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        records = index_of(workspace)
        began = time.perf_counter()
        while register.poll() is None and not any(
                r["form"] == "repair-register" for r in pending(records)):
            time.sleep(0.01)
        reserved_after = time.perf_counter() - began
        beside_walls, beside_index = complaints_timed()
        overlapped = any(r["form"] == "repair-register" for r in pending(records))
        _, err = register.communicate(timeout=900)
        rendered = time.perf_counter() - began
        workspace.close()
        if register.returncode != 0:
            raise RuntimeError(f"the register failed: {err}")
    return {
        "backend": backend, "rows": rows, "complaints": complaints,
        "register_seconds": rendered, "register_reserved_after_s": reserved_after,
        "overlapped": overlapped,
        "alone_fill_ms": statistics.median(alone_walls) * 1000,
        "alone_index_ms_max": max(alone_index) * 1000,
        "beside_fill_ms": statistics.median(beside_walls) * 1000,
        "beside_fill_ms_max": max(beside_walls) * 1000,
        "beside_index_ms_max": max(beside_index) * 1000,
    }


def pending(records: Index) -> list[dict]:
    import sqlalchemy as sa

    with records.reading() as conn:
        return [dict(r) for r in conn.execute(sa.select(reservations.c.form).where(
            reservations.c.state == "reserved")).mappings()]


def lock_part(backends: list[tuple[str, str | None]], rows: int, complaints: int) -> dict:
    runs = []
    for backend, server in backends:
        say(f"locks: {backend}, {complaints} complaints beside a {rows}-row register")
        with database_for(backend, server) as url:
            runs.append(measure_beside_render(backend, url, rows, complaints))
    return {"runs": runs}


# --- output ----------------------------------------------------------------------------------


def print_table(results: dict) -> None:
    print(f"machine: {os.cpu_count()} CPUs")
    filled = results.get("fill")
    if filled:
        print(f"\nfill throughput: {FORM}, {filled['formats']}, {filled['fills_per_process']} "
              f"timed fills per process (after one warm-up fill each)")
        print(f"bare reportlab page (baseline)  {filled['baseline_ms']:.1f} ms")
        print(f"{'backend':<11}{'procs':>5}{'fills/s':>9}{'speed-up':>9}{'fill ms':>9}"
              f"{'reserve':>9}{'record':>8}{'in index':>9}{'x page':>8}  check")
        for run in filled["runs"]:
            check = "ok" if run["verify_ok"] and \
                run["documents_indexed"] == run["documents_expected"] else (
                f"{run['documents_indexed']}/{run['documents_expected']} docs, "
                f"{run['verify_problems'][:1]}")
            print(f"{run['backend']:<11}{run['processes']:>5}{run['fills_per_second']:>9.1f}"
                  f"{run['speedup']:>8.2f}x{run['median_fill_ms']:>9.1f}"
                  f"{run['reserve_ms_per_fill']:>9.2f}{run['record_ms_per_fill']:>8.2f}"
                  f"{run['index_share']:>8.0%} {run['vs_baseline']:>7.2f}x  {check}")
        print("(fill ms: median per fill; reserve/record: ms per fill inside the two index "
              "transactions, waits included; in index: their share of the fill time; aim: "
              "2 procs >= 1.70x)")
    if results.get("locks"):
        print_locks(results["locks"])
    verified = results.get("verify")
    if verified:
        print(f"\nwhole-index commands: synthetic index, 2 documents + 2 events per ticket, "
              f"{verified['file_bytes']}-byte files")
        for empty in verified["startup"]:
            print(f"start-up over an empty index ({empty['backend']}): verify "
                  f"{empty['verify_s'] * 1000:.0f} ms {empty['verify_peak_mb']:.0f} MB, list "
                  f"{empty['list_s'] * 1000:.0f} ms {empty['list_peak_mb']:.0f} MB")
        print(f"{'backend':<11}{'documents':>10}{'verify s':>9}{'peak MB':>8}{'ms/doc':>8}"
              f"{'hash':>7}{'own':>7}{'rows':>7}{'list s':>8}{'peak MB':>8}{'ms/doc':>8}  ok")
        for run in verified["runs"]:
            ok = "ok" if run["ok"] else f"NO: {run['problems']} problems"
            print(f"{run['backend']:<11}{run['documents']:>10}{run['verify_s']:>9.2f}"
                  f"{run['verify_peak_mb']:>8.0f}{run['verify_ms_per_doc']:>8.3f}"
                  f"{run['hash_ms_per_doc']:>7.3f}{run['verify_own_ms_per_doc']:>7.3f}"
                  f"{run['row_hash_ms_per_doc']:>7.3f}"
                  f"{run['list_s']:>8.2f}{run['list_peak_mb']:>8.0f}"
                  f"{run['list_ms_per_doc']:>8.3f}  {ok}")
        for backend, growth in verified["linearity"].items():
            print(f"{backend}: from {growth['from']} to {growth['to']} documents, cost per "
                  f"document x{growth['verify_per_doc_ratio']:.2f} (verify), "
                  f"x{growth['list_per_doc_ratio']:.2f} (list); peak memory "
                  f"{growth['verify_peak_mb_growth']:+.0f} MB (verify), "
                  f"{growth['list_peak_mb_growth']:+.0f} MB (list)  (linear: x1.00, flat: +0)")
        print("(ms/doc: wall time less the start-up over an empty index, per document; hash: "
              "sha256 of the files; own: verify's cost beside hashing them, aim < 0.05 ms; "
              "rows: of which recomputing the rows' hashes (ledger.row_hash); peak MB: the "
              "command's max RSS, aim flat and < 200 MB at 1M)")


def print_locks(locked: dict) -> None:
    run0 = locked["runs"][0]
    print(f"\na complaint beside a {run0['rows']}-row repair register being drawn in another "
          f"process ({run0['complaints']} complaints each way)")
    print(f"{'backend':<11}{'register s':>11}{'alone ms':>9}{'beside ms':>10}{'max ms':>8}"
          f"{'index max alone':>16}{'index max beside':>17}  overlapped")
    for run in locked["runs"]:
        print(f"{run['backend']:<11}{run['register_seconds']:>11.1f}{run['alone_fill_ms']:>9.1f}"
              f"{run['beside_fill_ms']:>10.1f}{run['beside_fill_ms_max']:>8.1f}"
              f"{run['alone_index_ms_max']:>16.1f}{run['beside_index_ms_max']:>17.1f}  "
              f"{'yes' if run['overlapped'] else 'NO: the register finished first'}")
    print("(alone/beside ms: median complaint fill; max ms: slowest beside; index max: the "
          "longest a complaint spent in the index's transactions, waits included; aim: a "
          "complaint never waits more than a second)")


def integers(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fills", type=int, default=100, help="timed fills per process")
    parser.add_argument("--processes", type=integers, default=[1, 2, 4],
                        help="process counts, comma-separated (default 1,2,4)")
    parser.add_argument("--formats", default="docx,pdf")
    parser.add_argument("--sizes", type=integers, default=[10_000, 100_000],
                        help="documents in the synthetic indexes (default 10000,100000)")
    parser.add_argument("--file-bytes", type=int, default=200)
    parser.add_argument("--postgres", metavar="URL",
                        default=os.environ.get("AFTERSALES_TEST_POSTGRES") or None,
                        help="a PostgreSQL server whose user may create databases "
                             "(default: AFTERSALES_TEST_POSTGRES)")
    parser.add_argument("--register-rows", type=int, default=2000,
                        help="rows of the register drawn beside the complaints (locks part)")
    parser.add_argument("--parts", default="fill,locks,verify",
                        help="any of fill, locks, verify (default: all three)")
    parser.add_argument("--json", action="store_true", help="every figure as JSON")
    args = parser.parse_args()
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    if not parts or parts - {"fill", "locks", "verify"}:
        parser.error("--parts: any of fill, locks, verify, comma-separated")
    if 1 not in args.processes and "fill" in parts:
        args.processes = [1, *args.processes]  # the speed-up needs one process to compare with
    for name in FOREIGN_ENV:
        os.environ.pop(name, None)

    backends: list[tuple[str, str | None]] = [("sqlite", None)]
    if args.postgres:
        backends.append(("postgresql", args.postgres))
    else:
        say("no PostgreSQL server (--postgres URL or AFTERSALES_TEST_POSTGRES): SQLite only")

    results: dict = {"cpus": os.cpu_count(), "backends": [b for b, _ in backends]}
    if "fill" in parts:
        results["fill"] = fill_part(backends, args.processes, args.fills, args.formats)
    if "locks" in parts:
        results["locks"] = lock_part(backends, args.register_rows, 10)
    if "verify" in parts:
        results["verify"] = verify_part(backends, args.sizes, args.file_bytes)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)


if __name__ == "__main__":
    main()
