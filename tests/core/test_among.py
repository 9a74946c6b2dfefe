"""``among``: ``column IN ids`` with the ids as one parameter, on both backends, for no id,
one id and many (the statement's text the same for all)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col

from app.auth.models import User
from app.auth.schemas import UserCreate
from app.auth.service import create_user
from app.core.db import Database, among, pk


def test_among_finds_exactly_the_ids_given(db: Database) -> None:
    with db.session() as session:
        ids = [pk(create_user(session, data=UserCreate(name=f"u{n}"))) for n in range(5)]
    texts: set[str] = set()
    with db.session(readonly=True) as session:
        for wanted in ([], [ids[2]], ids[1:4], [*ids, 10**6]):
            query = sa.select(col(User.id)).where(among(session, col(User.id), wanted))
            texts.add(str(query.compile(session.get_bind())))
            found = session.connection().execute(query).scalars().all()
            assert sorted(found) == sorted(set(wanted) & set(ids))
    assert len(texts) == 1
