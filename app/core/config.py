"""Settings, read from the environment (prefix ``FIRELANE_``) and an optional ``.env`` file."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, Request
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "change-me-firelane-development-key"  # noqa: S105 - the refused default
MAKE_A_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"

AnySettings = TypeVar("AnySettings", bound=BaseSettings)


class ConfigError(Exception):
    """A setting is wrong or missing; the message, one line, says which and what to set."""


def read_settings(kind: type[AnySettings]) -> AnySettings:
    """Read settings from the environment, or raise ConfigError naming each bad variable."""
    try:
        return kind()
    except ValidationError as exc:
        prefix = str(kind.model_config.get("env_prefix", ""))
        problems = []
        for error in exc.errors(include_url=False, include_input=False):
            message = error["msg"].removeprefix("Value error, ")
            if error["loc"]:  # a field's own check; a whole-model check names its variables
                message = f"{prefix}{error['loc'][0]}".upper() + f": {message}"
            problems.append(message)
        raise ConfigError("; ".join(problems)) from None


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as ``FIRELANE_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="FIRELANE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Each setting's description is its entry in docs/configuration.md (generated).
    environment: Literal["development", "production"] = Field(
        default="development", description="`production` refuses the default secret key."
    )
    database_url: str = Field(
        default="sqlite:///./firelane.db",
        description="A SQLite file (the embedded default) or "
        "`postgresql+psycopg://user@host/db` (the scale-out store).",
    )
    secret_key: str = Field(
        default=DEFAULT_SECRET_KEY,
        description="Signs CSRF tokens and encrypts stored webhook and HMAC secrets (a new "
        "key makes those unreadable); required outside development, 16 characters or more.",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The public URL: links, the ingest URLs handed out, and `Secure` cookies "
        "on https.",
    )
    timezone: str = Field(
        default="UTC",
        description="IANA zone for calendar-facing defaults; times are stored and answered in UTC.",
    )
    scheduler: bool = Field(
        default=True,
        description="Run the periodic jobs and the delivery loop inside `serve` "
        "(`serve --no-scheduler` turns it off for one process).",
    )

    # Limits that keep bad input from costing memory or storage.
    max_body_bytes: int = Field(
        default=1_048_576, description="Larger request bodies are refused with 413."
    )
    session_days: int = Field(default=14, description="How long a browser login lasts.")
    login_attempts: int = Field(
        default=10,
        ge=1,
        description="Failed logins per user name in the window; past it, 429 "
        "`too_many_login_attempts` with `Retry-After`.",
    )
    login_attempts_per_address: int = Field(
        default=50, ge=1, description="Failed logins per client address in the window."
    )
    login_window_minutes: int = Field(
        default=15,
        ge=1,
        description="The moving window of the failed-login counts (kept in each server "
        "process's memory).",
    )
    trusted_proxies: str = Field(
        default="",
        description="Addresses or networks (comma-separated) of reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed; from anyone else these headers "
        "are ignored.",
    )
    cookie_secure: bool | None = Field(
        default=None,
        description="Mark browser cookies `Secure`; unset: when the base URL is https.",
    )
    sql_echo: bool = Field(default=False, description="Log every SQL statement (debugging).")

    # Operations.
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="Log lines as text for a terminal, or one JSON object a line (time, "
        "level, logger, message, request_id; the access log adds method, route, path, "
        "status, duration_ms, client).",
    )
    access_log: bool = Field(
        default=True,
        description="One log line per request answered (`serve --no-access-log` turns it off).",
    )
    metrics_public: bool = Field(
        default=False,
        description="Answer /metrics without a token (for a scraper on a network you trust); "
        "off, it needs any role's API token.",
    )
    ready_tick_seconds: float = Field(
        default=120.0,
        gt=0,
        description="/readyz answers 503 when a loop this process runs (the scheduler, the "
        "delivery loop) has not gone round for this long.",
    )
    worker_listen: str | None = Field(
        default=None,
        description="`host:port` where `firelane worker` answers /healthz, /readyz and "
        "/metrics (e.g. `0.0.0.0:9000`); unset: it serves no HTTP.",
        pattern=r"^\[?[0-9A-Za-z.:-]*\]?:\d{1,5}$",
    )
    stop_grace_seconds: float = Field(
        default=8.0,
        ge=0,
        le=600,
        description="On SIGTERM, webhook sends in flight get this long to finish; the claims "
        "of the rest are released. Keep it under your supervisor's stop timeout (Docker's "
        "is 10 s).",
    )

    # The weekly report.
    report_timezone: str | None = Field(
        default=None,
        description="The zone whose Monday-to-Monday weeks the report counts; unset: "
        "FIRELANE_TIMEZONE.",
    )
    report_horizon_years: float = Field(
        default=2.0,
        gt=0,
        le=50,
        description="Break-even horizon: an automation candidate pays off within this many "
        "years of its toil.",
    )
    report_hours_per_fte: float = Field(
        default=1600.0,
        gt=0,
        le=8784,
        description="Hours a full-time person works in a year (toil in FTE).",
    )

    @field_validator("timezone", "report_timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.secret_key == DEFAULT_SECRET_KEY:
            message = (
                "FIRELANE_SECRET_KEY is the public default; set it to a random value of your "
                f"own, such as the output of: {MAKE_A_KEY}"
            )
            if self.environment != "development":
                raise ValueError(message)
            logging.getLogger("firelane.config").warning(message)
        elif len(self.secret_key) < 16:
            raise ValueError(
                f"FIRELANE_SECRET_KEY must be 16 characters or more; make one with: {MAKE_A_KEY}"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.base_url.startswith("https://")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def report_zone_name(self) -> str:
        return self.report_timezone or self.timezone


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once; raise ConfigError if they are wrong."""
    return read_settings(Settings)


def app_settings(request: Request) -> Settings:
    """The settings the application was built with (``create_app``'s), for a request.

    The one way routes and dependencies read them (as ``SettingsDep``); code that is
    also called outside a route calls it with the request.
    """
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]
