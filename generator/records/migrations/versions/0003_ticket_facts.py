"""Tickets keep their facts: what their history says of them (category, responsible party,
promised times…), folded from the `set` of every event, for listing without replaying history.

Tickets from before have no event that sets anything, so their facts are empty.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("facts", sa.Text, nullable=False, server_default="{}"))
    op.create_index("tickets_state", "tickets", ["state"])
