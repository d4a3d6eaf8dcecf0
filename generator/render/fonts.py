"""Finding and registering the CJK TrueType font that every PDF embeds.

reportlab embeds (subsets) TrueType fonts only; CFF-based OpenType such as Noto CJK cannot be
used, and the built-in STSong-Light CID font is not embedded at all. So a TrueType CJK font is a
hard requirement for PDF output, and its glyph map decides which characters a value may hold.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from generator.errors import ConfigError, MissingDependency

FONT_NAME = "AftersalesCJK"

# Debian/Ubuntu locations of TrueType CJK fonts, best first.
KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
INSTALL_HINT = (
    "no TrueType CJK font found; install one (as root: apt-get install fonts-wqy-zenhei) "
    "or set fonts.cjk in aftersales.toml to a .ttf/.ttc file"
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

    def width(self, text: str, size: float) -> float:
        """The width of `text` in points at `size` (as the PDF draws it)."""
        return _load(self.path, self.index).stringWidth(text, size)


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


def find_cjk_font(config: dict) -> CJKFont:
    """The configured font, or the first TrueType CJK font installed; registered with reportlab."""
    configured = config["fonts"]["cjk"]
    if configured:
        if not Path(configured).is_file():
            raise ConfigError(f"fonts.cjk in aftersales.toml: no such file {configured}")
        candidates = [configured]
    else:
        candidates = [p for p in KNOWN_FONTS if Path(p).is_file()] or _fc_list_candidates()
    for path in candidates:
        try:
            _load(path, config["fonts"]["cjk_index"])
        except ConfigError:
            if configured:
                raise
            continue
        return CJKFont(path, config["fonts"]["cjk_index"])
    raise MissingDependency(INSTALL_HINT)
