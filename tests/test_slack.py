"""Slack and the signed webhook against a running app, with slack_sdk as the peer and a local fake of
Slack's Web API that records chat.postMessage calls and response_url posts."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.api import create_app
from bot.config import Settings
from tests.conftest import LiveServer, free_port

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
WEBHOOK_SECRET = "webhook-test-secret"


class FakeSlack:
    """Speaks enough of Slack's Web API: chat.postMessage and response_url posts, recorded."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.cond = threading.Condition()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                ctype = self.headers.get("content-type", "")
                if "json" in ctype:
                    body = json.loads(raw or b"{}")
                else:
                    from urllib.parse import parse_qs

                    body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                with fake.cond:
                    fake.calls.append((self.path, body))
                    fake.cond.notify_all()
                reply = {"ok": True, "channel": body.get("channel"), "ts": "1700000000.000200"}
                data = json.dumps(reply).encode() if self.path.startswith("/api/") else b"ok"
                self.send_response(200)
                self.send_header("content-type", "application/json" if self.path.startswith("/api/") else "text/plain")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 60) -> list:
        deadline = time.time() + timeout
        with self.cond:
            while len(self.calls) < count and time.time() < deadline:
                self.cond.wait(timeout=max(0.0, deadline - time.time()))
            return list(self.calls)

    def close(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def fake_slack():
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def slack_server(bot, settings, fake_slack):
    s = Settings(index_dir=settings.index_dir, seeds_dir=settings.seeds_dir, slack_signing_secret=SECRET,
                 slack_bot_token="xoxb-test", slack_api_url=fake_slack.url + "/api/",
                 public_url="https://citebot.example.org", webhook_secret=WEBHOOK_SECRET)
    with LiveServer(create_app(s, bot=bot)) as live:
        yield live


@pytest.fixture(autouse=True)
def clear(fake_slack):
    fake_slack.calls.clear()


def signed(body: bytes, *, age: int = 0, secret: str = SECRET) -> dict:
    ts = str(int(time.time()) - age)
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


def event(event_id: str, **fields) -> bytes:
    return json.dumps({"type": "event_callback", "event_id": event_id, "team_id": "T1", "event": fields}).encode()


def post(server, path: str, body: bytes, headers: dict, ctype: str = "application/json") -> httpx.Response:
    return httpx.post(server.url + path, content=body, headers={**headers, "content-type": ctype}, timeout=30)


def test_url_verification_challenge(slack_server):
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"}).encode()
    resp = post(slack_server, "/slack/events", body, signed(body))
    assert resp.status_code == 200 and resp.json()["challenge"] == "abc123"


def test_mention_is_acknowledged_fast_and_answered_in_thread(slack_server, fake_slack):
    body = event("Ev1", type="app_mention", user="U1", text="<@UBOT> When did the raid on Dioura happen?",
                 channel="C1", ts="1700000000.000100")
    started = time.monotonic()
    resp = post(slack_server, "/slack/events", body, signed(body))
    elapsed = time.monotonic() - started
    assert resp.status_code == 200 and elapsed < 3.0  # Slack retries anything slower than 3 s
    calls = fake_slack.wait(1)
    path, msg = calls[0]
    assert path == "/api/chat.postMessage"
    assert msg["channel"] == "C1" and msg["thread_ts"] == "1700000000.000100"
    blocks = json.loads(msg["blocks"]) if isinstance(msg["blocks"], str) else msg["blocks"]
    assert "March 17, 2019" in msg["text"] and len(blocks) <= 50
    assert any("https://citebot.example.org/#cite=" in json.dumps(b) for b in blocks)


def test_direct_message_is_answered(slack_server, fake_slack):
    body = event("Ev2", type="message", channel_type="im", user="U2", text="Who was the captain at the Sokolo base?",
                 channel="D1", ts="1700000001.000100")
    assert post(slack_server, "/slack/events", body, signed(body)).status_code == 200
    path, msg = fake_slack.wait(1)[0]
    assert msg["channel"] == "D1" and "Sangare" in json.dumps(msg)


def test_three_deliveries_of_one_event_give_one_reply(slack_server, fake_slack):
    body = event("Ev3", type="app_mention", user="U1", text="<@UBOT> How many soldiers were killed at Kwala?",
                 channel="C2", ts="1700000002.000100")
    for retry in range(3):
        headers = {**signed(body), **({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {})}
        assert post(slack_server, "/slack/events", body, headers).status_code == 200
    fake_slack.wait(1)
    time.sleep(2)  # a second reply, if any, would have arrived by now
    assert len([c for c in fake_slack.calls if c[1].get("channel") == "C2"]) == 1


def test_bot_messages_are_ignored(slack_server, fake_slack):
    body = event("Ev4", type="message", channel_type="im", bot_id="B1", text="How many died?", channel="D2", ts="1.2")
    assert post(slack_server, "/slack/events", body, signed(body)).status_code == 200
    time.sleep(1.5)
    assert fake_slack.calls == []


@pytest.mark.parametrize("case", ["bad", "missing", "stale", "other_secret"])
def test_bad_signatures_get_401_and_nothing_runs(slack_server, fake_slack, case):
    body = event(f"Ev-{case}", type="app_mention", user="U1", text="<@UBOT> When did Kwala happen?", channel="C9", ts="9.9")
    headers = {"bad": {**signed(body), "X-Slack-Signature": "v0=" + "0" * 64}, "missing": {},
               "stale": signed(body, age=6 * 60), "other_secret": signed(body, secret="nope")}[case]
    resp = post(slack_server, "/slack/events", body, headers)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "unauthorized"
    time.sleep(1)
    assert fake_slack.calls == []


def test_slash_command_answers_through_response_url(slack_server, fake_slack):
    form = urlencode({"command": "/ask", "text": "How many civilians were killed at Sokolo?", "user_id": "U1",
                      "channel_id": "C3", "response_url": fake_slack.url + "/commands/T1/123/abc"}).encode()
    started = time.monotonic()
    resp = post(slack_server, "/slack/commands", form, signed(form), "application/x-www-form-urlencoded")
    assert resp.status_code == 200 and time.monotonic() - started < 3.0
    assert resp.json()["response_type"] == "ephemeral"
    path, msg = fake_slack.wait(1)[0]
    assert path == "/commands/T1/123/abc" and "53" in msg["text"] and msg["response_type"] == "in_channel"


def test_slack_routes_are_404_without_settings(client):
    assert client.post("/slack/events", content=b"{}").status_code == 404
    assert client.post("/slack/commands", content=b"").status_code == 404
    assert client.post("/webhook/ask", content=b"{}").status_code == 404


def webhook_headers(body: bytes, *, secret: str = WEBHOOK_SECRET, age: int = 0) -> dict:
    ts = str(int(time.time()) - age)
    sig = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Citebot-Timestamp": ts, "X-Citebot-Signature": f"sha256={sig}", "content-type": "application/json"}


def test_signed_webhook_returns_the_ask_body(slack_server, client):
    body = json.dumps({"question": "When did the raid on Dioura happen?"}).encode()
    resp = httpx.post(slack_server.url + "/webhook/ask", content=body, headers=webhook_headers(body), timeout=60)
    assert resp.status_code == 200
    direct = client.post("/ask", json={"question": "When did the raid on Dioura happen?"}).json()
    got = resp.json()
    assert set(got) == set(direct) and got["answer"] == direct["answer"]


@pytest.mark.parametrize("case", ["wrong_secret", "stale", "missing", "tampered", "garbage_ts"])
def test_webhook_rejects_bad_signatures(slack_server, case):
    body = json.dumps({"question": "When did the raid on Dioura happen?"}).encode()
    headers = {"wrong_secret": webhook_headers(body, secret="x"), "stale": webhook_headers(body, age=301),
               "missing": {"content-type": "application/json"}, "tampered": webhook_headers(b"{}"),
               "garbage_ts": {**webhook_headers(body), "X-Citebot-Timestamp": "soon"}}[case]
    resp = httpx.post(slack_server.url + "/webhook/ask", content=body, headers=headers, timeout=30)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("path", ["/slack/events", "/slack/commands", "/webhook/ask"])
def test_huge_timestamps_are_refused_not_crashed(slack_server, path):
    body = b'{"question": "When?"}'
    headers = {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=" + "0" * 64,
               "X-Citebot-Timestamp": "9" * 400, "X-Citebot-Signature": "sha256=" + "0" * 64}
    resp = post(slack_server, path, body, headers)
    assert resp.status_code == 401, resp.text


@pytest.mark.parametrize("payload", [[1, 2], "a string", {"type": "event_callback", "event": "text"},
                                     {"type": "event_callback", "event_id": "E1", "event": {"type": "app_mention", "text": 5, "channel": "C1", "ts": "1"}},
                                     {"type": "event_callback", "event_id": ["E"], "event": {"type": "app_mention", "text": "hi", "channel": "C1", "ts": "1"}},
                                     {"type": "url_verification", "challenge": {"a": 1}}])
def test_signed_but_malformed_payloads_get_400_and_nothing_is_posted(slack_server, fake_slack, payload):
    body = json.dumps(payload).encode()
    resp = post(slack_server, "/slack/events", body, signed(body))
    assert resp.status_code == 400, resp.text
    time.sleep(0.5)
    assert fake_slack.calls == []


def test_mentions_from_bots_are_ignored_by_every_marker(slack_server, fake_slack):
    for i, marker in enumerate(({"bot_profile": {"id": "B1"}}, {"app_id": "A1"}, {"subtype": "bot_message"})):
        body = event(f"EvBot{i}", type="app_mention", user="U1", text="<@UBOT> When did Kwala happen?",
                     channel="C7", ts=f"7.{i}", **marker)
        assert post(slack_server, "/slack/events", body, signed(body)).status_code == 200
    time.sleep(1.5)
    assert fake_slack.calls == []


def test_identical_slash_commands_are_answered_once(slack_server, fake_slack):
    form = urlencode({"command": "/ask", "text": "When did the raid on Dioura happen?", "user_id": "U1",
                      "channel_id": "C4", "response_url": fake_slack.url + "/commands/T1/9/x"}).encode()
    headers = signed(form)
    for _ in range(2):
        assert post(slack_server, "/slack/commands", form, headers, "application/x-www-form-urlencoded").status_code == 200
    fake_slack.wait(1)
    time.sleep(2)
    assert len(fake_slack.calls) == 1


def test_response_url_must_be_slack(slack_server, fake_slack):
    form = urlencode({"command": "/ask", "text": "When?", "user_id": "U1", "channel_id": "C5",
                      "response_url": "http://169.254.169.254/latest/meta-data"}).encode()
    resp = post(slack_server, "/slack/commands", form, signed(form), "application/x-www-form-urlencoded")
    assert resp.status_code == 400
    time.sleep(0.5)
    assert fake_slack.calls == []


def test_a_replayed_webhook_is_refused(slack_server):
    body = json.dumps({"question": "When did the raid on Dioura happen?"}).encode()
    headers = webhook_headers(body)
    first = httpx.post(slack_server.url + "/webhook/ask", content=body, headers=headers, timeout=60)
    again = httpx.post(slack_server.url + "/webhook/ask", content=body, headers=headers, timeout=60)
    assert first.status_code == 200 and again.status_code == 409 and again.json()["error"]["code"] == "replayed"


def test_slash_check_posts_a_verdict_per_sentence(slack_server, fake_slack):
    draft = "27 soldiers were killed in the 2022 Mondoro attack. Twelve soldiers were killed in the 2022 Mondoro attack."
    form = urlencode({"command": "/check", "text": draft, "user_id": "U1", "channel_id": "C5",
                      "response_url": fake_slack.url + "/commands/T1/555/chk"}).encode()
    resp = post(slack_server, "/slack/commands", form, signed(form), "application/x-www-form-urlencoded")
    assert resp.status_code == 200 and "Checking" in resp.json()["text"]
    path, msg = fake_slack.wait(1)[0]
    blocks = json.dumps(msg["blocks"])
    assert path == "/commands/T1/555/chk" and "1 supported, 1 conflicts" in msg["text"]
    assert "*Supported*" in blocks and "*Conflicts*" in blocks and "citebot.example.org/#cite=" in blocks


def test_message_shortcut_checks_the_message_in_its_thread(slack_server, fake_slack):
    payload = {"type": "message_action", "callback_id": "check", "trigger_id": "trig-1",
               "channel": {"id": "C6"}, "user": {"id": "U1"}, "response_url": fake_slack.url + "/actions/1",
               "message": {"type": "message", "text": "Twelve soldiers were killed in the 2022 Mondoro attack.",
                           "ts": "1700000009.000100"}}
    form = urlencode({"payload": json.dumps(payload)}).encode()
    for _ in range(2):  # a retried delivery is checked once
        resp = post(slack_server, "/slack/interactions", form, signed(form), "application/x-www-form-urlencoded")
        assert resp.status_code == 200
    path, msg = fake_slack.wait(1)[0]
    assert path == "/api/chat.postMessage" and msg["channel"] == "C6" and msg["thread_ts"] == "1700000009.000100"
    assert "1 conflicts" in msg["text"]
    time.sleep(1.5)
    assert len(fake_slack.calls) == 1
    bad = urlencode({"payload": "[1, 2]"}).encode()
    assert post(slack_server, "/slack/interactions", bad, signed(bad), "application/x-www-form-urlencoded").status_code == 400
    unsigned = post(slack_server, "/slack/interactions", form, {}, "application/x-www-form-urlencoded")
    assert unsigned.status_code == 401
