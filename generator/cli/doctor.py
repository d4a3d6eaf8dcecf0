"""`aftersales doctor`: what this machine and workspace lack, and how to fix it."""

from __future__ import annotations

import sys

import click

from generator.cli.common import echo_json, say, workspace_options

MARKS = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


@click.command()
@workspace_options(json_output=True)
def doctor(home: str | None, as_json: bool) -> None:
    """Check Python and the libraries, the CJK font (and that PDFs embed it), LibreOffice,
    poppler, the signing extra, the index (reachable, schema revision, integrity) and the
    workspace's own forms, schemas and templates, with a fix for each problem. Exit code 1
    when something required fails; warnings (optional tools missing) leave it 0.

    \b
      aftersales doctor
      aftersales doctor --home /srv/centre --json
    """
    from generator.doctor import examine, failed

    checks = examine(home)
    if as_json:
        echo_json({"ok": not failed(checks), "checks": [check.as_dict() for check in checks]})
    else:
        for check in checks:
            say(f"{MARKS[check.status]}  {check.name}: {check.detail}")
            if check.fix and check.status != "ok":
                say(f"      fix: {check.fix}")
    if failed(checks):
        sys.exit(1)
