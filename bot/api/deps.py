"""Dependencies shared by the routes: the service and the bearer-key checks."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from bot.errors import Forbidden, Unauthorized
from bot.service import Bot


def get_bot(request: Request) -> Bot:
    return request.app.state.bot


BotDep = Annotated[Bot, Depends(get_bot)]


def _bearer_matches(request: Request, key: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    # compare_digest takes time independent of where the strings differ
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), key.encode())


# Declared for the OpenAPI document (the docs' Authorize button); the checks below read the header themselves so
# that a missing or wrong key gets the API's own error body.
_ADMIN_SCHEME = HTTPBearer(auto_error=False, scheme_name="adminKey",
                           description="BOT_ADMIN_API_KEY: uploading and removing documents.")
_ASK_SCHEME = HTTPBearer(auto_error=False, scheme_name="askKey",
                         description="BOT_ASK_API_KEY, when set: every read route (/ask, /cite, /documents*, "
                                     "/citations/*, /facts). The chat page asks for it.")


def require_admin(request: Request, _: Annotated[object, Depends(_ADMIN_SCHEME)] = None) -> None:
    key = request.app.state.settings.admin_api_key
    if not key:
        raise Forbidden("document upload and delete are disabled; set BOT_ADMIN_API_KEY to enable them")
    if not _bearer_matches(request, key):
        raise Unauthorized("send 'Authorization: Bearer <admin key>'")


def require_asker(request: Request, _: Annotated[object, Depends(_ASK_SCHEME)] = None) -> None:
    key = request.app.state.settings.ask_api_key
    if key and not _bearer_matches(request, key):
        raise Unauthorized("questions need 'Authorization: Bearer <key>' (BOT_ASK_API_KEY is set)")


AdminDep = Depends(require_admin)
AskerDep = Depends(require_asker)
