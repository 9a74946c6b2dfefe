"""Schemathesis over a real ``firelane serve``: every operation, every check, two roles.

Used by tests/e2e/test_fuzz.py (bounded, in CI) and bench/fuzz.py (longer runs). The
server runs without its scheduler, so no delivery loop sends the webhooks that fuzzing
saves (the URLs it makes up are not ours to call), and with private targets refused, as
in production. Checks' expectations are in schemathesis.toml at the repository's root.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.e2e.processes import ROOT, Firelane

# Left out of both runs: a board's event stream answers for as long as the client
# listens (no case would end), and revoking a token (any role may revoke its own, and
# the rest of the run would be 401s). The admin run also leaves out changing users
# (it could disable its own once fuzzing made another admin).
EXCLUDED = ("stream_board", "revoke_token")
ADMIN_EXCLUDED = ("update_user",)


@dataclass
class FuzzResult:
    role: str
    cases: int
    failures: int
    server_errors: int
    # The server did not answer, or its OpenAPI could not be read.
    errors: int
    # Schemathesis's own (e.g. a CPython "AST constructor recursion depth mismatch" while
    # it compiles a strategy, or Hypothesis's "inconsistent results"): about the fuzzer,
    # not the server; shown, not counted as a finding.
    fuzzer_errors: int
    returncode: int
    output: str

    @property
    def clean(self) -> bool:
        """No failure and no error of the server's (the fuzzer's own aside)."""
        unexplained = self.returncode != 0 and not self.fuzzer_errors
        return not (self.failures or self.errors or unexplained)

    def line(self) -> str:
        return (
            f"{self.role}: {self.cases} cases, {self.failures} failures "
            f"({self.server_errors} server errors), {self.errors} errors"
            + (f", {self.fuzzer_errors} errors of schemathesis's own" if self.fuzzer_errors else "")
        )


def start(firelane: Firelane) -> dict[str, str]:
    """Serve, make an admin and a viewer, seed a few rows; answer each role's token."""
    firelane.run("db", "upgrade")
    firelane.serve("--no-scheduler", "--no-access-log")
    firelane.run("user", "create", "fuzz-admin", "--role", "admin")
    firelane.run("user", "create", "fuzz-viewer", "--role", "viewer")
    tokens = {
        "admin": firelane.run("token", "create", "fuzz-admin"),
        "viewer": firelane.run("token", "create", "fuzz-viewer"),
    }
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    with httpx.Client(base_url=firelane.url, headers=headers, timeout=30) as client:
        board = client.post("/api/v1/boards", json={"name": "Fuzz", "slug": "fuzz"}).json()
        for title in ("one", "two"):
            client.post(f"/api/v1/boards/{board['id']}/cards", json={"title": title})
        integration = {"name": "am", "kind": "alertmanager", "board_id": board["id"]}
        client.post("/api/v1/integrations", json=integration)
    return tokens


def _count(pattern: str, text: str) -> int:
    return sum(int(found) for found in re.findall(pattern, text))


def run(
    url: str,
    role: str,
    token: str,
    *,
    max_examples: int,
    seed: int | None,
    workers: int = 2,
    report: Path | None = None,
) -> FuzzResult:
    """Run ``st run`` over the server's OpenAPI with ``token``; parse its summary."""
    command = [
        str(Path(ROOT / ".venv" / "bin" / "st")),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(max_examples),
        "--workers",
        str(workers),
        "--generation-database",
        "none",
        "--no-color",
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    for operation in (*EXCLUDED, *(ADMIN_EXCLUDED if role == "admin" else ())):
        command += ["--exclude-operation-id", operation]
    if report is not None:
        command += ["--report", "junit", "--report-junit-path", str(report)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    summary = output.rsplit("SUMMARY", 1)[-1]
    failures = re.search(r"found (\d+) unique failures?", summary)
    return FuzzResult(
        role=role,
        cases=_count(r"(\d+) generated", summary),
        failures=int(failures.group(1)) if failures else 0,
        server_errors=_count(r"Server error: (\d+)", summary),
        errors=_count(r"(?:Network|Schema) Error: (\d+)", summary),
        fuzzer_errors=_count(r"Runtime Error: (\d+)", summary),
        returncode=done.returncode,
        output=output,
    )
