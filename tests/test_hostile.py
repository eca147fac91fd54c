"""Hostile requests and files: clear 4xx answers and no 5xx, standard web protections, files that try to
reach outside their folder, a read-only index."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import httpx
import pytest

from bot.api import create_app
from bot.config import Settings
from bot.errors import DocumentRejected
from bot.ingest import is_valid_doc_id, iter_files, read_document
from tests.conftest import LiveServer, make_bot


@pytest.mark.parametrize("path, body", [("/ask", '{"question": "\\ud800 x"}'), ("/cite", '{"text": "\\udfff claim"}')])
def test_lone_surrogates_get_422(client, path, body):
    resp = client.post(path, content=body.encode(), headers={"content-type": "application/json"})
    assert resp.status_code == 422 and resp.json()["error"]["code"] in ("invalid_text", "invalid_request"), resp.text


def test_security_headers_on_every_response(client):
    for path in ("/", "/health", "/static/app.js", "/nowhere"):
        resp = client.get(path)
        assert "default-src 'self'" in resp.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["x-frame-options"] == "DENY"
        assert resp.headers["referrer-policy"] == "no-referrer"


def test_foreign_host_headers_are_refused(server):
    resp = httpx.get(server.url + "/health", headers={"Host": "evil.example.com"})
    assert resp.status_code == 400
    assert httpx.get(server.url + "/health", headers={"Host": "localhost"}).status_code == 200


def test_the_ask_key_guards_every_read_route(bot, settings):
    s = Settings(index_dir=settings.index_dir, seeds_dir=settings.seeds_dir, ask_api_key="k3y")
    with LiveServer(create_app(s, bot=bot)) as live:
        doc = next(iter(bot.snapshot().documents))
        for method, path, body in [("POST", "/ask", {"question": "When?"}), ("POST", "/cite", {"text": "attack"}),
                                   ("GET", "/documents", None), ("GET", f"/documents/{doc}", None),
                                   ("GET", "/citations/x:1-2:abc", None), ("GET", "/facts", None)]:
            resp = httpx.request(method, live.url + path, json=body, timeout=60)
            assert resp.status_code == 401, path
            ok = httpx.request(method, live.url + path, json=body, headers={"Authorization": "Bearer k3y"}, timeout=60)
            assert ok.status_code in (200, 404), (path, ok.text)
        assert httpx.get(live.url + "/health").status_code == 200


def test_facts_are_paged(client):
    first = client.get("/facts", params={"limit": 5})
    total = int(first.headers["x-total-count"])
    assert len(first.json()) == 5 and total > 5
    rest = client.get("/facts", params={"offset": 5, "limit": 1000}).json()
    assert len(rest) == total - 5


def test_ids_that_read_differently_are_refused():
    for bad in ("a\u202eb", "zero\u200bwidth", "iso\u2066late", "bom\ufeff", "..", "a/b"):
        assert not is_valid_doc_id(bad), bad
    assert is_valid_doc_id("2023 Al Haouz earthquake (report)")


def test_nul_bytes_anywhere_reject_a_file(tmp_path):
    path = tmp_path / "late.txt"
    path.write_bytes(b"Title\n\n" + b"A sentence of text. " * 5000 + b"\x00 more")
    with pytest.raises(DocumentRejected, match="NUL"):
        read_document(path, max_bytes=10_000_000)


def test_links_out_of_the_folder_are_not_followed(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "real.txt").write_text("Real page\n\nSome real text about an event, in a sentence.\n")
    secret = tmp_path / "outside.txt"
    secret.write_text("Secret\n\nNot part of the folder.\n")
    (docs / "link.txt").symlink_to(secret)
    (docs / "inside.txt").symlink_to(docs / "real.txt")
    names = {p.name for p in iter_files([docs])}
    assert "link.txt" not in names and {"real.txt", "inside.txt"} <= names


@pytest.fixture()
def read_only_index(tmp_path, bot):
    """A built index in a folder this process cannot write: a read-only bind mount when allowed (root), else
    a folder without write permission (other users)."""
    b = make_bot(tmp_path, bot)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "one.txt").write_text("One page\n\nOn May 2, 2021, rebels attacked the camp at Foo, killing 4 soldiers.\n")
    b.ingest([tmp_path / "docs"])
    mounted = tmp_path / "ro"
    mounted.mkdir()
    bind = subprocess.run(["mount", "--bind", str(b.store.root), str(mounted)], capture_output=True)
    if bind.returncode == 0:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mounted)], check=True)
        try:
            yield mounted
        finally:
            subprocess.run(["umount", "-l", str(mounted)])
        return
    root = b.store.root
    for p in [root, *root.rglob("*")]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        if os.access(root, os.W_OK):
            pytest.skip("cannot make a read-only folder here (no bind mount, and file modes are ignored)")
        yield root
    finally:
        for p in [root, *root.rglob("*")]:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


def test_a_read_only_index_is_served_and_ingest_says_so(tmp_path, bot, read_only_index):
    ro = Bot_over(read_only_index, tmp_path, bot)
    assert ro.ensure_index() is None
    assert ro.ask("When was the camp at Foo attacked?").passages
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "ingest", "--index", str(read_only_index), str(tmp_path / "docs")],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode != 0 and "read-only" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-2000:]


def Bot_over(root, tmp_path, bot):
    from bot.service import Bot

    b = Bot(Settings(index_dir=root, seeds_dir=tmp_path / "docs"))
    b.embedder = bot.embedder
    b.retriever = type(bot.retriever)(bot.embedder)
    b.store.identity = bot.embedder.identity()
    return b


def test_a_full_disk_answers_507_and_keeps_the_index(tmp_path, bot):
    small = tmp_path / "small"
    small.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(small)], capture_output=True).returncode:
        pytest.skip("cannot mount a small file system here to fill")
    try:
        s = Settings(index_dir=small / "index", seeds_dir=tmp_path / "none", admin_api_key="adm")
        b = Bot_over(small / "index", tmp_path, bot)
        b.settings = s
        b.add_text("first", "First page\n\nOn May 2, 2021, rebels attacked the camp at Foo, killing 4 soldiers.\n")
        with LiveServer(create_app(s, bot=b)) as live:
            big = "Big page\n\n" + "On May 3, 2021, rebels attacked the camp at Bar, killing 5 soldiers. " * 4000
            resp = httpx.post(live.url + "/documents", json={"doc_id": "big", "text": big},
                              headers={"Authorization": "Bearer adm"}, timeout=300)
            assert resp.status_code == 507 and resp.json()["error"]["code"] == "insufficient_storage", resp.text
            assert [d["doc_id"] for d in httpx.get(live.url + "/documents").json()] == ["first"]
    finally:
        subprocess.run(["umount", "-l", str(small)])
