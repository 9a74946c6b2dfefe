"""Errors of the auth domain."""

from app.core.errors import Conflict, Forbidden, NotAuthenticated, NotFound, TooManyRequests


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    message = "The name or password is wrong."


class TooManyLoginAttempts(TooManyRequests):
    code = "too_many_login_attempts"
    message = "Too many failed logins for this name or from this address; retry later."


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    message = "Cookie-authenticated writes need the X-CSRF-Token header from the login response."


class UserNotFound(NotFound):
    code = "user_not_found"
    message = "No such user."


class UserExists(Conflict):
    code = "user_exists"
    message = "A user with this name exists already."


class TokenNotFound(NotFound):
    code = "token_not_found"
    message = "No such API token."


class LastAdmin(Conflict):
    code = "last_admin"
    message = "This would leave Firelane without an active admin."
