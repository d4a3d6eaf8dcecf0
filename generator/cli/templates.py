"""`aftersales templates`: check the DOCX templates a workspace fills."""

from __future__ import annotations

import click

from generator.cli.common import open_workspace, report_problems, workspace_options
from generator.cli.completion import complete_forms


@click.group()
def templates() -> None:
    """Check the DOCX templates, the bundled ones and the workspace's own (templates/).

    \b
      aftersales templates check
      aftersales templates check complaint
    """


@templates.command("check")
@click.argument("form_name", metavar="[FORM]", required=False,
                shell_complete=complete_forms)
@workspace_options(json_output=True)
def templates_check(form_name: str | None, home: str | None, as_json: bool) -> None:
    """Check FORM's DOCX template (every form's when FORM is left out) against the form:
    Jinja syntax, variables the form does not give, required fields never shown, and tags
    Word split in a way docxtpl cannot repair. Exit code 1 names each problem's file and tag.

    \b
      aftersales templates check                  # every form's template
      aftersales templates check complaint --json
    """
    from generator.documents.template_check import check_templates

    checked, problems = check_templates(open_workspace(home),
                                        [form_name] if form_name else None)
    where = checked[0] if len(checked) == 1 else f"{len(checked)} templates"
    report_problems([problem.as_dict() for problem in problems] if as_json
                    else [str(problem) for problem in problems],
                    where, f"OK: {where} checked, no problems", as_json, templates=checked)
