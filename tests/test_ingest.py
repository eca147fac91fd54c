"""Structure detection on the seed formats and on unseen documents in the same loose formats."""

from __future__ import annotations

import random
from pathlib import Path

import blingfire
import pytest

from bot.chunking import sentence_offsets, split_sentences
from bot.errors import DocumentRejected
from bot.ingest import HEADING, INFOBOX, REFERENCE, RELATED, iter_files, parse_document, read_document

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
LIMIT = 10_000_000


def seed_docs():
    return [read_document(p, max_bytes=LIMIT) for p in iter_files([SEEDS])]


def kinds(doc, kind):
    return [b.span.of(doc.text) for b in doc.blocks if b.kind == kind]


def test_every_seed_has_a_title_and_infobox_or_prose():
    for doc in seed_docs():
        assert doc.title and doc.title != doc.doc_id, doc.doc_id
        assert doc.title_span is None or doc.title_span.of(doc.text) == doc.title
        assert doc.content_blocks(), doc.doc_id


def test_cruft_is_never_inside_a_sentence():
    for doc in seed_docs():
        for sentence in split_sentences(doc):
            for c in doc.cruft:
                assert not sentence.span.overlaps(c), (doc.doc_id, sentence.span.of(doc.text), c.of(doc.text))


def test_news_page_furniture_is_cruft():
    text = (
        "1. Skip to content\n  2. Skip to main menu\nNewsWorld\n\nRebels attack army post in the north\n\n"
        "March 3, 2021\n\nRebels attacked an army post on Tuesday, killing four soldiers, the army said in a statement.\n\n"
        "A spokesman said the attackers fled towards the border after a two-hour firefight with the troops.\n\n"
        "02:14\n\nThis browser does not support the video element.\n\nab/cd (AFP, dpa)\n\nSkip next section More stories\n"
    )
    doc = parse_document("news", text)
    assert doc.title == "Rebels attack army post in the north"
    sentences = [s.span.of(text) for s in split_sentences(doc)]
    joined = " ".join(sentences)
    for furniture in ("Skip to", "browser does not support", "02:14", "ab/cd", "More stories", "NewsWorld"):
        assert furniture not in joined
    assert any("killing four soldiers" in s for s in sentences)


def test_glued_headings_are_split_from_their_sentence():
    text = ("Battle of Somewhere\nOn May 2, 2020, rebels attacked the town of Somewhere. Three soldiers died.[1] "
            "BackgroundThe town had been quiet for years.[2] AttackThe attack began at dawn.[3] References\n|")
    doc = parse_document("glued", text)
    headings = kinds(doc, HEADING)
    assert headings[:2] == ["Background", "Attack"]
    sentences = [s.span.of(text) for s in split_sentences(doc)]
    assert "The attack began at dawn.[3]" in sentences
    assert not any(s.startswith(("Background", "Attack")) for s in sentences)


def test_reference_markers_stay_with_the_sentence_they_close():
    text = "Title here\n\nThe army lost ten men in the fight. [1] [2] Rebels then withdrew to the hills. [3]\n"
    doc = parse_document("markers", text)
    sentences = [s.span.of(text) for s in split_sentences(doc)]
    assert sentences == ["The army lost ten men in the fight. [1] [2]", "Rebels then withdrew to the hills. [3]"]


def test_kv_infobox_and_wiki_sections():
    text = ("= 2021 Foo raid =\n\nInfobox\n- Place: Foo, Nowhere\n- Date: 1 May 2021\n- Casualties1: 5 killed\n\n"
            "The Foo raid was an attack on a base.\n\n== Attack [edit] ==\nThe raid began at night and lasted two hours.\n")
    doc = parse_document("foo", text)
    assert doc.title == "2021 Foo raid"
    assert "- Date: 1 May 2021" in kinds(doc, INFOBOX)
    assert "[edit]" not in " ".join(s.span.of(text) for s in split_sentences(doc))
    attack = [b for b in doc.blocks if "lasted two hours" in b.span.of(text)][0]
    assert attack.section.startswith("Attack")


def test_wiki_markup_infobox_and_inline_html():
    text = ("Raid on Bar\n{{Infobox military conflict\n| conflict = Raid on Bar\n| date = 2 June 2018\n"
            "| casualties1 = 12 killed\n}}\n<b>Raid on Bar</b> was an attack on an army camp by rebels.\n")
    doc = parse_document("bar", text)
    assert any("| date = 2 June 2018" in b for b in kinds(doc, INFOBOX))
    sentences = [s.span.of(text) for s in split_sentences(doc)]
    assert "<b>" not in " ".join(sentences) and any("was an attack on an army camp" in s for s in sentences)


def test_an_inline_template_does_not_close_the_infobox():
    """'| alliance1 = Change{{efn|...}}' ends with braces, but only its own: the infobox goes on to '}}'."""
    text = ("Example election\n{{Infobox election\n| election_date = 4 May 2031\n"
            "| alliance1 = Change{{efn|Including the Harbour Party and the Green Party.}}\n"
            "| popular_vote1 = 5,102,330\n"
            "| outcome = The Harbour Party won a majority of the seats and will form the next government on its own\n}}\n"
            "The 2031 Example election was held on 4 May 2031 across the whole of the country.\n")
    doc = parse_document("vote", text)
    infobox = " ".join(kinds(doc, INFOBOX))
    assert "| popular_vote1 = 5,102,330" in infobox and "| outcome = The Harbour Party won" in infobox


def test_an_infobox_left_open_ends_at_the_next_heading_once():
    text = ("Example\n\nThe election was held on 4 May 2031 and the Harbour Party won most of the seats in the "
            "parliament.\n\n{{Infobox election\n| date = 4 May 2031\n| votes = 5,102,330\n== Results ==\n\n"
            "The Harbour Party won most of the seats in the parliament after a long count.\n")
    doc = parse_document("open", text)
    assert kinds(doc, HEADING) == ["Results =="] and "| votes = 5,102,330" in kinds(doc, INFOBOX)


def test_infobox_fields_at_the_end_of_a_page_cut_short_are_kept():
    """A saved page that stops inside its infobox: the last '| key = value' lines are content, not the footer."""
    text = ("= Example election =\n\n{{Short description|none}}\n{{Infobox election\n| election_date = 4 May 2031\n"
            "| alliance1 = Change{{efn|Including the Harbour Party, the Green Party and the Labour Party.}}\n"
            "| candidate1 = Ada Velde\n| popular_vote1 = 5,102,330\n| percentage1 = 41.2%\n"
            "| map = {{Switcher\n| 350px\n| Results by region}}\n| ")
    from bot.ingest import document_from_bytes

    doc = document_from_bytes("cut", text.encode(), name="cut.txt", suffix=".txt")
    infobox = " ".join(kinds(doc, INFOBOX))
    assert "| popular_vote1 = 5,102,330" in infobox and "| percentage1 = 41.2%" in infobox


def test_the_last_line_of_a_page_cut_short_is_no_heading():
    """'Some 617.1 millimetres (24.3 inches) of rain fell' ends a saved page: a heading with nothing under it is a
    sentence cut short, and its figure is read."""
    text = ("Floods in Karsholm\n\nAt least 25 people were killed as torrential rain lashed the Karsholm valley, "
            "causing landslides and flooding throughout the region.\n\nSome 617.1 millimetres (24.3 inches) of rain fell")
    doc = parse_document("cut", text)
    assert not [b for b in doc.blocks if b.kind == HEADING]
    assert any("617.1 millimetres" in s.span.of(text) for s in split_sentences(doc))


def test_label_line_infobox_related_articles_and_references():
    text = ("Baz attack\n\nLast updated\nBaz attack\nPart of Some War\nDateMay 5, 2019\nLocation\nBaz\n"
            "Result Rebel victory\nStrength\n40 ~200\nCasualties and losses\n9 killed\n\n"
            "On May 5, 2019, rebels attacked the army camp at Baz, killing nine soldiers. [1]\n\n"
            "Related Research Articles\n\nThe battle of Qux took place in 2018, killing 30 soldiers.\n\n"
            "References\n\n  1. \"Rebels hit Baz\". Some Paper. 2019-05-06.\n")
    doc = parse_document("baz", text)
    assert doc.title == "Baz attack"
    assert "DateMay 5, 2019" in kinds(doc, INFOBOX) and "9 killed" in kinds(doc, INFOBOX)
    assert kinds(doc, RELATED) == ["The battle of Qux took place in 2018, killing 30 soldiers."]
    assert doc.references["1"].of(text).startswith("1. \"Rebels hit Baz\"")
    assert kinds(doc, REFERENCE)
    assert "Last updated" in [c.of(text) for c in doc.cruft]


def test_pipe_table_infobox():
    text = ("Siege of Quux (2017) | |||\n---|---|---|\nStrength | |||\n~100 | Several dozen | ||\n"
            "The siege of Quux was a battle between the army and rebels in 2017, lasting five days.\n")
    doc = parse_document("quux", text)
    assert doc.title == "Siege of Quux (2017)"
    assert "~100 | Several dozen | ||" in kinds(doc, INFOBOX)


def test_document_cut_off_mid_sentence_keeps_its_text():
    text = "Cut page\n\nThe attack killed twelve soldiers at the post. Reinforcements arrived from the nearby"
    doc = parse_document("cut", text)
    sentences = [s.span.of(text) for s in split_sentences(doc)]
    assert sentences[-1] == "Reinforcements arrived from the nearby"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bin.txt", b"\x00\x01\x02binary", "binary"),
        ("latin.txt", "Caf\u00e9 attack".encode("latin-1") + b" killed many soldiers", "not valid UTF-8"),
        ("empty.txt", b"   \n", "empty"),
        ("cruft.txt", b"Skip to content\nSkip to main menu\nThis browser does not support the video element.\n", "no readable content"),
    ],
)
def test_bad_files_are_rejected_by_name(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DocumentRejected, match=message) as err:
        read_document(path, max_bytes=LIMIT)
    assert name in err.value.message


def test_path_like_doc_ids_are_rejected():
    for bad in ("../../etc/passwd", "..", "a/b", ".hidden", "a\\b"):
        with pytest.raises(DocumentRejected):
            parse_document(bad, "Some title\n\nSome text that is long enough to be prose in a document.")


def test_html_page_markup_is_cruft(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>x</title><style>p {color: red}</style></head><body>\n"
                    "<h1>Ambush near Lake</h1>\n<p>On July 2, 2022, gunmen ambushed a patrol near the lake, killing six soldiers.</p>\n"
                    "<script>alert('x')</script>\n</body></html>\n")
    doc = read_document(page, max_bytes=LIMIT)
    sentences = [s.span.of(doc.text) for s in split_sentences(doc)]
    assert "On July 2, 2022, gunmen ambushed a patrol near the lake, killing six soldiers." in sentences
    assert not any("<" in s or "alert" in s or "color" in s for s in sentences)


def test_sentence_offsets_match_blingfires_own_wrapper():
    """The numpy byte-to-character mapping gives what blingfire's per-byte Python loop gives, on the seeds
    and on random text mixing ASCII, accents, CJK, emoji, zero-width spaces and sentence punctuation."""
    rng = random.Random(5)
    pieces = "abc déf ñ 中文 🙂 \u200b . ! ? Mr. Dr. 1.5 “quoted.” — é \n\n".split(" ")
    texts = [doc.text for doc in seed_docs()]
    texts += ["".join(rng.choice(pieces) + rng.choice(" \n") for _ in range(rng.randint(1, 60))) for _ in range(300)]
    for text in texts:
        if not text.strip():
            continue
        sentences, offsets = blingfire.text_to_sentences_and_offsets(text)
        assert sentence_offsets(text) == ([tuple(x) for x in offsets] if sentences else [])
