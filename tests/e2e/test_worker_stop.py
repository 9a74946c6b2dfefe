"""``firelane worker`` stops on SIGTERM within its grace, exit 0, its claims released.

A real worker process (answering /readyz and /metrics at FIRELANE_WORKER_LISTEN) sends a
webhook to a real receiver that does not answer; SIGTERM comes while the send is in
flight. The worker exits 0 within the grace period, and the delivery is back in the queue
at once (not after the 300 s lease): the next worker sends it.
"""

from __future__ import annotations

import signal
import time

import httpx
import pytest

from tests.e2e.processes import Firelane, free_port, until
from tests.hooks.receiver import Receiver

pytestmark = pytest.mark.e2e

GRACE = 1.0


def test_sigterm_releases_what_the_worker_claimed(firelane: Firelane, receiver: Receiver) -> None:
    firelane.env["FIRELANE_STOP_GRACE_SECONDS"] = str(GRACE)
    firelane.serve("--no-scheduler")
    with firelane.admin_client() as api:
        hook = {"url": receiver.url, "events": ["card.created"]}
        assert api.post("/api/v1/webhooks", json=hook).status_code == 201
        board = api.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()
        api.post(f"/api/v1/boards/{board['id']}/cards", json={"title": "Disk full"})
        receiver.hold()
        listen = f"127.0.0.1:{free_port()}"
        firelane.env["FIRELANE_WORKER_LISTEN"] = listen
        worker = firelane.start("worker")
        until("the worker to send the webhook", lambda: receiver.requests)
        until("the worker to be ready", lambda: _ready(f"http://{listen}"))
        metrics = httpx.get(f"http://{listen}/metrics", headers=api.headers, timeout=10).text
        for loop in ("scheduler", "delivery"):
            assert f'firelane_loop_last_tick_timestamp_seconds{{loop="{loop}"}}' in metrics
        assert httpx.get(f"http://{listen}/metrics", timeout=10).status_code == 401
        del firelane.env["FIRELANE_WORKER_LISTEN"]
        asked = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(GRACE + 10) == 0
        assert time.monotonic() - asked < GRACE + 5
        (delivery,) = api.get("/api/v1/deliveries").json()["items"]
        assert (delivery["status"], delivery["attempts"]) == ("pending", 0)

        receiver.release()
        firelane.start("worker")
        until(
            "the next worker to deliver it",
            lambda: api.get(f"/api/v1/deliveries/{delivery['id']}").json()["status"] == "delivered",
            deadline=30,  # the lease is 300 s: only a released claim is sent this soon
        )
    log = (firelane.tmp_path / "worker-1.log").read_text()
    assert "released 1 claimed deliveries" in log and "worker stopped" in log


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).json() == {"status": "ready"}
    except httpx.HTTPError:
        return False
