"""The page shell and its headers: a CSP with no inline script but the import map's hash."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi.testclient import TestClient


def test_the_login_page_allows_only_its_import_map(anon: TestClient) -> None:
    page = anon.get("/login")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    (import_map,) = re.findall(r'<script type="importmap">(.*?)</script>', page.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(import_map.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}'" in policy
    assert "unsafe-inline" not in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    # No other inline script: every other <script> loads a file of this site.
    scripts = re.findall(r"<script([^>]*)>", page.text)
    assert [s for s in scripts if "importmap" not in s and 'src="/static/' not in s] == []
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"


def test_json_answers_may_load_nothing(admin: TestClient) -> None:
    answer = admin.get("/api/v1/boards")
    assert answer.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_static_modules_are_served_as_javascript(anon: TestClient) -> None:
    module = anon.get("/static/app/main.js")
    assert module.status_code == 200
    assert module.headers["content-type"].startswith("text/javascript")
