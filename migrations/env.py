"""Alembic environment. cfsync passes an open connection in `config.attributes["connection"]`;
`python -m cfsync.store.migrate revision` does the same against a scratch database."""

from alembic import context

from cfsync.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
    compare_server_default=True,
    user_module_prefix="cfsync.store.types.",
)
with context.begin_transaction():
    context.run_migrations()
