"""End-to-end in a real headless Chromium (Debian's package) driven by playwright: ask, read, click a
citation, see the span highlighted; follow-ups; untrusted document text renders inertly."""

from __future__ import annotations

import shutil
from pathlib import Path

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


# ------------------------------------------------------------------ the page as a demanding user meets it

AXE = (Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js").read_text()
MOBILE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Screenshots of every state checked below (desktop and mobile, light and dark), to look at."""
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots in {folder}")
    return folder


def axe_violations(pg) -> list[str]:
    pg.evaluate(AXE)
    found = pg.evaluate("async () => (await axe.run(document)).violations"
                        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
                        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 2).join(', '))")
    return found


def test_source_panel_hidden_until_opened_then_closed_by_escape_or_close(page):
    expect(page.locator("#viewer")).to_be_hidden()
    expect(page.locator("#question")).to_be_focused()
    ask(page, "What did the jihadists do to the Sokolo base after the fighting?")
    expect(page.locator("#copy-cite")).to_be_disabled()
    opener = page.locator("li.msg.bot").last.locator(".card button.cite-link").first
    opener.click()
    expect(page.locator("#viewer")).to_be_visible()
    expect(page.locator("#copy-cite")).to_be_enabled()
    page.keyboard.press("Escape")
    expect(page.locator("#viewer")).to_be_hidden()
    expect(opener).to_be_focused()
    opener.click()
    page.locator("#viewer-close").click()
    expect(page.locator("#viewer")).to_be_hidden()


def test_citation_numbers_are_unique_and_clickable(page):
    ask(page, "How many soldiers were killed at Mondoro?")
    answer = page.locator("li.msg.bot").last
    facts = answer.locator("table.facts tbody tr:not(.group) td:first-child").all_inner_texts()
    cards = [t.split("]")[0] + "]" for t in answer.locator(".card .src button").all_inner_texts()]
    labels = facts + cards
    assert len(facts) >= 2 and len(labels) == len(set(labels)), labels
    expect(answer.locator(".conflict")).to_contain_text("Sources disagree")
    answer.locator("p.answer button.ref").nth(1).click()
    expect(answer.locator("table.facts tbody tr:not(.group)").nth(1)).to_be_focused()
    # a source's own footnote markers inside quotes are not citebot's citation buttons
    ask(page, "What did the jihadists do to the Sokolo base after the fighting?")
    passage = page.locator("li.msg.bot").last
    expect(passage.locator("p.answer .srcnote").first).to_be_visible()
    assert passage.locator("p.answer button.ref").count() == 1


def test_phone_source_view_covers_the_page_and_closes(browser, server):
    context = browser.new_context(viewport=MOBILE)
    pg = context.new_page()
    pg.goto(server.url + "/")
    long_word = "x" * 400
    ask(pg, f"When did the raid on Dioura happen {long_word}?")
    user = pg.locator("li.msg.user").last
    assert user.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    assert pg.evaluate("document.scrollingElement.scrollWidth") <= MOBILE["width"] + 1
    pg.locator("li.msg.bot").last.locator("button.cite-link").first.click()
    box = pg.locator("#viewer").bounding_box()
    assert box["y"] <= 1 and box["height"] >= MOBILE["height"] - 2, box
    expect(pg.locator("#viewer-close")).to_be_in_viewport()
    pg.locator("#viewer-close").click()
    expect(pg.locator("#viewer")).to_be_hidden()
    tag = pg.locator(".top").bounding_box()
    assert tag["height"] < 80, tag
    context.close()


def test_cancel_and_network_failure_are_explained(page):
    page.route("**/ask", lambda route: None)  # never answered
    page.fill("#question", "Who led the raid on Dioura?")
    page.press("#question", "Enter")
    page.locator("#cancel").click()
    expect(page.locator("li.msg.notice").last).to_contain_text("cancelled")
    expect(page.locator("#send")).to_be_enabled()
    page.unroute("**/ask")
    page.route("**/ask", lambda route: route.abort())
    page.fill("#question", "Who led the raid on Dioura?")
    page.press("#question", "Enter")
    expect(page.locator("li.msg.error").last).to_contain_text("Could not reach the citebot server")


def test_the_page_asks_for_the_access_key(browser, tmp_path, bot):
    kbot = make_bot(tmp_path, bot, ask_api_key="reader-key")
    kbot.ingest([bot.settings.seeds_dir])
    with LiveServer(create_app(kbot.settings, bot=kbot)) as live:
        context = browser.new_context()
        pg = context.new_page()
        pg.goto(live.url + "/")
        pg.fill("#question", "Who led the raid on Dioura?")
        pg.press("#question", "Enter")
        expect(pg.locator("#key-dialog")).to_be_visible()
        pg.fill("#key-input", "wrong")
        pg.locator("#key-dialog button[value=ok]").click()
        expect(pg.locator("#key-why")).to_contain_text("not accepted")
        pg.fill("#key-input", "reader-key")
        pg.locator("#key-dialog button[value=ok]").click()
        expect(pg.locator("li.msg.bot")).to_have_count(1, timeout=60_000)
        pg.locator("li.msg.bot").last.locator("button.cite-link").first.click()
        expect(pg.locator("#doc-text mark")).to_have_count(1)  # the source view sends the key too
        context.close()


def test_api_docs_render_with_the_network_blocked(browser, server):
    context = browser.new_context()
    pg = context.new_page()
    outside = []

    def only_loopback(route):
        if route.request.url.startswith(server.url):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    pg.route("**/*", only_loopback)
    pg.goto(server.url + "/docs")
    expect(pg.locator(".swagger-ui .info .title")).to_contain_text("citebot", timeout=30_000)
    expect(pg.locator(".swagger-ui button.authorize")).to_be_visible()
    pg.goto(server.url + "/redoc")
    expect(pg.locator("h1").first).to_contain_text("citebot", timeout=30_000)
    assert outside == []
    context.close()


def test_pdf_citation_opens_the_page_with_the_quoted_lines_boxed(browser, tmp_path, bot, shots):
    pbot = make_bot(tmp_path, bot)
    (tmp_path / "docs").mkdir()
    shutil.copy(Path(__file__).resolve().parent / "fixtures" / "docs" / "fr-sainte-adele-pv-2023-06-20.pdf", tmp_path / "docs")
    pbot.ingest([tmp_path / "docs"])
    doc = pbot.document("fr-sainte-adele-pv-2023-06-20")
    page2 = doc.pages[1]
    sentence = doc.text[page2.start:page2.end].strip().split("\n")[0][:80]
    match = pbot.cite(sentence)[0]
    with LiveServer(create_app(pbot.settings, bot=pbot)) as live:
        context = browser.new_context()
        pg = context.new_page()
        pg.goto(f"{live.url}/#cite={match.citation_id}")
        expect(pg.locator("#page-frame img")).to_be_visible(timeout=30_000)
        locator = pbot.citation(match.citation_id).locator
        expect(pg.locator("#page-frame .box")).to_have_count(len(locator["boxes"]))
        expect(pg.locator("#page-frame .box").first).to_be_in_viewport()
        pg.screenshot(path=str(shots / "pdf-page-highlight.png"))
        expect(pg.locator("#page-label")).to_contain_text(f"Page {locator['page']}")
        # each box sits where pdfium put the characters: the locator's points, from the bottom left, drawn at the
        # image's scale; a line of text is a wide, short box inside the page
        img = pg.locator("#page-frame img").bounding_box()
        natural_h = pg.locator("#page-frame img").evaluate("i => i.naturalHeight")
        page_h = natural_h / 1.5
        for box, (x0, y0, x1, y1) in zip(pg.locator("#page-frame .box").all(), locator["boxes"]):
            b = box.bounding_box()
            k = img["height"] / page_h  # screen pixels per PDF point
            assert abs(b["x"] - (img["x"] + x0 * k)) < 2 and abs(b["y"] - (img["y"] + (page_h - y1) * k)) < 2, (b, img)
            assert abs(b["width"] - (x1 - x0) * k) < 2 and abs(b["height"] - (y1 - y0) * k) < 2, (b, img)
            assert b["width"] > 10 and b["height"] > 3
        expect(pg.locator("#original-link")).to_have_attribute("href", "/documents/fr-sainte-adele-pv-2023-06-20/original")
        context.close()


def test_upload_list_and_delete_from_the_page(browser, tmp_path, bot):
    ubot = make_bot(tmp_path, bot, admin_api_key="admin-key")
    ubot.ingest([bot.settings.seeds_dir])
    note = tmp_path / "harbour.txt"
    note.write_text("Harbour fire\n\nOn 3 May 2021 a fire destroyed 12 warehouses in the harbour, officials said.\n")
    with LiveServer(create_app(ubot.settings, bot=ubot)) as live:
        context = browser.new_context()
        pg = context.new_page()
        pg.on("dialog", lambda d: d.accept())  # the delete confirmation
        pg.goto(live.url + "/")
        pg.locator(".tab[data-view=docs]").click()
        expect(pg.locator("#docs-table tbody tr")).to_have_count(5)
        pg.set_input_files("#file-input", str(note))
        expect(pg.locator("#key-dialog")).to_be_visible()
        pg.fill("#key-input", "admin-key")
        pg.locator("#key-dialog button[value=ok]").click()
        expect(pg.locator("#upload-log")).to_contain_text("harbour.txt: added", timeout=60_000)
        row = pg.locator("#docs-table tbody tr", has_text="Harbour fire")
        expect(row).to_have_count(1)
        row.get_by_role("button", name="Delete Harbour fire").click()
        expect(pg.locator("#docs-table tbody tr", has_text="Harbour fire")).to_have_count(0)
        expect(pg.locator("#docs-count")).to_contain_text("5 documents")
        context.close()


def test_facts_page_filters_and_downloads_csv(page, bot):
    page.locator(".tab[data-view=facts]").click()
    page.fill("#facts-form input[name=claimant]", "JNIM")
    page.locator("#facts-form button[type=submit]").click()
    total = bot.facts(claimant="JNIM")[1]  # the filtered page has loaded, not the unfiltered one the tab opened with
    expect(page.locator("#facts-count")).to_contain_text(f"of {total} facts" if total > 100 else f"{total} of {total} facts")
    claimants = page.locator("#facts-table tbody tr td:nth-child(4)").all_inner_texts()
    assert claimants and all("JNIM" in c for c in claimants), claimants
    with page.expect_download() as dl:
        page.locator("#facts-csv").click()
    rows = Path(dl.value.path()).read_text().splitlines()
    assert rows[0].startswith("event,event_year,field")
    assert len(rows) - 1 == total


def test_conversation_exports_as_markdown(page):
    ask(page, "Who led the raid on Dioura?")
    with page.expect_download() as dl:
        page.locator("#export-chat").click()
    text = Path(dl.value.path()).read_text()
    assert text.startswith("# citebot conversation") and "## Who led the raid on Dioura?" in text
    assert "/#cite=" in text


def test_check_a_text_marks_each_sentence_and_exports_footnotes(page):
    page.locator(".tab[data-view=check]").click()
    expect(page.locator("#check-text")).to_be_focused()
    page.fill("#check-text", "27 soldiers were killed in the 2022 Mondoro attack.\n"
                             "Twelve soldiers were killed in the 2022 Mondoro attack.")
    page.locator("#check-run").click()
    sentences = page.locator("#check-result .sent")
    expect(sentences).to_have_count(2, timeout=60_000)
    chips = page.locator("#check-result .chip").all_inner_texts()
    assert chips == ["✓ Supported", "✗ Conflicts"], chips  # a word and an icon, not colour alone
    sentences.nth(1).click()
    expect(page.locator("#check-detail")).to_contain_text("27")
    page.locator("#check-detail button.cite-link").first.click()
    expect(page.locator("#doc-text mark")).to_have_count(1)
    page.keyboard.press("Escape")
    with page.expect_download() as dl:
        page.locator("#check-export").click()
    text = Path(dl.value.path()).read_text()
    assert "Mondoro attack.[^1]" in text and "[^2]: **Conflicts**" in text and "/#cite=" in text


def test_accessibility_and_screenshots_of_every_state(browser, server, shots):
    """axe-core finds no serious or critical violation in any state, light and dark, desktop and mobile."""
    problems = {}
    for scheme in ("light", "dark"):
        for name, viewport in (("desktop", {"width": 1280, "height": 800}), ("mobile", MOBILE)):
            context = browser.new_context(viewport=viewport, color_scheme=scheme, bypass_csp=True)
            pg = context.new_page()
            pg.goto(server.url + "/")
            states = []

            def check(state: str) -> None:
                pg.screenshot(path=str(shots / f"{scheme}-{name}-{state}.png"), full_page=state != "source")
                found = axe_violations(pg)
                if found:
                    problems[f"{scheme}/{name}/{state}"] = found
                states.append(state)

            check("empty")
            ask(pg, "What did the jihadists do to the Sokolo base after the fighting?")
            check("passage")
            ask(pg, "How many soldiers were killed at Mondoro?")
            check("fact-conflict")
            pg.locator("li.msg.bot").last.locator(".card button.cite-link").first.click()
            expect(pg.locator("#doc-text mark")).to_have_count(1)
            check("source")
            pg.keyboard.press("Escape")
            pg.locator(".tab[data-view=facts]").click()
            expect(pg.locator("#facts-table tbody tr").first).to_be_visible()
            check("facts")
            pg.locator(".tab[data-view=docs]").click()
            expect(pg.locator("#docs-table tbody tr").first).to_be_visible()
            check("documents")
            pg.locator(".tab[data-view=check]").click()
            pg.fill("#check-text", "27 soldiers were killed in the 2022 Mondoro attack. Twelve soldiers were killed "
                                   "in the 2022 Mondoro attack. The African Union sent a mission to Kwala in 2022.")
            pg.locator("#check-run").click()
            expect(pg.locator("#check-result .sent").first).to_be_visible(timeout=60_000)
            pg.locator("#check-result .sent").nth(1).click()
            check("check")
            context.close()
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())
