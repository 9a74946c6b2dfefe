"""Errors of the schedules domain."""

from app.core.errors import Conflict, InvalidInput, NotFound


class ScheduleNotFound(NotFound):
    code = "schedule_not_found"
    message = "No such schedule."


class InvalidCron(InvalidInput):
    code = "invalid_cron"
    message = "The cron expression is not valid."


class RecurrenceRequired(InvalidInput):
    code = "recurrence_required"
    message = "Give exactly one of cron and interval_minutes."


class UnknownTimezone(InvalidInput):
    code = "unknown_timezone"
    message = "The timezone is not an IANA timezone."


class InvalidWindow(InvalidInput):
    code = "invalid_window"
    message = "ends_at must be after starts_at."


class NeverRuns(InvalidInput):
    code = "never_runs"
    message = "The schedule has no run time left."


class UnknownPlaceholder(InvalidInput):
    code = "unknown_placeholder"
    message = "The template uses a placeholder that does not exist."


class UnknownBoard(InvalidInput):
    code = "unknown_board"
    message = "No board has this id."


class UnknownColumn(InvalidInput):
    code = "unknown_column"
    message = "The board has no column with this id."


class OccurrenceExists(Conflict):
    code = "occurrence_exists"
    message = "This schedule already has an occurrence at this time."
