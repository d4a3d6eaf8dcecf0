"""The workspace: where a user's configuration, data files and output live.

A workspace is a directory (the current one, `--home DIR` or `AFTERSALES_HOME`). Its `forms/`,
`schemas/` and `templates/` override the defaults bundled with the package file by file, and its
`aftersales.toml` overrides the default configuration key by key.
"""

from __future__ import annotations

import copy
import hashlib
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from generator import names
from generator.errors import ConfigError, UsageError

CONFIG_FILE = "aftersales.toml"
DATA_KINDS = ("forms", "schemas", "templates")

# The configuration's declared shape: every key with its type and default. Unknown keys are
# reported, so a misspelt key never silently falls back to a default.
DEFAULT_CONFIG: dict[str, dict[str, Any]] = {
    "company": {
        "name": "示例置业有限公司",
        "address": "示例市示例区示例路 1 号",
        "phone": "0571-88888888",
        # the property-management company that staffs the centre and advances repair costs
        "property_company": "示例物业服务有限公司",
    },
    "centre": {
        "name": "商品房售后服务中心",
        "phone": "400-800-1234",
        "address": "示例花园 1 号楼一层",
        "hours": "每日 8:30–17:30",
    },
    "tickets": {
        "prefix": "SH",
        "digits": 6,
    },
    "documents": {
        "language": "zh",
        "formats": ["docx", "pdf"],
        "output": "output",
    },
    "fonts": {
        # A TrueType (.ttf/.ttc) file with CJK glyphs, embedded in every PDF. Empty: search
        # the usual system locations.
        "cjk": "",
        "cjk_index": 0,
        # The East Asian font name written into DOCX files; Word and LibreOffice substitute a
        # CJK font they have when it is missing.
        "docx": "SimSun",
    },
    "index": {
        # The SQLite index of this workspace (relative to it), used when `url` is empty.
        "path": "output/index.sqlite3",
        # A shared index: postgresql://USER:PASSWORD@HOST:PORT/DATABASE (env
        # AFTERSALES_INDEX_URL wins over it).
        "url": "",
        # The Ed25519 key that signs checkpoints (`aftersales index keygen` makes one); keep it
        # away from the database. Env AFTERSALES_SIGNING_KEY wins over it.
        "signing_key": "",
        # Its public half, for auditors who check checkpoints without the key.
        "public_key": "",
        # How long to wait, in seconds, for another process that holds the index.
        "busy_timeout": 30,
    },
    # Service promises, in hours unless named otherwise; shown in documents and the rulebook,
    # and the promised times of a normal case (forms/_lifecycle.yaml, `deadlines`).
    "promises": {
        "onsite_hours": 24,
        "reply_hours": 24,
        "builder_response_hours": 24,
        "completion_days": 7,
        "analysis_days": 3,
        "followup_days": 3,
        "followup_rate_complaints": 100,
        "followup_rate_repairs": 30,
        "handling_fee_percent": 50,
    },
    # Promised times by urgency and category: each rule that matches a ticket (its `urgency`,
    # its `category`, or both) overrides the [promises] it names; later rules win. Giving
    # [[deadlines.rules]] in aftersales.toml replaces this list.
    "deadlines": {
        "rules": [
            {"urgency": "urgent", "reply_hours": 12, "builder_response_hours": 12,
             "completion_days": 3},
            {"urgency": "emergency", "reply_hours": 2, "builder_response_hours": 2,
             "completion_days": 1},
        ],
    },
    # Who may be responsible for a repair, by kind of party. An empty list accepts any unit.
    "parties": {
        "builders": ["示例建设集团第三项目部"],
        "in_house": ["物业维修班"],
        "outsourced": ["示例市恒固建筑工程有限公司"],
    },
    "reports": {
        # A complaint about the same room and category as another opened less than this many
        # days before counts as a repeat complaint.
        "repeat_days": 30,
    },
    "repairs": {
        # Estimated cost, in yuan, up to which a repair is small (done in-house); above it the
        # outsourced contractor does it (when the builder does not).
        "small_limit": 2000,
    },
    # The owner warranty card (forms/warranty-card.yaml): what the company promises per item of
    # templates/warranty/law.yaml, counted from delivery; never less than the law's minimum
    # from delivery (the 1998 rules'). The card's expiry may be later: the builder's period.
    # Periods: "5y", "18m", "2 seasons", "design life".
    "warranty": {
        # The heating and cooling seasons, month-day..month-day; empty when the homes have none.
        "heating_season": "11-15..03-15",
        "cooling_season": "06-01..09-30",
        # The design service life of the structure in years ("50y"); empty: printed as the law
        # words it, with no date.
        "design_life": "",
        "promises": {
            "structure": "design life",
            "roof": "5y",
            "leaks": "1y",
            "plaster": "1y",
            "floors": "1y",
            "doors_windows": "1y",
            "decoration": "2y",
            "pipes_equipment": "3y",
            "sanitary_ware": "1y",
            "lamps_switches": "6m",
            "blocked_pipes": "2m",
            "heating_cooling": "2 seasons",
            "other": "1y",
        },
    },
}
RULE_MATCHES = ("urgency", "category")


def bundled_root(kind: str) -> Path:
    """The directory holding the bundled defaults of `kind` (forms, schemas or templates).

    An installed wheel carries them as package data; a source checkout has them beside the
    package.
    """
    packaged = resources.files("generator") / "_bundled" / kind
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / kind


def _merge(defaults: dict, overrides: dict, where: str, problems: list[str]) -> dict:
    merged = copy.deepcopy(defaults)
    for key, value in overrides.items():
        name = f"{where}.{key}" if where else key
        if key not in defaults:
            problems.append(f"unknown key '{name}'")
        elif isinstance(defaults[key], dict):
            if not isinstance(value, dict):
                problems.append(f"'{name}' must be a table")
            else:
                merged[key] = _merge(defaults[key], value, name, problems)
        elif type(value) is not type(defaults[key]):
            want = type(defaults[key]).__name__
            problems.append(f"'{name}' must be {want}, not {type(value).__name__} ({value!r})")
        else:
            merged[key] = value
    return merged


def _check_rules(config: dict, problems: list[str]) -> None:
    """[[deadlines.rules]]: each a table of `urgency`/`category` and whole [promises] numbers."""
    promises = config["promises"]
    for number, rule in enumerate(config["deadlines"]["rules"], start=1):
        where = f"deadlines.rules[{number}]"
        if not isinstance(rule, dict):
            problems.append(f"'{where}' must be a table")
            continue
        for key, value in rule.items():
            if key in RULE_MATCHES:
                if not isinstance(value, str):
                    problems.append(f"'{where}.{key}' must be a str, not {value!r}")
            elif key not in promises:
                problems.append(f"unknown key '{where}.{key}' (a rule sets [promises] keys "
                                f"and matches on {' and '.join(RULE_MATCHES)})")
            elif type(value) is not int or value < 0:
                problems.append(f"'{where}.{key}' must be a whole number ≥ 0, not {value!r}")
    for kind, units in config["parties"].items():
        if not all(isinstance(u, str) and u.strip() for u in units):
            problems.append(f"'parties.{kind}' must be a list of unit names")


def _check_numbering(config: dict, problems: list[str]) -> None:
    """[tickets]: the prefix and width of ticket numbers, which name folders of the store."""
    prefix = config["tickets"]["prefix"]
    try:
        names.PREFIX.check(prefix, "'tickets.prefix'")
    except UsageError as exc:
        problems.append(exc.message)
    problem = names.check_digits(config["tickets"]["digits"], "tickets.digits")
    if problem:
        problems.append(problem)


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
        problems: list[str] = []
        config = _merge(DEFAULT_CONFIG, overrides, "", problems)
        for key, value in (("documents.output", config["documents"]["output"]),
                           ("index.path", config["index"]["path"])):
            if not value.strip():
                problems.append(f"'{key}' must name a folder or file, not {value!r}")
        _check_rules(config, problems)
        _check_numbering(config, problems)
        if problems:
            raise ConfigError(
                f"{config_path}: " + "; ".join(problems) + " (see README: Configuration)"
            )
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

