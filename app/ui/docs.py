"""The API's interactive docs, ``/docs`` (Swagger UI) and ``/redoc``, from vendored files.

FastAPI's own pages load their scripts and styles from a CDN, which leaves them blank
without internet. These load them from ``/static/vendor`` (pinned in vendor.json) and
carry the Content-Security-Policy they need: scripts only from this server, plus Swagger
UI's one inline start-up script by its hash; both draw with inline styles; ReDoc searches
in a worker it makes from a blob.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html

SWAGGER_UI = "/static/vendor/swagger-ui"
REDOC = "/static/vendor/redoc/redoc.standalone.js"
FAVICON = "/static/favicon.svg"

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def content_security_policy(html: str) -> str:
    """The policy a docs page needs: its inline scripts are allowed by their hashes only."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self'{hashes}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def docs_router(*, title: str, openapi_url: str) -> APIRouter:
    """Routes for /docs and /redoc; both pages and their policies are made once."""
    swagger = bytes(
        get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} API",
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=FAVICON,
        ).body
    )
    redoc = bytes(
        get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} API",
            redoc_js_url=REDOC,
            redoc_favicon_url=FAVICON,
            with_google_fonts=False,
        ).body
    )
    pages = {"/docs": swagger, "/redoc": redoc}
    policies = {path: content_security_policy(html.decode()) for path, html in pages.items()}
    router = APIRouter(include_in_schema=False)

    def page(path: str) -> Response:
        headers = {"Content-Security-Policy": policies[path]}
        return Response(pages[path], media_type="text/html", headers=headers)

    @router.get("/docs")
    def swagger_ui() -> Response:
        return page("/docs")

    @router.get("/redoc")
    def redoc_ui() -> Response:
        return page("/redoc")

    return router
