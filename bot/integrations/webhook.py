"""The signed webhook: HMAC-SHA256 over "<timestamp>." + raw body with a shared secret."""

from __future__ import annotations

import hashlib
import hmac
import time

from bot.errors import Unauthorized

MAX_SKEW_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes, *, now: float | None = None) -> None:
    """Raise Unauthorized unless the signature matches and the timestamp is within five minutes."""
    if not timestamp or not signature:
        raise Unauthorized("missing X-Citebot-Timestamp or X-Citebot-Signature")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise Unauthorized("X-Citebot-Timestamp must be unix seconds")
    ts = int(timestamp)
    if abs((now or time.time()) - ts) > MAX_SKEW_SECONDS:
        raise Unauthorized("X-Citebot-Timestamp is more than 5 minutes from now")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        raise Unauthorized("X-Citebot-Signature does not match the request body")
