"""Admin endpoints (upload, delete) behind a bearer key; an optional key for questions."""

from __future__ import annotations

import httpx
import pytest

from bot.api import create_app
from tests.conftest import LiveServer, make_bot

KEY = "admin-key-123"
DOC = "Raid on Uploadville\n\nOn June 2, 2021, rebels attacked the army camp at Uploadville, killing seven soldiers.\n"


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory, bot):
    tmp = tmp_path_factory.mktemp("admin")
    b = make_bot(tmp, bot, admin_api_key=KEY, ask_api_key="ask-key", max_document_bytes=50_000)
    with LiveServer(create_app(b.settings, bot=b)) as live:
        yield live


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_admin_routes_are_disabled_without_a_key(client):
    assert client.post("/documents", json={"doc_id": "x", "text": DOC}).status_code == 403
    assert client.delete("/documents/000_cca4bf9d461e7ceb").status_code == 403
    assert client.get("/documents/000_cca4bf9d461e7ceb").status_code == 200  # still there


def test_upload_ask_and_delete_with_the_key(admin_server):
    url = admin_server.url
    with httpx.Client(base_url=url, timeout=60) as c:
        assert c.post("/documents", json={"doc_id": "up", "text": DOC}).status_code == 401
        assert c.post("/documents", json={"doc_id": "up", "text": DOC}, headers=auth("wrong")).status_code == 401
        assert c.post("/documents", json={"doc_id": "up", "text": DOC}, headers={"Authorization": KEY}).status_code == 401
        r = c.post("/documents", json={"doc_id": "up", "text": DOC}, headers=auth(KEY))
        assert r.status_code == 200 and r.json()["status"] == "added" and r.json()["chunks"] >= 1
        assert c.post("/documents", json={"doc_id": "up", "text": DOC}, headers=auth(KEY)).json()["status"] == "unchanged"
        assert c.post("/ask", json={"question": "How many soldiers were killed at Uploadville?"}).status_code == 401
        body = c.post("/ask", json={"question": "How many soldiers were killed at Uploadville?"}, headers=auth("ask-key")).json()
        assert "seven" in body["answer"]
        assert c.delete("/documents/up", headers=auth("wrong")).status_code == 401
        assert c.delete("/documents/up", headers=auth(KEY)).json()["status"] == "removed"
        assert c.delete("/documents/up", headers=auth(KEY)).status_code == 404


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"doc_id": "../../etc/passwd", "text": DOC}, 422),
        ({"doc_id": ".hidden", "text": DOC}, 422),
        ({"doc_id": "nul", "text": "Title\n\nSome\x00binary text here that is long enough."}, 422),
        ({"doc_id": "cruft", "text": "Skip to content\nSkip to main menu\n"}, 422),
        ({"doc_id": "empty", "text": "   "}, 422),
        ({"doc_id": "big", "text": "word " * 20_000}, 413),
        ({"doc_id": "x"}, 422),
    ],
)
def test_bad_uploads_get_clear_errors(admin_server, payload, status):
    r = httpx.post(admin_server.url + "/documents", json=payload, headers=auth(KEY), timeout=60)
    assert r.status_code == status, r.text
    assert r.json()["error"]["message"]
