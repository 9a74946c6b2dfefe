"""When the weekly report is published and where it is e-mailed (``FIRELANE_REPORT_*``,
``FIRELANE_SMTP_*``, and ``.env``). The report's timezone and prices are in core's Settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from email.utils import formataddr, getaddresses, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.config import read_settings

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass(frozen=True)
class SmtpServer:
    """Where e-mail goes: ``smtp://`` upgrades with STARTTLS, ``smtps://`` is TLS at once."""

    host: str
    port: int
    implicit_tls: bool
    user: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("must start with smtp:// (STARTTLS) or smtps:// (implicit TLS)")
        if not parts.hostname:
            raise ValueError("names no host, such as smtp://user:password@mail.example.com:587")
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError("has a port that is not a number from 1 to 65535") from exc
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=port or (465 if implicit else 587),
            implicit_tls=implicit,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )


class ReportSettings(BaseSettings):
    """The weekly report's publication; fields are read as ``FIRELANE_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="FIRELANE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # The weekday on which the weekly job publishes last week's report (monday … sunday).
    report_weekday: Weekday = "monday"
    # The local time (HH:MM, in FIRELANE_REPORT_TIMEZONE) at which it publishes it.
    report_time: time = time(9, 0)
    # E-mail: on when both the server and the recipients are set.
    smtp_url: SecretStr | None = None
    # A CA bundle to check the SMTP server's certificate with (default: the system's).
    smtp_ca_file: Path | None = None
    # How long one SMTP conversation may take before the e-mail counts as failed.
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    # Who receives the all-boards report: addresses separated by commas
    # (``Ops <ops@example.com>, lead@example.com``); empty sends no e-mail.
    report_email_to: str = ""
    # The From address of the report's e-mail (needed when it is e-mailed).
    report_email_from: str = ""

    @field_validator("report_weekday", mode="before")
    @classmethod
    def _weekday(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip().lower()
            for day in WEEKDAYS:
                if len(text) >= 3 and day.startswith(text):
                    return day
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        SmtpServer.parse(value.get_secret_value().strip())
        return value

    @field_validator("smtp_ca_file")
    @classmethod
    def _ca_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a readable file")
        return value

    @field_validator("report_email_to")
    @classmethod
    def _recipients(cls, value: str) -> str:
        # Python's own versions differ on an empty header (3.11.2 answers [("", "")]).
        for name, address in getaddresses([value]) if value.strip() else []:
            if "@" not in address:
                raise ValueError(f"{(name or address)!r} is not an e-mail address")
        return value

    @model_validator(mode="after")
    def _sender(self) -> ReportSettings:
        if self.email_enabled:
            _, address = parseaddr(self.report_email_from)
            if "@" not in address:
                raise ValueError(
                    "FIRELANE_REPORT_EMAIL_FROM must be an address such as "
                    "'Firelane <firelane@example.com>' when the report is e-mailed"
                )
        return self

    @property
    def recipients(self) -> list[str]:
        """Each recipient as the To header writes it (``Ops <ops@example.com>``)."""
        pairs = getaddresses([self.report_email_to])
        return [formataddr((name, address)) for name, address in pairs if address]

    @property
    def email_enabled(self) -> bool:
        return self.smtp_url is not None and bool(self.recipients)

    @property
    def smtp(self) -> SmtpServer | None:
        if self.smtp_url is None:
            return None
        return SmtpServer.parse(self.smtp_url.get_secret_value().strip())

    @property
    def weekday_number(self) -> int:
        """Monday 0 to Sunday 6, as ``date.weekday()``."""
        return WEEKDAYS.index(self.report_weekday)


@lru_cache
def get_report_settings() -> ReportSettings:
    """The process-wide report settings, read once; ConfigError if they are wrong."""
    return read_settings(ReportSettings)
