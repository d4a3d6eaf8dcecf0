"""A reservation may carry the batch row it files (`batch_key`, "<batch>:<row>"), unique, so a
batch run again after a kill skips the rows already filed and can never file one twice. A
voided reservation lets its key go, so the row is filed again.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.add_column(sa.Column("batch_key", sa.Text))
    op.create_index("reservations_batch_key", "reservations", ["batch_key"], unique=True)


def downgrade() -> None:
    op.drop_index("reservations_batch_key", "reservations")
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("batch_key")
