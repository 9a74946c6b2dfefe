"""Receivers can verify our signature with the algorithm the README documents."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

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


def _standard_headers(received: Any) -> dict[str, str]:
    names = ("webhook-id", "webhook-timestamp", "webhook-signature")
    return {name: received.headers[name] for name in names}


def test_standard_webhooks_library_verifies_a_delivery(
    admin: TestClient, board: dict[str, Any], loop: DeliveryLoop, receiver: Receiver
) -> None:
    hook = subscribe(admin, receiver.url, ["card.created"])
    secret = hook["secret"]  # generated: the Standard Webhooks format, whsec_ + base64
    new_card(admin, board, "Disk full on web-3")
    assert loop.run_once() == 1
    (received,) = receiver.requests
    headers = _standard_headers(received)
    assert headers["webhook-id"] == received.headers["x-firelane-delivery"]
    assert headers["webhook-timestamp"] == received.headers["x-firelane-timestamp"]
    # The library, given the secret as Firelane showed it, accepts the delivery as sent.
    payload = Webhook(secret).verify(received.body, headers)
    assert payload["event"] == "card.created"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(received.body.replace(b"Disk", b"Dusk"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(received.body, headers)
    # The algorithm, written out here independently of the app's code.
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received.body
    digest = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{digest}"


@pytest.mark.parametrize(
    "secret", ["s3cret-s3cret-s3cret", "whsec_" + "Ab-_" * 10 + "xyz"], ids=["chosen", "older"]
)
def test_other_secrets_sign_with_their_utf8_bytes(
    admin: TestClient, board: dict[str, Any], loop: DeliveryLoop, receiver: Receiver, secret: str
) -> None:
    # A secret someone chose, or one generated before secrets took the standard's format
    # (whsec_ + URL-safe base64, no padding): the key is its UTF-8 bytes, as for
    # X-Firelane-Signature; libraries take it as whsec_ + base64 of those bytes (docs).
    subscribe(admin, receiver.url, ["card.created"], secret=secret)
    new_card(admin, board, "Disk full on web-3")
    assert loop.run_once() == 1
    (received,) = receiver.requests
    headers = _standard_headers(received)
    as_standard = "whsec_" + base64.b64encode(secret.encode()).decode()
    assert Webhook(as_standard).verify(received.body, headers)["event"] == "card.created"
    assert Webhook(secret.encode()).verify(received.body, headers)["event"] == "card.created"
    assert signing.standard_key(secret) == secret.encode()
