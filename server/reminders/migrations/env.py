"""Alembic environment: the Store hands over an open connection (see Store.upgrade),
so migrations run on exactly the engine and under the lock the app uses."""

from __future__ import annotations

from alembic import context

from server.reminders.store import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only Store.upgrade runs migrations
    raise RuntimeError("run migrations through `python -m server migrate`")

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
