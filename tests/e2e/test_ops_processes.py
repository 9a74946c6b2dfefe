"""``firelane serve --workers 2`` as operators see it: /metrics adds up every process (the
HTTP processes and the ingest writer), /readyz is ready, and the log is JSON lines with
request ids and no ingest token."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.e2e.processes import Firelane, until

pytestmark = pytest.mark.e2e

SENT = 12


def _value(text: str, sample: str) -> float:
    found = re.search("^" + re.escape(sample) + r" (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_metrics_add_up_every_process_and_logs_are_json(firelane: Firelane) -> None:
    firelane.env.update(FIRELANE_LOG_FORMAT="json", FIRELANE_METRICS_PUBLIC="true")
    firelane.serve("--workers", "2")
    with firelane.admin_client() as api:
        board = api.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()
        body = {"name": "generic", "kind": "generic", "board_id": board["id"]}
        integration = api.post("/api/v1/integrations", json=body).json()
    url = f"{firelane.url}/api/v1/ingest/{integration['id']}?token={integration['token']}"
    for n in range(SENT):  # a new connection each: both HTTP processes get some
        key = f"disk-{n % 4}"  # 4 new alerts, 8 repeats
        answer = httpx.post(url, json={"title": f"Disk {key}", "key": key}, timeout=30)
        assert answer.status_code == 202, answer.text
    assert httpx.post(url, content=b"{", timeout=30).status_code == 400
    labels = f'integration="{integration["id"]}"'

    def scraped() -> str:
        return httpx.get(f"{firelane.url}/metrics", timeout=30).text

    text = until("both HTTP processes' counts", lambda: (t := scraped()) and _seen(t) and t)
    assert _value(text, f'firelane_alerts_received_total{{{labels},outcome="new"}}') == 4
    assert _value(text, f'firelane_alerts_received_total{{{labels},outcome="repeat"}}') == 8
    rejected = f'firelane_alerts_rejected_total{{{labels},reason="invalid_json"}}'
    assert _value(text, rejected) == 1
    assert _value(text, "firelane_ingest_batch_size_count") >= 1  # the writer's own
    assert _value(text, "firelane_ingest_commit_seconds_count") >= 1
    assert re.search(
        r'^firelane_cards_open\{board="ops",column="\w+",kind="fire"\} 4.0$', text, re.M
    )
    for _ in range(4):  # whichever process answers, the same sums
        assert _value(scraped(), f'firelane_alerts_received_total{{{labels},outcome="new"}}') == 4
    assert httpx.get(f"{firelane.url}/readyz", timeout=30).json() == {"status": "ready"}

    log = (firelane.tmp_path / "serve-0.log").read_text()
    assert integration["token"] not in log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "firelane.access"]
    ingested = [line for line in access if line["route"] == "/api/v1/ingest/{integration_id}"]
    assert len(ingested) == SENT + 1
    assert all("token=[redacted]" in line["path"] and line["request_id"] for line in ingested)
    assert {line["status"] for line in ingested} == {202, 400}


def _seen(text: str) -> bool:
    route = 'route="/api/v1/ingest/{integration_id}"'
    return (
        _value(text, f'firelane_http_requests_total{{method="POST",{route},status="202"}}') == SENT
    )
