"""The package as users get it: a wheel that carries the bundled forms, schemas and templates and
works from any directory; the installed `aftersales` command; help that is fast and complete."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

import generator
from generator.cli import cli
from generator.workspace import DATA_KINDS, bundled_root
from tests.conftest import REPO, need_tool, sample_forms

FORMS = sample_forms()
TIMEOUT = 120
HEAVY = ("reportlab", "docxtpl", "lxml", "sqlalchemy", "alembic", "cryptography", "psycopg")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AFTERSALES_HOME", "PYTHONPATH")}
    env.update(extra)
    return env


def run(args: list, cwd: Path, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=clean_env(**extra_env),
                          capture_output=True, text=True, encoding="utf-8", timeout=TIMEOUT)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project built as a wheel, the way `pip install .` builds it."""
    out = tmp_path_factory.mktemp("wheel")
    result = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                  "--no-cache-dir", "--disable-pip-version-check", "-w", out, REPO], cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = list(out.glob("aftersales-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The wheel installed (non-editable) into a directory of its own."""
    target = tmp_path_factory.mktemp("site")
    result = run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-cache-dir",
                  "--disable-pip-version-check", "--target", target, wheel], cwd=target)
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def test_wheel_carries_the_bundled_data(wheel):
    assert wheel.name == f"aftersales-{generator.__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    for form in FORMS:
        definition = yaml.safe_load((REPO / "forms" / f"{form}.yaml").read_text("utf-8"))
        for kind, name in (("forms", f"{form}.yaml"),
                           ("schemas", f"{definition.get('schema', form)}.yaml"),
                           ("templates", definition.get("template", f"{form}.docx"))):
            assert f"generator/_bundled/{kind}/{name}" in names
    # every file of the source tree's data directories is in the wheel
    for kind in DATA_KINDS:
        for path in (REPO / kind).rglob("*"):
            if path.is_file():
                assert f"generator/_bundled/{path.relative_to(REPO).as_posix()}" in names, path
    assert "generator/__main__.py" in names and "generator/cli/__init__.py" in names
    # the index's migrations run from the installed package
    migrations = REPO / "generator" / "records" / "migrations"
    for path in migrations.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            assert path.relative_to(REPO).as_posix() in names, path
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "aftersales = generator.cli:main" in zipfile.ZipFile(wheel).read(
        entry_points).decode()
    assert not any(n.startswith(("tests/", "output/")) for n in names)


def test_installed_wheel_works_from_any_directory(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    home = tmp_path / "ws"
    home.mkdir()
    script = (
        "import sys, json\n"
        f"sys.path.insert(0, {str(installed)!r})\n"
        "import generator\n"
        "from generator.workspace import bundled_root\n"
        "print(json.dumps({'module': generator.__file__,"
        " 'roots': [str(bundled_root(k)) for k in ('forms', 'schemas', 'templates')]}))\n"
        "from generator.cli import main\n"
        f"sys.argv = ['aftersales', 'demo', '--home', {str(home)!r}]\n"
        "main()\n"
    )
    result = run([sys.executable, "-c", script], cwd=elsewhere)
    assert result.returncode == 0, result.stdout + result.stderr
    first, rest = result.stdout.split("\n", 1)
    where = json.loads(first)
    assert Path(where["module"]).resolve().is_relative_to(installed.resolve())
    for kind, root in zip(("forms", "schemas", "templates"), where["roots"], strict=True):
        root = Path(root).resolve()
        assert root == installed.resolve() / "generator" / "_bundled" / kind
        assert not root.is_relative_to(REPO)
    assert "Sample ticket SH-" in rest and f"{2 * len(FORMS)} documents" in rest
    documents = sorted((home / "output").rglob("*.docx")) + sorted((home / "output").rglob(
        "*.pdf"))
    assert len(documents) == 2 * len(FORMS)
    assert not (elsewhere / "output").exists()

    # the module form, with the installed copy first on the path, from the workspace itself
    verify = run([sys.executable, "-m", "generator", "index", "verify"], cwd=home,
                 PYTHONPATH=str(installed))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert f"OK: {2 * len(FORMS)} documents verified" in verify.stdout


def test_installed_console_script_from_the_wheel(installed, tmp_path):
    script = installed / "bin" / "aftersales"
    assert script.is_file()
    home = tmp_path / "ws"
    home.mkdir()
    result = run([script, "forms", "list", "--json", "--home", home], cwd=tmp_path,
                 PYTHONPATH=str(installed))
    assert result.returncode == 0, result.stdout + result.stderr
    assert {r["form"] for r in json.loads(result.stdout)} >= set(FORMS)


def test_source_checkout_uses_the_data_beside_the_package():
    # the editable install under test has no _bundled/: the repository's own directories
    for kind in DATA_KINDS:
        assert bundled_root(kind) == REPO / kind


def test_python_m_generator_help(tmp_path):
    result = run([sys.executable, "-m", "generator", "--help"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: python -m generator" in result.stdout or "Usage: aftersales" in \
        result.stdout
    for command in ("demo", "fill", "forms", "index"):
        assert command in result.stdout


def test_console_script_help_and_version(tmp_path):
    script = Path(sys.executable).parent / "aftersales"
    assert script.is_file(), f"no console script at {script}"
    result = run([script, "--help"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: aftersales [OPTIONS] COMMAND [ARGS]..." in result.stdout
    assert "Documents of a residential developer's after-sales service centre." in result.stdout
    result = run([script, "--version"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"aftersales, version {generator.__version__}"
    result = run([script, "-h"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: aftersales" in result.stdout


def test_console_script_error_exit_code(tmp_path):
    script = Path(sys.executable).parent / "aftersales"
    result = run([script, "forms", "show", "nosuch", "--home", tmp_path], cwd=tmp_path)
    assert result.returncode == 2
    assert "Error: unknown form 'nosuch'" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("args", [["--help"], ["fill", "--help"], ["index", "verify", "--help"],
                                  ["index", "migrate", "--help"], ["--version"]])
def test_help_does_not_import_heavy_libraries(tmp_path, args):
    script = (
        "import sys\n"
        "from generator.cli import cli\n"
        f"sys.argv = ['aftersales', *{args!r}]\n"
        "try:\n"
        "    cli(prog_name='aftersales')\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print('HEAVY', heavy)\n"
    )
    result = run([sys.executable, "-c", script], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout, result.stdout.splitlines()[-1]


def walk(command: click.Command, path: tuple[str, ...] = ()):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from walk(sub, (*path, name))


def test_every_command_and_option_has_help():
    commands = list(walk(cli))
    names = {" ".join(p) for p, _ in commands}
    assert {"forms", "forms list", "forms show", "forms template", "fill", "index", "index list",
            "index show", "index verify", "demo"} <= names
    for path, command in commands:
        where = " ".join(("aftersales", *path))
        assert (command.help or "").strip(), f"{where} has no help text"
        assert command.get_short_help_str().strip(), f"{where} has no short help"
        for param in command.params:
            if isinstance(param, click.Option):
                assert (param.help or "").strip(), f"{where} {param.opts[0]} has no help text"
        result = CliRunner().invoke(cli, [*path, "--help"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        first_line = command.help.strip().splitlines()[0]
        assert " ".join(first_line.split()) in " ".join(result.output.split())


# --- the dependencies declared in pyproject.toml are exactly those the code imports ------------

def requirement_names(requirements: list[str]) -> set[str]:
    """Canonical distribution names of PEP 508 requirement strings ("reportlab[accel]>=4" →
    "reportlab")."""
    return {canonical(re.match(r"[A-Za-z0-9._-]+", r).group()) for r in requirements}


def canonical(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def import_names(distributions: set[str]) -> set[str]:
    """The top-level import names the installed distributions provide (PyYAML → yaml)."""
    provided = importlib.metadata.packages_distributions()
    return {name for name, dists in provided.items()
            if any(canonical(d) in distributions for d in dists)}


PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
RUNTIME = requirement_names(PROJECT["dependencies"])
EXTRAS = {extra: requirement_names(reqs)
          for extra, reqs in PROJECT["optional-dependencies"].items()}


def is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def third_party_imports(path: Path) -> tuple[set[str], set[str]]:
    """(imports that run when the module loads, imports that run only when a function is called
    or that are guarded by TYPE_CHECKING / try), as top-level names outside stdlib, this project
    and, outside the package, the script's siblings (bench/index.py imports bench/fill.py as
    `fill`; inside the package, `docx` is python-docx even beside generator/render/docx.py)."""
    local = {"generator", "tests"}
    if not path.is_relative_to(REPO / "generator"):
        local |= {sibling.stem for sibling in path.parent.iterdir()}
    def walk(nodes, guarded: bool):
        for node in nodes:
            if isinstance(node, ast.Import):
                yield guarded, [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                yield guarded, [node.module]
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Try):
                yield from walk(ast.iter_child_nodes(node), True)
            elif isinstance(node, ast.If) and is_type_checking(node):
                yield from walk(node.body, True)
                yield from walk(node.orelse, guarded)
            else:
                yield from walk(ast.iter_child_nodes(node), guarded)

    loaded, deferred = set(), set()
    for guarded, modules in walk(ast.parse(path.read_text("utf-8")).body, False):
        for module in modules:
            top = module.split(".")[0]
            if top not in sys.stdlib_module_names and top not in local:
                (deferred if guarded else loaded).add(top)
    return loaded, deferred - loaded


def imports_under(folder: str) -> dict[str, tuple[set[str], set[str]]]:
    return {path.relative_to(REPO).as_posix(): third_party_imports(path)
            for path in sorted((REPO / folder).rglob("*.py"))}


def test_the_package_imports_only_declared_dependencies():
    runtime = import_names(RUNTIME)
    optional = import_names(set().union(*(d for e, d in EXTRAS.items() if e != "dev")))
    used = set()
    for module, (loaded, deferred) in imports_under("generator").items():
        assert loaded <= runtime, (
            f"{module} imports {sorted(loaded - runtime)} when it loads: declare it in "
            "[project] dependencies, or import it inside the function that needs it if it "
            "belongs to an optional extra")
        assert deferred <= runtime | optional, (
            f"{module} imports {sorted(deferred - runtime - optional)}, which no dependency "
            "or extra declares")
        used |= loaded | deferred
    for distribution in RUNTIME:
        assert import_names({distribution}) & used, (
            f"{distribution} is a declared dependency that generator/ never imports")


def test_test_only_dependencies_live_in_the_dev_extra():
    runtime = import_names(RUNTIME)
    everything = import_names(RUNTIME.union(*EXTRAS.values()))
    test_only = set()
    for folder in ("tests", "bench"):
        for module, (loaded, deferred) in imports_under(folder).items():
            assert loaded | deferred <= everything, (
                f"{module} imports {sorted((loaded | deferred) - everything)}: add it to the "
                "dev extra")
            test_only |= (loaded | deferred) - runtime
    # whatever the tests need beyond the runtime is installed by `pip install -e .[dev]`
    assert test_only <= import_names(EXTRAS["dev"]), test_only - import_names(EXTRAS["dev"])
    # and the dev tools never leak into the package
    dev_only = import_names(EXTRAS["dev"] - RUNTIME - set().union(
        *(d for e, d in EXTRAS.items() if e != "dev")))
    for module, (loaded, deferred) in imports_under("generator").items():
        assert not (loaded | deferred) & dev_only, (module, (loaded | deferred) & dev_only)


# --- the floors in pyproject.toml really install and work ---------------------------------------

def uv_command() -> str:
    """uv from the dev extra (beside this Python), else from PATH; missing: skipped (CI: failed)."""
    beside = Path(sys.executable).parent / "uv"
    if beside.is_file():
        return str(beside)
    need_tool("uv", "uv from PyPI: pip install -e .[dev]")
    return shutil.which("uv")


@pytest.mark.pypi
def test_lowest_allowed_versions_install_and_run_the_demo(tmp_path):
    """Every direct dependency at the lowest version pyproject.toml allows (uv's
    lowest-direct resolution, downloaded from PyPI), installed from the source tree into a fresh
    venv: the demo fills every form and the index verifies. A floor that cannot install (as
    reportlab[accel] 4.0.0 could not) or is too old for the code (as SQLAlchemy 2.0.0 was) fails
    here. (Run by hand on Python 3.12 as well when a floor changes: PyYAML 6.0 installed on 3.11
    but could not be built on 3.12.)"""
    uv = uv_command()
    venv = tmp_path / "venv"
    made = run([uv, "venv", "--quiet", "--python", sys.executable, venv], cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    installed = subprocess.run(
        [uv, "pip", "install", "--python", str(python), "--resolution", "lowest-direct",
         str(REPO)],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr
    # uv lowers only the direct dependencies; what they pull in comes at its newest, so the
    # floors themselves are what this checks (the resolved versions go into any failure message)
    frozen = run([uv, "pip", "freeze", "--python", python], cwd=tmp_path).stdout
    reportlab = next(r for r in PROJECT["dependencies"] if r.startswith("reportlab"))
    assert f"reportlab=={reportlab.split('>=')[1]}" in frozen.splitlines(), frozen

    home = tmp_path / "ws"
    home.mkdir()
    demo = run([python, "-m", "generator", "demo", "--home", home], cwd=tmp_path)
    assert demo.returncode == 0, demo.stdout + demo.stderr + frozen
    assert f"{2 * len(FORMS)} documents" in demo.stdout
    # nothing a user would see either (cerberus 1.3.5 printed SyntaxWarnings on Python 3.12)
    assert "Warning" not in demo.stderr, demo.stderr + frozen
    verify = run([python, "-m", "generator", "index", "verify", "--home", home], cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr + frozen
    assert f"OK: {2 * len(FORMS)} documents verified" in verify.stdout


def test_wheel_metadata_license_and_classifiers(wheel):
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    licenses = [n for n in names if ".dist-info/" in n and n.endswith("/LICENSE")]
    assert licenses, names
    text = archive.read(licenses[0]).decode()
    assert text.startswith("MIT License") and "the aftersales authors" in text
    metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    headers = metadata.split("\n\n", 1)[0].splitlines()
    assert "License-Expression: MIT" in headers or "License: MIT" in headers, headers
    for classifier in ("Programming Language :: Python :: 3.11",
                       "Programming Language :: Python :: 3.12",
                       "Operating System :: OS Independent",
                       "Natural Language :: Chinese (Simplified)"):
        assert f"Classifier: {classifier}" in headers
    assert "Requires-Dist: reportlab[accel]>=4.0.4" in headers
    assert "Requires-Dist: uv>=0.4; extra == 'dev'" in headers


def test_readme_keeps_the_two_setup_commands_and_documents_installing_anywhere():
    readme = (REPO / "README.md").read_text("utf-8")
    assert readme.startswith(
        "# aftersales\n\n```sh\n"
        "scripts/demo    # set up everything, fill a sample ticket's full set of records into "
        "output/, build its agreement packet, summarise the month\n"
        "scripts/test    # set up everything (with LibreOffice and poppler), then run the whole "
        "test suite\n```\n")
    section = readme.split("\n## Installing on any machine: Windows, macOS, Linux", 1)[1]
    for text in ("pipx install .", "uv tool install .", 'pipx install ".[sign]"',
                 "%WINDIR%\\Fonts", "simsun.ttc", "msyh.ttc", "/System/Library/Fonts",
                 "[fonts]\ncjk = "):
        assert text in section.split("\n## ", 1)[0], text


@pytest.mark.pypi
def test_readme_uv_tool_install_gives_a_working_command(tmp_path):
    """The README's `uv tool install .`, into tool folders of the test's own: the command it
    puts on the PATH fills the demo's documents."""
    tools, bin_dir = tmp_path / "tools", tmp_path / "bin"
    installed = subprocess.run(
        [uv_command(), "tool", "install", "--python", sys.executable, "."], cwd=REPO,
        env=clean_env(UV_TOOL_DIR=str(tools), UV_TOOL_BIN_DIR=str(bin_dir)),
        capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr
    home = tmp_path / "ws"
    home.mkdir()
    demo = run([bin_dir / "aftersales", "demo"], cwd=home)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert f"{2 * len(FORMS)} documents" in demo.stdout
    assert len(list((home / "output").rglob("*.pdf"))) == len(FORMS)
