"""The migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import app.main  # noqa: F401 - imports every domain's models
from app.core.db import Database, metadata
from app.core.migrate import alembic_config


def test_autogenerate_finds_no_difference(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_database_is_at_every_head(db: Database, database_url: str) -> None:
    heads = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    with db.engine.connect() as conn:
        current = {
            row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))
        }
    assert current == heads


def test_constraints_follow_the_naming_convention(db: Database) -> None:
    inspector = sa.inspect(db.engine)
    for table in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(table):
            assert fk["name"] and fk["name"].startswith(f"fk_{table}_"), (table, fk)
