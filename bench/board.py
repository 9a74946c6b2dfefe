"""Board benchmark: 5,000 open cards on SQLite, through the real HTTP server.

Prints p50/p95 of: the board's first page (GET /boards/{id}, 20 cards per column), one column
page (GET /cards?column_id=&cursor=), and one move (POST /cards/{id}/move with after/before).
Goal on a 2-core machine: first page p95 <= 50 ms, move p95 <= 20 ms.

    .venv/bin/python bench/board.py [--cards 5000] [--requests 300]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.auth import service as auth_service
from app.auth.models import Role
from app.auth.schemas import UserCreate
from app.boards import cards, service
from app.boards.models import CardKind
from app.boards.schemas import BoardCreate, ColumnCreate
from app.core.db import Database, pk
from app.core.migrate import upgrade
from bench.common import describe, serve

COLUMNS = ("Triage", "In progress", "Blocked", "Review", "Done")


def seed(url: str, count: int) -> tuple[str, int]:
    upgrade(url)
    db = Database.from_url(url)
    with db.session() as session:
        user = auth_service.create_user(session, data=UserCreate(name="bench", role=Role.admin))
        _, token = auth_service.create_token(session, user=user, label="bench")
        board = service.create_board(
            session,
            data=BoardCreate(
                name="Bench", slug="bench", columns=[ColumnCreate(name=n) for n in COLUMNS]
            ),
        )
        column_ids = [pk(c) for c in service.list_columns(session, board_id=pk(board))]
        kinds = list(CardKind)
        started = time.perf_counter()
        for index in range(count):
            cards.new_card(
                session,
                board=board,
                actor=user,
                title=f"[FIRING] Alert {index} on host-{index % 97}",
                column_id=column_ids[index % (len(column_ids) - 1)],  # all open
                kind=kinds[index % len(kinds)],
                labels=["bench", f"team-{index % 7}"],
            )
            if index % 500 == 499:
                session.commit()
                print(f"  seeded {index + 1}/{count} cards", file=sys.stderr)
        session.commit()
        print(f"  seeding took {time.perf_counter() - started:.1f} s", file=sys.stderr)
        board_id = pk(board)
    db.dispose()
    return token, board_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    random.seed(7)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        token, board_id = seed(url, args.cards)
        env = {"FIRELANE_DATABASE_URL": url, "FIRELANE_SECRET_KEY": "bench-secret-key-0123456789"}
        with serve(env) as base:
            client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
            columns = client.get(f"/api/v1/boards/{board_id}/columns").json()["items"]
            column_ids = [c["id"] for c in columns][:-1]
            for _ in range(20):  # warm up
                client.get(f"/api/v1/boards/{board_id}")

            board_ms: list[float] = []
            for _ in range(args.requests):
                started = time.perf_counter()
                response = client.get(f"/api/v1/boards/{board_id}")
                board_ms.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            detail = response.json()
            assert sum(c["card_count"] for c in detail["columns"]) == args.cards

            page_ms: list[float] = []
            cursors = {c["id"]: c["next_cursor"] for c in detail["columns"]}
            for index in range(args.requests):
                column_id = column_ids[index % len(column_ids)]
                params = {"column_id": column_id, "limit": 50}
                if cursors.get(column_id):
                    params["cursor"] = cursors[column_id]
                started = time.perf_counter()
                response = client.get("/api/v1/cards", params=params)
                page_ms.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
                cursors[column_id] = response.json()["next_cursor"]

            move_ms: list[float] = []
            for index in range(args.requests):
                column_id = column_ids[index % len(column_ids)]
                page = client.get("/api/v1/cards", params={"column_id": column_id, "limit": 50})
                items = page.json()["items"]
                card, anchor = random.sample(items, 2)
                target = column_ids[(index + 1) % len(column_ids)]
                target_items = client.get(
                    "/api/v1/cards", params={"column_id": target, "limit": 20}
                ).json()["items"]
                anchor = random.choice(target_items)
                intent = random.choice(["after_card_id", "before_card_id"])
                body = {"version": card["version"], "column_id": target, intent: anchor["id"]}
                started = time.perf_counter()
                response = client.post(f"/api/v1/cards/{card['id']}/move", json=body)
                move_ms.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text

    print(f"board with {args.cards} open cards on SQLite, {args.requests} requests each:")
    print(describe("board first page", board_ms))
    print(describe("one column page (50 cards)", page_ms))
    print(describe("one move", move_ms))


if __name__ == "__main__":
    main()
