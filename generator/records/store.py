"""The document store: the folder documents are written to (`documents.output`), which may be
inside the workspace or a shared folder every machine of a centre writes to.

The index names a document by its path relative to the store ("SH-2026-000001/complaint_TS-…"),
so one index serves machines that mount the store in different places. People see the path
relative to their workspace when the store is inside it ("output/SH-…"), else the full path.

A document is written to `.partial-<reservation>-…` beside its final name, flushed to disk and
renamed into place, so a reader never sees half a file, and whatever a killed fill left behind
is found by its reservation number.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from generator.errors import AftersalesError
from generator.files import inside, write_atomically

PARTIAL = ".partial-"
# Files in the store that are not documents: the placeholder kept in git.
NOT_DOCUMENTS = frozenset({".gitkeep"})


class StoreConflict(AftersalesError):
    """A file already sits where a new document must go."""


class DocumentStore:
    def __init__(self, root: Path, workspace_root: Path, ignore: Iterable[Path] = ()) -> None:
        self.root = root
        self.workspace_root = workspace_root
        # the index's own files when the SQLite index lives in the store (output/index.sqlite3)
        self.ignore = {Path(f"{p.resolve()}{suffix}") for p in ignore
                       for suffix in ("", "-wal", "-shm", "-journal")}
        self._ignore_names = tuple({p.name for p in self.ignore})
        resolved = root.resolve()
        self._prefix = (resolved.relative_to(workspace_root).as_posix() + "/"
                        if resolved.is_relative_to(workspace_root) else resolved.as_posix() + "/")
        if self._prefix == "./":
            self._prefix = ""

    def path(self, key: str) -> Path:
        return self.root / key

    def display(self, key: str) -> str:
        """How a person sees the document's path: from the workspace, or in full."""
        return self._prefix + key

    def key(self, shown: str) -> str:
        """The store path of a document given as shown (`display`), as a store path, or as a
        path on this machine."""
        if shown.startswith(self._prefix) and self._prefix:
            return shown[len(self._prefix):]
        candidate = Path(shown)
        try:
            if candidate.is_absolute() or candidate.exists():
                return candidate.resolve().relative_to(self.root.resolve()).as_posix()
        except (ValueError, OSError):  # outside the store, or no possible path (too long)
            pass
        return shown

    # --- writing -----------------------------------------------------------------------------

    def write(self, key: str, content: bytes, reservation: int) -> None:
        """Put `content` at `key` atomically; never over an existing file, never outside the
        store (a symlinked folder inside it that points elsewhere is refused)."""
        final = self.path(key)
        inside(final, self.root, "document")
        if final.exists() or final.is_symlink():
            raise StoreConflict(
                f"{self.display(key)} exists but is not in the index; run `aftersales index "
                f"verify` and move the stray file away"
            )
        write_atomically(final, content, within=self.root,
                         temp_prefix=f"{PARTIAL}{reservation}-")

    def remove(self, keys: Iterable[str], reservation: int) -> None:
        """Delete what a reservation wrote: its documents and any half-written ones (never a
        file outside the store that a symlinked folder leads to)."""
        folders = set()
        for key in keys:
            path = self.path(key)
            if not path.resolve().is_relative_to(self.root.resolve()):
                continue
            path.unlink(missing_ok=True)
            folders.add(path.parent)
        for folder in folders:
            for partial in folder.glob(f"{PARTIAL}{reservation}-*"):
                partial.unlink(missing_ok=True)

    # --- reading -----------------------------------------------------------------------------

    def walk(self) -> Iterator[str]:
        """Every file's store path, in the order SQL sorts the paths (by code point).

        A folder's entries are visited in the order of their full paths: a folder "a" sorts as
        "a/", after a file "a-b" ('-' < '/'), so the walk never needs to hold more than one
        folder's listing.
        """
        if not self.root.is_dir():
            return
        yield from self._walk(str(self.root), "")

    def _walk(self, folder: str, prefix: str) -> Iterator[str]:
        # names only (a folder's as "name/"), not DirEntry objects: the store's top folder has
        # one folder per ticket, hundreds of thousands of them in a large index
        try:
            with os.scandir(folder) as entries:
                names = sorted(e.name + "/" if _is_folder(e) else e.name for e in entries)
        except OSError:
            return
        for name in names:
            if name.endswith("/"):
                yield from self._walk(os.path.join(folder, name), prefix + name)
            elif name not in NOT_DOCUMENTS and not self._ignored(folder, name):
                yield prefix + name

    def _ignored(self, folder: str, name: str) -> bool:
        # resolve only the few files named like the index, not every document
        return name in self._ignore_names and Path(folder, name).resolve() in self.ignore


def partial_reservation(name: str) -> int | None:
    """The reservation a `.partial-<id>-…` file belongs to."""
    if not name.startswith(PARTIAL):
        return None
    number = name[len(PARTIAL):].split("-", 1)[0]
    return int(number) if number.isdigit() else None


def _is_folder(entry: os.DirEntry) -> bool:
    return entry.is_dir(follow_symlinks=False)

