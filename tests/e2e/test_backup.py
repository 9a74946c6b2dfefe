"""``firelane db backup`` while Firelane ingests, then a restore: every alert acknowledged
before the backup started is in the copy (SQLite: online backup and ``firelane db
restore``; PostgreSQL: pg_dump, then pg_restore as the command says)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.e2e.processes import Firelane, until
from tests.e2e.test_crash import Burst, installed  # noqa: F401 - the fixture, both backends
from tests.support import postgres_database

pytestmark = pytest.mark.e2e


def _keys(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {str(key) for (key,) in conn.execute(sa.text("SELECT dedup_key FROM alert"))}
    finally:
        engine.dispose()


def _restore(installed: Firelane, copy: Path) -> set[str]:  # noqa: F811
    """Restore the copy the way the README says, into a new database; its alert keys."""
    url = installed.env["FIRELANE_DATABASE_URL"]
    if url.startswith("sqlite"):
        restored = Firelane(installed.tmp_path / "restored")
        (installed.tmp_path / "restored").mkdir()
        restored.run("db", "restore", str(copy))
        return _keys(restored.env["FIRELANE_DATABASE_URL"])
    base = os.environ["FIRELANE_TEST_DATABASE_URL"]
    with postgres_database(base, "firelane_restored") as target:
        plain = make_url(target).set(drivername="postgresql").render_as_string(False)
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={plain}", str(copy)], check=True, timeout=120
        )
        return _keys(target)


def test_a_backup_under_load_holds_every_acknowledged_alert(installed: Firelane) -> None:  # noqa: F811
    installed.serve("--no-scheduler", "--no-access-log")
    with installed.admin_client() as client:
        board = client.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()
        generic = {"name": "burst", "kind": "generic", "board_id": board["id"]}
        integration = client.post("/api/v1/integrations", json=generic).json()
    burst = Burst(installed.url, integration, "b").start()
    try:
        until("a first acknowledged alert", lambda: len(burst.acknowledged) > 20)
        before = list(burst.acknowledged)
        copy = installed.tmp_path / "firelane.backup"
        made = installed.call("db", "backup", str(copy))
        assert made.returncode == 0, made.stderr
        said = made.stderr
        during = len(burst.acknowledged)
        until("alerts acknowledged after the backup", lambda: len(burst.acknowledged) > during)
    finally:
        burst.stop()
    assert f"backed up to {copy}" in said
    if installed.env["FIRELANE_DATABASE_URL"].startswith("sqlite"):
        assert "integrity check ok" in said
        # While Firelane runs, a restore over its database is refused.
        refused = installed.call("db", "restore", str(copy))
        assert (
            refused.returncode == 1 and "is in use: stop every Firelane process" in refused.stderr
        )
    else:
        assert "pg_dump" in said
    restored = _restore(installed, copy)
    lost = [key for key in before if key not in restored]
    assert lost == [], f"{len(lost)} of {len(before)} acknowledged alerts missing"
    assert len(restored) >= len(before)
