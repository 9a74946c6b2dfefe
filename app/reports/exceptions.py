"""Errors of the reports domain."""

from app.core.errors import InvalidInput, NotFound


class InvalidWeek(InvalidInput):
    code = "invalid_week"
    message = "The week must be an ISO week written YYYY-Www, such as 2026-W49."


class ReportNotFound(NotFound):
    code = "report_not_found"
    message = "No stored report has this id."
