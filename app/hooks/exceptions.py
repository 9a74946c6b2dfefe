"""Errors of the hooks domain."""

from app.core.errors import Conflict, InvalidInput, NotFound


class WebhookNotFound(NotFound):
    code = "webhook_not_found"
    message = "No such webhook."


class RuleNotFound(NotFound):
    code = "rule_not_found"
    message = "No such rule."


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    message = "No such delivery."


class InvalidRule(InvalidInput):
    code = "invalid_rule"
    message = "The rule cannot work as written."


class InvalidTemplate(InvalidInput):
    code = "invalid_template"
    message = "A template names a placeholder that does not exist."


class DeliveryInFlight(Conflict):
    code = "delivery_in_flight"
    message = "The delivery is being sent right now; try again in a moment."
