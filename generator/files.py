"""Writing files into the workspace: never outside the folder they belong in, whole or not at
all, and as readable as any other file the user makes.

A path is checked by resolving it (symlinks included) before anything is created, so a symlinked
folder inside output/ that points elsewhere makes the write refuse instead of writing there. A
file is written to a temporary name beside its final one and renamed into place; if the write
fails (a full disk, a file-size limit) the temporary file is removed and the error is a message.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from generator.errors import AftersalesError, UsageError


class OutsideFolder(UsageError):
    """A path that would put a file outside the folder it belongs in."""


class WriteFailed(AftersalesError):
    """The operating system refused a write (disk full, file-size limit, permissions)."""


def inside(path: Path, folder: Path, what: str) -> Path:
    """`path` resolved (symlinks followed, as far as they exist); OutsideFolder unless it lies
    inside `folder` (resolved likewise)."""
    resolved, home = path.resolve(), folder.resolve()
    if not resolved.is_relative_to(home):
        raise OutsideFolder(f"{what} {path} resolves to {resolved}, outside {home}; nothing was "
                            f"written (is a folder on the way a symlink?)")
    return resolved


def refuse_existing(paths: Iterable[Path], force: bool) -> None:
    """UsageError naming every one of `paths` that exists, unless `force`."""
    existing = [str(p) for p in paths if p.exists() or p.is_symlink()]
    if len(existing) == 1 and not force:
        raise UsageError(f"{existing[0]} exists; use --force to overwrite it (nothing was "
                         f"written)")
    if existing and not force:
        raise UsageError(f"{', '.join(existing)} exist; use --force to overwrite them (nothing "
                         f"was written)")

def write_atomically(path: Path, content: bytes | Callable[[BinaryIO], object], *,
                     within: Path | None = None, temp_prefix: str | None = None,
                     private: bool = False) -> None:
    """Put `content` at `path` whole, replacing what is there: bytes, or a function that writes
    them to a stream (a large PDF, not held twice in memory). `within`: the folder the file must
    stay inside (None: a path the user chose, which may be anywhere). `temp_prefix` names the
    temporary file (default `.NAME.partial-`). `private`: readable by the user alone (0600), for
    a cache others must not read or plant."""
    if within is not None:
        inside(path, within, "writing")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent,
                                             prefix=temp_prefix or f".{path.name}.partial-")
    except OSError as exc:
        raise WriteFailed(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            if isinstance(content, bytes):
                out.write(content)
            else:
                content(out)
            out.flush()
            os.fsync(out.fileno())
        # mkstemp makes the file 0600; a document is as readable as any other file the user
        # makes (0644 under umask 022)
        if not private:
            os.chmod(temporary, 0o666 & ~current_umask())
        os.replace(temporary, path)
    except OSError as exc:
        raise WriteFailed(f"cannot write {path}: {exc.strerror or exc}; nothing was left "
                          f"half-written") from None
    finally:
        Path(temporary).unlink(missing_ok=True)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
