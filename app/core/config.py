"""Settings, read from the environment (prefix ``FIRELANE_``) and an optional ``.env`` file."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./firelane.db"
    secret_key: str = DEFAULT_SECRET_KEY
    base_url: str = "http://127.0.0.1:8000"
    timezone: str = "UTC"
    scheduler: bool = True

    # Limits that keep bad input from costing memory or storage.
    max_body_bytes: int = 1_048_576
    session_days: int = 14
    # Failed logins allowed per user name and per client address in the window.
    login_attempts: int = Field(default=10, ge=1)
    login_attempts_per_address: int = Field(default=50, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    # Addresses (or networks, comma-separated) of reverse proxies whose X-Forwarded-For and
    # X-Forwarded-Proto are believed; from anyone else these headers are ignored.
    trusted_proxies: str = ""
    # Browser cookies carry the Secure flag unless the base URL is plain http.
    cookie_secure: bool | None = None
    sql_echo: bool = False

    # The weekly report: its weeks run Monday to Monday in this zone (default: timezone),
    # break-even is this many years of a candidate's toil, and a full-time person works
    # this many hours a year.
    report_timezone: str | None = None
    report_horizon_years: float = Field(default=2.0, gt=0, le=50)
    report_hours_per_fte: float = Field(default=1600.0, gt=0, le=8784)

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
