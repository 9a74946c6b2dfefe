"""Errors of the boards domain."""

from app.core.errors import Conflict, InvalidInput, NotFound


class BoardNotFound(NotFound):
    code = "board_not_found"
    message = "No such board."


class ColumnNotFound(NotFound):
    code = "column_not_found"
    message = "No such column on this board."


class CardNotFound(NotFound):
    code = "card_not_found"
    message = "No such card."


class SlugTaken(Conflict):
    code = "slug_taken"
    message = "Another board has this slug."


class ColumnNotEmpty(Conflict):
    code = "column_not_empty"
    message = "The column still holds cards; move or delete them first."


class LastColumn(Conflict):
    code = "last_column"
    message = "A board needs at least one column."


class VersionConflict(Conflict):
    code = "version_conflict"
    message = "The card was changed by someone else; reload it and try again."


class WipLimitReached(Conflict):
    code = "wip_limit_reached"
    message = "The column is at its hard WIP limit."


class InvalidMove(InvalidInput):
    code = "invalid_move"
    message = "The move cannot be done as asked."


class UnknownAssignee(InvalidInput):
    code = "unknown_assignee"
    message = "No active user has this name."


class Busy(Conflict):
    code = "busy"
    message = "The column changed too often while this move was computed; retry."


class ChecklistItemNotFound(NotFound):
    code = "checklist_item_not_found"
    message = "The card has no such checklist item."


class AutomatesNotAllowed(InvalidInput):
    code = "automates_not_allowed"
    message = "Only cards of kind automation can automate candidates."
