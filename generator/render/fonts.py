"""Finding and registering the CJK TrueType font that every PDF embeds.

reportlab embeds (subsets) TrueType fonts only; CFF-based OpenType such as Noto CJK cannot be
used, and the built-in STSong-Light CID font is not embedded at all. So a TrueType CJK font is a
hard requirement for PDF output, and its glyph map decides which characters a value may hold.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from generator.errors import ConfigError, MissingDependency

FONT_NAME = "AftersalesCJK"

# Debian/Ubuntu locations of TrueType CJK fonts, best first.
LINUX_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
# Fonts Windows ships in %WINDIR%\Fonts, best first: SimSun (宋体, the usual face of formal
# documents), SimHei (黑体), Microsoft YaHei (微软雅黑). All three have TrueType outlines.
WINDOWS_FONTS = ("simsun.ttc", "simhei.ttf", "msyh.ttc")
# Fonts macOS ships, relative to /System/Library/Fonts, /Library/Fonts or ~/Library/Fonts.
# Which of them have TrueType outlines may differ between macOS releases (not checked on a Mac
# here), so each is checked when found and CFF ones are passed over.
MACOS_FONTS = (
    "Supplemental/Songti.ttc",
    "STHeiti Light.ttc",
    "STHeiti Medium.ttc",
    "Hiragino Sans GB.ttc",
    "Supplemental/Arial Unicode.ttf",
)
INSTALL_HINT = (
    "no TrueType CJK font found; install one (Linux, as root: apt-get install fonts-wqy-zenhei; "
    "Windows has SimSun and Microsoft YaHei, macOS STHeiti) or set fonts.cjk in aftersales.toml "
    "to a .ttf/.ttc file"
)


@dataclass(frozen=True)
class CJKFont:
    path: str
    index: int

    @property
    def name(self) -> str:
        return FONT_NAME

    def can_draw(self, char: str) -> bool:
        return ord(char) in _glyph_map(self.path, self.index)

    @property
    def family(self) -> str:
        """The font's family name ("WenQuanYi Zen Hei"), by which a DOCX names it."""
        family = _load(self.path, self.index).face.familyName
        return family.decode("latin-1") if isinstance(family, bytes) else family

    def width(self, text: str, size: float) -> float:
        """The width of `text` in points at `size` (as the PDF draws it)."""
        return _load(self.path, self.index).stringWidth(text, size)


def system_font_candidates(platform: str = sys.platform,
                           environ: Mapping[str, str] = os.environ) -> list[Path]:
    """The CJK font files installed where `platform` keeps them, best first; `environ` gives
    %WINDIR% and %LOCALAPPDATA% on Windows and $HOME on macOS."""
    if platform == "win32":
        folders = [Path(environ.get("WINDIR", r"C:\Windows")) / "Fonts"]
        if environ.get("LOCALAPPDATA"):
            # fonts installed for one user only (Windows 10 1809 and later)
            folders.append(Path(environ["LOCALAPPDATA"]) / "Microsoft" / "Windows" / "Fonts")
        return _present(folders, WINDOWS_FONTS)
    if platform == "darwin":
        folders = [Path("/System/Library/Fonts"), Path("/Library/Fonts")]
        if environ.get("HOME"):
            folders.append(Path(environ["HOME"]) / "Library" / "Fonts")
        return _present(folders, MACOS_FONTS)
    # Linux and the BSDs: the usual packages' paths, else whatever fontconfig knows
    found = [Path(p) for p in LINUX_FONTS if Path(p).is_file()]
    return found or [Path(p) for p in _fc_list_candidates()]


def _present(folders: list[Path], names: tuple[str, ...]) -> list[Path]:
    """Each name in the first folder holding it, in the order of `names`."""
    return [folder / name for name in names for folder in folders if (folder / name).is_file()]


def has_truetype_outlines(path: Path, index: int = 0) -> bool:
    """Whether face `index` of the font file has TrueType (glyf) outlines, the only kind
    reportlab can embed; False for CFF (PostScript-outline) OpenType, such as Noto CJK. Reads
    the sfnt table directory only, so it costs microseconds."""
    try:
        return b"glyf" in _sfnt_tables(path, index)
    except struct.error as exc:  # the file ends inside its own header
        raise ConfigError(f"{path} is not a font file (truncated)") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read font {path}: {exc.strerror}") from exc


def _sfnt_tables(path: Path, index: int) -> set[bytes]:
    with open(path, "rb") as font:
        header = font.read(12)
        if header[:4] == b"ttcf":
            faces = struct.unpack(">I", header[8:12])[0]
            if index >= faces:
                raise ConfigError(f"font {path} has {faces} faces; fonts.cjk_index {index} "
                                  f"is not one of them (0–{faces - 1})")
            font.seek(12 + 4 * index)
            font.seek(struct.unpack(">I", font.read(4))[0])
            header = font.read(12)
        if header[:4] not in (b"\x00\x01\x00\x00", b"true", b"OTTO"):
            raise ConfigError(f"{path} is not a TrueType or OpenType font file")
        return {font.read(16)[:4] for _ in range(struct.unpack(">H", header[4:6])[0])}


def _fc_list_candidates() -> list[str]:
    if not shutil.which("fc-list"):
        return []
    try:
        listing = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = [line.split(":")[0].strip() for line in listing.splitlines()]
    return sorted(f for f in files if f.lower().endswith((".ttf", ".ttc")))


@cache
def _load(path: str, index: int):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError

    from generator.render.font_cache import parsed_font

    try:
        font = parsed_font(FONT_NAME, path, index)
    except (TTFError, OSError) as exc:
        raise ConfigError(
            f"font {path} cannot be embedded ({exc}); use a TrueType (.ttf/.ttc) CJK font"
        ) from exc
    pdfmetrics.registerFont(font)
    # One face serves every style, so <b> or <i> in a paragraph never fails for want of a file.
    pdfmetrics.registerFontFamily(
        FONT_NAME, normal=FONT_NAME, bold=FONT_NAME, italic=FONT_NAME, boldItalic=FONT_NAME
    )
    return font


def _glyph_map(path: str, index: int) -> dict[int, int]:
    return _load(path, index).face.charToGlyph


def find_cjk_font(config: dict, platform: str = sys.platform,
                  environ: Mapping[str, str] = os.environ) -> CJKFont:
    """The configured font, or the first TrueType CJK font installed on `platform` (see
    system_font_candidates); registered with reportlab."""
    configured = config["fonts"]["cjk"]
    index = config["fonts"]["cjk_index"]
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise ConfigError(f"fonts.cjk in aftersales.toml: no such file {configured}")
        if not has_truetype_outlines(path, index):
            raise ConfigError(f"fonts.cjk in aftersales.toml: {configured} has CFF (PostScript) "
                              "outlines, which PDFs cannot embed; name a TrueType .ttf/.ttc "
                              "font (SimSun, Microsoft YaHei, WenQuanYi Zen Hei)")
        _load(configured, index)
        return CJKFont(configured, index)
    passed_over = []
    for path in system_font_candidates(platform, environ):
        try:
            if not has_truetype_outlines(path, index):
                passed_over.append(f"{path} (CFF outlines)")
                continue
            _load(str(path), index)
        except ConfigError as exc:
            passed_over.append(f"{path} ({exc})")
            continue
        return CJKFont(str(path), index)
    if passed_over:
        raise MissingDependency(f"{INSTALL_HINT}; passed over: {'; '.join(passed_over)}")
    raise MissingDependency(INSTALL_HINT)
