"""Shared fixtures: a fresh workspace per test, the CLI in-process, and readers that pull the
text back out of generated DOCX and PDF files."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from generator.cli import cli
from generator.documents.context import display
from generator.documents.fill import prepare
from generator.documents.forms import load_form
from generator.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def expected_values(workspace: Workspace, name: str, data: dict, ticket: str) -> list[str]:
    """Every value as it must be printed (choices by their Chinese label, money with 2 decimals),
    including those inherited from the ticket."""
    form = load_form(workspace, name)
    clean = prepare(workspace, form, data, ticket, dt.datetime.now())
    values = []
    for key, fld in form.fields.items():
        if fld.columns:
            for row in clean.get(key, []):
                values += [display(fld.columns[c], v, "zh") for c, v in row.items()]
        elif key in clean:
            values.append(display(fld, clean[key], "zh"))
    return [v for v in values if v]


def sample_forms() -> list[str]:
    """The bundled forms that carry sample data: the ones `aftersales demo` fills."""
    from generator.documents.forms import list_forms, load_form
    from generator.workspace import DEFAULT_CONFIG

    bundled_only = Workspace(root=Path(__file__).resolve().parent, config=DEFAULT_CONFIG)
    return [n for n in list_forms(bundled_only) if load_form(bundled_only, n).sample]


def ticketless_forms() -> set[str]:
    """The sample forms that belong to no ticket (`ticket: none`, like the training record):
    the demo files them without one."""
    bundled = Workspace.open(None)
    return {n for n in sample_forms() if load_form(bundled, n).ticket_mode == "none"}


def write_sample(tmp_path: Path, name: str, ticket: str | None = None, **changes) -> Path:
    """The form's bundled sample data as a JSON file, with `changes` applied; its mentions of
    the sample ticket made to name `ticket` (a register's rows, say)."""
    from generator.documents.demo import retarget

    data = load_form(Workspace.open(None), name).sample
    if ticket:
        data = retarget(data, ticket)
    data.update(changes)
    path = tmp_path / f"{name}-sample.json"
    path.write_text(json.dumps(data, default=str, ensure_ascii=False), "utf-8")
    return path


def files_in_output(home: Path) -> list[str]:
    """Every document file under output/, relative to the workspace (the index db excluded)."""
    output = home / "output"
    if not output.is_dir():
        return []
    return sorted(
        p.relative_to(home).as_posix() for p in output.rglob("*")
        if p.is_file() and not p.name.startswith("index.sqlite3")
    )


# When the tests' tickets were moved along: before every sample record's own time.
STORY_TIME = "2026-11-16 10:00"


def ticket_ready_for(home: Path, ticket: str, form_name: str) -> None:
    """Walk a newly opened `ticket` along the procedure to where `form_name` is filed — the
    state before the form's stage — as people would (the builder made responsible on the way),
    so the form's own move is one the lifecycle allows."""
    from generator.tickets import service
    from generator.tickets.lifecycle import load_lifecycle

    workspace = Workspace.open(home)
    try:
        lifecycle = load_lifecycle(workspace)
        stage = load_form(workspace, form_name).definition.get("stage")
        if stage not in lifecycle.main_path:
            return
        for state in lifecycle.main_path[1:lifecycle.main_path.index(stage)]:
            if state == "assigned":
                service.assign(workspace, ticket, party="builder", at=STORY_TIME)
            else:
                service.move(workspace, ticket, state, at=STORY_TIME)
    finally:
        workspace.close()


def start_process(args: list, cwd: Path, **options) -> subprocess.Popen:
    """A subprocess with this test's environment (and so its index URL), minus
    AFTERSALES_HOME, reading nothing and writing text."""
    env = {k: v for k, v in os.environ.items() if k != "AFTERSALES_HOME"}
    return subprocess.Popen([str(a) for a in args], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", **options)


def finish_process(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    """Wait for a subprocess: its exit code, stdout and stderr (fails the test if it hangs)."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"{process.args} did not end within {timeout} s: {err}") from None
    return process.returncode, out, err


def need_tool(name: str, package: str) -> None:
    """Skip when a system tool is missing — except in CI, where every test must run."""
    if shutil.which(name):
        return
    message = f"{name} not installed (apt-get install {package}; scripts/test installs it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def libreoffice_pdfs(docx_files: list[Path], folder: Path, timeout: float = 240
                     ) -> dict[Path, Path]:
    """Each DOCX converted to PDF by a real LibreOffice, in one call (its own throwaway
    profile under `folder`, so parallel runs never share one): DOCX → its PDF."""
    need_tool("soffice", "libreoffice-writer-nogui")
    out = folder / "converted"
    result = subprocess.run(
        ["soffice", "--headless", "--norestore",
         f"-env:UserInstallation={(folder / 'lo-profile').as_uri()}",
         "--convert-to", "pdf", "--outdir", str(out), *map(str, docx_files)],
        capture_output=True, text=True, timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    pdfs = {path: out / f"{path.stem}.pdf" for path in docx_files}
    missing = [path.name for path, pdf in pdfs.items() if not pdf.is_file()]
    assert not missing, f"LibreOffice did not convert {missing}: {result.stdout}{result.stderr}"
    shutil.rmtree(folder / "lo-profile", ignore_errors=True)
    return pdfs


@pytest.fixture(autouse=True, scope="session")
def font_cache(tmp_path_factory) -> None:
    """The parsed-font cache in the test run's own folder, not the user's ~/.cache (the tests'
    subprocesses inherit it)."""
    os.environ["AFTERSALES_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(autouse=True, scope="session")
def cjk_font(font_cache) -> None:
    """Nearly every test makes a PDF, which needs a TrueType CJK font on the machine."""
    from generator.errors import MissingDependency
    from generator.render.fonts import find_cjk_font
    from generator.workspace import DEFAULT_CONFIG

    try:
        find_cjk_font(DEFAULT_CONFIG)
    except MissingDependency as exc:
        if IN_CI:
            pytest.fail(str(exc))
        pytest.skip(f"{exc} (scripts/test installs it when run as root)")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty workspace directory: bundled forms, default configuration."""
    root = tmp_path / "ws"
    root.mkdir()
    return root


@pytest.fixture
def workspace(home: Path) -> Workspace:
    return Workspace.open(home)


@pytest.fixture
def complaint(run, tmp_path) -> dict:
    """One complaint filed: the JSON report of `fill complaint`."""
    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                 "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def ticket(complaint) -> str:
    """A ticket opened by a complaint, for the forms that belong to one."""
    return complaint["ticket"]


@pytest.fixture
def run(home: Path):
    """Run `aftersales ARGS --home HOME` in-process; returns click's Result."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, [*args, "--home", str(home)], input=input,
                             catch_exceptions=False)

    return invoke


def refusal(result) -> tuple[str, list[str]]:
    """A refusal printed under --json: its headline, and each failing field's problem as the
    plain-text message lists it ("label (key): what is wrong")."""
    error = json.loads(result.stdout)
    assert error["exit_code"] == result.exit_code
    return error["error"], [f"{f['field']}: {f['message']}" if f["field"] else f["message"]
                            for f in error["fields"]]


def docx_text(path: Path) -> str:
    """Every piece of text in a DOCX: body paragraphs, table cells, headers and footers."""
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs]
        parts += [p.text for p in section.footer.paragraphs]
    return "\n".join(parts)


def pdf_text(path: Path) -> str:
    """The PDF's text as pypdf extracts it."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


@dataclass
class PrintedLine:
    """A line of text as drawn on a PDF page: its baseline's height from the page's foot (pt),
    its largest font size and its text (side-by-side columns at one height are one line)."""

    y: float
    size: float
    text: str


def pdf_lines(path: Path, last: int | None = None) -> list[list[PrintedLine]]:
    """Each page's lines (of the `last` pages only, if given), top to bottom, from the
    positions pypdf reports for each piece of text (the text matrix times the current
    transformation matrix)."""
    pages = []
    for page in PdfReader(str(path)).pages[-last if last else 0:]:
        pieces: dict[float, list[tuple[float, str]]] = {}

        def visit(text, cm, tm, _font, size, pieces=pieces):
            if text.strip():
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                pieces.setdefault(round(y, 1), []).append((size * abs(tm[3] * cm[3]), text))

        page.extract_text(visitor_text=visit)
        pages.append([PrintedLine(y, max(size for size, _ in parts),
                                  "".join(text for _, text in parts).strip())
                      for y, parts in sorted(pieces.items(), reverse=True)])
    return pages


def pdftotext(path: Path) -> str:
    need_tool("pdftotext", "poppler-utils")
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def squash(text: str) -> str:
    """Text without whitespace: PDF extraction breaks lines where the layout wrapped them."""
    return re.sub(r"\s+", "", text)


# The running header and footer of the default configuration's documents.
PAGE_FURNITURE = re.compile(
    r"^\s*(第\s*\d+\s*页\s*共\s*\d+\s*页|示例置业有限公司\s*·\s*商品房售后服务中心"
    r"|服务电话：400-800-1234|示例市示例区示例路 1 号\s*电话：0571-88888888)\s*$",
    re.MULTILINE,
)


def body_text(text: str) -> str:
    """Squashed text without the page header and footer lines, so a value that runs over a
    page break reads as one."""
    return squash(PAGE_FURNITURE.sub("", text))


# --- the index's database --------------------------------------------------------------------


@contextlib.contextmanager
def index_database(kind: str, patch: pytest.MonkeyPatch):
    """The index on `kind`: SQLite in the workspace (the default), or a fresh PostgreSQL
    database named by AFTERSALES_INDEX_URL (which subprocesses inherit)."""
    if kind == "postgresql":
        from tests.postgres import fresh_database, need_postgres

        with fresh_database(need_postgres()) as url:
            patch.setenv("AFTERSALES_INDEX_URL", url)
            yield kind
        return
    patch.delenv("AFTERSALES_INDEX_URL", raising=False)
    yield kind


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, monkeypatch):
    """Run the test on each database the index supports."""
    with index_database(request.param, monkeypatch) as kind:
        yield kind


def index_url(home: Path) -> str:
    """The SQLAlchemy URL of the workspace's index (as `backend` set it up)."""
    url = os.environ.get("AFTERSALES_INDEX_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{home / 'output' / 'index.sqlite3'}"


def index_sql(home: Path, statement: str, **params):
    """Run SQL on the workspace's index directly, as someone with write access to the database
    (not through aftersales) would. Returns the rows of a query."""
    import sqlalchemy as sa

    engine = sa.create_engine(index_url(home))
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return [dict(r) for r in result.mappings()] if result.returns_rows else None
    finally:
        engine.dispose()
