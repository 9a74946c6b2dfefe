"""The pages: each answers the HTML shell (the browser code draws the page) or, without a
valid session, a redirect to /login."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from app.auth import service as auth_service
from app.auth.dependencies import SESSION_COOKIE
from app.boards import service as boards_service
from app.boards.exceptions import BoardNotFound
from app.core.db import SessionDep
from app.ui.assets import shell

router = APIRouter(include_in_schema=False)

# Pages the browser code knows; each is the shell, drawn by frontend/app/main.js.
PAGES = ("/", "/integrations", "/schedules", "/automation", "/reports")


def _page(board_id: int | None = None, status_code: int = 200) -> Response:
    headers = {"Cache-Control": "no-store"}
    body = shell().render(board_id=board_id)
    return Response(body, status_code, headers=headers, media_type="text/html")


def _signed_in(request: Request, session: SessionDep) -> bool:
    cookie = request.cookies.get(SESSION_COOKIE)
    return bool(cookie) and auth_service.user_for_session(session, cookie or "") is not None


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


@router.get("/login")
def login_page() -> Response:
    return _page()


def _shell_page(request: Request, session: SessionDep) -> Response:
    if not _signed_in(request, session):
        return _to_login(request)
    return _page()


for _path in PAGES:
    router.add_api_route(_path, _shell_page, methods=["GET"])


@router.get("/boards/{slug}")
def board_page(slug: str, request: Request, session: SessionDep) -> Response:
    if not _signed_in(request, session):
        return _to_login(request)
    try:
        board = boards_service.get_board_by_slug(session, slug)
    except BoardNotFound:
        return _page(status_code=404)
    return _page(board_id=board.id)


@router.get("/cards/{card_id}")
def card_page(card_id: int, request: Request, session: SessionDep) -> Response:
    if not _signed_in(request, session):
        return _to_login(request)
    return _page()
