"""Back up and restore the database (``firelane db backup PATH`` / ``db restore PATH``).

SQLite: SQLite's online backup API copies the database in one step, inside one read
transaction, while Firelane serves (WAL: writers go on meanwhile); the copy holds every
transaction committed before the copy began, so every alert answered 2xx before then. The
copy is checked with ``PRAGMA integrity_check`` before it takes PATH's place. A restore
checks the backup the same way and copies it over the database, refused while any process
has the database open.

PostgreSQL: ``pg_dump --format=custom`` does the backup (a consistent snapshot too); a
restore is ``pg_restore``'s job, which the refusal spells out.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """A backup or a restore could not be made; the message says why, in one sentence."""


@dataclass(frozen=True)
class Done:
    """What a backup or restore did, for the person who asked."""

    path: Path
    size_bytes: int
    how: str


def sqlite_file(url: URL) -> Path:
    """The file of a SQLite URL."""
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory: there is no file to back up")
    return Path(url.database)


@contextlib.contextmanager
def _connect(path: Path, *, timeout: float = 30.0) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


def integrity(path: Path) -> str:
    """``ok``, or what SQLite's integrity check found wrong with the database at ``path``."""
    try:
        with _connect(path) as connection:
            rows = connection.execute("PRAGMA integrity_check").fetchall()
            connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as exc:
        return f"not a Firelane database: {exc}"
    found = "; ".join(str(row[0]) for row in rows)
    return found


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def backup_sqlite(url: URL, target: Path) -> Done:
    """Copy the live SQLite database to ``target`` (replaced whole, or left as it was)."""
    source = sqlite_file(url)
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with _connect(source) as live, _connect(partial) as copy:
            live.backup(copy)  # one step: one read transaction, one consistent snapshot
        checked = integrity(partial)
        if checked != "ok":
            raise BackupError(f"the copy failed its integrity check: {checked}")
        _sync(partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return Done(target, target.stat().st_size, "SQLite online backup, integrity check ok")


def _in_use(path: Path) -> bool:
    """Whether another connection has the database open (a server, a worker, a command).

    In WAL mode every open connection keeps a shared lock that an exclusive-mode
    transaction cannot get past.
    """
    with _connect(path, timeout=0) as probe:
        probe.execute("PRAGMA locking_mode=EXCLUSIVE")
        try:
            probe.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:
            return True
        probe.execute("ROLLBACK")
    return False


def restore_sqlite(url: URL, backup: Path) -> Done:
    """Replace the SQLite database with the backup at ``backup`` (every process stopped)."""
    target = sqlite_file(url)
    if not backup.is_file():
        raise BackupError(f"{backup} does not exist")
    checked = integrity(backup)
    if checked != "ok":
        raise BackupError(f"{backup} failed its integrity check: {checked}")
    if target.exists() and _in_use(target):
        raise BackupError(f"{target} is in use: stop every Firelane process (serve, worker) first")
    with _connect(backup) as source, _connect(target) as live:
        source.backup(live)
    checked = integrity(target)
    if checked != "ok":
        raise BackupError(f"the restored database failed its integrity check: {checked}")
    return Done(target, target.stat().st_size, "restored from the backup, integrity check ok")


def libpq_url(url: URL) -> str:
    """The URL as libpq's tools take it, without the password."""
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return plain.render_as_string(hide_password=False)


def pg_dump_command(url: URL, target: Path) -> tuple[list[str], dict[str, str]]:
    """The pg_dump call (the password goes in the environment, not on the command line)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    command = [
        "pg_dump",
        "--format=custom",
        "--no-owner",
        f"--file={target}",
        libpq_url(url),
    ]
    return command, env


def backup_postgres(url: URL, target: Path) -> Done:
    """Run pg_dump into ``target``."""
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client)")
    command, env = pg_dump_command(url, target)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return Done(target, target.stat().st_size, "pg_dump --format=custom")


def backup(database_url: str, target: Path) -> Done:
    """Back up the database of ``database_url`` to ``target``."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return backup_sqlite(url, target)
    if url.get_backend_name() == "postgresql":
        return backup_postgres(url, target)
    raise BackupError(f"cannot back up a {url.get_backend_name()} database")


def restore(database_url: str, backup_path: Path) -> Done:
    """Restore the SQLite database of ``database_url`` from ``backup_path``."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return restore_sqlite(url, backup_path)
    raise BackupError(
        "restore a PostgreSQL backup with pg_restore, every Firelane process stopped: "
        f"pg_restore --clean --if-exists --no-owner --dbname={libpq_url(url)} {backup_path}"
    )
