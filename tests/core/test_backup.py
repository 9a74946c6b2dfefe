"""Backups that are not whole are never restored, nor written over a good file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app.core.backup import BackupError, backup, integrity, pg_dump_command, restore
from app.core.migrate import upgrade


def test_a_damaged_backup_is_refused(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x07" * 4096)
    with pytest.raises(BackupError, match="failed its integrity check"):
        restore(f"sqlite:///{tmp_path / 'live.db'}", damaged)
    assert not (tmp_path / "live.db").exists()


def test_a_backup_replaces_its_target_whole(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    target = tmp_path / "copy.db"
    target.write_text("an older backup")
    done = backup(url, target)
    assert integrity(target) == "ok" and done.size_bytes == target.stat().st_size
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    restored = tmp_path / "restored.db"
    restore(f"sqlite:///{restored}", target)
    assert integrity(restored) == "ok"


def test_postgresql_is_dumped_without_the_password_on_the_command_line() -> None:
    url = make_url("postgresql+psycopg://firelane:s3cret@db:5432/firelane")
    command, env = pg_dump_command(url, Path("/backups/x.dump"))
    assert "s3cret" not in " ".join(command) and env["PGPASSWORD"] == "s3cret"
    assert command[-1] == "postgresql://firelane@db:5432/firelane"
    with pytest.raises(BackupError, match="pg_restore --clean --if-exists --no-owner"):
        restore(str(url), Path("/backups/x.dump"))
