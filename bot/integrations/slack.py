"""Slack: the Events API (app mentions, direct messages) and slash commands, answered in the background.

Slack retries any delivery not acknowledged within 3 seconds, so requests are verified, acknowledged at
once, and answered on a worker thread; a delivery already seen (same event_id) is never answered twice.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, quote

from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.answer import ABSTAIN_ANSWER, Answer
from bot.config import Settings
from bot.errors import BadInput, BotError, Unauthorized

log = logging.getLogger(__name__)

MAX_BLOCKS = 50
MAX_TEXT = 2900  # Slack's section text limit is 3000 characters
_MENTION = re.compile(r"<@[A-Z0-9]+>")


class SlackApp:
    """Verifies, deduplicates and answers Slack deliveries; posts through slack_sdk."""

    def __init__(self, settings: Settings, ask):
        self.settings = settings
        self.ask = ask  # (question, thread key) -> Answer, in the Slack namespace of conversations
        self.verifier = SignatureVerifier(settings.slack_signing_secret)
        self.client = WebClient(token=settings.slack_bot_token or None, base_url=settings.slack_api_url)
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="slack")
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._seen_lock = threading.Lock()

    def verify(self, body: bytes, headers: dict[str, str]) -> None:
        try:
            ok = self.verifier.is_valid_request(body, headers)
        except (ValueError, TypeError):
            ok = False
        if not ok:
            raise Unauthorized("invalid or missing Slack signature, or a timestamp older than 5 minutes")

    def _first_time(self, event_id: str) -> bool:
        now = time.monotonic()
        with self._seen_lock:
            while self._seen and (len(self._seen) > 10_000 or now - next(iter(self._seen.values())) > 3600):
                self._seen.popitem(last=False)
            if event_id in self._seen:
                return False
            self._seen[event_id] = now
            return True

    def handle_event(self, body: bytes, headers: dict[str, str]) -> dict:
        """Events API delivery -> the immediate response body (the answer is posted later)."""
        self.verify(body, headers)
        try:
            payload = json.loads(body)
        except ValueError:
            raise BadInput("the body is not JSON") from None
        if payload.get("type") == "url_verification":
            return {"challenge": payload.get("challenge", "")}
        if payload.get("type") != "event_callback":
            return {"ok": True}
        event = payload.get("event") or {}
        event_id = payload.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"
        if not self._wanted(event) or not self._first_time(event_id):
            return {"ok": True}
        question = _MENTION.sub("", event.get("text") or "").strip()
        if not question:
            return {"ok": True}
        channel, thread = event.get("channel"), event.get("thread_ts") or event.get("ts")
        self.pool.submit(self._answer_in_thread, question, channel, thread)
        return {"ok": True}

    @staticmethod
    def _wanted(event: dict) -> bool:
        if event.get("bot_id") or event.get("subtype") in ("bot_message", "message_changed", "message_deleted"):
            return False  # our own messages and other bots'
        if event.get("type") == "app_mention":
            return True
        return event.get("type") == "message" and event.get("channel_type") == "im"

    def _reply(self, question: str, conversation: str) -> tuple[str, list[dict] | None]:
        try:
            return render(self.ask(question, conversation), self.settings.public_url)
        except BotError as exc:
            return f"Sorry, I could not answer: {exc.message}", None

    def _answer_in_thread(self, question: str, channel: str, thread_ts: str) -> None:
        text, blocks = self._reply(question, f"slack:{channel}:{thread_ts}")
        try:
            self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)
        except Exception:
            log.exception("posting the answer to Slack failed")

    def handle_command(self, body: bytes, headers: dict[str, str]) -> dict:
        """Slash command -> an immediate ephemeral acknowledgement; the answer goes to response_url."""
        self.verify(body, headers)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        question = (form.get("text") or "").strip()
        if not question:
            return {"response_type": "ephemeral", "text": "Ask a question after the command, e.g. `/ask who led the raid?`"}
        url = form.get("response_url")
        if url:
            self.pool.submit(self._answer_to_url, question, url, form.get("channel_id", ""), form.get("user_id", ""))
        return {"response_type": "ephemeral", "text": f"Looking that up: {question}"}

    def _answer_to_url(self, question: str, url: str, channel: str, user: str) -> None:
        text, blocks = self._reply(question, f"slack:{channel}:{user}")
        try:
            WebhookClient(url).send(text=text, blocks=blocks, response_type="in_channel")
        except Exception:
            log.exception("posting the answer to the slash command's response_url failed")


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(ans: Answer, public_url: str) -> tuple[str, list[dict]]:
    """Block Kit for an answer: the answer, then each claim or quote with its title and a citation link."""
    base = public_url.rstrip("/")

    def link(cid: str, label: str) -> str:
        return f"<{base}/#cite={quote(cid, safe='')}|{_escape(label)}>"

    if ans.mode == "none":
        head = ans.answer if ans.answer != ABSTAIN_ANSWER else (
            "I could not find the answer in the documents. The closest passages are below as related reading.")
    else:
        head = ans.answer
    if ans.assessment:
        head = f"{head}\n_{ans.assessment}_"
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": _clip(_escape(head))}}]
    for i, f in enumerate(ans.facts, 1):
        who = f.claimant or "no claimant given"
        line = f"*[{i}]* {_escape(f.value)} {_escape(f.field)} — {_escape(who)}\n> {_escape(f.quote)}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(line)}})
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(link(f.citation_id, f.event), 300)}]})
    passages = ans.passages[:3] if ans.facts else ans.passages
    for i, p in enumerate(passages, 1):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(f"> {_escape(p.quote)}")}})
        label = f"[{i}] {p.title}" + (f" — {p.section}" if p.section else "")
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(link(p.citation_id, label), 300)}]})
    if len(blocks) > MAX_BLOCKS:
        blocks = blocks[: MAX_BLOCKS - 1] + [{"type": "context", "elements": [{"type": "mrkdwn", "text": "More evidence in the chat page."}]}]
    return _clip(head, 3000), blocks
