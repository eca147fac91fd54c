"""End-to-end in a real headless Chromium (Debian's package) driven by playwright: ask, read, click a
citation, see the span highlighted; follow-ups; untrusted document text renders inertly."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

from bot.api import create_app
from tests.conftest import LiveServer, make_bot

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server):
    context = browser.new_context()
    pg = context.new_page()
    pg.goto(server.url + "/")
    yield pg
    context.close()


def ask(page, question: str) -> None:
    before = page.locator("li.msg.bot").count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    expect(page.locator("li.msg.bot")).to_have_count(before + 1, timeout=60_000)


def test_ask_click_citation_and_see_the_span(page, client):
    ask(page, "What did the jihadists do to the Sokolo base after the fighting?")
    answer = page.locator("li.msg.bot").last
    expect(answer.locator(".answer")).to_contain_text("base")
    first_card = answer.locator(".card").first
    quote_text = first_card.locator("blockquote").inner_text()
    first_card.locator("button.cite-link").click()
    mark = page.locator("#doc-text mark")
    expect(mark).to_have_count(1)
    assert mark.inner_text() == quote_text
    expect(mark).to_be_in_viewport()
    expect(page.locator("#cite-text")).to_contain_text(quote_text)
    expect(page.locator("#viewer-title")).to_contain_text("Sokolo")


def test_fact_answer_table_and_follow_up(page):
    ask(page, "When did the attack on Sokolo happen?")
    ask(page, "How many soldiers died there?")
    last = page.locator("li.msg.bot").last
    expect(last.locator(".answer")).to_contain_text("Sokolo")
    expect(last.locator("table.facts tbody tr").first).to_be_visible()
    expect(last.locator("table.facts")).to_contain_text("Malian government")


def test_conversation_survives_reload(page):
    ask(page, "Who was the captain at the Sokolo military base?")
    count = page.locator("li.msg").count()
    page.reload()
    expect(page.locator("li.msg")).to_have_count(count)


def test_errors_are_visible(page):
    page.fill("#question", "x" * 1000)
    page.evaluate("document.getElementById('question').value = 'y'.repeat(1500)")
    page.press("#question", "Enter")
    expect(page.locator("li.msg.error").last).to_contain_text("limit", timeout=30_000)


def test_phone_width_has_no_horizontal_scroll(browser, server):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    pg = context.new_page()
    pg.goto(server.url + "/")
    ask(pg, "When did the raid on Dioura happen?")
    width = pg.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 376
    expect(pg.get_by_label("Your question")).to_be_visible()
    context.close()


XSS = ("Attack on Scriptville\n\nOn May 1, 2021, rebels attacked the army post in Scriptville. "
       "<script>window.__pwned = 1</script> The report quoted <img src=x onerror=\"window.__pwned = 2\"> "
       "as the rebels' banner, and said nine soldiers were killed.\n")


def test_untrusted_document_text_renders_inertly(browser, tmp_path, bot):
    xbot = make_bot(tmp_path, bot)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "xss.txt").write_text(XSS)
    xbot.ingest([tmp_path / "docs"])
    with LiveServer(create_app(xbot.settings, bot=xbot)) as live:
        context = browser.new_context()
        pg = context.new_page()
        pg.goto(live.url + "/")
        ask(pg, "What happened at the army post in Scriptville?")
        pg.locator("li.msg.bot").last.locator("button.cite-link").first.click()
        expect(pg.locator("#doc-text")).to_contain_text("<script>window.__pwned = 1</script>")
        expect(pg.locator("#doc-text")).to_contain_text("<img src=x onerror=")
        assert pg.evaluate("window.__pwned") is None
        assert pg.locator("#doc-text img, #doc-text script").count() == 0
        context.close()
