"""Finding the CJK TrueType font on Linux, Windows and macOS, and refusing CFF-outline fonts that
a PDF cannot embed. The Windows and macOS searches run against fake font folders holding the real
WenQuanYi font under the names those systems use, with the platform and environment passed in."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from generator.errors import ConfigError, MissingDependency
from generator.render.fonts import find_cjk_font, has_truetype_outlines, system_font_candidates
from generator.workspace import DEFAULT_CONFIG
from tests.conftest import finish_process, start_process, write_sample

AUTO = {**DEFAULT_CONFIG, "fonts": {**DEFAULT_CONFIG["fonts"], "cjk": "", "cjk_index": 0}}


@pytest.fixture(scope="module")
def truetype() -> Path:
    """The real TrueType CJK font of this machine (WenQuanYi Zen Hei on the test machines)."""
    return Path(find_cjk_font(AUTO).path)


def cff_font(path: Path) -> Path:
    """An OpenType font file whose only outlines are CFF (PostScript), as Noto CJK's are: the
    sfnt header and table directory a font reader looks at first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = b"OTTO" + struct.pack(">HHHH", 1, 16, 0, 0)
    record = b"CFF " + struct.pack(">III", 0, 28, 4)
    path.write_bytes(header + record + b"\x01\x00\x04\x01")
    return path


def install(font: Path, where: Path) -> Path:
    where.parent.mkdir(parents=True, exist_ok=True)
    where.symlink_to(font)
    return where


def test_windows_fonts_folder_from_windir(truetype, tmp_path):
    fonts = tmp_path / "Windows" / "Fonts"
    msyh = install(truetype, fonts / "msyh.ttc")
    simsun = install(truetype, fonts / "simsun.ttc")
    install(truetype, fonts / "arial.ttf")  # not a CJK font by name: never a candidate
    environ = {"WINDIR": str(tmp_path / "Windows")}
    assert system_font_candidates("win32", environ) == [simsun, msyh]
    font = find_cjk_font(AUTO, platform="win32", environ=environ)
    assert Path(font.path) == simsun
    assert font.can_draw("宋") and font.width("宋体", 10) == pytest.approx(20, abs=2)


def test_windows_user_fonts_folder(truetype, tmp_path):
    simhei = install(truetype, tmp_path / "Local" / "Microsoft" / "Windows" / "Fonts" /
                     "simhei.ttf")
    environ = {"WINDIR": str(tmp_path / "Windows"), "LOCALAPPDATA": str(tmp_path / "Local")}
    assert system_font_candidates("win32", environ) == [simhei]
    assert Path(find_cjk_font(AUTO, platform="win32", environ=environ).path) == simhei


def test_macos_skips_cff_fonts_for_a_truetype_one(truetype, tmp_path):
    fonts = tmp_path / "Library" / "Fonts"
    songti = cff_font(fonts / "Supplemental" / "Songti.ttc")
    heiti = install(truetype, fonts / "STHeiti Light.ttc")
    environ = {"HOME": str(tmp_path)}
    assert system_font_candidates("darwin", environ)[:2] == [songti, heiti]
    assert Path(find_cjk_font(AUTO, platform="darwin", environ=environ).path) == heiti


def test_no_usable_font_names_the_fix_and_what_was_passed_over(tmp_path):
    songti = cff_font(tmp_path / "Windows" / "Fonts" / "simsun.ttc")
    environ = {"WINDIR": str(tmp_path / "Windows")}
    with pytest.raises(MissingDependency) as caught:
        find_cjk_font(AUTO, platform="win32", environ=environ)
    message = str(caught.value)
    assert message.startswith("no TrueType CJK font found;")
    assert "set fonts.cjk in aftersales.toml" in message
    assert f"passed over: {songti} (CFF outlines)" in message


def test_nothing_on_an_empty_windows(tmp_path):
    assert system_font_candidates("win32", {"WINDIR": str(tmp_path)}) == []
    with pytest.raises(MissingDependency, match="Windows has SimSun and Microsoft YaHei"):
        find_cjk_font(AUTO, platform="win32", environ={"WINDIR": str(tmp_path)})


def test_outline_format_read_from_the_file(truetype, tmp_path):
    assert has_truetype_outlines(truetype, 0)
    assert not has_truetype_outlines(cff_font(tmp_path / "NotoSansCJK.otf"))
    text = tmp_path / "notes.ttf"
    text.write_text("not a font", "utf-8")
    with pytest.raises(ConfigError, match="is not a TrueType or OpenType font file"):
        has_truetype_outlines(text)
    truncated = tmp_path / "truncated.ttc"
    truncated.write_bytes(truetype.read_bytes()[:14])
    with pytest.raises(ConfigError, match="truncated"):
        has_truetype_outlines(truncated)
    with pytest.raises(ConfigError, match=r"fonts.cjk_index 9 is not one of them"):
        has_truetype_outlines(truetype, 9)
    with pytest.raises(ConfigError, match="cannot read font .*: Is a directory"):
        has_truetype_outlines(tmp_path)


def test_configured_font_from_the_fonts_section(truetype, tmp_path):
    chosen = install(truetype, tmp_path / "company" / "宋体.ttc")
    config = {**AUTO, "fonts": {**AUTO["fonts"], "cjk": str(chosen)}}
    # configured: used on any platform, whatever that platform has installed
    assert Path(find_cjk_font(config, platform="win32", environ={}).path) == chosen


def test_a_configured_cff_font_is_refused_through_the_cli(tmp_path):
    home = tmp_path / "ws"
    home.mkdir()
    noto = cff_font(tmp_path / "NotoSerifCJK-Regular.ttc")
    (home / "aftersales.toml").write_text(f'[fonts]\ncjk = "{noto.as_posix()}"\n', "utf-8")
    data = write_sample(tmp_path, "complaint")
    code, out, err = finish_process(start_process(
        [sys.executable, "-m", "generator", "fill", "complaint", "--home", home, "--data", data,
         "--no-prompt", "--format", "pdf"], cwd=home))
    assert code == 2, out + err
    # the configuration's check refuses it first, naming key, file and fix
    assert f"'fonts.cjk': '{noto.as_posix()}' is refused: an OpenType CFF font, which PDFs " \
           f"cannot embed" in err
    assert "name a TrueType (.ttf/.ttc) CJK font" in err
    assert not list(home.glob("output/*/*.pdf"))


def test_a_font_found_on_windows_is_embedded(truetype, tmp_path):
    environ = {"WINDIR": str(tmp_path / "Windows")}
    install(truetype, tmp_path / "Windows" / "Fonts" / "msyh.ttc")
    font = find_cjk_font(AUTO, platform="win32", environ=environ)
    pdf = tmp_path / "page.pdf"
    canvas = Canvas(str(pdf))
    canvas.setFont(font.name, 12)
    canvas.drawString(72, 720, "维修记录")
    canvas.save()
    page = PdfReader(pdf).pages[0]
    assert "维修记录" in page.extract_text()
    fonts = [f.get_object() for f in page["/Resources"]["/Font"].values()]
    (embedded,) = [f for f in fonts if f["/Subtype"] != "/Type1"]  # beside Helvetica
    assert embedded["/Subtype"] == "/TrueType"
    assert "/FontFile2" in embedded["/FontDescriptor"]  # the TrueType program, embedded
