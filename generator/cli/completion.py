"""Shell completion of the values people type most: form names (from the workspace's forms and
the bundled ones) and ticket numbers (from the index). click drives it through the
_AFTERSALES_COMPLETE variable (README "Shell completion"); a completion that cannot find the
workspace or its index completes nothing rather than print an error into the shell."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from generator.errors import AftersalesError

# Ticket numbers offered at once: enough to pick from, few enough to stay quick on a big index.
TICKETS_OFFERED = 100


def complete_forms(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from generator.documents.forms import list_forms

    return _from_workspace(ctx, lambda workspace: [
        name for name in list_forms(workspace) if name.startswith(incomplete)])


def complete_tickets(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from generator.records.index import index_of

    # reading never creates an index: a workspace without one completes nothing
    return _from_workspace(ctx, lambda workspace: index_of(workspace).ticket_numbers(
        incomplete, TICKETS_OFFERED))


def _from_workspace(ctx: click.Context, values: Callable) -> list[str]:
    try:
        with _workspace(ctx.params.get("home")) as workspace:
            return values(workspace)
    except AftersalesError:
        return []


@contextmanager
def _workspace(home: str | None) -> Iterator:
    """The workspace --home (or AFTERSALES_HOME, or the current directory) names, as far as the
    command line is typed yet; closed afterwards."""
    from generator.workspace import Workspace

    workspace = Workspace.open(home)
    try:
        yield workspace
    finally:
        workspace.close()
