"""Alembic's entry point for the index's migrations.

aftersales runs them itself (generator.records.database.upgrade) on a connection it already holds
inside a locked transaction, so this file only hands that connection to Alembic.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
