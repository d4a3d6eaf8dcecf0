"""A per-user cache of parsed TrueType fonts, so a command does not parse the CJK font again.

reportlab's TTFont reads and parses the whole font file on every run (wqy-zenhei.ttc is 17 MB:
50–70 ms, a fifth of a fill from the command line). The parsed tables (glyph map, widths, glyph
offsets) are kept in a pickle in the user's cache folder, keyed by the font file's path, subfont
index, size and modification time, and by the versions of reportlab and Python that wrote it; a
file whose key does not match, or that cannot be read, is ignored and written anew. The font
file's bytes are not cached: reportlab reads them only when a PDF embeds a subset.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import sys
from pathlib import Path
from weakref import WeakKeyDictionary

from reportlab import Version as REPORTLAB_VERSION
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace

from generator.files import WriteFailed, write_atomically

CACHE_VARIABLE = "AFTERSALES_CACHE_DIR"
# Bumped when what is stored changes, so an older cache file is rebuilt, never misread.
CACHE_FORMAT = 1
# Attributes not stored: the font file's bytes (read again when needed), a function (rebuilt
# from unitsPerEm) and per-document state (empty in a new font).
FACE_SKIPPED = ("_ttf_data", "_pdfScale")
FONT_SKIPPED = ("face", "state")


def cache_dir(environ: dict[str, str] | None = None) -> Path:
    """AFTERSALES_CACHE_DIR, else $XDG_CACHE_HOME/aftersales, else ~/.cache/aftersales."""
    environ = os.environ if environ is None else environ
    if environ.get(CACHE_VARIABLE):
        return Path(environ[CACHE_VARIABLE])
    base = environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "aftersales"


def cache_file(path: str, index: int) -> Path:
    """Where the parsed form of subfont `index` of `path` is kept."""
    digest = hashlib.sha256(f"{os.path.realpath(path)}\0{index}".encode()).hexdigest()[:24]
    return cache_dir() / "fonts" / f"{digest}.pickle"


def parsed_font(name: str, path: str, index: int) -> TTFont:
    """reportlab's TTFont for subfont `index` of `path`, from the cache when it is fresh;
    otherwise parsed (raising what TTFont raises) and cached for the next process."""
    stat = os.stat(path)
    key = (CACHE_FORMAT, sys.version_info[:2], REPORTLAB_VERSION, os.path.realpath(path),
           index, stat.st_size, stat.st_mtime_ns)
    where = cache_file(path, index)
    font = _read(where, key, name)
    if font is None:
        font = TTFont(name, path, subfontIndex=index)
        _write(where, key, font)
    return font


class _CachedFace(TTFontFace):
    """A face restored from its parsed tables, without reading the font file."""

    def __init__(self, state: dict) -> None:  # TTFontFace's own parses the file
        self.__dict__.update(state)
        # as TTFontFile.extractInfo makes it: font units to PDF's 1/1000 em
        per_em = self.unitsPerEm
        self._pdfScale = (lambda x: x) if per_em == 1000 else (lambda x: x * (1000 / per_em))

    def __getattr__(self, attribute: str):
        # Only embedding a subset reads the glyphs themselves; read the file then. The cache
        # key was checked against this file's size and mtime a moment before.
        if attribute == "_ttf_data":
            self._ttf_data = Path(self.filename).read_bytes()
            return self._ttf_data
        raise AttributeError(attribute)


def _read(where: Path, key: tuple, name: str) -> TTFont | None:
    try:
        # pickle runs code named in the file, so only a file in the user's own cache folder
        # (cache_dir(): theirs by default, or one they named) that they own and no one else
        # may write is loaded.
        if not _owned_by_user(where):
            return None
        payload = where.read_bytes()
        # Loading creates ~200,000 objects; the collector would walk them several times over.
        gc.disable()
        try:
            stored_key, font_state, face_state = pickle.loads(payload)
        finally:
            gc.enable()
    except Exception:  # noqa: BLE001 — a missing, truncated or garbage file is rebuilt
        return None
    if stored_key != key:
        return None
    font = TTFont.__new__(TTFont)
    font.__dict__.update(font_state)
    font.fontName = name
    font.face = _CachedFace(face_state)
    font.state = WeakKeyDictionary()
    return font


def _owned_by_user(where: Path) -> bool:
    status = where.stat()
    if not hasattr(os, "getuid"):  # Windows: the per-user profile folder protects it
        return True
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


def _write(where: Path, key: tuple, font: TTFont) -> None:
    """Replace the cache file whole (a concurrent reader sees the old file or the new one);
    a cache that cannot be written only costs the next process a parse."""
    font_state = {k: v for k, v in font.__dict__.items() if k not in FONT_SKIPPED}
    face_state = {k: v for k, v in font.face.__dict__.items() if k not in FACE_SKIPPED}
    try:
        where.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(where, lambda out: pickle.dump((key, font_state, face_state), out,
                                                        protocol=pickle.HIGHEST_PROTOCOL),
                         temp_prefix=f".{where.name}.", private=True)
    except (OSError, WriteFailed, pickle.PicklingError, AttributeError, TypeError):
        pass  # TypeError/AttributeError: a newer reportlab holding something unpicklable
