"""docs/configuration.md lists every setting of every settings class, as they are now."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_the_configuration_page_is_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/configuration.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_setting_is_on_the_page_with_a_meaning() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from configuration import render, settings_classes

    page = render()
    classes = {kind.__name__ for kind in settings_classes()}
    assert {"Settings", "AlertSettings", "HooksSettings", "StreamSettings"} <= classes
    rows = [line for line in page.splitlines() if line.startswith("| `FIRELANE_")]
    assert len(rows) == sum(len(kind.model_fields) for kind in settings_classes())
    assert "`FIRELANE_REPORT_HOURS_PER_FTE`" in page and "`FIRELANE_LOG_FORMAT`" in page
    assert all(not row.endswith("|  |") for row in rows), [r for r in rows if r.endswith("|  |")]
