"""Load schedules by path id, after authenticating the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Viewer
from app.core.config import SettingsDep
from app.core.db import SessionDep
from app.core.schemas import Id
from app.schedules import service
from app.schedules.models import Schedule


def get_schedule_or_404(schedule_id: Id, session: SessionDep, _user: Viewer) -> Schedule:
    return service.get_schedule(session, schedule_id)


ScheduleDep = Annotated[Schedule, Depends(get_schedule_or_404)]


def get_default_timezone(settings: SettingsDep) -> str:
    """The zone a schedule gets when its request names none: FIRELANE_TIMEZONE."""
    return settings.timezone


DefaultTimezone = Annotated[str, Depends(get_default_timezone)]
