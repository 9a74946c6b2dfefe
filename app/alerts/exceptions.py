"""Errors of the alerts domain."""

from app.core.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
)


class IngestUnauthorized(NotAuthenticated):
    """The same answer for an unknown integration and a wrong token, so ids cannot be probed."""

    code = "invalid_integration_token"
    message = "Unknown integration or wrong token."


class InvalidJson(BadRequest):
    code = "invalid_json"
    message = "The body is not valid JSON."


class InvalidPayload(InvalidInput):
    code = "invalid_payload"
    message = "The payload is not one this integration understands."


class IntegrationBodyTooLarge(PayloadTooLarge):
    code = "payload_too_large"


class IntegrationNotFound(NotFound):
    code = "integration_not_found"
    message = "No such integration."


class IntegrationNameTaken(Conflict):
    code = "integration_name_taken"
    message = "Another integration has this name."


class InvalidIntegration(InvalidInput):
    code = "invalid_integration"
    message = "The integration settings are not acceptable."


class MaintenanceWindowNotFound(NotFound):
    code = "maintenance_window_not_found"
    message = "No such maintenance window."


class InvalidMaintenanceWindow(InvalidInput):
    code = "invalid_maintenance_window"
    message = "The maintenance window is not acceptable."


class IntegrationDisabled(Forbidden):
    code = "integration_disabled"
    message = "This integration is disabled; an admin can enable it again."


class IngestFailed(AppError):
    """An unexpected failure while storing alerts: a bug, logged with its traceback."""

    status_code = 500
    code = "internal_error"
    message = "An unexpected error occurred while storing the alerts; it is a bug."


class IngestRateLimited(TooManyRequests):
    code = "integration_rate_limited"
    message = "This integration sends more than its rate limit allows; retry after Retry-After."
