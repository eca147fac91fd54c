"""Slack: the Events API (app mentions, direct messages), slash commands (`/ask`, `/check`) and the "Check
against the sources" message shortcut, answered in the background.

Slack retries any delivery not acknowledged within 3 seconds, so requests are verified, acknowledged at
once, and answered on a worker thread; a delivery already seen (same event_id) is never answered twice.
"""

from __future__ import annotations

import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, quote, urlparse

from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.answer import ABSTAIN_ANSWER, Answer
from bot.check import CheckReport
from bot.config import Settings
from bot.errors import BadInput, BotError, Unauthorized

log = logging.getLogger(__name__)

MAX_BLOCKS = 50
MAX_TEXT = 2900  # Slack's section text limit is 3000 characters
_MENTION = re.compile(r"<@[A-Z0-9]+>")


class SlackApp:
    """Verifies, deduplicates and answers Slack deliveries; posts through slack_sdk."""

    def __init__(self, settings: Settings, ask, first_time, check=None):
        self.settings = settings
        self.ask = ask  # (question, thread key) -> Answer, in the Slack namespace of conversations
        self.check = check  # draft text -> CheckReport
        self.first_time = first_time  # (kind, key) -> bool: False when that delivery was seen within the hour
        self.verifier = SignatureVerifier(settings.slack_signing_secret)
        self.client = WebClient(token=settings.slack_bot_token or None, base_url=settings.slack_api_url)
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="slack")

    def verify(self, body: bytes, headers: dict[str, str]) -> None:
        stamp = {k.lower(): v for k, v in headers.items()}.get("x-slack-request-timestamp", "")
        ok = stamp.isdigit() and len(stamp) <= 12
        if ok:
            try:
                ok = self.verifier.is_valid_request(body, headers)
            except Exception:  # a malformed header must answer 401, whatever the verifier trips on
                ok = False
        if not ok:
            raise Unauthorized("invalid or missing Slack signature, or a timestamp older than 5 minutes")

    def handle_event(self, body: bytes, headers: dict[str, str]) -> dict:
        """Events API delivery -> the immediate response body (the answer is posted later)."""
        self.verify(body, headers)
        try:
            payload = json.loads(body)
        except ValueError:
            raise BadInput("the body is not JSON") from None
        if not isinstance(payload, dict):
            raise BadInput("the body is not a JSON object")
        if payload.get("type") == "url_verification":
            challenge = payload.get("challenge", "")
            if not isinstance(challenge, str):
                raise BadInput("challenge must be a string")
            return {"challenge": challenge}
        if payload.get("type") != "event_callback":
            return {"ok": True}
        event = payload.get("event") or {}
        if not isinstance(event, dict):
            raise BadInput("event must be an object")
        fields = {k: event.get(k) for k in ("text", "channel", "ts", "thread_ts", "type", "channel_type", "subtype")}
        if any(v is not None and not isinstance(v, str) for v in fields.values()):
            raise BadInput("event fields (text, channel, ts, thread_ts, type) must be strings")
        event_id = payload.get("event_id") or f"{fields['channel']}:{fields['ts']}"
        if not isinstance(event_id, str):
            raise BadInput("event_id must be a string")
        if not self._wanted(event) or not self.first_time("slack-event", event_id):
            return {"ok": True}
        question = _MENTION.sub("", fields["text"] or "").strip()
        channel, thread = fields["channel"], fields["thread_ts"] or fields["ts"]
        if not question or not channel or not thread:
            return {"ok": True}
        self.pool.submit(self._answer_in_thread, question, channel, thread)
        return {"ok": True}

    @staticmethod
    def _wanted(event: dict) -> bool:
        if (event.get("bot_id") or event.get("bot_profile") or event.get("app_id")
                or event.get("subtype") in ("bot_message", "message_changed", "message_deleted")):
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
        if url and not self._slack_url(url):
            raise BadInput("response_url is not a Slack address")
        signature = {k.lower(): v for k, v in headers.items()}.get("x-slack-signature", "")
        if not self.first_time("slack-command", signature):
            return {"response_type": "ephemeral", "text": "Already answering this command."}
        checking = (form.get("command") or "").strip() == "/check" and self.check is not None
        if url:
            job = self._check_to_url if checking else self._answer_to_url
            self.pool.submit(job, question, url, form.get("channel_id", ""), form.get("user_id", ""))
        if checking:
            return {"response_type": "ephemeral", "text": "Checking each sentence against the sources…"}
        return {"response_type": "ephemeral", "text": f"Looking that up: {question}"}

    def handle_interaction(self, body: bytes, headers: dict[str, str]) -> dict:
        """The message shortcut (callback id `check`): the message's text is checked and the verdicts posted in
        its thread. Slack wants an empty 200 within 3 seconds; the check runs afterwards."""
        self.verify(body, headers)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        try:
            payload = json.loads(form.get("payload") or "")
        except ValueError:
            raise BadInput("the interaction has no JSON payload") from None
        if not isinstance(payload, dict):
            raise BadInput("the interaction payload is not a JSON object")
        message, channel = payload.get("message"), payload.get("channel")
        if payload.get("type") != "message_action" or payload.get("callback_id") != "check" or self.check is None:
            return {}
        if not isinstance(message, dict) or not isinstance(channel, dict):
            raise BadInput("a message shortcut carries a message and a channel")
        text, ts, thread = message.get("text"), message.get("ts"), message.get("thread_ts") or message.get("ts")
        channel_id, trigger = channel.get("id"), payload.get("trigger_id") or f"{channel.get('id')}:{ts}"
        if not all(isinstance(v, str) and v for v in (text, ts, thread, channel_id, trigger)):
            raise BadInput("message text, ts and channel id must be strings")
        if self.first_time("slack-action", trigger):
            self.pool.submit(self._check_in_thread, _MENTION.sub("", text).strip(), channel_id, thread)
        return {}

    def _checked(self, text: str) -> tuple[str, list[dict] | None]:
        try:
            return render_check(self.check(text), self.settings.public_url)
        except BotError as exc:
            return f"Sorry, I could not check that: {exc.message}", None

    def _check_in_thread(self, text: str, channel: str, thread_ts: str) -> None:
        reply, blocks = self._checked(text)
        try:
            self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=reply, blocks=blocks)
        except Exception:
            log.exception("posting the check to Slack failed")

    def _check_to_url(self, text: str, url: str, channel: str, user: str) -> None:
        reply, blocks = self._checked(text)
        try:
            WebhookClient(url).send(text=reply, blocks=blocks, response_type="in_channel")
        except Exception:
            log.exception("posting the check to the slash command's response_url failed")

    def _slack_url(self, url: str) -> bool:
        """response_url must be https on Slack's hooks host or on the configured Slack API host (never an
        arbitrary address the request names)."""
        parsed = urlparse(url)
        configured = urlparse(self.settings.slack_api_url)
        if parsed.hostname and parsed.hostname == configured.hostname and parsed.scheme == configured.scheme:
            return True
        return parsed.scheme == "https" and (parsed.hostname or "").endswith(".slack.com") or parsed.hostname == "slack.com"

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


CHECK_LABELS = {"quoted": ":speech_balloon: *Quoted*", "supported": ":white_check_mark: *Supported*",
                "conflicts": ":x: *Conflicts*", "not_found": ":grey_question: *Not found*",
                "unclear": ":warning: *Unclear*"}


def render_check(report: CheckReport, public_url: str) -> tuple[str, list[dict]]:
    """Block Kit for a check: a summary, then each sentence with its verdict (an emoji and a word), the reason and
    a link to its best evidence."""
    base = public_url.rstrip("/")
    summary = ", ".join(f"{n} {v.replace('_', ' ')}" for v, n in report.counts.items() if n) or "nothing to check"
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"Checked against the sources: {summary}."}}]
    for i, s in enumerate(report.sentences, 1):
        line = f"{i}. {CHECK_LABELS[s.verdict]} {_escape(s.text)}\n_{_escape(s.reason)}_"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(line)}})
        links = [f"<{base}/#cite={quote(p.citation_id, safe='')}|{_escape(p.title)}>" for p in s.passages[:1]]
        links += [f"<{base}/#cite={quote(f.citation_id, safe='')}|{_escape(f.value)} per {_escape(f.claimant or 'no claimant')}>"
                  for c in s.claims for f in c.facts[:3]]
        if links:
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(" · ".join(links), 2000)}]})
    if len(blocks) > MAX_BLOCKS:
        blocks = blocks[: MAX_BLOCKS - 1] + [{"type": "context", "elements": [{"type": "mrkdwn", "text": "More in the chat page's Check view."}]}]
    return f"Checked against the sources: {summary}.", blocks

