"""The index's tables at the newest schema revision, as SQLAlchemy Core objects.

Alembic's migrations (records/migrations/versions/) create and upgrade the real tables; the
queries use these. `HEAD` names the newest revision, so a command can tell whether the index
needs upgrading without loading Alembic (a test keeps the two in step).

History lives in three tables — tickets, documents, events — and every document and event row is
a link of its ticket's hash chain (`chains` holds each chain's head; the chain of documents that
belong to no ticket, such as the rulebook, is named ''). Reservations are the numbers taken by
fills in flight; checkpoints are signed statements of the whole history at a moment.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

HEAD = "0005"

# The facts the summaries count by, each also kept in a column of its own beside the JSON, so
# that a report over 100,000 tickets reads plain indexed columns rather than parsing JSON per
# row. The index writes them with the facts; verify checks they say what the facts say. A fact
# not listed here (a state a workspace's own lifecycle adds) is read from the JSON instead.
FACT_COLUMNS = {
    "opened": "f_opened",  # falls back to when the ticket was filed (tickets from before 0003)
    **{f"reached.{state}": f"f_{state}" for state in (
        "verifying", "assigned", "repairing", "awaiting_acceptance", "accepted", "followed_up",
        "closed", "rejected")},
    **{f"due.{deadline}": f"f_due_{deadline}" for deadline in (
        "reply", "site_check", "completion", "followup")},
    "category": "f_category",
    "room": "f_room",
    "party": "f_party",
    "builder": "f_builder",
}
ENDED = "f_ended"  # when it was closed or rejected (the first of the two): indexed with f_opened
BUILDING = "f_building"  # the room's building: what comes before its first '-' (3-2-1203 → 3)

# A record's period (a register's, a checklist's…), from its data, kept in columns of its own:
# finding a quarter's registers then parses no register's JSON (100 KB each, on PostgreSQL
# once per condition). Written with the record, checked by verify.
PERIOD_COLUMNS = {"period_from": "d_period_from", "period_to": "d_period_to"}


def key(length: int = 200) -> sa.types.TypeEngine:
    """A key column compared and sorted byte by byte on every database: verify walks sorted
    streams side by side, so SQL's order must be Python's. SQLite's default already is;
    PostgreSQL's default collation follows the locale, so ask for "C" there."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


metadata = sa.MetaData()

counters = sa.Table(
    "counters", metadata,
    sa.Column("name", key(), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

tickets = sa.Table(
    "tickets", metadata,
    sa.Column("number", key(40), primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("opened_at", sa.Text, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    # what its history says of it (category, responsible party, promised times…), folded from
    # the `set` of every event: JSON, kept here for listing, checked by verify
    sa.Column("facts", sa.Text, nullable=False, server_default="{}"),
    *(sa.Column(name, sa.Text) for name in (*FACT_COLUMNS.values(), ENDED, BUILDING)),
)

chains = sa.Table(
    "chains", metadata,
    sa.Column("name", key(40), primary_key=True),  # a ticket number, or '' for no ticket
    sa.Column("entries", sa.Integer, nullable=False),
    sa.Column("head", sa.String(64), nullable=False),
)

documents = sa.Table(
    "documents", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ticket", key(40), sa.ForeignKey("tickets.number")),
    sa.Column("entry", sa.Integer),
    sa.Column("form", sa.Text, nullable=False),
    sa.Column("record_no", sa.Text, nullable=False),
    sa.Column("format", sa.Text, nullable=False),
    # relative to the document store (documents.output), with forward slashes
    sa.Column("path", key(1000), nullable=False, unique=True),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("template_sha256", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.Text, nullable=False),
    sa.Column("row_hash", sa.Text, nullable=False),
    *(sa.Column(name, sa.Text) for name in PERIOD_COLUMNS.values()),
)

events = sa.Table(
    "events", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ticket", key(40), sa.ForeignKey("tickets.number")),
    sa.Column("entry", sa.Integer),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.Text),
    sa.Column("row_hash", sa.Text),
)

reservations = sa.Table(
    "reservations", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("form", sa.Text, nullable=False),
    sa.Column("record_no", sa.Text, nullable=False),
    sa.Column("ticket", key(40)),
    sa.Column("opens_ticket", sa.Boolean, nullable=False),
    sa.Column("state", sa.Text, nullable=False),  # reserved, filed or voided
    sa.Column("owner", sa.Text, nullable=False),  # host:boot:pid:start of the filing process
    sa.Column("reserved_at", sa.Text, nullable=False),
    sa.Column("settled_at", sa.Text),
    sa.Column("paths", sa.Text, nullable=False),  # JSON list of store paths it may write
    sa.Column("note", sa.Text),
    # the batch row it files, "<batch>:<row>"; unique (an index of migration 0005), and let
    # go when voided
    sa.Column("batch_key", sa.Text),
)

checkpoints = sa.Table(
    "checkpoints", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("statement", sa.Text, nullable=False),  # canonical JSON, what is signed
    sa.Column("manifest", sa.LargeBinary, nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# Every table a copy of the index (`index migrate`) carries over, parents first.
ALL_TABLES = (counters, tickets, chains, documents, events, reservations, checkpoints)


def fact_columns(facts: dict, opened_at: str) -> dict[str, str | None]:
    """The FACT_COLUMNS (and ENDED, BUILDING) of a ticket with these facts: text, as JSON extraction
    would give it, None where the fact is not known."""
    def get(path: str):
        value: object = facts
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return None if value is None else str(value)

    values = {name: get(path) for path, name in FACT_COLUMNS.items()}
    values["f_opened"] = values["f_opened"] or opened_at[:16]
    values[ENDED] = values["f_closed"] or values["f_rejected"]
    values[BUILDING] = values["f_room"].split("-", 1)[0] if values["f_room"] else None
    return values


def period_columns(data: str) -> dict[str, str | None]:
    """The PERIOD_COLUMNS of a record with this data (JSON text): None where it has none."""
    if '"period_' not in data:  # most records: no need to parse
        return dict.fromkeys(PERIOD_COLUMNS.values())
    try:
        values = json.loads(data)
    except ValueError:
        values = {}
    if not isinstance(values, dict):
        values = {}
    return {column: None if values.get(key) is None else str(values[key])
            for key, column in PERIOD_COLUMNS.items()}
