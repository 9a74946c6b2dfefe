"""The wheel carries the browser UI: built as the Dockerfile builds it (``pip wheel .``), it
holds ``frontend/`` as ``app/_frontend`` with every vendored file, and Firelane run from
the wheel's files alone (no checkout beside them) serves the pages and their modules."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import ROOT, free_port, until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # The build backend comes from the dev tools (pyproject's dev extra): no download.
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    build = ["wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(out), str(ROOT)]
    subprocess.run([*pip, *build], check=True, timeout=300)
    (built,) = out.glob("firelane-*.whl")
    return built


def test_the_wheel_holds_the_frontend_and_its_vendored_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        "app/_frontend/" + str(path.relative_to(ROOT / "frontend"))
        for path in (ROOT / "frontend").rglob("*")
        if path.is_file()
    }
    assert "app/_frontend/index.html" in shipped
    assert shipped <= names, sorted(shipped - names)
    manifest = json.loads((ROOT / "vendor.json").read_text())
    for package in manifest["packages"]:
        for entry in package["files"]:
            assert "app/_frontend/" + entry["to"].removeprefix("frontend/") in names
    assert "app/_migrations/env.py" in names


def test_firelane_from_the_wheel_serves_the_ui(wheel: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    assert not (unpacked / "frontend").exists()  # only app/_frontend can answer
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "FIRELANE_DATABASE_URL": f"sqlite:///{tmp_path / 'firelane.db'}",
        "FIRELANE_SECRET_KEY": "e2e-secret-key-0123456789abcdef",
        "FIRELANE_SCHEDULER": "off",
    }
    log = (tmp_path / "serve.log").open("wb")
    # python -m puts the working directory first on sys.path: the wheel's app is imported.
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(command, cwd=unpacked, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        until("firelane serve from the wheel to answer", up)
        where = subprocess.run(
            [sys.executable, "-c", "import app.ui.assets as a; print(a.frontend_dir())"],
            cwd=unpacked,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert Path(where.stdout.strip()) == unpacked / "app" / "_frontend"
        login = httpx.get(f"{url}/login")
        assert login.status_code == 200
        assert '<script type="module" src="/static/app/main.js">' in login.text
        assert "script-src 'self' 'sha256-" in login.headers["content-security-policy"]
        board = httpx.get(f"{url}/boards/ops")
        assert board.status_code == 303
        assert board.headers["location"] == "/login?next=/boards/ops"
        for path in ("app/main.js", "styles/app.css", "vendor/preact/preact.module.js"):
            served = httpx.get(f"{url}/static/{path}")
            assert served.status_code == 200, path
            assert served.content == (ROOT / "frontend" / path).read_bytes()
    finally:
        process.terminate()
        process.wait(20)
        log.close()
