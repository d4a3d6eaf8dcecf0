"""Tickets keep the facts the summaries count by in columns of their own (schema.FACT_COLUMNS),
beside the JSON they come from, with indexes on when each ticket was opened and ended: a
quarter's figures over 100,000 tickets then read a few thousand rows of plain columns instead
of parsing every ticket's JSON once per figure. A record's period (a repair register's) gets
columns of its own in the same way, so finding a quarter's registers parses none of them.

The columns of the tickets already there are filled from their facts, as the index fills them
from now on.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from generator.records.schema import BUILDING, ENDED, FACT_COLUMNS, PERIOD_COLUMNS

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _extract(dialect: str, path: str, column: str = "facts") -> str:
    """SQL for a value of a JSON text column, as text (NULL when absent)."""
    if dialect == "postgresql":
        return f"(CAST({column} AS JSONB) #>> '{{{','.join(path.split('.'))}}}')"
    return f"CAST(json_extract({column}, '$.{path}') AS TEXT)"


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name in (*FACT_COLUMNS.values(), ENDED, BUILDING):
            batch.add_column(sa.Column(name, sa.Text))
    dialect = op.get_bind().dialect.name
    values = {name: _extract(dialect, path) for path, name in FACT_COLUMNS.items()}
    values["f_opened"] = f"COALESCE({values['f_opened']}, SUBSTR(opened_at, 1, 16))"
    op.execute("UPDATE tickets SET " + ", ".join(f"{name} = {sql}"
                                                  for name, sql in values.items()))
    building = ("SPLIT_PART(f_room, '-', 1)" if dialect == "postgresql" else
                "CASE WHEN INSTR(f_room, '-') > 0 THEN SUBSTR(f_room, 1, INSTR(f_room, '-') - 1) "
                "ELSE f_room END")
    op.execute(f"UPDATE tickets SET {ENDED} = COALESCE(f_closed, f_rejected), "
               f"{BUILDING} = {building}")
    with op.batch_alter_table("documents") as batch:
        for name in PERIOD_COLUMNS.values():
            batch.add_column(sa.Column(name, sa.Text))
    op.execute("UPDATE documents SET " + ", ".join(
        f"{name} = {_extract(dialect, key, 'data')}"
        for key, name in PERIOD_COLUMNS.items()))
    op.create_index("tickets_opened", "tickets", ["f_opened"])
    op.create_index("tickets_ended", "tickets", [ENDED])
