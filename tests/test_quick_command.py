"""A quick `aftersales fill`: the parsed CJK font is cached per user (used while fresh, rebuilt
when the font file or the cache file changes) and a fill imports only what it needs.

Every run here is a real `python -m generator` process, since both concern what one process
costs; none asserts a time (bench/cli.py measures those)."""

from __future__ import annotations

import os
import pickle
import shutil
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from generator.render.font_cache import cache_file
from generator.render.fonts import find_cjk_font
from generator.workspace import DEFAULT_CONFIG
from tests.conftest import finish_process, pdftotext, start_process, write_sample


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """This test's own font cache folder (subprocesses inherit the variable)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("AFTERSALES_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def data(tmp_path) -> Path:
    return write_sample(tmp_path, "complaint")


def fill(tmp_path: Path, name: str, data: Path, formats: str = "pdf",
         font: Path | None = None) -> Path:
    """`aftersales fill complaint` in a new workspace `name` (its font set to `font`); the
    PDF it wrote."""
    home = tmp_path / name
    home.mkdir()
    if font is not None:
        (home / "aftersales.toml").write_text(f'[fonts]\ncjk = "{font}"\n', "utf-8")
    code, out, err = finish_process(start_process(
        [sys.executable, "-m", "generator", "fill", "complaint", "--home", home,
         "--data", data, "--no-prompt", "--format", formats], cwd=home))
    assert code == 0, err
    pdfs = sorted(home.glob("output/*/*.pdf"))
    return pdfs[0] if pdfs else home


def embedded_font_files(pdf: Path) -> list[str]:
    """The names of the fonts the PDF embeds (a FontFile2 stream: TrueType)."""
    names = []
    for page in PdfReader(str(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                names.append(str(font["/BaseFont"]))
    return names


def system_font() -> Path:
    return Path(find_cjk_font(DEFAULT_CONFIG).path)


def written(path: Path) -> tuple[int, int]:
    """What tells whether a file was written again: os.replace gives it a new inode."""
    status = path.stat()
    return status.st_ino, status.st_mtime_ns


def test_a_second_process_uses_the_cache_and_prints_the_same(cache, data, tmp_path):
    first = fill(tmp_path, "first", data)
    stored = cache_file(str(system_font()), 0)
    assert stored.parent.parent == cache and stored.is_file()
    before = written(stored)

    second = fill(tmp_path, "second", data)

    assert written(stored) == before  # loaded, not parsed and written again
    assert pdftotext(second) == pdftotext(first)
    assert "主卫生间顶棚渗水" in pdftotext(second)
    assert embedded_font_files(second) == embedded_font_files(first) != []


def test_a_changed_font_file_rebuilds_the_cache(cache, data, tmp_path):
    font = tmp_path / "font.ttc"
    shutil.copyfile(system_font(), font)
    fill(tmp_path, "first", data, font=font)
    stored = cache_file(str(font), 0)
    before = written(stored)

    os.utime(font, ns=(font.stat().st_atime_ns, font.stat().st_mtime_ns - 10**9))
    fill(tmp_path, "touched", data, font=font)
    assert written(stored) != before
    after_touch = written(stored)

    with font.open("ab") as out:  # bytes past the last table: still the same font
        out.write(b"\0" * 4)
    pdf = fill(tmp_path, "grown", data, font=font)
    assert written(stored) != after_touch
    key = pickle.loads(stored.read_bytes())[0]
    assert key[-2:] == (font.stat().st_size, font.stat().st_mtime_ns)
    assert "主卫生间顶棚渗水" in pdftotext(pdf) and embedded_font_files(pdf)


@pytest.mark.parametrize("damage", [b"not a pickle at all", b"\x80\x05garbage", b""])
def test_a_damaged_cache_file_is_ignored_and_rewritten(cache, data, tmp_path, damage):
    fill(tmp_path, "first", data)
    stored = cache_file(str(system_font()), 0)
    stored.write_bytes(damage)

    pdf = fill(tmp_path, "after-damage", data)

    assert "主卫生间顶棚渗水" in pdftotext(pdf) and embedded_font_files(pdf)
    assert stored.read_bytes() != damage
    rewritten = written(stored)
    fill(tmp_path, "after-rewrite", data)
    assert written(stored) == rewritten  # the rewritten file serves the next process


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX file modes")
def test_a_cache_file_others_may_write_is_not_loaded(cache, data, tmp_path):
    fill(tmp_path, "first", data)
    stored = cache_file(str(system_font()), 0)
    stored.chmod(0o666)
    before = written(stored)

    fill(tmp_path, "second", data)

    assert written(stored) != before
    assert stored.stat().st_mode & 0o777 == 0o600


# --- what a fill imports ---------------------------------------------------------------------

IMPORTS_SCRIPT = """\
import json, sys
from generator.cli import cli
sys.argv = ["aftersales", *json.loads(sys.argv[1])]
try:
    cli(prog_name="aftersales")
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
print(json.dumps(sorted(sys.modules)))
"""
# Modules a fill into an existing index never needs: Alembic (only creating or upgrading the
# index), the PostgreSQL dialect (a SQLite index), reportlab's barcodes (no QR code on a
# complaint), and the other format's libraries.
NEVER = ["alembic", "mako", "pygments", "sqlalchemy.dialects.postgresql",
         "reportlab.graphics.barcode", "pyhanko", "openpyxl", "qrcode", "pypdf"]
NOT_FOR = {"pdf": ["docx", "docxtpl", "jinja2"],
           "docx": ["reportlab.platypus", "reportlab.pdfgen.canvas"]}


@pytest.mark.parametrize("formats", ["pdf", "docx"])
def test_a_fill_imports_only_what_it_needs(cache, data, tmp_path, formats):
    import json

    home = fill(tmp_path, "ws", data, formats="docx,pdf").parents[2]  # the index exists now
    code, out, err = finish_process(start_process(
        [sys.executable, "-c", IMPORTS_SCRIPT, json.dumps(
            ["fill", "complaint", "--home", str(home), "--data", str(data), "--no-prompt",
             "--format", formats])], cwd=home))
    assert code == 0, err
    loaded = json.loads(out.splitlines()[-1])
    needless = [m for m in loaded
                if any(m == name or m.startswith(name + ".") for name in
                       NEVER + NOT_FOR[formats])]
    assert needless == []
    assert "sqlalchemy" in loaded  # the script really filed (the index is SQLAlchemy)
