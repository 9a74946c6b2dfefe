"""Run times from cron and interval rules, in timezones and across daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core.errors import InvalidInput
from app.schedules import recurrence, template
from app.schedules.exceptions import InvalidCron, InvalidWindow, UnknownPlaceholder, UnknownTimezone


def runs(
    cron: str, tz: str, after: datetime, count: int = 5, **window: datetime | None
) -> list[str]:
    rules = recurrence.build(
        cron=cron,
        interval_minutes=None,
        timezone=tz,
        starts_at=window.get("starts_at"),
        ends_at=window.get("ends_at"),
    )
    return [
        when.astimezone(rules.tz).strftime("%a %Y-%m-%d %H:%M %Z")
        for when in rules.upcoming(after, count)
    ]


def test_daily_in_a_timezone_is_the_local_wall_time() -> None:
    after = datetime(2026, 1, 5, tzinfo=UTC)
    assert runs("0 9 * * *", "America/New_York", after, 2) == [
        "Mon 2026-01-05 09:00 EST",
        "Tue 2026-01-06 09:00 EST",
    ]
    rules = recurrence.build(
        cron="0 9 * * *",
        interval_minutes=None,
        timezone="Asia/Kolkata",
        starts_at=None,
        ends_at=None,
    )
    first = rules.next_after(after)
    assert first == datetime(2026, 1, 5, 3, 30, tzinfo=UTC)


def test_weekday_numbers_are_crontab_numbers() -> None:
    after = datetime(2026, 3, 1, tzinfo=UTC)  # a Sunday
    assert runs("0 9 * * 0", "UTC", after, 2) == [
        "Sun 2026-03-01 09:00 UTC",
        "Sun 2026-03-08 09:00 UTC",
    ]
    assert runs("0 9 * * 7", "UTC", after, 1) == ["Sun 2026-03-01 09:00 UTC"]
    assert runs("0 9 * * 1", "UTC", after, 1) == ["Mon 2026-03-02 09:00 UTC"]
    weekdays = runs("0 9 * * 1-5", "UTC", after, 6)
    assert [day[:3] for day in weekdays] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon"]
    assert [d[:3] for d in runs("0 9 * * 5-7", "UTC", after, 4)] == ["Sun", "Fri", "Sat", "Sun"]
    assert runs("0 9 * * fri-sun", "UTC", after, 4) == runs("0 9 * * 5-7", "UTC", after, 4)
    assert runs("0 9 * * MON,wed", "UTC", after, 2) == [
        "Mon 2026-03-02 09:00 UTC",
        "Wed 2026-03-04 09:00 UTC",
    ]


def test_weekly_and_monthly_and_macros() -> None:
    after = datetime(2026, 3, 1, tzinfo=UTC)
    assert runs("30 7 * * tue", "UTC", after, 3) == [
        "Tue 2026-03-03 07:30 UTC",
        "Tue 2026-03-10 07:30 UTC",
        "Tue 2026-03-17 07:30 UTC",
    ]
    assert runs("0 6 1 * *", "UTC", after, 3) == [
        "Sun 2026-03-01 06:00 UTC",
        "Wed 2026-04-01 06:00 UTC",
        "Fri 2026-05-01 06:00 UTC",
    ]
    assert runs("0 6 L * *", "UTC", after, 2) == [
        "Tue 2026-03-31 06:00 UTC",
        "Thu 2026-04-30 06:00 UTC",
    ]
    assert runs("@weekly", "UTC", after, 1) == ["Sun 2026-03-08 00:00 UTC"]
    assert runs("@monthly", "UTC", after, 1) == ["Wed 2026-04-01 00:00 UTC"]


def test_second_tuesday_and_last_friday() -> None:
    after = datetime(2026, 1, 1, tzinfo=UTC)
    assert runs("0 10 * * tue#2", "Europe/Berlin", after, 4) == [
        "Tue 2026-01-13 10:00 CET",
        "Tue 2026-02-10 10:00 CET",
        "Tue 2026-03-10 10:00 CET",
        "Tue 2026-04-14 10:00 CEST",
    ]
    assert runs("0 10 * * 2#2", "UTC", after, 1) == ["Tue 2026-01-13 10:00 UTC"]
    assert runs("0 16 * * fri#L", "UTC", after, 3) == [
        "Fri 2026-01-30 16:00 UTC",
        "Fri 2026-02-27 16:00 UTC",
        "Fri 2026-03-27 16:00 UTC",
    ]
    assert runs("0 9 * * mon#1,mon#3", "UTC", after, 3) == [
        "Mon 2026-01-05 09:00 UTC",
        "Mon 2026-01-19 09:00 UTC",
        "Mon 2026-02-02 09:00 UTC",
    ]


def test_spring_forward_runs_a_missing_wall_time_once_shifted_by_the_gap() -> None:
    # Europe/Berlin skips 02:00-03:00 on 2026-03-29.
    assert runs("30 2 * * *", "Europe/Berlin", datetime(2026, 3, 27, tzinfo=UTC), 4) == [
        "Fri 2026-03-27 02:30 CET",
        "Sat 2026-03-28 02:30 CET",
        "Sun 2026-03-29 03:30 CEST",
        "Mon 2026-03-30 02:30 CEST",
    ]
    # America/New_York skips 02:00-03:00 on 2026-03-08.
    assert runs("30 2 * * *", "America/New_York", datetime(2026, 3, 7, tzinfo=UTC), 3) == [
        "Sat 2026-03-07 02:30 EST",
        "Sun 2026-03-08 03:30 EDT",
        "Mon 2026-03-09 02:30 EDT",
    ]


def test_fall_back_runs_a_repeated_wall_time_once_at_its_first_occurrence() -> None:
    # Europe/Berlin repeats 02:00-03:00 on 2026-10-25.
    assert runs("30 2 * * *", "Europe/Berlin", datetime(2026, 10, 23, tzinfo=UTC), 4) == [
        "Fri 2026-10-23 02:30 CEST",
        "Sat 2026-10-24 02:30 CEST",
        "Sun 2026-10-25 02:30 CEST",
        "Mon 2026-10-26 02:30 CET",
    ]
    # America/New_York repeats 01:00-02:00 on 2026-11-01.
    assert runs("30 1 * * *", "America/New_York", datetime(2026, 10, 31, tzinfo=UTC), 3) == [
        "Sat 2026-10-31 01:30 EDT",
        "Sun 2026-11-01 01:30 EDT",
        "Mon 2026-11-02 01:30 EST",
    ]


def test_hourly_schedules_keep_every_real_hour_across_both_changes() -> None:
    fall = runs("30 * * * *", "Europe/Berlin", datetime(2026, 10, 24, 23, tzinfo=UTC), 4)
    assert fall == [
        "Sun 2026-10-25 01:30 CEST",
        "Sun 2026-10-25 02:30 CEST",
        "Sun 2026-10-25 02:30 CET",
        "Sun 2026-10-25 03:30 CET",
    ]
    spring = runs("30 * * * *", "Europe/Berlin", datetime(2026, 3, 28, 23, tzinfo=UTC), 3)
    assert spring == [
        "Sun 2026-03-29 00:30 CET",
        "Sun 2026-03-29 01:30 CET",
        "Sun 2026-03-29 03:30 CEST",
    ]


def test_intervals_count_elapsed_time_from_their_start() -> None:
    start = datetime(2026, 3, 28, 12, 0, 40, tzinfo=UTC)
    rules = recurrence.build(
        cron=None,
        interval_minutes=24 * 60,
        timezone="Europe/Berlin",
        starts_at=start,
        ends_at=datetime(2026, 3, 31, 12, tzinfo=UTC),
    )
    times = rules.upcoming(datetime(2026, 3, 1, tzinfo=UTC), 10)
    # Cut to the minute; 24 h apart whatever the wall clock does; none after ends_at.
    assert times == [datetime(2026, 3, day, 12, tzinfo=UTC) for day in (28, 29, 30, 31)]
    assert rules.next_after(datetime(2026, 3, 29, 12, tzinfo=UTC)) == times[2]


def test_window_bounds_cron_runs() -> None:
    starts = datetime(2026, 5, 1, tzinfo=UTC)
    ends = datetime(2026, 5, 3, 9, tzinfo=UTC)
    assert runs(
        "0 9 * * *", "UTC", datetime(2026, 1, 1, tzinfo=UTC), 5, starts_at=starts, ends_at=ends
    ) == [
        "Fri 2026-05-01 09:00 UTC",
        "Sat 2026-05-02 09:00 UTC",
        "Sun 2026-05-03 09:00 UTC",
    ]
    with pytest.raises(InvalidWindow):
        recurrence.build(
            cron="0 9 * * *", interval_minutes=None, timezone="UTC", starts_at=ends, ends_at=starts
        )


@pytest.mark.parametrize(
    ("cron", "reason"),
    [
        ("0 9 * *", "5 fields"),
        ("0 9 * * * *", "5 fields"),
        ("61 * * * *", "higher than the maximum"),
        ("0 25 * * *", "higher than the maximum"),
        ("0 9 32 * *", "higher than the maximum"),
        ("0 9 * 13 *", "higher than the maximum"),
        ("*/0 * * * *", "Increment"),
        ("0 9 * * 8", "not a weekday"),
        ("0 9 * * 5-1", "runs backwards"),
        ("0 9 * * tue#6", "Nth-weekday"),
        ("0 9 * * mon,tue#2", "do not mix"),
        ("0 9 1 * tue#2", "day-of-month"),
        ("0 9 1 * mon", "restrict only one"),
        ("0 9 * * funday", "not a weekday"),
        ("a b c d e", "not a weekday"),
        ("0 9 * smarch *", "Invalid cron"),
        ("@fortnightly", "5 fields"),
    ],
)
def test_invalid_cron_says_why(cron: str, reason: str) -> None:
    with pytest.raises(InvalidCron) as caught:
        recurrence.cron_trigger(cron, recurrence.zone("UTC"))
    assert reason in caught.value.detail
    assert caught.value.status_code == 422


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "/etc/localtime", "utc+1"])
def test_unknown_timezones_are_refused(name: str) -> None:
    with pytest.raises(UnknownTimezone):
        recurrence.zone(name)


def test_a_cron_that_never_fires_is_refused() -> None:
    rules = recurrence.build(
        cron="0 0 30 2 *", interval_minutes=None, timezone="UTC", starts_at=None, ends_at=None
    )
    with pytest.raises(InvalidInput) as caught:
        recurrence.first_run(rules, datetime(2026, 1, 1, tzinfo=UTC))
    assert caught.value.code == "never_runs"


def test_template_placeholders_fill_from_local_time() -> None:
    when = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)  # Tuesday 00:30 in Berlin
    filled = template.values(
        scheduled_for=when, tz=recurrence.zone("Europe/Berlin"), schedule_name="Patch"
    )
    text = "{schedule}: {weekday} {date} {time} {week} {month} {quarter} {year} {{literal}}"
    template.check(text, "title")
    assert template.render(text, filled, limit=300) == (
        "Patch: Tuesday 2026-03-10 00:30 2026-W11 2026-03 2026-Q1 2026 {literal}"
    )
    assert template.render("x{date}" * 100, filled, limit=20) == "x2026-03-10x2026-03-"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Patch {host}", "{host}"),
        ("{date.year}", "{date.year}"),
        ("{date!r}", "{date!r}"),
        ("{date:%Y}", "{date:%Y}"),
        ("{0}", "{0}"),
        ("{}", "{}"),
        ("open {brace", "{{"),
        ("close} brace", "{{"),
    ],
)
def test_unknown_placeholders_are_refused(text: str, shown: str) -> None:
    with pytest.raises(UnknownPlaceholder) as caught:
        template.check(text, "title")
    assert caught.value.detail.startswith("title: ")
    assert shown in caught.value.detail


def test_step_over_fall_back_does_not_loop() -> None:
    rules = recurrence.build(
        cron="30 2 * * *",
        interval_minutes=None,
        timezone="Europe/Berlin",
        starts_at=None,
        ends_at=None,
    )
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert rules.next_after(first - timedelta(seconds=1)) == first
    assert rules.next_after(first) == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
