"""Errors of the hooks domain."""

from app.core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound


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


# Raised by app.hooks.signing for alerts sent to an integration that has an HMAC secret.
class SignatureRequired(NotAuthenticated):
    code = "signature_required"
    message = (
        "This integration has an HMAC secret: sign the body with X-Firelane-Signature "
        "(t=<unix>,v1=<hex>) or Grafana's X-Grafana-Alerting-Signature."
    )


class BadSignature(NotAuthenticated):
    code = "bad_signature"
    message = "The signature does not match the body, or its timestamp is too old."
