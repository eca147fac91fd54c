"""Conversations: what a chat is about, so a follow-up ("how many died there?") is read in its context.

The server issues conversation ids (128 random bits); an id it did not issue, or one that expired, is
refused, so one client can neither read nor steer another's conversation. Slack threads and webhook
callers keep their own conversations in namespaces of their own, which `/ask` cannot reach. State lives
in SQLite (WAL) beside the index, so `citebot ask --conversation-id` works across invocations and several
server processes share it; with `BOT_DATABASE_URL=postgresql://...` it lives in PostgreSQL, shared by servers
on several machines. A read-only index folder falls back to memory. Bounded in count, bytes and age.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.errors import BotError

log = logging.getLogger(__name__)

WEB, SLACK, WEBHOOK = "web", "slack", "webhook"
_ISSUED = re.compile(r"^[A-Za-z0-9_-]{22}$")  # secrets.token_urlsafe(16)
MAX_QUESTIONS = 5
MAX_QUESTION_CHARS = 300
MAX_PAYLOAD_BYTES = 4096


@dataclass(frozen=True)
class Subject:
    """What a conversation is about: an event of the fact table, or else a document."""

    name: str
    doc_id: str = ""
    places: tuple[str, ...] = ()
    year: int | None = None
    event_key: str = ""


@dataclass
class Conversation:
    id: str
    namespace: str
    subject: Subject | None = None
    questions: list[str] = field(default_factory=list)

    def remember(self, question: str, subject: Subject | None) -> None:
        self.questions = (self.questions + [question[:MAX_QUESTION_CHARS]])[-MAX_QUESTIONS:]
        if subject is not None:
            self.subject = subject

    def payload(self) -> str:
        data = {"subject": asdict(self.subject) if self.subject else None, "questions": self.questions}
        text = json.dumps(data, ensure_ascii=False)
        while len(text.encode("utf-8")) > MAX_PAYLOAD_BYTES and data["questions"]:
            data["questions"] = data["questions"][1:]
            text = json.dumps(data, ensure_ascii=False)
        return text

    @classmethod
    def from_payload(cls, cid: str, namespace: str, payload: str) -> "Conversation":
        data = json.loads(payload)
        s = data.get("subject")
        subject = Subject(s["name"], s.get("doc_id", ""), tuple(s.get("places", ())), s.get("year"),
                          s.get("event_key", "")) if s else None
        return cls(cid, namespace, subject, list(data.get("questions", [])))


_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    namespace TEXT NOT NULL, id TEXT NOT NULL, payload TEXT NOT NULL, updated DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (namespace, id)
);
CREATE INDEX IF NOT EXISTS conversations_updated ON conversations(updated);
CREATE TABLE IF NOT EXISTS seen (
    kind TEXT NOT NULL, key TEXT NOT NULL, expires DOUBLE PRECISION NOT NULL, PRIMARY KEY (kind, key)
);
"""


class _Database:
    """The few calls the store makes, on SQLite or PostgreSQL: the SQL is written once, in the subset both
    engines take ('?' placeholders become psycopg's '%s'); a write transaction takes SQLite's write lock at once
    (BEGIN IMMEDIATE), PostgreSQL's row locks and unique keys do the rest."""

    def __init__(self, conn, *, postgres: bool, reconnect=None):
        self.conn = conn
        self.postgres = postgres
        self._reconnect = reconnect  # PostgreSQL: a new session after the server dropped this one
        self._in_transaction = False

    def execute(self, sql: str, params: tuple = ()):
        if not self.postgres:
            return self.conn.execute(sql, params)
        import psycopg

        from bot.pgstore import reachable
        with reachable():
            if self.conn.closed or self.conn.broken:
                self.conn = self._reconnect()
            try:
                return self.conn.execute(sql.replace("?", "%s"), params)
            except psycopg.OperationalError:
                if self._in_transaction and sql != "BEGIN":
                    raise  # half a transaction cannot be replayed on a new session
                self.conn = self._reconnect()  # the server restarted since the last statement: once more
                return self.conn.execute(sql.replace("?", "%s"), params)

    def begin(self) -> None:
        self._in_transaction = True
        self.execute("BEGIN" if self.postgres else "BEGIN IMMEDIATE")

    def commit(self) -> None:
        self._in_transaction = False
        self.execute("COMMIT")

    def rollback(self) -> None:
        self._in_transaction = False
        self.execute("ROLLBACK")


class ConversationStore:
    """Conversations by (namespace, id), and the deliveries already seen. `path` None keeps them in memory
    (tests, read-only index); `url` (postgresql://...) keeps them in PostgreSQL instead of the SQLite file."""

    def __init__(self, path: Path | None, *, ttl_seconds: int, max_count: int, url: str = ""):
        self.ttl = ttl_seconds
        self.max_count = max_count
        self._lock = threading.Lock()
        self._db = self._postgres(url) if url else self._connect(path)

    @staticmethod
    def _postgres(url: str) -> _Database:
        try:
            import psycopg
        except ImportError:
            raise BotError("BOT_DATABASE_URL needs the PostgreSQL driver: pip install 'psycopg[binary]'") from None
        from bot.pgstore import SCHEMA_LOCK_KEY, reachable

        def connect():
            return psycopg.connect(url, autocommit=True, connect_timeout=10)

        with reachable():
            conn = connect()
            with conn.transaction():  # servers starting together create the tables once
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    conn.execute(statement)
        return _Database(conn, postgres=True, reconnect=connect)

    @staticmethod
    def _connect(path: Path | None) -> _Database:
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
                    raise OSError(f"{path.parent} is read-only")
                conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(_SCHEMA)
                conn.execute("BEGIN IMMEDIATE")  # proves the file takes writes (a read-only mount refuses)
                conn.execute("ROLLBACK")
                return _Database(conn, postgres=False)
            except (OSError, sqlite3.Error) as exc:
                log.warning("conversations kept in memory: %s is not writable (%s)", path, exc)
        conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        conn.executescript(_SCHEMA)
        return _Database(conn, postgres=False)

    def start(self, namespace: str = WEB) -> Conversation:
        """A new conversation with a server-issued id."""
        conv = Conversation(secrets.token_urlsafe(16), namespace)
        self.save(conv)
        return conv

    def get(self, cid: str, namespace: str = WEB) -> Conversation | None:
        """The conversation, or None when this server never issued `cid` in `namespace` or it expired."""
        if namespace == WEB and not _ISSUED.match(cid or ""):
            return None
        with self._lock:
            row = self._db.execute("SELECT payload, updated FROM conversations WHERE namespace = ? AND id = ?",
                                   (namespace, cid)).fetchone()
        if row is None or time.time() - row[1] > self.ttl:
            return None
        return Conversation.from_payload(cid, namespace, row[0])

    def open(self, key: str, namespace: str) -> Conversation:
        """The conversation of an outside thread (a Slack thread, a webhook caller's key), created on first use."""
        if namespace == WEB:
            raise ValueError("web conversations are issued by the server, never opened by key")
        return self.get(key, namespace) or Conversation(key, namespace)

    def save(self, conv: Conversation) -> None:
        now = time.time()
        with self._lock:
            self._db.begin()
            try:
                self._db.execute(
                    "INSERT INTO conversations(namespace, id, payload, updated) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(namespace, id) DO UPDATE SET payload = excluded.payload, updated = excluded.updated",
                    (conv.namespace, conv.id, conv.payload(), now))
                self._db.execute("DELETE FROM conversations WHERE updated < ?", (now - self.ttl,))
                excess = self._db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] - self.max_count
                if excess > 0:
                    self._db.execute("DELETE FROM conversations WHERE (namespace, id) IN "
                                     "(SELECT namespace, id FROM conversations ORDER BY updated LIMIT ?)", (excess,))
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise

    def first_time(self, kind: str, key: str, *, ttl_seconds: float = 3600, max_count: int = 100_000) -> bool:
        """Record a delivery (a Slack event id, a signed request); False when the same one was recorded within
        `ttl_seconds`. Shared by every process on the same state file, so a retry reaching another worker is
        still recognised."""
        now = time.time()
        with self._lock:
            self._db.begin()
            try:
                self._db.execute("DELETE FROM seen WHERE expires < ?", (now,))
                inserted = self._db.execute("INSERT INTO seen(kind, key, expires) VALUES (?, ?, ?) "
                                            "ON CONFLICT(kind, key) DO NOTHING",
                                            (kind, key[:512], now + ttl_seconds)).rowcount
                excess = self._db.execute("SELECT COUNT(*) FROM seen").fetchone()[0] - max_count
                if excess > 0:
                    self._db.execute("DELETE FROM seen WHERE (kind, key) IN "
                                     "(SELECT kind, key FROM seen ORDER BY expires LIMIT ?)", (excess,))
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise
        return inserted == 1

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]


# A question that refers back: a pronoun or "there" standing for the subject, or an opener that continues.
_BACK_REFERENCE = re.compile(
    r"\b(?:there|it|its|they|them|their|he|she|his|her|him|these|those|this|the same)\b"
    r"|\bthat\s*\??\s*$|\b(?:after|before|during|in|at|of)\s+that\b|^\s*(?:and|also|so|then|what about|how about)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reading:
    """How to read a question: on its own, in the conversation's subject, or as needing one first."""

    subject: Subject | None  # read in this subject (a follow-up)
    clarify: bool = False  # it refers back, but the conversation has nothing to refer to


def read(question: str, conversation: Conversation | None, *, names_own_subject: bool) -> Reading:
    """A question is a follow-up only when it does not name its own subject and the conversation has one; a
    question that refers back with nothing to refer to needs its subject first."""
    if names_own_subject:
        return Reading(None)
    subject = conversation.subject if conversation is not None else None
    if subject is not None:
        return Reading(subject)
    return Reading(None, clarify=refers_back(question))


# "there was", "were there any": 'there' that stands for nothing
_EXISTENTIAL = re.compile(
    r"\bthere\s+(?:is|are|was|were|has|have|had|will|would|could|might|may|must|seems?|seemed|appears?|appeared|"
    r"remains?|remained|exists?|existed)\b|\b(?:is|are|was|were)\s+there\s+(?=[a-z])", re.IGNORECASE)
# a pronoun opening a clause of the question itself ("... when they fastened the valves down")
_CLAUSE_PRONOUN = re.compile(
    r"\b(?:when|while|after|before|because|if|once|until|as|since|where|that|which|who)\s+"
    r"(they|them|their|it|its|he|she|his|her|him)\b", re.IGNORECASE)


def refers_back(question: str) -> bool:
    """Whether the question leans on something said before: a pronoun or 'there' standing for a subject it does
    not name. After a noun of the question itself, existential 'there' ('scholars stated that there was already a
    settlement') stands for nothing and a pronoun opening a clause ('what were early drivers looking to generate
    when they fastened ...') refers inside the question; with no noun before them ('Were there any casualties?',
    'How many were killed when it started?') they lean on what was said before."""
    q = question
    for m in reversed(list(_CLAUSE_PRONOUN.finditer(q)) + list(_EXISTENTIAL.finditer(q))):
        if any(_is_noun(w) for w in re.findall(r"[A-Za-z][\w'-]*", q[: m.start()])):
            q = q[: m.start()] + " " * (m.end() - m.start()) + q[m.end() :]
    return bool(_BACK_REFERENCE.search(q))


_NOT_NOUNS = {"what", "which", "who", "whom", "how", "many", "much", "when", "where", "why", "did", "does", "do",
              "was", "were", "is", "are", "the", "a", "an"}


def _is_noun(word: str) -> bool:
    from bot.lexicon import lemmas

    w = word.lower()
    return w not in _NOT_NOUNS and ("NOUN" in lemmas(w) or (word[:1].isupper() and not lemmas(w)))
