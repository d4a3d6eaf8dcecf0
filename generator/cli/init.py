"""`aftersales init`: a new workspace, its configuration and, to edit, copies of the defaults."""

from __future__ import annotations

from pathlib import Path

import click

from generator.cli.common import say


@click.command()
@click.argument("directory", metavar="[DIR]", default=".",
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--copy", "copy_kinds", metavar="KINDS", default="",
              help="Comma-separated bundled defaults to copy for editing: forms, schemas, "
                   "templates, rulebook.")
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
def init(directory: Path, copy_kinds: str, force: bool) -> None:
    """Make DIR (default: the current folder) a workspace: aftersales.toml with every setting,
    its default and a comment, and with --copy the bundled forms, schemas, DOCX templates or
    rulebook wording to edit (the workspace's copy overrides the bundled file). Never
    overwrites a file without --force.

    \b
      aftersales init                           # here
      aftersales init centre --copy templates,rulebook
    """
    from generator.workspace import init_workspace

    kinds = [kind.strip() for kind in copy_kinds.split(",") if kind.strip()]
    written = init_workspace(directory, kinds, force)
    root = directory.resolve()
    for path in written:
        say(f"wrote {path.relative_to(root).as_posix()}")
    say(f"workspace ready in {root}: edit aftersales.toml, then run aftersales commands there "
        f"(or with --home {root})")
