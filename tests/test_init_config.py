"""`aftersales init` and the configuration's one schema (issue 13, deliverables 1 and 2): a
workspace from one command whose aftersales.toml lists every setting, copies of the bundled
defaults that are then used, and every kind of bad setting refused naming key, value and fix."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.config import DEFAULT_CONFIG, SCHEMA
from generator.render.fonts import find_cjk_font
from tests.conftest import files_in_output, pdftotext, squash, write_sample

REPO = Path(__file__).resolve().parent.parent


def init(*args: str):
    return CliRunner().invoke(cli, ["init", *args], catch_exceptions=False)


def leaf_keys(schema: dict, where: str = "") -> list[str]:
    keys = []
    for key, rule in schema.items():
        if rule["type"] == "dict":
            keys += leaf_keys(rule["schema"], f"{where}{key}.")
        else:
            keys.append(f"{where}{key}")
    return keys


def test_init_in_an_empty_folder_makes_a_workspace_a_fill_works_in(tmp_path):
    """From the command line, in the current folder, as a new user would."""
    folder = tmp_path / "centre"
    folder.mkdir()
    command = [sys.executable, "-m", "generator"]
    made = subprocess.run([*command, "init"], cwd=folder, capture_output=True, text=True,
                          timeout=60)
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["aftersales.toml"]
    filled = subprocess.run([*command, "fill", "complaint", "--data",
                             str(write_sample(tmp_path, "complaint"))],
                            cwd=folder, capture_output=True, text=True, timeout=120)
    assert filled.returncode == 0, filled.stderr
    assert [Path(f).suffix for f in files_in_output(folder)] == [".docx", ".pdf"]


def test_the_written_configuration_lists_every_setting_with_a_comment_and_is_the_defaults(
        tmp_path):
    assert init(str(tmp_path)).exit_code == 0
    text = (tmp_path / "aftersales.toml").read_text("utf-8")
    assert tomllib.loads(text) == DEFAULT_CONFIG
    lines = text.splitlines()
    sections = ""
    for number, line in enumerate(lines):
        if line.startswith("["):
            sections = line.strip("[]")
        elif not line or line.startswith("#"):
            continue
        elif sections not in ("deadlines.rules", "warranty.promises"):  # a list's items
            key = f"{sections}.{line.split(' = ')[0]}"
            assert lines[number - 1].startswith("#"), f"{key} has no comment"
    for key in leaf_keys(SCHEMA):
        section, name = key.rsplit(".", 1)
        assert f"[{section}]" in text, key
        assert f"\n{name} = " in text or f"\n[[{key}]]\n" in text, key
    for named in ("company", "centre", "prefix", "cjk", "onsite_hours", "handling_fee_percent",
                  "language", "url", "signing_key"):
        assert f"\n{named} = " in text or f"[{named}]" in text


def test_copied_defaults_are_used(run, home, tmp_path):
    result = init(str(home), "--copy", "forms,schemas,templates,rulebook")
    assert result.exit_code == 0, result.output
    for kind in ("forms", "schemas", "templates"):
        assert sorted(p.name for p in (home / kind).iterdir()) == \
            sorted(p.name for p in (REPO / kind).iterdir() if not p.name.startswith("."))
    assert (home / "templates" / "rulebook" / "rulebook.yaml").read_bytes() == \
        (REPO / "templates" / "rulebook" / "rulebook.yaml").read_bytes()
    form = home / "forms" / "complaint.yaml"
    form.write_text(form.read_text("utf-8").replace("投诉/咨询/建议记录表", "本公司客户来电登记表"),
                    "utf-8")
    filled = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")))
    assert filled.exit_code == 0, filled.output
    [pdf] = [home / f for f in files_in_output(home) if f.endswith(".pdf")]
    assert "本公司客户来电登记表" in squash(pdftotext(pdf))


def test_copying_only_the_rulebook_leaves_the_templates_bundled(home):
    assert init(str(home), "--copy", "rulebook").exit_code == 0
    assert [p.name for p in (home / "templates").iterdir()] == ["rulebook"]
    assert not (home / "forms").exists()


def test_a_second_init_refuses_without_force_and_writes_nothing(home):
    assert init(str(home)).exit_code == 0
    config = home / "aftersales.toml"
    config.write_text('[company]\nname = "本公司"\n', "utf-8")
    result = init(str(home), "--copy", "forms")
    assert result.exit_code == 2
    assert f"{config} exists; use --force" in result.output
    assert config.read_text("utf-8") == '[company]\nname = "本公司"\n'
    assert not (home / "forms").exists()

    assert init(str(home), "--copy", "forms").exit_code == 2
    assert init(str(home), "--copy", "forms", "--force").exit_code == 0
    assert tomllib.loads(config.read_text("utf-8")) == DEFAULT_CONFIG
    assert (home / "forms" / "complaint.yaml").is_file()


def test_an_unknown_kind_to_copy_is_refused(home):
    result = init(str(home), "--copy", "forms,docs")
    assert result.exit_code == 2
    assert "--copy: 'docs' cannot be copied; choose from forms, schemas, templates, rulebook" \
        in result.output
    assert list(home.iterdir()) == []


def opentype_cff(tmp_path: Path) -> Path:
    """The first bytes of an OpenType font with CFF outlines (Noto Sans CJK's kind)."""
    path = tmp_path / "NotoSansCJK-Regular.otf"
    path.write_bytes(b"OTTO" + bytes(60))
    return path


BAD = {
    "unknown key": ('[tickets]\nprefx = "QA"\n',
                    ["unknown key 'tickets.prefx' = 'QA'", "did you mean 'tickets.prefix'?"]),
    "unknown section": ('[ticket]\nprefix = "QA"\n',
                        ["unknown key 'ticket'", "did you mean 'tickets'?"]),
    "wrong type": ('[tickets]\ndigits = "6"\n',
                   ["'tickets.digits' must be a whole number, not '6'",
                    "write it like digits = 6"]),
    "a flag for a number": ("[index]\nbusy_timeout = true\n",
                            ["'index.busy_timeout' must be a whole number, not True"]),
    "negative rate": ("[promises]\nhandling_fee_percent = -5\n",
                      ["'promises.handling_fee_percent' must be a whole number of at least 0, "
                       "not -5"]),
    "rate above 100 per cent": ("[promises]\nfollowup_rate_repairs = 120\n",
                                ["'promises.followup_rate_repairs' must be a whole number from "
                                 "0 to 100, not 120"]),
    "negative time in a rule": ("[[deadlines.rules]]\nurgency = \"urgent\"\nreply_hours = -1\n",
                                ["'deadlines.rules[1].reply_hours' must be a whole number of "
                                 "at least 0, not -1"]),
    "missing font file": ('[fonts]\ncjk = "/no/such/simsun.ttc"\n',
                          ["'fonts.cjk': '/no/such/simsun.ttc' is refused: no such file",
                           "name a TrueType (.ttf/.ttc) CJK font that exists"]),
    "bad prefix": ('[tickets]\nprefix = "S/H"\n',
                   ["'tickets.prefix': 'S/H' is refused: a number prefix is upper-case letters"]),
    "unknown language": ('[documents]\nlanguage = "fr"\n',
                         ["'documents.language' must be one of zh, en, not 'fr'"]),
}


@pytest.mark.parametrize("toml,named", BAD.values(), ids=BAD.keys())
def test_a_bad_setting_is_refused_naming_key_value_and_fix(run, home, tmp_path, toml, named):
    (home / "aftersales.toml").write_text(toml, "utf-8")
    for args in (("forms", "list"),
                 ("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")))):
        result = run(*args)
        assert result.exit_code == 2, result.output
        for words in named:
            assert words in result.output
    assert files_in_output(home) == []


def test_a_font_that_is_not_truetype_is_refused(run, home, tmp_path):
    font = opentype_cff(tmp_path)
    (home / "aftersales.toml").write_text(f'[fonts]\ncjk = "{font}"\n', "utf-8")
    result = run("forms", "list")
    assert result.exit_code == 2
    assert f"'fonts.cjk': '{font}' is refused: an OpenType CFF font, which PDFs cannot embed" \
        in result.output


def test_a_truetype_font_named_in_the_configuration_is_accepted_and_used(run, home, tmp_path):
    font = find_cjk_font(DEFAULT_CONFIG).path
    (home / "aftersales.toml").write_text(f'[fonts]\ncjk = "{font}"\n', "utf-8")
    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")))
    assert result.exit_code == 0, result.output


def test_every_problem_is_reported_at_once(run, home):
    (home / "aftersales.toml").write_text(
        '[tickets]\nprefix = "s h"\ndigits = 0\n[promises]\nreply_hours = -2\n[centre]\nfax = 1\n',
        "utf-8")
    result = run("forms", "list")
    assert result.exit_code == 2
    assert "4 problem(s)" in result.output
    for key in ("tickets.prefix", "tickets.digits", "promises.reply_hours", "centre.fax"):
        assert key in result.output
