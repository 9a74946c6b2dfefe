"""Receivers can verify our signature with the algorithm the README documents."""

from __future__ import annotations

import hashlib
import hmac
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.hooks import signing
from app.hooks.loop import DeliveryLoop
from tests.hooks.conftest import new_card, subscribe
from tests.hooks.receiver import Receiver
from tests.support import need

README = Path(__file__).parents[2] / "README.md"


def _readme_block(marker: str, language: str) -> str:
    text = README.read_text()
    match = re.search(rf"<!-- {marker}[^>]*-->\s*```{language}\n(.*?)```", text, re.S)
    assert match, f"README has no {marker} block"
    return match.group(1)


def _readme_verify() -> Any:
    namespace: dict[str, Any] = {}
    exec(_readme_block("verify-signature-python", "python"), namespace)  # noqa: S102 - our README
    return namespace["verify"]


def _headers(received: Any) -> dict[str, str]:
    names = ("X-Firelane-Timestamp", "X-Firelane-Signature", "X-Firelane-Event")
    return {name: received.headers[name.lower()] for name in names}


def test_signature_verifies_with_the_documented_algorithm(
    admin: TestClient, board: dict[str, Any], loop: DeliveryLoop, receiver: Receiver
) -> None:
    hook = subscribe(admin, receiver.url, ["card.created"])
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    new_card(admin, board, "Disk full on web-3")
    assert loop.run_once() == 1
    (received,) = receiver.requests
    headers = _headers(received)
    # The algorithm, written out here independently of the app's code.
    signed = headers["X-Firelane-Timestamp"].encode() + b"." + received.body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert headers["X-Firelane-Signature"] == f"v1={digest}"
    # The README's receiver code accepts it, and refuses a changed body or another secret.
    verify = _readme_verify()
    assert verify(secret, headers, received.body)
    assert not verify(secret, headers, received.body.replace(b"Disk", b"Dusk"))
    assert not verify("whsec_another-secret-entirely", headers, received.body)
    stale = {**headers, "X-Firelane-Timestamp": str(int(headers["X-Firelane-Timestamp"]) - 3600)}
    assert not verify(secret, stale, received.body)


def test_readme_shell_example_matches(
    admin: TestClient,
    board: dict[str, Any],
    loop: DeliveryLoop,
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    need(shutil.which("openssl") is not None, "the openssl binary")
    hook = subscribe(admin, receiver.url, ["*"])
    new_card(admin, board, "Ünïcode title ✓")
    loop.run_once()
    received = receiver.requests[0]
    (tmp_path / "body.json").write_bytes(received.body)
    script = _readme_block("verify-signature-shell", "sh")
    result = subprocess.run(
        ["sh", "-c", script],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "TIMESTAMP": received.headers["x-firelane-timestamp"],
            "SECRET": hook["secret"],
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert "v1=" + result.stdout.strip() == received.headers["x-firelane-signature"]


def test_verify_helper_refuses_old_and_forged_signatures() -> None:
    body = b'{"event":"card.created"}'
    header = signing.signature("s3cret-s3cret-s3cret", 1_000_000, body)
    ok = {"timestamp": "1000000", "body": body, "header": header}
    assert signing.verify("s3cret-s3cret-s3cret", now=1_000_100, **ok)  # type: ignore[arg-type]
    assert not signing.verify("s3cret-s3cret-s3cret", now=1_000_400, **ok)  # type: ignore[arg-type]
    assert not signing.verify("other-other-other", now=1_000_100, **ok)  # type: ignore[arg-type]
    assert not signing.verify(
        "s3cret-s3cret-s3cret", timestamp="x", body=body, header=header, now=1_000_000
    )
