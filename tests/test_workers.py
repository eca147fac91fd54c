"""`citebot serve --workers N`: several processes over one index. A follow-up reaching any worker keeps its
context, an upload through one worker is served by all, a delivery recorded by one is recognised by another."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.conversations import ConversationStore
from tests.conftest import free_port, make_bot


@pytest.fixture(scope="module")
def workers(tmp_path_factory, bot):
    tmp = tmp_path_factory.mktemp("workers")
    b = make_bot(tmp, bot)
    b.ingest([bot.settings.seeds_dir])
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "BOT_INDEX_DIR": str(tmp / "index"), "BOT_SEEDS_DIR": str(tmp / "none"),
           "BOT_ADMIN_API_KEY": "admin-key"}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--workers", "2", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    ready = 0
    while time.time() < deadline and ready < 10:
        try:
            ready = ready + 1 if httpx.get(url + "/health", timeout=5).status_code == 200 else 0
        except httpx.HTTPError:
            time.sleep(0.5)
    yield url, proc
    proc.terminate()  # as a service manager stops it: the parent stops its workers
    try:
        proc.wait(timeout=60)
    finally:
        try:
            os.killpg(proc.pid, 9)  # anything left of the group
        except ProcessLookupError:
            pass


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return out


def fresh(url: str, method: str, path: str, **kw) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=60) as c:  # a new connection each time, so any worker may take it
        return c.request(method, path, **kw)


def test_two_worker_processes_serve(workers):
    url, proc = workers
    assert len([c for c in children(proc.pid) if "bot" in Path(f"/proc/{c}/cmdline").read_text()
                or "multiprocessing" in Path(f"/proc/{c}/cmdline").read_text()]) >= 2


def test_a_follow_up_keeps_its_context_on_any_worker(workers):
    url, _ = workers
    first = fresh(url, "POST", "/ask", json={"question": "When did the attack on Sokolo happen?"}).json()
    for _ in range(12):
        r = fresh(url, "POST", "/ask", json={"question": "How many soldiers died there?",
                                              "conversation_id": first["conversation_id"]})
        assert r.status_code == 200 and "Sokolo" in r.json()["answer"], r.text


def test_an_upload_through_one_worker_is_served_by_all(workers):
    url, _ = workers
    text = "Harbour fire\n\nOn 3 May 2021 a fire destroyed 12 warehouses in the harbour of Port Kelo, officials said.\n"
    r = fresh(url, "POST", "/documents", json={"doc_id": "harbour", "text": text},
              headers={"Authorization": "Bearer admin-key"})
    assert r.status_code == 200, r.text
    for _ in range(12):
        assert "harbour" in {d["doc_id"] for d in fresh(url, "GET", "/documents").json()}


def test_a_delivery_recorded_by_one_process_is_recognised_by_another(tmp_path):
    one = ConversationStore(tmp_path / "state.sqlite", ttl_seconds=3600, max_count=100)
    other = ConversationStore(tmp_path / "state.sqlite", ttl_seconds=3600, max_count=100)
    assert one.first_time("slack-event", "Ev1") is True
    assert other.first_time("slack-event", "Ev1") is False
