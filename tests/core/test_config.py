from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.core.config import DEFAULT_SECRET_KEY, Settings


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_the_default_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="FIRELANE_SECRET_KEY"):
        _settings(environment="production")
    assert _settings(environment="development").secret_key == DEFAULT_SECRET_KEY
    assert _settings(environment="production", secret_key="x" * 32).environment == "production"


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValidationError, match="16 characters or more"):
        _settings(secret_key="short")
    with pytest.raises(ValidationError, match="unknown IANA timezone"):
        _settings(timezone="Mars/Olympus_Mons")
    assert _settings(timezone="Europe/Paris").zone.key == "Europe/Paris"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRELANE_DATABASE_URL", "postgresql+psycopg://db/firelane")
    monkeypatch.setenv("FIRELANE_SCHEDULER", "off")
    monkeypatch.setenv("FIRELANE_BASE_URL", "https://firelane.example.com/")
    settings = _settings()
    assert settings.database_url == "postgresql+psycopg://db/firelane"
    assert settings.scheduler is False and not settings.is_sqlite
    assert settings.base_url == "https://firelane.example.com" and settings.secure_cookies
