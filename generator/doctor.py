"""`aftersales doctor`: is this machine and workspace ready to make documents, and if not, what
to do about it.

Each check looks at one thing the toolkit relies on — Python and the declared libraries, the CJK
font and whether it embeds, LibreOffice, poppler, the signing extra, the index, the workspace's
own forms/schemas/templates — and answers ok, warn or fail with a fix to run. A check is
`required` when documents cannot be made without it; only a required check fails, an optional
one (LibreOffice, poppler, signing) warns.
"""

from __future__ import annotations

import importlib.util
import io
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from generator.errors import AftersalesError, ConfigError, MissingDependency
from generator.workspace import DATA_KINDS, Workspace, bundled_root

DISTRIBUTION = "aftersales"
# A declared requirement: its name, extras in brackets, version specifier, environment marker.
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;]*?)\s*"
                         r"(?:;(.*))?$")
FONT_FIX = ("install a TrueType CJK font (as root: apt-get install fonts-wqy-zenhei) or set "
            "fonts.cjk in aftersales.toml to a .ttf/.ttc file")
SIGN_FIX = "pip install 'aftersales[sign]'"
VERSION_TIMEOUT = 60  # seconds; LibreOffice's first start in a new profile is slow


@dataclass(frozen=True)
class Check:
    """One thing looked at: `status` is ok, warn or fail; `fix` says what to run when not ok."""

    name: str
    status: str
    detail: str
    fix: str = ""
    required: bool = True

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def examine(home: str | Path | None) -> list[Check]:
    """Every check, the machine's first, then the workspace's at `home` (its configuration
    refused: that one failed check instead of those that need it)."""
    checks = [python_check(), libraries_check(), libreoffice_check(), poppler_check(),
              signing_check()]
    try:
        workspace = Workspace.open(home)
    except ConfigError as exc:
        return [*checks, Check("configuration", "fail", exc.message,
                               "correct aftersales.toml as the message says (README: "
                               "Configuration)")]
    try:
        return [*checks, Check("configuration", "ok", _configuration(workspace)),
                font_check(workspace.config), *index_checks(workspace),
                overrides_check(workspace), templates_check(workspace)]
    finally:
        workspace.close()


def failed(checks: list[Check]) -> bool:
    """Whether something required is missing (the command's exit code 1)."""
    return any(check.required and check.status == "fail" for check in checks)


# --- Python and libraries --------------------------------------------------------------------


def _requirements() -> Iterator[tuple[str, str]]:
    """The installed distribution's runtime requirements (those of no extra): name, specifier."""
    for line in metadata.requires(DISTRIBUTION) or []:
        found = REQUIREMENT.match(line)
        if found and not found.group(3):
            yield found.group(1), found.group(2)


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0])[:3])


def _below_floor(installed: str, specifier: str) -> bool:
    """Whether `installed` is below a `>=` floor, the only kind of specifier aftersales declares
    (an installer has enforced any other)."""
    floor = re.search(r">=\s*([0-9][0-9.]*)", specifier)
    return bool(floor) and _version_tuple(installed) < _version_tuple(floor.group(1))


def python_check() -> Check:
    running = platform.python_version()
    wanted = metadata.metadata(DISTRIBUTION).get("Requires-Python") or ""
    detail = f"Python {running} ({sys.executable}); aftersales needs {wanted or 'any'}"
    if _below_floor(running, wanted):
        return Check("python", "fail", detail, f"install Python {wanted} and aftersales in it")
    return Check("python", "ok", detail)


def libraries_check() -> Check:
    """Every runtime dependency the installed aftersales declares, installed and new enough."""
    found, problems = [], []
    for name, specifier in _requirements():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append((f"{name} is not installed", f"{name}{specifier}"))
            continue
        found.append(f"{name} {installed}")
        if _below_floor(installed, specifier):
            problems.append((f"{name} {installed} is older than {specifier}",
                             f"{name}{specifier}"))
    version = f"aftersales {metadata.version(DISTRIBUTION)}"
    if problems:
        needed = " ".join(f"'{wanted}'" for _, wanted in problems)
        return Check("libraries", "fail", "; ".join(p for p, _ in problems),
                     f"pip install -U {needed}")
    return Check("libraries", "ok", ", ".join([version, *found]))


# --- tools and extras ------------------------------------------------------------------------


def _tool_version(command: list[str]) -> str:
    """The first line a tool prints about its version (poppler writes it to stderr)."""
    try:
        ran = subprocess.run(command, capture_output=True, text=True, timeout=VERSION_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"version unknown ({exc})"
    lines = (ran.stdout or ran.stderr).strip().splitlines()
    return lines[0] if lines else "version unknown"


def libreoffice_check() -> Check:
    soffice = shutil.which("soffice")
    if soffice is None:
        return Check("libreoffice", "warn",
                     "soffice not on PATH: agreement packets cannot take DOCX attachments",
                     "install LibreOffice (apt-get install libreoffice-writer-nogui; "
                     "libreoffice.org on Windows and macOS) and put soffice on PATH",
                     required=False)
    return Check("libreoffice", "ok", f"{_tool_version([soffice, '--version'])} ({soffice})",
                 required=False)


def poppler_check() -> Check:
    tools = {name: shutil.which(name) for name in ("pdftotext", "pdftoppm")}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        return Check("poppler", "warn",
                     f"{' and '.join(missing)} not on PATH: PDFs cannot be read back as text "
                     f"or pictures (the tests and checking by eye need them)",
                     "apt-get install poppler-utils", required=False)
    return Check("poppler", "ok", _tool_version([tools["pdftotext"], "-v"]), required=False)


def signing_check() -> Check:
    if importlib.util.find_spec("pyhanko") is None:
        return Check("signing", "warn",
                     "pyHanko not installed: `packet build --sign` cannot sign packets",
                     SIGN_FIX, required=False)
    return Check("signing", "ok", f"pyHanko {metadata.version('pyHanko')}", required=False)


# --- the workspace ---------------------------------------------------------------------------


def _configuration(workspace: Workspace) -> str:
    config = workspace.root / "aftersales.toml"
    shown = str(config) if config.is_file() else f"no {config.name} in {workspace.root}: defaults"
    return f"{shown}; language {workspace.language}, ticket prefix " \
           f"{workspace.config['tickets']['prefix']}"


def font_check(config: dict) -> Check:
    """The CJK font every PDF embeds: found, parsed, and really embedded in a PDF made with it."""
    from generator.render.fonts import find_cjk_font

    try:
        font = find_cjk_font(config)
    except ConfigError as exc:
        return Check("font", "fail", exc.message,
                     "set fonts.cjk in aftersales.toml to an existing TrueType .ttf/.ttc file, "
                     "or leave it empty to use an installed one")
    except MissingDependency as exc:
        return Check("font", "fail", exc.message, FONT_FIX)
    shown = f"{font.path} (face {font.index})"
    try:
        embedded = _embeds(font.name)
    except ImportError:
        return Check("font", "warn", f"{shown}; whether it embeds was not checked: pypdf is not "
                     f"installed", "pip install pypdf")
    if not embedded:
        return Check("font", "fail", f"{shown} is not embedded in the PDFs made with it",
                     FONT_FIX)
    return Check("font", "ok", f"{shown}, embedded in PDFs")


def _embeds(font_name: str) -> bool:
    """Whether a one-line PDF drawn in `font_name` carries the font's TrueType program
    (FontFile2 in its font descriptor), not just its name."""
    from pypdf import PdfReader
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.setFont(font_name, 12)
    canvas.drawString(72, 720, "售后服务中心")
    canvas.save()
    fonts = PdfReader(buffer).pages[0]["/Resources"]["/Font"]
    return any("/FontFile2" in font.get_object().get("/FontDescriptor", {})
               for font in fonts.values())


def index_checks(workspace: Workspace) -> list[Check]:
    """The index: reachable, its schema revision against the code's, the database sound."""
    from generator.records import database
    from generator.records.index import index_of
    from generator.records.schema import HEAD

    try:
        index = index_of(workspace)
        where = index.location.shown()
        revision = index.schema_revision()
    except AftersalesError as exc:
        return [Check("index", "fail", exc.message,
                      "fix the [index] settings in aftersales.toml or AFTERSALES_INDEX_URL as "
                      "the message says")]
    if revision is None:
        return [Check("index", "ok", f"no index yet at {where}, the first fill creates it")]
    if revision != HEAD and revision in (database.LEGACY, *database.KNOWN_REVISIONS):
        shown = "from before revision 0001" if revision == database.LEGACY else revision
        schema = Check("index", "warn",
                       f"{where}: schema revision {shown}, older than this version's {HEAD}; "
                       f"reading commands refuse it until it is upgraded (writing ones upgrade "
                       f"it themselves)", "aftersales index upgrade")
    elif revision != HEAD:
        return [Check("index", "fail",
                      f"{where}: schema revision {revision} was written by a newer aftersales "
                      f"(this version knows up to {HEAD})", "pip install -U aftersales")]
    else:
        schema = Check("index", "ok", f"{where}, schema revision {revision} (up to date)")
    return [schema, _integrity(index)]


def _integrity(index) -> Check:
    try:
        damage = index.quick_check()
    except AftersalesError as exc:
        return Check("index integrity", "fail", exc.message, "aftersales index verify")
    if damage is None:
        return Check("index integrity", "ok", "kept by the PostgreSQL server; "
                     "`aftersales index verify` checks the records themselves")
    if damage:
        # SQLite's report runs over several lines ("*** in database main ***\nPage 3: …")
        found = " ".join("; ".join(damage[:5]).split())
        return Check("index integrity", "fail", f"SQLite's quick check found damage: {found}",
                     f"restore {index.location.shown()} from a backup, then run "
                     f"`aftersales index verify`")
    return Check("index integrity", "ok", "SQLite quick check: ok "
                 "(`aftersales index verify` checks the records and files themselves)")


def overrides(workspace: Workspace) -> Iterator[tuple[str, Path, Path]]:
    """The workspace's files that shadow a bundled one: (name as shown, its file, the bundled)."""
    for kind in DATA_KINDS:
        own_root, bundled = workspace.root / kind, bundled_root(kind)
        if not own_root.is_dir():
            continue
        for own in sorted(own_root.rglob("*")):
            relative = own.relative_to(own_root)
            if own.is_file() and (bundled / relative).is_file():
                yield f"{kind}/{relative.as_posix()}", own, bundled / relative


def stale(own: Path, bundled: Path) -> bool:
    """An override shadows a newer bundled version when the two differ and the bundled file
    changed after the workspace's copy did: the copy was made from (or before) an older
    default, so whatever the new default fixed or added is missing from it."""
    return (bundled.stat().st_mtime > own.stat().st_mtime
            and bundled.read_bytes() != own.read_bytes())


def overrides_check(workspace: Workspace) -> Check:
    found = list(overrides(workspace))
    if not found:
        return Check("overrides", "ok", "none: the workspace uses the bundled forms, schemas "
                     "and templates", required=False)
    older = [name for name, own, bundled in found if stale(own, bundled)]
    shown = ", ".join(name for name, _, _ in found)
    if older:
        return Check("overrides", "warn",
                     f"{len(older)} of the workspace's files shadow a newer bundled version: "
                     f"{', '.join(older)} (all overrides: {shown})",
                     f"compare each with the bundled one (in {bundled_root('forms').parent}) "
                     f"and bring it up to date; a copy saved after the bundled file counts "
                     f"as up to date",
                     required=False)
    return Check("overrides", "ok", f"{len(found)} override(s): {shown}", required=False)


def templates_check(workspace: Workspace) -> Check:
    from generator.documents.template_check import check_templates

    try:
        checked, problems = check_templates(workspace)
    except AftersalesError as exc:
        return Check("templates", "warn", exc.message, "aftersales templates check",
                     required=False)
    if problems:
        return Check("templates", "warn",
                     f"{len(problems)} problem(s) in the templates, first: {problems[0]}",
                     "aftersales templates check  (names each problem's file and tag)",
                     required=False)
    return Check("templates", "ok", f"{len(checked)} templates checked, no problems",
                 required=False)

