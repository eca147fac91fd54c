"""Documents as users have them: real PDFs, saved web pages, Word files and Markdown (tests/fixtures/docs,
sources in its SOURCES.md). Every gold answer is found in the top five quotes, and every locator is checked
against the original file: a PDF quote by re-extracting the text inside its boxes with pypdfium2, an HTML
quote by slicing the raw bytes and stripping the tags, a DOCX quote by reading its paragraph or cell."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

import pytest

from bot.errors import DocumentRejected
from bot.ingest import read_document
from tests.conftest import make_bot

DOCS = Path(__file__).resolve().parent / "fixtures" / "docs"
QUESTIONS = [json.loads(line) for line in (DOCS / "questions.jsonl").read_text().splitlines() if line.strip()]


def squash(text: str) -> str:
    """Text without whitespace, hyphens or pdfium's hyphenation marks, for comparing a quote with what a
    locator points at."""
    return re.sub(r"[\s\-\u00ad\ufffe\u2010\u2011]+", "", text)


@pytest.fixture(scope="module")
def formats_bot(tmp_path_factory, bot):
    tmp = tmp_path_factory.mktemp("formats")
    b = make_bot(tmp, bot)
    report = b.ingest([DOCS])
    rejected = {Path(f).name: why for f, why in report.rejected}
    assert set(rejected) == {"scan-wikipedia-ocr-epson.pdf", "encrypted-aes256.pdf"}, rejected
    assert "no text layer" in rejected["scan-wikipedia-ocr-epson.pdf"]
    assert "encrypted" in rejected["encrypted-aes256.pdf"]
    return b


def test_every_format_is_read(formats_bot):
    formats = {d.doc_id: d.format for d in formats_bot.documents()}
    assert {"pdf", "html", "docx", "markdown"} <= set(formats.values()), formats
    titles = {d.doc_id: d.title for d in formats_bot.documents()}
    assert titles["wikipedia-duck"] == "Duck"
    assert titles["acl-n18-3011-two-column"] == "Construction of the Literature Graph in Semantic Scholar"
    assert titles["pdfplumber-readme"] == "pdfplumber" and "#" not in titles["pdfplumber-readme"]
    assert titles["wmf-news-turkey"].startswith("Access to Wikipedia restored in Turkey")


def test_gold_answers_are_found_in_the_top_five(formats_bot):
    misses = []
    for q in QUESTIONS:
        ans = formats_bot.ask(q["question"], top_k=5)
        texts = [ans.answer] + [p.quote for p in ans.passages]
        if not any(g.lower() in t.lower() for g in q["answers"] for t in texts):
            misses.append((q["id"], q["question"], ans.mode, ans.answer[:120]))
    print(f"{len(QUESTIONS) - len(misses)}/{len(QUESTIONS)} gold answers in the top five")
    assert len(misses) <= len(QUESTIONS) * 0.1, misses


def test_pdf_locators_hold_the_quote_inside_their_boxes(formats_bot):
    import pypdfium2 as pdfium

    snap = formats_bot.snapshot()
    checked = 0
    for q in QUESTIONS:
        for p in formats_bot.ask(q["question"], top_k=5).passages:
            loc = p.locator
            if loc.get("kind") != "pdf":
                continue
            pdf = pdfium.PdfDocument(snap.document_original(p.doc_id))
            inside = ""
            for part in [{"page": loc["page"], "boxes": loc["boxes"]}, *loc.get("more_pages", [])]:
                tp = pdf[part["page"] - 1].get_textpage()
                inside += "".join(tp.get_text_bounded(left=b[0] - 0.5, bottom=b[1] - 0.5, right=b[2] + 0.5,
                                                      top=b[3] + 0.5) for b in part["boxes"])
            pdf.close()
            page_text = formats_bot.document(p.doc_id).text
            start = next(pg.start for pg in formats_bot.document(p.doc_id).pages if pg.page == loc["page"])
            assert page_text[start + loc["start"] : start + loc["end"]] == p.quote
            assert squash(p.quote) in squash(inside) or squash(inside) in squash(p.quote) or \
                _overlap(squash(p.quote), squash(inside)) > 0.9, (p.doc_id, p.quote[:80], inside[:200])
            checked += 1
    print(f"{checked} PDF locators verified")
    assert checked >= 20


def _overlap(a: str, b: str) -> float:
    """Share of `a`'s characters found, in order, inside `b` (boxes of a quote's lines also hold their edges)."""
    from difflib import SequenceMatcher

    return sum(m.size for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()) / max(1, len(a))


def test_html_locators_slice_the_quote_out_of_the_raw_page(formats_bot):
    snap = formats_bot.snapshot()
    checked = 0
    for q in QUESTIONS:
        for p in formats_bot.ask(q["question"], top_k=5).passages:
            if p.locator.get("kind") != "html":
                continue
            raw = snap.document_original(p.doc_id)[p.locator["byte_start"] : p.locator["byte_end"]].decode("utf-8")
            visible = html.unescape(re.sub(r"<[^>]*>", " ", raw))
            # the slice holds the quote's words in order (inline furniture the text leaves out may sit between)
            # and little else
            assert _in_order(re.findall(r"\w+", p.quote), re.findall(r"\w+", visible)), (p.quote[:80], raw[:300])
            assert len(squash(visible)) <= 2 * len(squash(p.quote)) + 200, (p.quote[:80], visible[:300])
            checked += 1
    print(f"{checked} HTML locators verified")
    assert checked >= 10


def _in_order(words: list[str], among: list[str]) -> bool:
    rest = iter(among)
    return all(w in rest for w in words)


def test_docx_locators_point_at_the_paragraph_or_cell(formats_bot):
    import docx

    snap = formats_bot.snapshot()
    checked = 0
    for q in QUESTIONS:
        for p in formats_bot.ask(q["question"], top_k=5).passages:
            loc = p.locator
            if loc.get("kind") != "docx":
                continue
            d = docx.Document(io.BytesIO(snap.document_original(p.doc_id)))
            if "table" in loc:
                text = d.tables[loc["table"]].rows[loc["row"]].cells[loc["cell"]].text
            else:
                text = d.paragraphs[loc["paragraph"]].text
            assert p.quote.startswith(text[loc["start"] : loc["end"]][:40]), (loc, p.quote[:80], text[:120])
            checked += 1
    assert checked >= 3


def test_documents_api_gives_text_pages_original_and_page_images(formats_bot, tmp_path):
    from bot.api import create_app
    from bot.config import Settings
    from tests.conftest import LiveServer
    import httpx

    s = Settings(index_dir=formats_bot.settings.index_dir, seeds_dir=tmp_path / "none")
    with LiveServer(create_app(s, bot=formats_bot)) as live:
        doc = httpx.get(live.url + "/documents/un-s-2025-495-unowas-sahel").json()
        assert doc["format"] == "pdf" and len(doc["pages"]) == 15 and doc["pages"][0]["start"] == 0
        original = httpx.get(live.url + "/documents/un-s-2025-495-unowas-sahel/original")
        assert original.headers["content-type"] == "application/pdf"
        assert original.content == (DOCS / "un-s-2025-495-unowas-sahel.pdf").read_bytes()
        png = httpx.get(live.url + "/documents/un-s-2025-495-unowas-sahel/pages/1.png")
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
        assert httpx.get(live.url + "/documents/un-s-2025-495-unowas-sahel/pages/99.png").status_code == 404
        assert httpx.get(live.url + "/documents/wikipedia-duck/pages/1.png").status_code == 404
        listing = {d["doc_id"]: d for d in httpx.get(live.url + "/documents").json()}
        assert listing["un-s-2025-495-unowas-sahel"]["pages"] == 15 and listing["wikipedia-duck"]["format"] == "html"


def test_running_headers_and_page_numbers_are_never_quoted(formats_bot):
    text = formats_bot.document("un-s-2025-495-unowas-sahel").text
    assert not re.search(r"^\s*\d+/15\s", text, re.MULTILINE)
    assert text.count("25-11568") <= 1


def test_hyphenation_is_repaired_without_breaking_locators(formats_bot):
    text = formats_bot.document("acl-n18-3011-two-column").text
    assert "\ufffe" not in text and "literature" in text
    assert "di-rected" not in text and "directed edges" in text


@pytest.mark.parametrize("name, why", [("scan-wikipedia-ocr-epson.pdf", "no text layer"),
                                       ("encrypted-aes256.pdf", "encrypted")])
def test_unreadable_pdfs_are_rejected_with_a_reason(name, why):
    with pytest.raises(DocumentRejected, match=why):
        read_document(DOCS / name, max_bytes=10_000_000)
