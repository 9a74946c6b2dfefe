"""An integration's optional rate limit: past it, 429 with Retry-After, counted in the
metrics, and nothing stored from the refused requests (never a silent drop)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.core.db import Database
from tests.alerts.conftest import MakeIntegration, count, load, post


def test_past_its_limit_an_integration_gets_429_with_retry_after(
    anon: TestClient, admin: TestClient, db: Database, make_integration: MakeIntegration
) -> None:
    limited = make_integration("alertmanager", rate_limit_per_minute=3)
    free = make_integration("alertmanager")
    assert limited["rate_limit_per_minute"] == 3 and free["rate_limit_per_minute"] is None
    payload = load("alertmanager_firing")
    answers = [post(anon, limited, payload).status_code for _ in range(5)]
    assert answers == [202, 202, 202, 429, 429]
    refused = post(anon, limited, payload)
    assert refused.json()["error"] == "integration_rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert {post(anon, free, payload).status_code for _ in range(5)} == {202}
    signals = count(db, "alert_signal")
    assert signals == (3 + 5) * len(payload["alerts"])  # the refused ones stored nothing
    metrics = admin.get("/metrics").text
    assert 'route="/api/v1/ingest/{integration_id}",status="429"} 3.0' in metrics
    # null takes the limit off again.
    cleared = admin.patch(
        f"/api/v1/integrations/{limited['id']}", json={"rate_limit_per_minute": None}
    )
    assert cleared.status_code == 200 and cleared.json()["rate_limit_per_minute"] is None
