"""`aftersales forms`: the document types, their fields, templates and blank copies."""

from __future__ import annotations

import click

from generator.cli.common import (
    FORMATS_HELP,
    echo_json,
    open_workspace,
    workspace_options,
    write_to_stdout,
)
from generator.cli.completion import complete_forms


@click.group()
def forms() -> None:
    """List the document types and show their fields.

    \b
      aftersales forms list
      aftersales forms show complaint
      aftersales forms template complaint -o my-complaint.docx
      aftersales forms blank site-survey --format pdf
    """


@forms.command("list")
@workspace_options(json_output=True)
def forms_list(home: str | None, as_json: bool) -> None:
    """List every form: name, code and title.

    \b
      aftersales forms list --json
    """
    from generator.documents.forms import list_forms, load_form

    workspace = open_workspace(home)
    rows = []
    for name in list_forms(workspace):
        form = load_form(workspace, name)
        rows.append({"form": name, "code": form.code, "title": form.title(workspace.language),
                     "ticket": form.ticket_mode})
    if as_json:
        echo_json(rows)
        return
    width = max((len(row["form"]) for row in rows), default=0)
    for row in rows:
        click.echo(f"{row['form']:<{width}}  {row['code']:<10} {row['title']}")


@forms.command("show")
@click.argument("form_name", metavar="FORM", shell_complete=complete_forms)
@workspace_options(json_output=True)
def forms_show(form_name: str, home: str | None, as_json: bool) -> None:
    """Show every field of FORM: key, label, type, required, allowed values.

    \b
      aftersales forms show complaint
    """
    from generator.documents.forms import load_form

    workspace = open_workspace(home)
    form = load_form(workspace, form_name)
    language = workspace.language
    if as_json:
        echo_json({"form": form.name, "title": form.title(language), "schema": form.schema})
        return
    click.echo(f"{form.title(language)}  ({form.name}, {form.code}; ticket: {form.ticket_mode})")
    for fld in form.fields.values():
        _show_field(fld, language, indent="  ")
        for column in fld.columns.values():
            _show_field(column, language, indent="      ")


def _show_field(fld, language: str, indent: str) -> None:
    need = "required" if fld.required else "optional"
    line = f"{indent}{fld.key:<20} {fld.label(language)}  [{fld.type}, {need}]"
    if fld.choices:
        line += "  one of: " + ", ".join(
            f"{code} ({fld.choice_label(code, language)})" for code in fld.choices
        )
    if fld.meta.get("hint"):
        line += f"  format: {fld.meta['hint']}"
    click.echo(line)


@forms.command("template")
@click.argument("form_name", metavar="FORM", shell_complete=complete_forms)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Where to write, - for standard output (default: templates/FORM.docx in the "
                   "workspace).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@workspace_options()
def forms_template(form_name: str, output: str | None, force: bool, home: str | None) -> None:
    """Write a starting DOCX template for FORM, made from its layout.

    Restyle the result in Word; keep the {{ ... }} tags. A template in the workspace's
    templates/ overrides the bundled one.

    \b
      aftersales forms template complaint            # templates/complaint.docx
      aftersales forms template complaint -o - > complaint.docx
    """
    from pathlib import Path

    from generator.documents.blanks import starting_template, write_template

    if output == "-":
        write_to_stdout(starting_template(open_workspace(home), form_name))
        return
    target = write_template(open_workspace(home), form_name, Path(output) if output else None,
                            force)
    click.echo(f"wrote {target}")


@forms.command("blank")
@click.argument("form_name", metavar="FORM", shell_complete=complete_forms)
@click.option("-o", "--output", "directory", type=click.Path(file_okay=False, allow_dash=True),
              help="Directory to write to (default: blank-forms/ in the workspace), or - for "
                   "standard output (with one --format).")
@click.option("--format", "formats", metavar="LIST",
              help=f"{FORMATS_HELP}.")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Language of the labels.")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@workspace_options()
def forms_blank(form_name: str, directory: str | None, formats: str | None, lang: str | None,
                force: bool, home: str | None) -> None:
    """Write FORM blank, for filling in by hand (not indexed: it is no record). Existing files
    are not overwritten without --force.

    \b
      aftersales forms blank site-survey --format pdf --lang en
      aftersales forms blank site-survey --format pdf -o - > site-survey.pdf
    """
    from pathlib import Path

    from generator.documents.blanks import blank_in_one_format, write_blank

    if directory == "-":
        write_to_stdout(blank_in_one_format(open_workspace(home), form_name, formats, lang))
        return
    for path in write_blank(open_workspace(home), form_name, Path(directory) if directory
                            else None, formats, lang, force):
        click.echo(f"wrote {path}")
