"""Run Alembic migrations from code (``firelane db upgrade``, ``serve`` on start, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import app as package


def script_location() -> Path:
    """Find ``migrations/``: beside the package in a checkout, inside it in a wheel."""
    package_dir = Path(package.__file__).resolve().parent
    for candidate in (package_dir.parent / "migrations", package_dir / "_migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("the migrations folder is missing from this installation")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Upgrade the database to the newest revision of every branch."""
    command.upgrade(alembic_config(database_url), revision)
