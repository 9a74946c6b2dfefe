"""The report by e-mail, against a real SMTP server (aiosmtpd): STARTTLS or TLS from the
start, a login, an HTML part and a plain-text part; a failure is logged and retried by the
job's next run; a server that cannot do TLS, or one we cannot trust, gets nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from pydantic import ValidationError
from sqlmodel import col, select

from app.auth.models import Role
from app.core.clock import ManualClock
from app.core.config import Settings
from app.core.db import Database
from app.reports import jobs
from app.reports.config import ReportSettings
from app.reports.models import ReportSnapshot
from tests.conftest import MakeClient
from tests.reports.conftest import History
from tests.reports.smtp import (
    PASSWORD,
    USER,
    Certificates,
    Mailbox,
    free_port,
    make_certificates,
    smtp_server,
)

# aiosmtpd warns when TLS is implicit (it counts only STARTTLS as TLS for AUTH).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("smtp-tls"))


def mail_settings(
    port: int, ca: Path | None, scheme: str = "smtp", **values: Any
) -> ReportSettings:
    return ReportSettings(
        _env_file=None,  # type: ignore[call-arg]
        smtp_url=f"{scheme}://{USER}:{quote(PASSWORD)}@127.0.0.1:{port}",
        smtp_ca_file=ca,
        smtp_timeout_seconds=10,
        report_email_to="Ops <ops@example.com>, lead@example.com",
        report_email_from="Firelane <firelane@example.com>",
        **values,
    )


@pytest.fixture
def due(client_for: MakeClient, manual_clock: ManualClock) -> History:
    """A fire in 2026-W13 on board ops; the clock at Monday 2026-03-30 09:00 (Berlin)."""
    h = History(client_for(Role.admin, "root"), {}, manual_clock)
    ops = h.board("ops")
    h.integration("prom", ops)
    h.at(utc("2026-03-24T08:00")).signal("prom", "<b>DiskFull</b>", instance="web-1")
    h.at(utc("2026-03-30T07:00"))
    return h


def _email_state(db: Database) -> list[tuple[str, str | None, int]]:
    with db.session(readonly=True) as session:
        rows = session.exec(select(ReportSnapshot).order_by(col(ReportSnapshot.id)))
        return [(row.scope, row.email_status, row.email_attempts) for row in rows]


@pytest.mark.parametrize("implicit_tls", [False, True], ids=["starttls", "smtps"])
def test_the_report_of_all_boards_is_e_mailed_once(
    due: History,
    db: Database,
    settings: Settings,
    certificates: Certificates,
    implicit_tls: bool,
) -> None:
    with smtp_server(certificates, implicit_tls=implicit_tls) as (mailbox, port):
        scheme = "smtps" if implicit_tls else "smtp"
        weekly = mail_settings(port, certificates.ca, scheme)
        run = jobs.publish_due(db, settings, weekly)
        assert (run.published, run.emailed, run.email_failed) == (2, 1, 0)
        assert jobs.publish_due(db, settings, weekly).emailed == 0  # sent once
    assert mailbox.recipients == [["ops@example.com", "lead@example.com"]]
    (message,) = mailbox.messages
    assert message["Subject"] == "Weekly automation-debt report 2026-W13, all boards"
    assert message["From"] == "Firelane <firelane@example.com>"
    assert message["To"] == "Ops <ops@example.com>, lead@example.com"
    assert message["Message-ID"].startswith("<report-")
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    page = message.get_body(("html",))
    assert text is not None and page is not None
    plain = text.get_content()
    assert plain.startswith("Weekly automation-debt report 2026-W13, all boards\n")
    assert "Interruptions: 1 (1 in business hours" in plain
    assert "<b>DiskFull</b>" in plain  # plain text: shown as it is, nothing to escape
    html = page.get_content()
    assert "<svg" in html and "<script" not in html
    assert "&lt;b&gt;DiskFull&lt;/b&gt;" in html and "<b>DiskFull" not in html
    assert _email_state(db)[0] == ("all", "sent", 1)
    assert all(status is None for scope, status, _ in _email_state(db) if scope != "all")


def test_a_failure_is_logged_and_sent_by_the_next_run(
    due: History,
    db: Database,
    settings: Settings,
    certificates: Certificates,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()  # nothing listens there yet
    weekly = mail_settings(port, certificates.ca)
    with caplog.at_level(logging.WARNING, logger="firelane.reports"):
        run = jobs.publish_due(db, settings, weekly)
    assert (run.published, run.emailed, run.email_failed) == (2, 0, 1)
    assert "report 2026-W13 not e-mailed (attempt 1), retried on the job's next run" in caplog.text
    assert _email_state(db)[0] == ("all", "pending", 1)

    with smtp_server(certificates, implicit_tls=False, port=port) as (mailbox, _):
        mailbox.refuse = "554 5.7.1 not today"
        run = jobs.publish_due(db, settings, weekly)
        assert (run.published, run.emailed, run.email_failed) == (0, 0, 1)
        assert _email_state(db)[0] == ("all", "pending", 2)
        mailbox.refuse = None
        run = jobs.publish_due(db, settings, weekly)
        assert (run.emailed, run.email_failed) == (1, 0)
    assert len(mailbox.messages) == 1
    assert _email_state(db)[0] == ("all", "sent", 3)


def test_no_tls_no_mail(
    due: History, db: Database, settings: Settings, certificates: Certificates
) -> None:
    # A server that cannot STARTTLS never gets the message (nor the password) in the clear.
    plain = Mailbox()
    port = free_port()
    controller = Controller(plain, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        run = jobs.publish_due(db, settings, mail_settings(port, certificates.ca))
    finally:
        controller.stop()
    assert run.email_failed == 1 and plain.messages == []
    # A server whose certificate no trusted CA signed: nothing either.
    with smtp_server(certificates, implicit_tls=True) as (mailbox, tls_port):
        run = jobs.publish_due(db, settings, mail_settings(tls_port, None, "smtps"))
    assert run.email_failed == 1 and mailbox.messages == []
    assert _email_state(db)[0] == ("all", "pending", 2)


def test_settings_refuse_what_cannot_work(tmp_path: Path) -> None:
    def settings(**values: Any) -> ReportSettings:
        return ReportSettings(_env_file=None, **values)  # type: ignore[call-arg]

    assert not settings().email_enabled
    with pytest.raises(ValidationError, match="smtp:// \\(STARTTLS\\) or smtps://"):
        settings(smtp_url="http://mail.example.com")
    with pytest.raises(ValidationError, match="FIRELANE_REPORT_EMAIL_FROM"):
        settings(smtp_url="smtp://mail.example.com", report_email_to="ops@example.com")
    with pytest.raises(ValidationError, match="not an e-mail address"):
        settings(report_email_to="ops")
    with pytest.raises(ValidationError, match="not a readable file"):
        settings(smtp_ca_file=tmp_path / "missing.pem")
    server = settings(smtp_url="smtps://a%40b:s%3Acret@mail.example.com").smtp
    assert server is not None
    assert (server.host, server.port, server.implicit_tls) == ("mail.example.com", 465, True)
    assert (server.user, server.password) == ("a@b", "s:cret")
    default = settings(smtp_url="smtp://mail.example.com").smtp
    assert default is not None and (default.port, default.implicit_tls) == (587, False)
