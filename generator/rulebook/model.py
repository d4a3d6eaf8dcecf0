"""The rulebook: the centre's whole handbook, every chapter and every blank form, as one
controlled document (PDF and DOCX) with a version and an effective date.

Sources, all data a clerk can edit (a workspace's copy of any file wins):
    templates/rulebook/rulebook.yaml   title, preface, chapter files, revision history
    templates/rulebook/NN-*.md         chapters in the small markup of generator.render.markup
    templates/rulebook/figures.yaml    the charts (generator.rulebook.figures)
    forms/_lifecycle.yaml              the ticket states, drawn as the procedure chart
and the forms themselves: `@form NAME` renders the real form, blank, from the same layout and
template that fill records — one source, never a second copy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.documents.forms import list_forms, load_form, load_yaml, localised
from generator.errors import ConfigError
from generator.render.markup import Block, parse_filled
from generator.tickets.lifecycle import LIFECYCLE_FILE, Lifecycle, load_lifecycle
from generator.workspace import Workspace

OUTLINE = "rulebook/rulebook.yaml"
FIGURES = "rulebook/figures.yaml"
FORM_NAME = "rulebook"  # the index's `form` for rulebook documents
CHINESE_NUMERALS = "一二三四五六七八九十"


@dataclass
class Chapter:
    file: str
    title: str
    blocks: list[Block]


@dataclass
class Rulebook:
    title: str
    chapters: list[Chapter]  # the preface first
    revisions: list[dict[str, str]]
    figures: dict[str, Any]
    lifecycle: Lifecycle
    # Every file the build reads — chapters, charts, lifecycle and the forms it prints — so
    # the index can say which sources made a version.
    sources: dict[str, Path] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """One SHA-256 over every source file, to record which sources made a version."""
        digest = hashlib.sha256()
        for name, path in sorted(self.sources.items()):
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()


def chapter_number(title: str) -> int | None:
    """十五、业主保修卡 → 15; None for a title without a Chinese ordinal (the preface)."""
    match = re.match(r"^([一二三四五六七八九十]+)、", title)
    if not match:
        return None
    text, value = match.group(1), 0
    if "十" in text:
        tens, _, ones = text.partition("十")
        value = (CHINESE_NUMERALS.index(tens) + 1 if tens else 1) * 10
        text = ones
    return value + (CHINESE_NUMERALS.index(text) + 1 if text else 0)


def placeholder_values(workspace: Workspace, lifecycle: Lifecycle | None = None
                       ) -> dict[str, Any]:
    """What `{{ ... }}` may name: the configuration, and `states.KEY` — a ticket state's label
    from the lifecycle, so the text names states as the system does."""
    config = workspace.config
    values = {key: config[key] for key in ("company", "centre", "tickets", "promises")}
    lifecycle = lifecycle or load_lifecycle(workspace)
    values["states"] = {k: localised(s.label) for k, s in lifecycle.states.items()}
    return values


def load(workspace: Workspace, problems: list[str] | None = None) -> Rulebook:
    """Read and fill every source. With `problems`, record what is wrong there and go on (for
    `rulebook check`); without, raise at the first problem."""

    def problem(message: str) -> None:
        if problems is None:
            raise ConfigError(message)
        problems.append(message)

    outline_path = workspace.find("templates", OUTLINE)
    if outline_path is None:
        raise ConfigError(f"templates/{OUTLINE} not found")
    outline = load_yaml(outline_path) or {}
    sources = {OUTLINE: outline_path}
    figures_path = workspace.find("templates", FIGURES)
    figures = load_yaml(figures_path) if figures_path else {}
    if figures_path:
        sources[FIGURES] = figures_path
    lifecycle = load_lifecycle(workspace)
    sources[f"forms/{LIFECYCLE_FILE}"] = workspace.find("forms", LIFECYCLE_FILE)
    values = placeholder_values(workspace, lifecycle)
    files = ([outline["preface"]] if outline.get("preface") else []) + list(
        outline.get("chapters", []))
    if not outline.get("chapters"):
        problem(f"{outline_path}: no chapters listed")

    chapters = []
    for name in files:
        path = workspace.find("templates", f"rulebook/{name}")
        if path is None:
            problem(f"chapter missing: templates/rulebook/{name} (listed in {OUTLINE}) "
                    f"does not exist")
            continue
        sources[f"rulebook/{name}"] = path
        try:
            blocks = parse_filled(path.read_text(encoding="utf-8"), values, name, problems)
        except ValueError as exc:
            problem(str(exc))
            continue
        if not blocks or blocks[0].kind != "heading" or blocks[0].level != 1:
            problem(f"{name}: must start with '# ' and the chapter title")
            continue
        chapters.append(Chapter(name, blocks[0].text, blocks[1:]))

    numbers = [n for n in (chapter_number(c.title) for c in chapters) if n is not None]
    for previous, number in zip([0, *numbers], numbers, strict=False):
        if number != previous + 1:
            problem(f"chapter missing: chapter {previous + 1} should follow chapter {previous}, "
                    f"but the next chapter is {number} (see {OUTLINE})")
            break
    return Rulebook(
        title=(outline.get("title") or {}).get("zh", "管理制度汇编"),
        chapters=chapters,
        revisions=list(outline.get("revisions", [])),
        figures=figures or {},
        lifecycle=lifecycle,
        sources=sources,
    )


def check(workspace: Workspace) -> list[str]:
    """Everything wrong with the rulebook's sources; an empty list when it can be built."""
    return inspect(workspace)[1]


def inspect(workspace: Workspace) -> tuple[Rulebook | None, list[str]]:
    """The rulebook read whole, with every problem in its sources (none: it can be built)."""
    from generator.rulebook.figures import load_figure

    problems: list[str] = []
    try:
        rulebook = load(workspace, problems)
    except ConfigError as exc:
        return None, [*problems, str(exc)]
    known_forms = set(list_forms(workspace))
    for chapter in rulebook.chapters:
        for block in chapter.blocks:
            if block.kind != "directive":
                continue
            where = f"{chapter.file}:{block.line}"
            if block.text == "form":
                if block.argument not in known_forms:
                    problems.append(f"{where}: @form {block.argument}: no such form "
                                    f"(known: {', '.join(sorted(known_forms))})")
                    continue
                try:
                    form = load_form(workspace, block.argument)
                except ConfigError as exc:
                    problems.append(f"{where}: {exc}")
                    continue
                template = workspace.find("templates", form.template_name)
                if template is None:
                    problems.append(f"{where}: form {block.argument} has no DOCX template")
                rulebook.sources.update({f"{form.name}:{k}": v for k, v in form.sources.items()})
                if template:
                    rulebook.sources[f"{form.name}:template"] = template
            elif block.text == "figure":
                try:
                    load_figure(block.argument, rulebook.figures, rulebook.lifecycle)
                except ConfigError as exc:
                    problems.append(f"{where}: {exc}")
    return rulebook, problems


@dataclass
class Edition:
    """What the cover and the approval page say about this build."""

    version: str
    effective: dt.date
    company: str
    centre: str
    title: str
    revisions: list[dict[str, str]]


def edition(workspace: Workspace, rulebook: Rulebook, version: str,
            effective: dt.date) -> Edition:
    revisions = [dict(r) for r in rulebook.revisions]
    if not any(str(r.get("version")) == version for r in revisions):
        revisions.append({"version": version, "effective": effective.isoformat(),
                          "change": "本版发布"})
    return Edition(version, effective, workspace.config["company"]["name"],
                   workspace.config["centre"]["name"], rulebook.title, revisions)
