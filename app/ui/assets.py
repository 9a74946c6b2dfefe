"""Find ``frontend/`` and build the HTML shell every page is answered with.

The shell holds no script of ours inline: only the import map (allowed by its hash in the
Content-Security-Policy) and a module script loaded from /static.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import app as package

_IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.DOTALL)


def frontend_dir() -> Path:
    """``frontend/`` beside the package in a checkout, ``app/_frontend`` in a wheel."""
    package_dir = Path(package.__file__).resolve().parent
    for candidate in (package_dir.parent / "frontend", package_dir / "_frontend"):
        if (candidate / "index.html").is_file():
            return candidate
    raise FileNotFoundError("the frontend folder is missing from this installation")


@dataclass(frozen=True)
class Shell:
    """The page shell and the Content-Security-Policy it needs."""

    text: str
    csp: str

    def render(self, *, board_id: int | None = None) -> bytes:
        meta = "" if board_id is None else f'<meta name="firelane-board" content="{int(board_id)}">'
        return self.text.replace("<!--page-meta-->", meta).encode()


def content_security_policy(import_map: str) -> str:
    digest = base64.b64encode(hashlib.sha256(import_map.encode()).digest()).decode()
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self' 'sha256-{digest}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "font-src 'self'",
            "manifest-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


@lru_cache
def shell() -> Shell:
    text = (frontend_dir() / "index.html").read_text(encoding="utf-8")
    found = _IMPORT_MAP.search(text)
    if found is None:
        raise ValueError("frontend/index.html has no import map")
    return Shell(text, content_security_policy(found.group(1)))
