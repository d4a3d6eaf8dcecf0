"""The workspace: where a user's configuration, data files and output live.

A workspace is a directory (the current one, `--home DIR` or `AFTERSALES_HOME`). Its `forms/`,
`schemas/` and `templates/` override the defaults bundled with the package file by file, and its
`aftersales.toml` overrides the default configuration key by key.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from generator.config import CONFIG_FILE, commented_toml

# the defaults, where callers that build a Workspace by hand have always found them
from generator.config import DEFAULT_CONFIG as DEFAULT_CONFIG
from generator.config import load as load_config
from generator.errors import ConfigError, UsageError, quote
from generator.files import refuse_existing, write_atomically

DATA_KINDS = ("forms", "schemas", "templates")

def bundled_root(kind: str) -> Path:
    """The directory holding the bundled defaults of `kind` (forms, schemas or templates).

    An installed wheel carries them as package data; a source checkout has them beside the
    package.
    """
    packaged = resources.files("generator") / "_bundled" / kind
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / kind


@dataclass
class Workspace:
    """A resolved workspace: its root directory and merged configuration."""

    root: Path
    config: dict[str, Any] = field(default_factory=dict)
    _shared: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def open(cls, home: str | os.PathLike | None = None) -> Workspace:
        root = Path(home or os.environ.get("AFTERSALES_HOME") or os.getcwd()).resolve()
        if not root.is_dir():
            raise ConfigError(f"workspace {root} is not a directory")
        overrides: dict[str, Any] = {}
        config_path = root / CONFIG_FILE
        if config_path.is_file():
            try:
                overrides = tomllib.loads(config_path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{config_path}: {exc}") from exc
        config = load_config(overrides, str(config_path))
        return cls(root=root, config=config)

    def find(self, kind: str, name: str) -> Path | None:
        """The workspace's own copy of a data file if it has one, else the bundled default."""
        own = self.root / kind / name
        if own.is_file():
            return own
        bundled = bundled_root(kind) / name
        return bundled if bundled.is_file() else None

    def names(self, kind: str, suffix: str) -> list[str]:
        """Stems of every data file of `kind` with `suffix`, bundled and the workspace's own.
        Files starting with `_` are shared data (forms/_lifecycle.yaml), not documents."""
        stems = set()
        for directory in (bundled_root(kind), self.root / kind):
            if directory.is_dir():
                stems.update(p.name[: -len(suffix)] for p in directory.glob(f"*{suffix}")
                             if not p.name.startswith("_"))
        return sorted(stems)

    @property
    def output_dir(self) -> Path:
        """The document store: inside the workspace, or a folder shared by a centre's
        machines (an absolute path)."""
        return self.root / self.config["documents"]["output"]

    @property
    def language(self) -> str:
        return self.config["documents"]["language"]

    def relative(self, path: Path) -> str:
        """A path inside the workspace as people see it: relative, with forward slashes."""
        return path.resolve().relative_to(self.root).as_posix()

    def shared(self, name: str, make: Callable[[], Any]) -> Any:
        """One `make()` per workspace for the life of the command (the index's connection, say),
        released by `close()`. Lets lower layers keep state here without the workspace knowing
        about them."""
        if name not in self._shared:
            self._shared[name] = make()
        return self._shared[name]

    def close(self) -> None:
        """Release whatever `shared` opened (the index connection, if any)."""
        while self._shared:
            _, resource = self._shared.popitem()
            resource.close()


def sha256_file(path: str | os.PathLike) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


# libyaml's parser when PyYAML was built with it: parsing forms is most of a fill's overhead.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def localised(text: dict[str, str] | str | None, language: str = "zh", default: str = "") -> str:
    """One language's text of a {zh:, en:} mapping, falling back to Chinese (the documents'
    own language), then to `default`. A plain string is the same in every language."""
    if isinstance(text, str):
        return text
    text = text or {}
    return text.get(language) or text.get("zh") or default


def load_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_Loader)  # noqa: S506 (a safe loader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc



# What `aftersales init --copy` copies: the bundled folder and, under it, what belongs to the kind.
# The rulebook's wording lives under templates/ but is edited on its own.
COPYABLE = {"forms": ("forms", ""), "schemas": ("schemas", ""), "templates": ("templates", ""),
            "rulebook": ("templates", "rulebook")}


def init_workspace(root: Path, copy_kinds: list[str], force: bool = False) -> list[Path]:
    """Make `root` a workspace: aftersales.toml listing every setting with its default and
    comment, and copies of the bundled defaults of each of `copy_kinds` (COPYABLE) to edit.
    Refuses, writing nothing, when any of those files exists, unless `force`. The files
    written, in order."""
    unknown = [kind for kind in copy_kinds if kind not in COPYABLE]
    if unknown:
        raise UsageError(f"--copy: {', '.join(map(quote, unknown))} cannot be copied; choose "
                         f"from {', '.join(COPYABLE)} (comma-separated)")
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    contents: dict[Path, bytes] = {root / CONFIG_FILE: commented_toml().encode("utf-8")}
    for kind in copy_kinds:
        contents.update(_bundled_copies(root, kind))
    refuse_existing(contents, force)
    for path, content in contents.items():
        write_atomically(path, content, within=root)
    return list(contents)


def _bundled_copies(root: Path, kind: str) -> dict[Path, bytes]:
    folder, part = COPYABLE[kind]
    source = bundled_root(folder) / part
    copies = {}
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(bundled_root(folder))
        hidden = any(p.startswith((".", "__")) for p in relative.parts)
        in_rulebook = relative.parts[0] == COPYABLE["rulebook"][1]
        if path.is_file() and not hidden and not (kind == "templates" and in_rulebook):
            copies[root / folder / relative] = path.read_bytes()
    return copies
