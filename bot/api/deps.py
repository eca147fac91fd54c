"""Dependencies shared by the routes: the service and the bearer-key checks."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

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


def require_admin(request: Request) -> None:
    key = request.app.state.settings.admin_api_key
    if not key:
        raise Forbidden("document upload and delete are disabled; set BOT_ADMIN_API_KEY to enable them")
    if not _bearer_matches(request, key):
        raise Unauthorized("send 'Authorization: Bearer <admin key>'")


def require_asker(request: Request) -> None:
    key = request.app.state.settings.ask_api_key
    if key and not _bearer_matches(request, key):
        raise Unauthorized("questions need 'Authorization: Bearer <key>' (BOT_ASK_API_KEY is set)")


AdminDep = Depends(require_admin)
AskerDep = Depends(require_asker)
