"""The SQL report against the plain reading of its definitions (tests/reports/reference.py),
on random histories built through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from app.auth.models import Role
from app.core.clock import ManualClock
from app.core.db import Database
from app.reports.window import Week
from tests.conftest import MakeClient, _wipe
from tests.reports import reference
from tests.reports.conftest import (
    ZONE,
    History,
)

BEGIN = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
SPAN_MINUTES = 13 * 7 * 1440  # to 2026-04-06: weeks W02-W14, W13 with the clocks changing
NAMES = ("DiskFull", "HighCPU", "Backup")
KINDS = ("fire", "maintenance", "change", "project", "automation")


# Most moments fall in the weeks reported on (W09 and W13) and just before them.
moment = st.one_of(
    st.integers(0, SPAN_MINUTES - 1),
    st.integers(7 * 7 * 1440, 8 * 7 * 1440),
    st.integers(10 * 7 * 1440, 12 * 7 * 1440),
)
person = st.sampled_from(("ann", "bob"))
pick = st.integers(0, 50)
signal = st.tuples(
    st.just("signal"),
    st.integers(0, 1),
    st.sampled_from(NAMES),
    st.sampled_from(("x", "y")),
    st.sampled_from(("firing", "firing", "resolved", "acknowledged")),
)
operation = st.one_of(
    signal,
    signal,
    signal,
    st.tuples(st.just("comment"), person, pick),
    st.tuples(st.just("log"), person, pick, st.integers(-30, 120)),
    st.tuples(st.just("move"), person, pick, st.sampled_from(("Triage", "Doing", "Done"))),
    st.tuples(st.just("archive"), person, pick, st.booleans()),
    st.tuples(st.just("kind"), person, pick, st.sampled_from(KINDS)),
    st.tuples(st.just("run"), st.integers(0, 1)),
    st.tuples(
        st.sampled_from(("automate", "ship")),
        person,
        st.lists(st.integers(0, 7), min_size=1, max_size=3),
        st.one_of(st.none(), st.integers(0, 6000)),
    ),
)
# Several operations may share a minute, and sittings need actions minutes apart.
step = st.tuples(moment, st.integers(0, 25), st.lists(operation, min_size=1, max_size=3))


def _keys(history: History, schedules: list[int]) -> list[str]:
    alerts = [
        f"alert:{history.integrations[name]['id']}:{alert}"
        for name in ("pager", "grafana")
        for alert in NAMES
    ]
    return alerts + [f"schedule:{each}" for each in schedules]


def _apply(
    history: History, board: dict[str, Any], schedules: list[int], op: tuple[Any, ...]
) -> None:
    cards = sorted(set(history.cards.values()) | set(history.made))
    kind = op[0]
    if kind == "signal":
        _, integration, name, instance, status = op
        history.signal(("pager", "grafana")[integration], name, status, instance=instance)
        return
    if kind == "run":
        card_id = history.run(schedules[op[1]])
        if card_id is not None:
            history.made.append(card_id)
        return
    if kind in ("automate", "ship"):
        _, who, picks, estimate = op
        keys = _keys(history, schedules)
        automates = sorted({keys[i % len(keys)] for i in picks})
        made = history.new_card(
            who,
            board,
            "Automate",
            kind="automation",
            automates=automates,
            estimate_minutes=estimate,
        )
        history.made.append(made)
        if kind == "ship":  # built and done at once
            history.move(who, made, "Done")
        return
    if not cards:
        return
    card = history.card(cards[op[2] % len(cards)])
    who = op[1]
    if kind == "comment":
        history.comment(who, card["id"])
    elif kind == "log":
        minutes = max(0, card["time_spent_minutes"] + op[3])
        if card["status"] != "archived":
            history.patch(who, card["id"], time_spent_minutes=minutes)
    elif kind == "move" and card["status"] != "archived":
        history.move(who, card["id"], op[3])
    elif kind == "archive":
        history.patch(who, card["id"], archived=op[3])
    elif kind == "kind" and not (card["automates"] and op[3] != "automation"):
        history.patch(who, card["id"], kind=op[3])


def _close(got: Any, want: Any, digits: int) -> bool:
    if want is None or got is None:
        return got is want
    return abs(got - want) <= 0.5 * 10**-digits + 1e-9


DIGITS = {
    "hours_90d": 2,
    "hours_per_year": 2,
    "break_even_hours": 2,
    "interruptions_per_year": 1,
    "payback_weeks": 1,
    "rate_before_per_week": 1,
    "rate_after_per_week": 1,
    "hours_per_year_before": 2,
    "hours_per_year_after": 2,
    "retired_hours_per_year": 2,
}


def _compare(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got["fires"] == want["fires"]
    assert got["hours"]["basis"] == want["hours"]["basis"]
    assert _close(got["hours"]["total"], want["hours"]["total"], 2)
    for kind in KINDS:
        assert _close(got["hours"]["by_kind"][kind], want["hours"]["by_kind"][kind], 2), kind
    assert _close(got["unplanned_ratio"], want["unplanned_ratio"], 3)
    assert _close(got["toil_ratio"], want["toil_ratio"], 3)
    assert [c["key"] for c in got["candidates"]] == [c["key"] for c in want["candidates"]]
    for mine, theirs in zip(got["candidates"], want["candidates"], strict=True):
        for name, value in theirs.items():
            if name in DIGITS:
                assert _close(mine[name], value, DIGITS[name]), (name, mine, theirs)
            else:
                assert mine[name] == value, (name, mine, theirs)
    debt = got["automation_debt"]
    assert _close(debt["hours_per_year"], want["automation_debt"]["hours_per_year"], 2)
    assert _close(debt["fte"], want["automation_debt"]["fte"], 3)
    assert len(got["ledger"]) == len(want["ledger"])
    for mine, theirs in zip(got["ledger"], want["ledger"], strict=True):
        for name, value in theirs.items():
            if name == "done_at":
                assert datetime.fromisoformat(mine[name]) == value
            elif name in DIGITS:
                assert _close(mine[name], value, DIGITS[name]), (name, mine, theirs)
            else:
                assert mine[name] == value, (name, mine, theirs)


@hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=8, max_size=40))
def test_sql_report_matches_the_definitions(
    steps: list[tuple[int, int, list[tuple[Any, ...]]]],
    db: Database,
    client_for: MakeClient,
    manual_clock: ManualClock,
) -> None:
    _wipe(db)
    manual_clock.set(BEGIN)
    admin = client_for(Role.admin, "root")
    history = History(
        admin,
        {"ann": client_for(Role.member, "ann"), "bob": client_for(Role.member, "bob")},
        manual_clock,
    )
    board = history.board("ops")
    other = history.board("dev")
    history.integration("pager", board)
    history.integration("grafana", other)
    schedules = [history.schedule(board, "Rotate certs"), history.schedule(other, "Check backups")]
    for minute, gap, ops in sorted(steps, key=lambda each: each[0]):
        history.at(BEGIN + timedelta(minutes=minute))
        for op in ops:
            _apply(history, board, schedules, op)
            history.at(manual_clock.now() + timedelta(minutes=gap, seconds=17))
    zone = ZoneInfo(ZONE)
    rows = reference.Rows.load(db.engine)
    for week in (Week(2026, 13), Week(2026, 9)):
        start, end = week.window(zone)
        for board_id, slug in ((None, None), (board["id"], "ops")):
            params = {"week": str(week)} | ({"board": slug} if slug else {})
            got = history.report(**params)
            want = reference.report(rows, start=start, end=end, board_id=board_id, zone=zone)
            _compare(got, want)
            for part in ("candidates", "ledger"):
                event(f"{part}: {'some' if got[part] else 'none'}")
            event(f"mtta: {'some' if got['fires']['mtta_seconds']['n'] else 'none'}")
            event(f"hours: {got['hours']['basis']}")
            trend = got["trends"]
            for index, earlier in enumerate(week.shifted(-back) for back in range(8, 0, -1)):
                s, e = earlier.window(zone)
                past = reference.report(rows, start=s, end=e, board_id=board_id, zone=zone)
                assert trend["weeks"][index] == str(earlier)
                assert trend["interruptions"][index] == past["fires"]["interruptions"]
                assert trend["mttr_p50_seconds"][index] == past["fires"]["mttr_seconds"]["p50"]
                assert trend["mtta_p50_seconds"][index] == past["fires"]["mtta_seconds"]["p50"]
                assert _close(trend["hours_total"][index], past["hours"]["total"], 2)
                assert _close(
                    trend["automation_debt_hours_per_year"][index],
                    past["automation_debt"]["hours_per_year"],
                    2,
                )
