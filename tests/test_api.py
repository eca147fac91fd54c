"""The HTTP contract, against a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

from urllib.parse import quote

import pytest

ASK_KEYS = {"question", "answer", "mode", "confidence", "passages", "facts", "conversation_id", "assessment"}
PASSAGE_KEYS = {"citation_id", "doc_id", "title", "quote", "start", "end", "score", "section", "locator"}


def assert_error(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_ask_returns_verified_quotes(client):
    resp = client.post("/ask", json={"question": "What did the jihadists do to the Sokolo base after the fighting?"})
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == ASK_KEYS
    assert body["mode"] == "passage" and 0 <= body["confidence"] <= 1 and body["conversation_id"]
    assert 1 <= len(body["passages"]) <= 5
    for p in body["passages"]:
        assert set(p) == PASSAGE_KEYS
        doc = client.get(f"/documents/{quote(p['doc_id'])}").json()
        assert doc["text"][p["start"] : p["end"]] == p["quote"]
    scores = [p["score"] for p in body["passages"]]
    assert scores == sorted(scores, reverse=True)


def test_top_k_and_conversation_id_round_trip(client):
    first = client.post("/ask", json={"question": "When did the Sokolo attack happen?", "top_k": 2}).json()
    issued = first["conversation_id"]
    assert len(first["passages"]) <= 2 and len(issued) >= 22  # 128 random bits, issued by the server
    again = client.post("/ask", json={"question": "How many soldiers died there?", "conversation_id": issued}).json()
    assert again["conversation_id"] == issued and "Sokolo" in again["answer"]


@pytest.mark.parametrize("cid", ["abc-123", "slack:C1:1700000000.000100", "A" * 22])
def test_conversations_the_server_did_not_issue_are_refused(client, cid):
    resp = client.post("/ask", json={"question": "How many soldiers died there?", "conversation_id": cid})
    assert_error(resp, 404, "conversation_not_found")


def test_unanswerable_question_abstains_with_related_reading(client):
    body = client.post("/ask", json={"question": "What is the boiling point of mercury in kelvin?"}).json()
    assert body["mode"] == "none" and "do not answer" in body["answer"]
    assert isinstance(body["passages"], list)


def test_documents_listing_and_exact_text(client, seeds_copy):
    docs = client.get("/documents").json()
    assert {d["doc_id"] for d in docs} == {p.stem for p in seeds_copy.iterdir()}
    for d in docs:
        assert {"doc_id", "title", "chars", "chunks"} <= set(d) and d["chunks"] > 0
        full = client.get(f"/documents/{quote(d['doc_id'])}").json()
        assert full["text"] == (seeds_copy / f"{d['doc_id']}.txt").read_text(encoding="utf-8")
        assert d["chars"] == len(full["text"])


def test_citation_lookup(client):
    p = client.post("/ask", json={"question": "Who was the captain at the Sokolo base?"}).json()["passages"][0]
    c = client.get(f"/citations/{quote(p['citation_id'], safe='')}").json()
    assert c["quote"] == p["quote"] and (c["start"], c["end"]) == (p["start"], p["end"])
    text = client.get(f"/documents/{quote(p['doc_id'])}").json()["text"]
    assert text[c["context_start"] : c["end"]] == c["context_before"] + c["quote"]


def test_health_and_openapi(client):
    h = client.get("/health").json()
    assert h["status"] == "ok" and h["documents"] == 5 and h["chunks"] > 0 and h["model"]
    assert h["search"] == {"kind": "exact", "recall_at_10": 1.0, "nlist": None, "nprobe": None}
    assert client.get("/docs").status_code == 200
    assert "/ask" in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"question": ""}, 400, "bad_request"),
        ({"question": "   \n "}, 400, "bad_request"),
        ({"question": "x" * 5000}, 400, "bad_request"),
        ({"question": "ok?", "top_k": 0}, 422, "invalid_request"),
        ({"question": "ok?", "top_k": 21}, 422, "invalid_request"),
        ({"question": 42}, 422, "invalid_request"),
        ({}, 422, "invalid_request"),
        ({"question": "ok?", "unexpected": 1}, 422, "invalid_request"),
    ],
)
def test_bad_questions_get_clear_4xx(client, payload, status, code):
    assert_error(client.post("/ask", json=payload), status, code)


def test_malformed_and_oversized_bodies(client):
    assert_error(client.post("/ask", content=b"{not json", headers={"content-type": "application/json"}), 400, "malformed_json")
    assert_error(client.post("/ask", content=b"\xff\xfe\x00", headers={"content-type": "application/json"}), 400)
    assert_error(client.post("/ask", content=b"x" * 200_000, headers={"content-type": "application/json"}), 413, "too_large")

    def chunked(total: int):  # no Content-Length: the body arrives in pieces, counted as it comes
        for _ in range(total // 8192):
            yield b" " * 8192

    r = client.post("/ask", content=chunked(400_000), headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers
    assert_error(r, 413, "too_large")
    assert "BOT_MAX_REQUEST_BYTES" in r.json()["error"]["message"]
    assert client.post("/ask", content=chunked(16_384), headers={"content-type": "application/json"}).status_code == 400
    assert client.get("/health").status_code == 200


def test_unknown_ids_are_404(client):
    assert_error(client.get("/documents/no-such-doc"), 404, "not_found")
    assert_error(client.get("/documents/..%2F..%2Fetc%2Fpasswd"), 404)
    assert_error(client.get("/citations/garbage"), 404, "not_found")
    assert_error(client.get("/citations/nodoc:1-5:abcdef"), 404, "not_found")
    assert_error(client.get("/nowhere"), 404, "not_found")


def test_stale_citation_is_410(client):
    p = client.post("/ask", json={"question": "When did the raid on Dioura happen?"}).json()["passages"][0]
    doc_id, rng, _ = p["citation_id"].rsplit(":", 2)
    err = assert_error(client.get(f"/citations/{quote(f'{doc_id}:{rng}:000000000000', safe='')}"), 410, "gone")
    assert err["details"]["doc_id"] == doc_id and err["details"]["current_version"]


def test_server_keeps_serving_after_bad_input(client):
    for _ in range(3):
        client.post("/ask", content=b"]]]", headers={"content-type": "application/json"})
    assert client.get("/health").status_code == 200


def test_numeric_question_is_answered_from_attributed_facts(client):
    body = client.post("/ask", json={"question": "How many Malian soldiers were killed at Mondoro?"}).json()
    assert body["mode"] == "fact" and body["facts"]
    for claim in ("27", "40–50+", "30"):
        assert claim in body["answer"]
    assert "JNIM" in body["answer"] and "French press" in body["answer"]
    for f in body["facts"]:
        text = client.get(f"/documents/{quote(f['doc_id'])}").json()["text"]
        assert text[f["start"] : f["end"]] == f["quote"] and f["value"] in f["quote"]
        assert f["side"] in ("soldiers", "unspecified")
    numbers = [n for n in __import__("re").findall(r"\d+", body["answer"].split(":", 1)[1]) if len(n) < 4]
    cited = " ".join(f["quote"] for f in body["facts"])
    assert all(n in cited for n in numbers)  # no figure that is not inside a cited span


def test_facts_endpoint_filters(client):
    rows = client.get("/facts", params={"event": "Sokolo", "field": "killed"}).json()
    assert rows and all(r["field"] == "killed" for r in rows)
    assert {"53", "20"} <= {r["value"] for r in rows}
    assert all("Sokolo" in r["event"] or r["event_year"] == 2020 for r in rows)
    assert client.get("/facts", params={"event": "Nowhere"}).json() == []


def test_cite_finds_exact_source_despite_typography(client):
    claim = "the Malian government announced they had lost 27 soldiers,   with 33 injured"
    body = client.post("/cite", json={"text": claim.replace("'", "\u2019")}).json()
    exact = [m for m in body["matches"] if m["exact"]]
    assert exact and exact[0]["doc_id"] == "000_cca4bf9d461e7ceb"
    text = client.get(f"/documents/{exact[0]['doc_id']}").json()["text"]
    assert text[exact[0]["start"] : exact[0]["end"]] == exact[0]["quote"]
    assert [m["exact"] for m in body["matches"]] == sorted((m["exact"] for m in body["matches"]), reverse=True)


def test_cite_returns_supporting_passages_for_a_paraphrase(client):
    body = client.post("/cite", json={"text": "JNIM said Amadou Koufa was in charge of the Dioura raid"}).json()
    assert body["matches"] and not any(m["exact"] for m in body["matches"])
    assert any("Amadou Koufa" in m["quote"] for m in body["matches"])
    assert_error(client.post("/cite", json={"text": "  "}), 400)


def test_citation_includes_the_references_its_markers_point_to(client):
    body = client.post("/cite", json={"text": "Fighting ended around 7 am"}).json()
    cid = next(m for m in body["matches"] if m["exact"])["citation_id"]
    doc_id, rng, version = cid.rsplit(":", 2)
    start, end = (int(x) for x in rng.split("-"))
    text = client.get(f"/documents/{doc_id}").json()["text"]
    end = text.index("[2]", start) + 3  # widen the quote to its reference markers
    c = client.get(f"/citations/{quote(f'{doc_id}:{start}-{end}:{version}', safe='')}").json()
    assert [r["marker"] for r in c["references"]] == ["1", "2"]
    assert "Le Point" in c["references"][0]["text"]


def test_chat_page_is_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "citebot" in page.text and "/static/app.js" in page.text
    assert client.get("/static/app.js").status_code == 200


def test_facts_filter_by_claimant(client):
    rows = client.get("/facts", params={"claimant": "jnim"}).json()
    assert rows and all("jnim" in r["claimant"].lower() for r in rows)
    everything = client.get("/facts", params={"limit": 1000})
    assert len(rows) < int(everything.headers["X-Total-Count"])


def test_openapi_documents_every_route_field_and_both_keys(client):
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert {"askKey", "adminKey"} <= set(schemes) and all(s["scheme"] == "bearer" for s in schemes.values())
    missing = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if not op.get("summary") or not op.get("description"):
                missing.append(f"{method} {path}")
            for param in op.get("parameters", []):
                if not (param.get("description") or param.get("schema", {}).get("description")):
                    missing.append(f"{method} {path} ?{param['name']}")
    for name, schema in spec["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            if not prop.get("description") and name not in ("HTTPValidationError", "ValidationError"):
                missing.append(f"{name}.{field}")
    assert not missing, missing
    assert spec["paths"]["/ask"]["post"]["security"] == [{"askKey": []}]
    assert spec["paths"]["/documents"]["post"]["security"] == [{"adminKey": []}]


def test_api_docs_and_favicon_are_served_from_here(client):
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        assert "cdn" not in page.text.lower() and "https://" not in page.text.split("<body")[1].split("openapi")[0]
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs-assets/redoc.standalone.js").status_code == 200
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_check_gives_each_sentence_a_verdict_with_evidence(client):
    draft = ("Fighting ended around 7 am, at which point the jihadists began to destroy nearly everything in the base.\n"
             "27 soldiers were killed in the 2022 Mondoro attack. Twelve soldiers were killed in the 2022 Mondoro attack.")
    body = client.post("/check", json={"text": draft}).json()
    got = [(s["verdict"], s["text"]) for s in body["sentences"]]
    assert [v for v, _ in got] == ["quoted", "supported", "conflicts"], got
    for s in body["sentences"]:
        assert draft[s["start"]:s["end"]] == s["text"]
        for p in s["passages"]:
            text = client.get(f"/documents/{p['doc_id']}").json()["text"]
            assert text[p["start"]:p["end"]] == p["quote"]
    supported, conflicting = body["sentences"][1], body["sentences"][2]
    assert {"27", "30"} <= {f["value"] for c in supported["claims"] for f in c["facts"]}  # the disagreement is shown
    assert conflicting["claims"][0]["verdict"] == "conflicts" and "27" in conflicting["reason"]
    assert body["counts"]["quoted"] == 1 and sum(body["counts"].values()) == 3
    assert_error(client.post("/check", json={"text": "   "}), 400)
    assert_error(client.post("/check", json={"text": "x" * 20_001}), 400)
