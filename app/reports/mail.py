"""The report by e-mail: one message with an HTML part and a plain-text part, sent over
TLS (``smtps://``) or upgraded with STARTTLS (``smtp://``; a server that cannot is
refused, never written to in the clear)."""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from app.core.clock import now
from app.reports.config import ReportSettings, SmtpServer
from app.reports.render.html import html
from app.reports.render.markdown import plain
from app.reports.render.text import title
from app.reports.schemas import WeeklyReport


class EmailFailed(Exception):
    """The SMTP server could not be reached, refused us, or refused the message."""


def compose(
    report: WeeklyReport,
    *,
    report_id: int,
    sender: str,
    recipients: list[str],
    link: str,
    made_at: datetime | None,
    definition_version: int,
) -> EmailMessage:
    """The report as an e-mail: plain text first, the HTML page as its alternative."""
    message = EmailMessage()
    message["Subject"] = title(report)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now())
    # The same id on every attempt: a message sent twice (sent, then not recorded) is one.
    message["Message-ID"] = f"<report-{report_id}.{report.week}@firelane>"
    message.set_content(
        plain(report, link=link, made_at=made_at, definition_version=definition_version)
    )
    page = html(report, link=link, made_at=made_at, definition_version=definition_version)
    message.add_alternative(page, subtype="html")
    return message


def _tls(settings: ReportSettings) -> ssl.SSLContext:
    cafile = str(settings.smtp_ca_file) if settings.smtp_ca_file is not None else None
    return ssl.create_default_context(cafile=cafile)


def send(message: EmailMessage, *, server: SmtpServer, settings: ReportSettings) -> None:
    """Hand the message to the SMTP server; EmailFailed says why it did not take it."""
    timeout = settings.smtp_timeout_seconds
    try:
        if server.implicit_tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                server.host, server.port, timeout=timeout, context=_tls(settings)
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with smtp:
            if not server.implicit_tls:
                smtp.ehlo()
                smtp.starttls(context=_tls(settings))
                smtp.ehlo()
            if server.user is not None:
                smtp.login(server.user, server.password or "")
            refused = smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:  # ssl.SSLError is an OSError
        raise EmailFailed(f"{type(exc).__name__}: {exc}") from exc
    if refused:
        raise EmailFailed(f"refused for {', '.join(sorted(refused))}")
