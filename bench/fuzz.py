"""A longer schemathesis run than CI's: every operation, every check, admin and viewer.

    .venv/bin/python bench/fuzz.py                       # SQLite, 100 cases per operation
    .venv/bin/python bench/fuzz.py --max-examples 300 --database-url \\
        postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Serves a fresh database (a new PostgreSQL database is made and dropped when the URL
names a server) the way tests/e2e/test_fuzz.py does, with a random seed unless given
one, and prints the cases run and the failures found per role. Exits non-zero if any.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e import fuzzing  # noqa: E402 - after the path it needs
from tests.e2e.processes import Firelane  # noqa: E402
from tests.support import postgres_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL")
    args = parser.parse_args()
    failed = False
    with ExitStack() as stack:
        where = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="firelane-fuzz-")))
        env = {"FIRELANE_HOOKS_ALLOW_PRIVATE": "false", "FIRELANE_SCHEDULER": "false"}
        if args.database_url:
            env["FIRELANE_DATABASE_URL"] = stack.enter_context(
                postgres_database(args.database_url, "firelane_fuzz")
            )
        firelane = Firelane(where, **env)
        stack.callback(firelane.stop_all)
        tokens = fuzzing.start(firelane)
        for role in ("admin", "viewer"):
            result = fuzzing.run(
                firelane.url,
                role,
                tokens[role],
                max_examples=args.max_examples,
                seed=args.seed,
                workers=args.workers,
            )
            print(result.line(), flush=True)
            if not result.clean:
                failed = True
                print(result.output[-30000:])
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
