"""/docs and /redoc load only this server's vendored files, under a policy of their own.

tests/e2e/test_browser_docs.py draws both pages in Chromium with every other host cut off.
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("page", "files"),
    [
        (
            "/docs",
            [
                "/static/vendor/swagger-ui/swagger-ui-bundle.js",
                "/static/vendor/swagger-ui/swagger-ui.css",
            ],
        ),
        ("/redoc", ["/static/vendor/redoc/redoc.standalone.js"]),
    ],
)
def test_docs_pages_load_vendored_files_only(anon: TestClient, page: str, files: list[str]) -> None:
    answer = anon.get(page)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    loaded = re.findall(r'(?:src|href)="([^"]+)"', answer.text)
    assert sorted(loaded) == sorted([*files, "/static/favicon.svg"])
    for path in loaded:
        asset = anon.get(path)
        assert asset.status_code == 200 and len(asset.content) > 100, path
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    # Swagger UI's inline start-up script is allowed by its hash, and nothing else inline.
    hashes = re.findall(r"'sha256-([^']+)'", policy)
    inline = re.findall(r"<script>(.*?)</script>", answer.text, re.DOTALL)
    assert hashes == [
        base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() for script in inline
    ]
    assert len(inline) == (1 if page == "/docs" else 0)
