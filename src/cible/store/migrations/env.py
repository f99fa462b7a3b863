"""Alembic environment of the profile store: always run programmatically by
:meth:`cible.store.ProfileStore.open` on the connection it passes in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from cible.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
