"""Routes for Slack and the signed webhook. Each verifies the raw body before anything runs."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from bot.api.deps import BotDep
from bot.api.schemas import AskRequest, AskResponse, ErrorOut
from bot.errors import NotFound, Replayed
from bot.integrations import webhook

router = APIRouter(responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}})


def _slack(request: Request):
    slack = getattr(request.app.state, "slack", None)
    if slack is None:
        raise NotFound("Slack is not configured (set BOT_SLACK_SIGNING_SECRET)")
    return slack


@router.post("/slack/events", include_in_schema=False)
async def slack_events(request: Request) -> dict:
    slack = _slack(request)
    return slack.handle_event(await request.body(), dict(request.headers))


@router.post("/slack/commands", include_in_schema=False)
async def slack_commands(request: Request) -> dict:
    slack = _slack(request)
    return slack.handle_command(await request.body(), dict(request.headers))


@router.post("/slack/interactions", include_in_schema=False)
async def slack_interactions(request: Request) -> dict:
    slack = _slack(request)
    return slack.handle_interaction(await request.body(), dict(request.headers))


@router.post("/webhook/ask", response_model=AskResponse, summary="Ask through the HMAC-signed webhook",
             description="Body as POST /ask. Headers: X-Citebot-Timestamp (unix seconds, within five minutes) and "
                         "X-Citebot-Signature: sha256=HMAC-SHA256(BOT_WEBHOOK_SECRET, timestamp + '.' + body). "
                         "A signature already accepted is refused (409).")
async def webhook_ask(request: Request, bot: BotDep) -> dict:
    secret = request.app.state.settings.webhook_secret
    if not secret:
        raise NotFound("the webhook is not configured (set BOT_WEBHOOK_SECRET)")
    body = await request.body()
    signature = request.headers.get("x-citebot-signature")
    webhook.verify(secret, request.headers.get("x-citebot-timestamp"), signature, body)
    if not bot.conversations.first_time("webhook", signature or "", ttl_seconds=2 * webhook.MAX_SKEW_SECONDS):
        raise Replayed("this signed request was already accepted; sign each request anew")
    try:
        ask = AskRequest.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    answer = await run_in_threadpool(bot.ask, ask.question, conversation_id=ask.conversation_id, top_k=ask.top_k,
                                     namespace="webhook")
    return asdict(answer)
