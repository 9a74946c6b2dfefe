"""Alembic environment: Firelane's metadata, engine settings and SQLite batch mode."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

# Every domain's models, so that autogenerate sees the whole schema.
import app.alerts.models
import app.auth.models
import app.boards.models
import app.hooks.models
import app.reports.models
import app.schedules.models  # noqa: F401
from app.core.config import get_settings
from app.core.db import create_db_engine, metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Firelane migrations run online only: `firelane db upgrade`.")
run_migrations_online()
