"""docs/prometheus/ is what Prometheus loads: the scrape config and the alert rules pass
promtool (Debian's prometheus package), and the rules fire on the series they watch."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient

from tests.support import need

DOCS = Path(__file__).parents[1] / "docs" / "prometheus"
PROMTOOL = shutil.which("promtool")


def _promtool(*args: str, cwd: Path) -> str:
    need(PROMTOOL is not None, "promtool (apt-get install prometheus)")
    done = subprocess.run(
        [str(PROMTOOL), *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_rules_are_valid_and_fire_as_tested() -> None:
    assert "SUCCESS: 10 rules found" in _promtool("check", "rules", "firelane.rules.yml", cwd=DOCS)
    assert "SUCCESS" in _promtool("test", "rules", "firelane.rules.test.yml", cwd=DOCS)


def test_the_scrape_config_is_valid(tmp_path: Path) -> None:
    token = tmp_path / "firelane.token"
    token.write_text("fl_a-viewer-token\n")
    config = (DOCS / "prometheus.yml").read_text()
    assert "/etc/prometheus/firelane.token" in config
    (tmp_path / "prometheus.yml").write_text(
        config.replace("/etc/prometheus/firelane.token", str(token))
    )
    shutil.copy(DOCS / "firelane.rules.yml", tmp_path)
    assert "SUCCESS" in _promtool("check", "config", "prometheus.yml", cwd=tmp_path)


def test_the_rules_and_the_docs_name_the_metrics_firelane_answers(viewer: TestClient) -> None:
    viewer.app.state.ticks.beat("delivery")  # type: ignore[attr-defined]
    answered = viewer.get("/metrics").text
    families = set(re.findall(r"^# HELP (firelane_\w+)", answered, re.MULTILINE))
    counters = set(re.findall(r"^# TYPE (firelane_\w+) counter", answered, re.MULTILINE))
    known = families | {f"{name}_total" for name in counters}
    known |= {f"{name}_{part}" for name in families for part in ("bucket", "count", "sum")}
    rules = (DOCS / "firelane.rules.yml").read_text()
    assert sorted(set(re.findall(r"\b(firelane_\w+)", rules)) - known) == []
    documented = (DOCS / "README.md").read_text()
    undocumented = sorted(name for name in families if f"`{name}" not in documented)
    assert undocumented == [], f"docs/prometheus/README.md does not describe {undocumented}"
