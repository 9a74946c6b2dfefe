"""The image's CMD and HEALTHCHECK work as written, outside Docker, as its unprivileged user.

``docker build`` cannot run here. This test reads the Dockerfile's last stage and runs its
``CMD`` exactly as written (argv unchanged) as the image's ``USER`` (uid 10001, through
``setpriv``), with the image's ``ENV`` and ``WORKDIR``, in a network namespace of its own
(so that port 8000 is the image's, free whatever else runs here), then runs the
``HEALTHCHECK`` command as written in the same namespace and as the same user until it
passes. Only the image's filesystem differs: ``/data`` (the volume) is a temporary
directory owned by that user, and ``firelane`` and ``python`` come from this checkout's
installation instead of the image's.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.processes import ROOT
from tests.support import need

pytestmark = pytest.mark.e2e


@dataclass
class Image:
    """What the Dockerfile's last stage says about running it."""

    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    user: str = "root"
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def read_image(path: Path) -> Image:
    instructions = _instructions(path.read_text())
    last = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    image = Image()
    for word, rest in instructions[last:]:
        if word == "ENV":
            image.env.update(pair.split("=", 1) for pair in shlex.split(rest))
        elif word == "WORKDIR":
            image.workdir = rest
        elif word == "USER":
            image.user = rest
        elif word == "CMD":
            image.cmd = json.loads(rest)
        elif word == "HEALTHCHECK":
            image.healthcheck = json.loads(rest[rest.index("CMD") + 3 :])
        elif word == "VOLUME":
            image.volumes = json.loads(rest)
    return image


def test_the_dockerfile_is_read_as_docker_reads_it() -> None:
    image = read_image(ROOT / "Dockerfile")
    assert image.user == "10001" and image.workdir == "/data" and image.volumes == ["/data"]
    assert image.cmd[:2] == ["firelane", "serve"] and image.healthcheck[0] == "python"
    assert image.env["FIRELANE_ENVIRONMENT"] == "production"


def _as_user(uid: str, command: list[str]) -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--", *command]


def test_cmd_and_healthcheck_work_as_written(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    for tool in ("unshare", "nsenter", "setpriv", "ip"):
        need(shutil.which(tool) is not None, f"the {tool} command")
    need(subprocess.run(["unshare", "--net", "true"], check=False).returncode == 0, "unshare")
    image = read_image(ROOT / "Dockerfile")
    # The volume, where the image's user can reach it (pytest's own tmp_path is root's).
    data = Path(tempfile.mkdtemp(prefix="firelane-docker-"))
    request.addfinalizer(lambda: shutil.rmtree(data, ignore_errors=True))
    uid = int(image.user)
    shutil.chown(data, uid, uid)
    data.chmod(0o700)
    env = {key: value.replace(image.workdir, str(data)) for key, value in image.env.items()} | {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(data),
        # As `docker run --env-file firelane.env` gives it (the README's Docker section).
        "FIRELANE_SECRET_KEY": "docker-test-secret-0123456789abcdef",
    }
    log = (tmp_path / "cmd.log").open("wb")
    script = (
        f"{shutil.which('ip')} link set lo up && exec {shlex.join(_as_user(image.user, image.cmd))}"
    )
    server = subprocess.Popen(
        ["unshare", "--net", "bash", "-c", script],
        cwd=data,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def healthcheck() -> int:
        inside = ["nsenter", f"--net=/proc/{server.pid}/ns/net"]
        return subprocess.run(
            [*inside, *_as_user(image.user, image.healthcheck)],
            cwd=data,
            env=env,
            capture_output=True,
            timeout=30,
            check=False,
        ).returncode

    try:
        first = healthcheck()  # before it listens: unhealthy
        deadline = time.monotonic() + 120
        while (status := healthcheck()) != 0 and time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "cmd.log").read_text()
            time.sleep(0.5)
        assert status == 0, (tmp_path / "cmd.log").read_text()
        assert first != 0
        database = data / "firelane.db"
        assert database.exists() and database.stat().st_uid == uid
        server.send_signal(signal.SIGTERM)  # docker stop
        assert server.wait(30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    said = (tmp_path / "cmd.log").read_text()
    assert "Firelane is serving http://0.0.0.0:8000" in said
    assert "Traceback" not in said
