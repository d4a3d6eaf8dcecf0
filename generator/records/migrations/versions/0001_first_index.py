"""The first index: counters, tickets, documents and events.

An index written before aftersales used Alembic already has these tables (and no
alembic_version); this revision then creates nothing and the index carries on from here.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def key(length: int) -> sa.types.TypeEngine:
    # byte order on PostgreSQL too (see generator/records/schema.py: key)
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "counters" not in existing:
        op.create_table(
            "counters",
            sa.Column("name", key(200), primary_key=True),
            sa.Column("value", sa.BigInteger, nullable=False),
        )
    if "tickets" not in existing:
        op.create_table(
            "tickets",
            sa.Column("number", key(40), primary_key=True),
            sa.Column("state", sa.Text, nullable=False),
            sa.Column("opened_at", sa.Text, nullable=False),
            sa.Column("data", sa.Text, nullable=False),
        )
    if "documents" not in existing:
        op.create_table(
            "documents",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("ticket", key(40), sa.ForeignKey("tickets.number")),
            sa.Column("form", sa.Text, nullable=False),
            sa.Column("record_no", sa.Text, nullable=False),
            sa.Column("format", sa.Text, nullable=False),
            sa.Column("path", key(1000), nullable=False, unique=True),
            sa.Column("sha256", sa.Text, nullable=False),
            sa.Column("size", sa.BigInteger, nullable=False),
            sa.Column("created_at", sa.Text, nullable=False),
            sa.Column("data", sa.Text, nullable=False),
            sa.Column("template", sa.Text, nullable=False),
            sa.Column("template_sha256", sa.Text, nullable=False),
            sa.Column("prev_hash", sa.Text, nullable=False),
            sa.Column("row_hash", sa.Text, nullable=False),
        )
        op.create_index("documents_ticket", "documents", ["ticket"])
    if "events" not in existing:
        op.create_table(
            "events",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("ticket", key(40), sa.ForeignKey("tickets.number"), nullable=False),
            sa.Column("at", sa.Text, nullable=False),
            sa.Column("kind", sa.Text, nullable=False),
            sa.Column("detail", sa.Text, nullable=False),
        )
