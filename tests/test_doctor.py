"""`aftersales doctor`: every check named, each problem with its fix, exit 1 only when
something required fails — on a healthy workspace, a missing font, a stale override, an index
of an older layout and a PATH without LibreOffice."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from generator.doctor import REQUIREMENT, _below_floor
from generator.workspace import bundled_root

REPO = Path(__file__).resolve().parent.parent
V1 = REPO / "tests" / "data" / "workspace-v1"
MACHINE = ["python", "libraries", "libreoffice", "poppler", "signing"]
WORKSPACE = ["configuration", "font", "index", "overrides", "templates"]


def checks(result) -> dict[str, dict]:
    return {check["name"]: check for check in json.loads(result.output)["checks"]}


def test_a_healthy_workspace_passes_every_check(run, complaint):
    result = run("doctor", "--json")
    assert result.exit_code == 0, result.output
    found = checks(result)
    assert list(found) == MACHINE + ["configuration", "font", "index", "index integrity",
                                     "overrides", "templates"]
    assert json.loads(result.output)["ok"] is True
    assert found["font"]["status"] == "ok" and "embedded in PDFs" in found["font"]["detail"]
    assert "revision 0005 (up to date)" in found["index"]["detail"]
    assert found["index integrity"]["detail"].startswith("SQLite quick check: ok")
    # the libraries are those the installed distribution declares, not a list of our own
    declared = [REQUIREMENT.match(line).group(1) for line in metadata.requires("aftersales")
                if ";" not in line]
    assert all(f"{name} " in found["libraries"]["detail"] for name in declared)

    text = run("doctor")
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert [line.split(":")[0].split(maxsplit=1)[1] for line in lines] == list(found)


def test_a_new_workspace_has_no_index_yet_and_doctor_does_not_make_one(run, home):
    found = checks(run("doctor", "--json"))
    assert found["index"]["status"] == "ok"
    assert "no index yet" in found["index"]["detail"]
    assert "the first fill creates it" in found["index"]["detail"]
    assert not (home / "output").exists()


def test_a_missing_font_fails_with_its_fix(run, home):
    (home / "aftersales.toml").write_text('[fonts]\ncjk = "/nowhere/simsun.ttf"\n', "utf-8")
    result = run("doctor", "--json")
    assert result.exit_code == 1, result.output
    found = checks(result)
    # configuration validation may refuse the file before the font check looks for it
    failing = found.get("font") if found["configuration"]["status"] == "ok" \
        else found["configuration"]
    assert failing["status"] == "fail" and failing["required"]
    assert "/nowhere/simsun.ttf" in failing["detail"]
    assert "fonts.cjk" in failing["fix"] or "aftersales.toml" in failing["fix"]
    assert json.loads(result.output)["ok"] is False

    text = run("doctor")
    assert text.exit_code == 1
    assert "FAIL" in text.output and "fix: " in text.output


def test_an_override_of_a_newer_bundled_file_is_named(run, home):
    bundled = bundled_root("schemas") / "complaint.yaml"
    stale = home / "schemas" / "complaint.yaml"
    stale.parent.mkdir()
    stale.write_text(bundled.read_text("utf-8") + "\n# our centre's copy\n", "utf-8")
    older = bundled.stat().st_mtime - 3600
    os.utime(stale, (older, older))
    # saved after the bundled file: up to date, an override but no warning
    fresh = home / "templates" / "complaint.docx"
    fresh.parent.mkdir()
    shutil.copy(bundled_root("templates") / "complaint.docx", fresh)

    result = run("doctor", "--json")
    assert result.exit_code == 0, result.output
    overrides = checks(result)["overrides"]
    assert overrides["status"] == "warn" and not overrides["required"]
    assert "1 of the workspace's files shadow a newer bundled version: schemas/complaint.yaml " \
        in overrides["detail"]
    assert "templates/complaint.docx" in overrides["detail"]  # among all overrides
    assert overrides["fix"]


def test_an_index_of_an_older_layout_names_the_upgrade(tmp_path, monkeypatch):
    monkeypatch.delenv("AFTERSALES_INDEX_URL", raising=False)
    from click.testing import CliRunner

    from generator.cli import cli

    home = tmp_path / "old"
    shutil.copytree(V1, home)
    before = (home / "output" / "index.sqlite3").read_bytes()
    result = CliRunner().invoke(cli, ["doctor", "--json", "--home", str(home)])
    assert result.exit_code == 0, result.output
    index = checks(result)["index"]
    assert index["status"] == "warn"
    assert "older than this version's" in index["detail"]
    assert index["fix"] == "aftersales index upgrade"
    assert checks(result)["index integrity"]["status"] == "ok"
    assert (home / "output" / "index.sqlite3").read_bytes() == before  # doctor never writes


def test_without_libreoffice_on_path_it_warns_and_exits_0(home, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty), "PYTHONPATH": str(REPO)}
    env.pop("AFTERSALES_INDEX_URL", None)
    ran = subprocess.run([sys.executable, "-m", "generator", "doctor", "--json", "--home",
                          str(home)], capture_output=True, text=True, env=env, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    found = {check["name"]: check for check in json.loads(ran.stdout)["checks"]}
    assert found["libreoffice"]["status"] == "warn"
    assert "soffice not on PATH" in found["libreoffice"]["detail"]
    assert "LibreOffice" in found["libreoffice"]["fix"]
    assert found["poppler"]["status"] == "warn"
    assert found["poppler"]["fix"] == "apt-get install poppler-utils"


@pytest.mark.parametrize("installed, specifier, below", [
    ("3.11.7", ">=3.11", False), ("3.10.12", ">=3.11", True), ("4.0.3", ">=4.0.4", True),
    ("4.0.4", ">=4.0.4", False), ("2.1.9", ">=2.0", False), ("1.0", "", False),
])
def test_version_floors(installed, specifier, below):
    assert _below_floor(installed, specifier) is below


def test_a_damaged_index_fails_the_integrity_check(run, home, complaint):
    database = home / "output" / "index.sqlite3"
    damaged = bytearray(database.read_bytes())
    page = 4096  # SQLite's default page size; the first page (the header) stays whole
    damaged[2 * page: 2 * page + 3000] = b"Z" * 3000
    database.write_bytes(bytes(damaged))
    result = run("doctor", "--json")
    assert result.exit_code == 1, result.output
    integrity = checks(result)["index integrity"]
    assert integrity["status"] == "fail" and integrity["required"]
    assert integrity["detail"].startswith("SQLite's quick check found damage: ")
    assert "\n" not in integrity["detail"]
    assert f"restore {database} from a backup" in integrity["fix"]
