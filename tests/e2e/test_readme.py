"""The README's first steps, run as written against a server started as ``make run`` starts it.

The shell blocks marked ``<!-- readme-test: NAME -->`` are read from README.md at test time
and run literally, in order, in one shell, from a directory laid out like a fresh clone
(``.venv`` is this test run's). The server is started with the commands that
``make -n run`` prints. Both run in a network namespace of their own, so the README's
``127.0.0.1:8000`` is free whatever else this machine serves.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.processes import ROOT, until
from tests.support import need

BLOCK = re.compile(r"<!-- readme-test: ([\w-]+) -->\n```sh\n(.*?)```", re.S)
OUTPUT = re.compile(r"<!-- readme-test: make-run-output -->\n```text\n(.*?)```", re.S)
TOOLS = ("make", "unshare", "nsenter", "ip", "curl", "python3")


def readme_blocks() -> dict[str, str]:
    """The README's tested shell blocks by name, in README order."""
    blocks = dict(BLOCK.findall((ROOT / "README.md").read_text()))
    assert blocks, "README.md has no readme-test blocks"
    return blocks


def readme_make_run_output() -> list[re.Pattern[str]]:
    """The README's sample of `make run`'s output, a pattern per line (… stands for a secret)."""
    found = OUTPUT.search((ROOT / "README.md").read_text())
    assert found, "README.md has no make-run-output block"
    return [
        re.compile(re.escape(line).replace("…", r"\S+") + "$")
        for line in found.group(1).splitlines()
    ]


def documents(text: str) -> list[Any]:
    """The JSON documents printed one after another (curl adds no newline)."""
    decoder = json.JSONDecoder()
    found, at = [], 0
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        document, at = decoder.raw_decode(text, at)
        found.append(document)
    return found


@dataclass
class Printed:
    out: str
    err: str

    @property
    def json(self) -> list[Any]:
        return documents(self.out)


class Clone:
    """A directory laid out like a fresh clone after ``make run`` installed ``.venv``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir()
        (path / ".venv").symlink_to(sys.prefix, target_is_directory=True)
        venv_bin = str(Path(sys.prefix) / "bin")
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("FIRELANE_", "VIRTUAL_ENV", "PYTHON"))
            and key not in ("HOST", "PORT")  # make run's own knobs
        }
        # `firelane` is not on the PATH of someone who just ran `make run`.
        self.env["PATH"] = ":".join(
            part for part in self.env.get("PATH", "/usr/bin:/bin").split(":") if part != venv_bin
        )
        self.env["HOME"] = str(path)
        self.server: subprocess.Popen[bytes] | None = None

    def make_run_commands(self) -> str:
        """What `make run` runs, as make prints it (APP= : this .venv is installed)."""
        printed = subprocess.run(
            ["make", "--no-print-directory", "-n", "-f", str(ROOT / "Makefile"), "run", "APP="],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return printed.stdout

    def start(self) -> Path:
        """Start the server as `make run` does, alone in a new network namespace."""
        script = self.path / "make-run.sh"
        script.write_text(f"{shutil.which('ip')} link set lo up\n{self.make_run_commands()}")
        log = self.path / "make-run.log"
        with log.open("wb") as out:
            self.server = subprocess.Popen(
                ["unshare", "--net", "bash", "-e", str(script)],
                cwd=self.path,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return log

    def run_blocks(self, blocks: dict[str, str]) -> dict[str, Printed]:
        """Run the blocks in one shell in the server's namespace; what each one printed."""
        assert self.server is not None
        printed = self.path / "printed"
        printed.mkdir()
        lines = ["set -euo pipefail"]
        for name, text in blocks.items():
            lines.append(f'{{\n{text}}} >"{printed}/{name}.out" 2>"{printed}/{name}.err"')
        script = self.path / "readme.sh"
        script.write_text("\n".join(lines) + "\n")
        done = subprocess.run(
            ["nsenter", f"--net=/proc/{self.server.pid}/ns/net", "bash", str(script)],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        result = {
            name: Printed(
                (printed / f"{name}.out").read_text(), (printed / f"{name}.err").read_text()
            )
            for name in blocks
            if (printed / f"{name}.out").exists()
        }
        if done.returncode != 0:
            last = list(result)[-1] if result else "(none)"
            pytest.fail(
                f"README block {last!r} failed ({done.returncode}): "
                f"{result[last].err if result else done.stderr}"
            )
        return result

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGINT)  # Ctrl+C
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()


@pytest.fixture
def clone(tmp_path: Path) -> Iterator[Clone]:
    for tool in TOOLS:
        need(shutil.which(tool) is not None, f"the {tool} command")
    isolated = subprocess.run(["unshare", "--net", "true"], capture_output=True, check=False)
    need(isolated.returncode == 0, "a network namespace of its own (unshare --net, as root)")
    made = Clone(tmp_path / "firelane")
    yield made
    made.stop()


def _install_note() -> str:
    """What `make run` says before it installs (make -n prints it without installing)."""
    printed = subprocess.run(
        ["make", "--no-print-directory", "-n", "-W", "pyproject.toml", ".venv/.installed-app"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    (note,) = [line for line in printed.splitlines() if line.startswith("echo ")]
    return note.removeprefix("echo ").strip('"')


def _serving(log: Path, clone: Clone) -> list[str]:
    def started() -> list[str] | None:
        assert clone.server is not None
        text = log.read_text()
        if clone.server.poll() is not None:
            pytest.fail(f"`make run` stopped ({clone.server.returncode}):\n{text}")
        lines = text.splitlines()
        return lines if any(line.startswith("Firelane is serving") for line in lines) else None

    found: list[str] = until("`make run` to serve", started)
    return found


@pytest.mark.e2e
def test_readme_first_steps_work_as_written(clone: Clone) -> None:
    blocks = readme_blocks()
    log = clone.start()
    output = _serving(log, clone)

    # What `make run` printed is what the README shows (less its first line, the install).
    installing, *expected = readme_make_run_output()
    assert installing.match(_install_note())
    assert len(output) == len(expected), "\n".join(output)
    for line, pattern in zip(output, expected, strict=True):
        assert pattern.match(line), f"README shows {pattern.pattern!r}, make run printed {line!r}"
    # Short, with the credentials and the URL last.
    assert len(output) <= 8
    assert output[-1].startswith("Firelane is serving http://127.0.0.1:8000 ")
    credentials = "\n".join(output[-5:-1])
    assert re.search(r"created user 'admin' with password '\S+'", credentials)
    assert re.search(r"Authorization: Bearer fli_\S+", credentials)
    assert not re.search(r"alembic|apscheduler|Traceback|Uvicorn", log.read_text())

    # After the README's blocks, in the same shell: what the test reads besides.
    columns = (
        'curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/api/v1/boards/1/columns\n'
    )
    printed = clone.run_blocks({**blocks, "columns": columns})

    # The user is created and its token works.
    assert "created admin 'alice'" in printed["token"].err
    (boards,) = printed["token"].json
    (ops,) = [board for board in boards["items"] if board["slug"] == "ops"]

    # The pasted alert makes a fire card on the demo board; its resolve resolves it.
    (accepted,) = printed["fire"].json
    assert accepted["accepted"] == 1 and len(accepted["cards"]) == 1
    (card_id,) = accepted["cards"]
    (listed,) = printed["card"].json
    (card,) = listed["items"]
    assert (card["id"], card["kind"], card["board_id"]) == (card_id, "fire", ops["id"])
    assert card["alert"]["status"] == "firing" and card["priority"] == "urgent"
    resolved, after = printed["resolve"].json
    assert resolved["cards"] == [card_id]
    (card,) = after["items"]
    assert card["id"] == card_id and card["alert"]["status"] == "resolved"

    # A chore: the schedule is made, and running it now puts its card on the board.
    schedule, occurrence = printed["chore"].json
    assert schedule["id"] == 3 and schedule["board_id"] == ops["id"]
    assert schedule["next_occurrence_at"]
    assert occurrence["status"] == "created" and occurrence["card_id"]

    # Nothing came between the line that says where Firelane serves and the first request.
    after = log.read_text().splitlines()[len(output)]
    assert " firelane.access: 127.0.0.1 " in after and '"GET /api/v1/boards" 200' in after

    # The browser login takes {"name", "password"}.
    (session,) = printed["login"].json
    assert session["user"]["name"] == "alice" and session["csrf_token"]

    # The reference examples hold for the demo board.
    (integration,) = printed["integration"].json
    assert integration["token"] and integration["ingest_url"].startswith("http://127.0.0.1:8000/")
    (patch,) = printed["patch-tuesday"].json
    assert patch["name"] == "Patch Tuesday" and patch["next_occurrence_at"]
    (columns,) = printed["columns"].json
    names = {column["id"]: column["name"] for column in columns["items"]}
    assert names[integration["resolve_column_id"]] == "Done"
    assert names[patch["column_id"]] == "Triage"
    assert names[card["column_id"]] == "Triage"
