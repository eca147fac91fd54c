"""Fact extraction against hand labels: the seeds and unseen pages in their formats (domain fields and sides,
every mention), and two new-domain sets (every figure and date of ten real pages each)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.evaluation import score_facts
from bot.facts.domains import enabled
from bot.facts.extract import extract_facts
from bot.facts.model import DATE, FIGURE, TIME
from bot.ingest import iter_files, read_document

HERE = Path(__file__).resolve().parent
SEEDS = HERE.parent / "seeds"
UNSEEN = HERE / "unseen"
DOMAINS = HERE / "domains"
CASUALTY_FIELDS = {"killed", "wounded", "missing", "captured", "prisoners", "wounded or missing", "strength", "arrested"}
PACKS = enabled("conflict")


def labelled(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def facts_of(folder: Path) -> list:
    out = []
    for path in iter_files([folder]):
        out.extend(extract_facts(read_document(path, max_bytes=10_000_000), domains=PACKS))
    return out


def casualty_facts(folder: Path) -> list:
    """What the seeds' labels cover: every casualty and strength figure per side, and each page's own date."""
    return [f for f in facts_of(folder)
            if (f.field in CASUALTY_FIELDS and f.side) or (f.kind == DATE and f.main_event and f.value == f.event.date)]


@pytest.mark.parametrize("labels, folder", [(HERE / "seed_facts.jsonl", SEEDS), (UNSEEN / "facts.jsonl", UNSEEN / "docs")],
                         ids=["seeds", "unseen"])
def test_precision_and_recall_in_the_seeds_formats(labels, folder):
    score = score_facts(labelled(labels), casualty_facts(folder), strict_fields=True)
    print(f"{folder.name}: precision {score.precision:.3f} recall {score.recall:.3f}")
    assert score.precision == 1.0, [(f.doc_id, f.field, f.side, f.value, f.claimant, f.event) for f in score.spurious]
    assert score.recall == 1.0, score.missed


@pytest.mark.parametrize("name", ["disasters", "elections"])
def test_every_figure_and_date_of_new_domain_pages(name):
    """Pages about other kinds of events, with no domain pack for them: every figure and date, its event
    (the page's own or another) and its claimant."""
    folder = DOMAINS / name
    facts = [f for f in facts_of(folder / "docs") if f.kind in (FIGURE, DATE, TIME)]
    score = score_facts(labelled(folder / "facts.jsonl"), facts, strict_fields=False)
    print(f"{name}: precision {score.precision:.3f} recall {score.recall:.3f} ({score.claims} claims, {score.labels} labels)")
    assert score.precision >= 0.60 and score.recall >= 0.65


def test_every_fact_span_is_verbatim_and_holds_its_value():
    for folder in (SEEDS, UNSEEN / "docs", DOMAINS / "disasters" / "docs", DOMAINS / "elections" / "docs"):
        for path in iter_files([folder]):
            doc = read_document(path, max_bytes=10_000_000)
            for f in extract_facts(doc, domains=PACKS):
                assert doc.text[f.value_span.start : f.value_span.end] == f.value
                assert f.span.contains(f.value_span), (f.doc_id, f.value)


def test_other_events_never_land_on_the_main_event():
    for f in casualty_facts(SEEDS):
        if f.value in ("45 to 85", "between 40 and 85"):
            assert "Boulikessi" in f.event.places and not f.main_event, f
        if f.main_event:
            assert f.event.year in (2019, 2020, 2022, 2024)


def test_events_are_named_from_the_text_never_the_file_name():
    for folder in (SEEDS, DOMAINS / "disasters" / "docs", DOMAINS / "elections" / "docs"):
        for path in iter_files([folder]):
            doc = read_document(path, max_bytes=10_000_000)
            for f in extract_facts(doc, domains=PACKS):
                if f.event is not None:
                    assert path.stem not in f.event.name, (path.stem, f.event.name)


def test_no_domain_pack_needed_for_general_figures():
    text = ("= 2031 Example earthquake =\n\n- Magnitude: 6.8\n- Depth: 18.5 km\n- Deaths: 2,946\n\n"
            "The 2031 Example earthquake struck the Example region on 8 September 2031, at a depth of 18.5 km. "
            "According to the interior ministry, 2,946 people died and 486 people who survived were evacuated. "
            "Police said 18 arrested looters were held. Some 27,732 homes were damaged.\n")
    from bot.ingest import parse_document

    facts = extract_facts(parse_document("quake", text), domains=())
    def prose(value):
        return next(f for f in facts if f.source == "prose" and re.search(rf"(?<![\d.,]){value}(?![\d.,])", f.value))

    infobox = {f.value: f for f in facts if f.source == "infobox"}
    assert infobox["6.8"].field == "magnitude" and infobox["18.5"].unit == "km" and infobox["2,946"].field == "deaths"
    assert prose("2,946").claimant == "the interior ministry" and prose("2,946").noun == "people"
    assert prose("486").field == "survived"
    assert prose("18").field == "arrested"
    assert prose("27,732").value == "Some 27,732" and prose("27,732").quantity.low == 27732
    assert prose("27,732").field == "damaged" and prose("27,732").noun == "homes"
    assert all(f.event is not None and f.event.main for f in facts)


def test_a_bulleted_list_of_notes_is_prose_not_an_infobox():
    """Revision notes in bullets under a heading ('Burma - ...') are sentences: each figure is named by its own
    words ('homes destroyed', '75% of hospitals destroyed'), not by the heading as if it were an infobox label."""
    text = ("Cyclone Example - Exampleland 2031\n\nExampleland - full extent of damage unknown as the country is secretive\n\n"
            "  • 1.5million people were affected - 138,000 deaths officially\n  • US$4billion in damages\n"
            "  • 450,000 homes destroyed with another 350,000 damaged\n  • 75% of hospitals destroyed or severly damaged\n"
            "  • Skin infections spread rapidly through survivors\n")
    from bot.ingest import INFOBOX, parse_document

    doc = parse_document("notes", text)
    assert not [b for b in doc.blocks if b.kind == INFOBOX]
    facts = {f.value: f for f in extract_facts(doc, domains=()) if f.kind == FIGURE}
    assert (facts["450,000"].field, facts["450,000"].noun) == ("destroyed", "homes")
    assert (facts["75"].field, facts["75"].noun, facts["75"].unit) == ("destroyed", "hospitals", "%")
    assert facts["1.5million"].field == "affected"


def test_an_untitled_page_names_its_event_from_the_kind_before_its_date():
    """'In a nationwide referendum on 23 June 2031, ...': the event is the 2031 referendum, not the byline's
    'Commons Library'; 'There were 17.4 million votes' counts votes, and 'There' is no label."""
    text = ("Information and analysis provided by the House of Commons Library.\n\n"
            "In a nationwide referendum on 23 June 2031, voters were asked whether to keep the old flag.\n\n"
            "  • There were 17.4 million votes for 'Keep' (51.9%).\n")
    from bot.ingest import parse_document

    facts = [f for f in extract_facts(parse_document("flag", text), domains=()) if f.kind == FIGURE]
    assert {f.event.name for f in facts} == {"2031 referendum"}
    assert not {p for f in facts for p in f.event.places} & {"Commons Library", "House"}  # a byline's body
    votes = next(f for f in facts if f.value == "17.4 million")
    assert votes.field == "votes", votes.field


def test_what_is_not_a_claimant_or_a_figure():
    """'per cent' names no claimant, nor does a date in brackets or 'with reports of'; an infobox colour code
    is not a figure."""
    text = ("= 2031 Example election =\n\n| color2 = 193282\n| turnout = 61.2%\n- Aftershocks: ≥30,000 (by May 2031)\n\n"
            "The 2031 Example election was held on 3 May 2031. The Example Party received approximately 37.4 per cent "
            "of the vote, per the electoral commission. The count may change, with reports of around 10,000 ballots "
            "still missing.\n")
    from bot.ingest import parse_document

    facts = extract_facts(parse_document("vote", text), domains=())
    values = {f.value: f for f in facts}
    assert "193282" not in values and values["61.2"].unit == "%"
    by_number = {re.sub(r"[^\d.]", "", f.value): f for f in facts if f.kind == FIGURE}
    assert by_number["30000"].claimant == ""
    assert by_number["37.4"].claimant == "the electoral commission"
    assert by_number["10000"].claimant == ""


def test_an_untitled_page_names_its_event_from_the_lead():
    """A news page with no title line: the event is 'the 2031 presidential election' its lead speaks of, not the
    lead's first words."""
    text = ("In the early hours of Tuesday, the chairman of the electoral commission declared the winner of the 2031 "
            "presidential election, which was held on Saturday, 4 March 2031. Turnout was 61.2%, and the winner "
            "received 8,794,726 votes.\n")
    from bot.ingest import parse_document

    facts = extract_facts(parse_document("news", text), domains=())
    assert {f.event.name for f in facts if f.event is not None} == {"2031 presidential election"}


def test_a_pronoun_after_a_quotation_is_no_claimant():
    text = ("= 2031 Karsholm train collision =\n\n\"Of the injured, 793 were discharged,\" he said. The two trains were "
            "carrying more than 2,200 passengers, he added.\n")
    from bot.ingest import parse_document

    facts = [f for f in extract_facts(parse_document("trains", text), domains=()) if f.kind == FIGURE]
    assert {f.value for f in facts} >= {"793", "more than 2,200"}
    assert all(f.claimant == "" for f in facts), [(f.value, f.claimant) for f in facts]


def test_no_question_is_answered_with_another_documents_event(tmp_path, bot):
    """One index over every set at once (the seeds, the unseen pages and the three new-domain sets, so another
    page's event is always at hand): no fact answer to a question about one document's event cites an event that
    document does not tell. Asserted for every set (accidents, held out until 2026-12-08, had one such answer:
    'the Tempi train crash' answered with the Odisha accident's date)."""
    from bot.evaluation import fact_answers_report
    from tests.conftest import make_bot

    b = make_bot(tmp_path, bot)
    sets = {"seeds": (SEEDS, HERE / "dev_questions.jsonl"), "unseen": (UNSEEN / "docs", UNSEEN / "questions.jsonl"),
            **{n: (DOMAINS / n / "docs", DOMAINS / n / "questions.jsonl") for n in ("disasters", "elections", "accidents")}}
    b.ingest([docs for docs, _ in sets.values()])
    report = fact_answers_report(b, {name: questions for name, (_, questions) in sets.items()})
    print({name: (r.fact_answers, r.other_event) for name, r in report.items()})
    for name in ("seeds", "unseen", "disasters", "elections", "accidents"):
        assert report[name].fact_answers >= 15 and report[name].other_event == [], (name, report[name])
    assert report["seeds"].gold_held == report["seeds"].numeric_or_date


def test_a_common_word_in_lower_case_does_not_name_a_place():
    """'the Tempi train crash' does not name an event whose places took 'Train' from an 'Express Train' heading,
    nor 'the next general election' one that took 'General' from 'General Election'; a page that only ever writes
    'Turkey' as a name is still named by 'the turkey earthquake'."""
    from bot.facts.model import Event, Fact
    from bot.facts.table import FactTable
    from bot.spans import Span

    texts = {"odisha": "The Express Train left at noon. The train derailed near Bahanaga.",
             "tempi": "The Tempi crash killed 57.", "vote": "The 2015 General Election was held in May.",
             "quake": "The earthquake struck Turkey and Syria."}
    events = {"odisha": Event("Bahanaga train accident", "odisha", True, ("Train", "Bahanaga"), 2023, kind="accident"),
              "tempi": Event("Tempi train crash", "tempi", True, ("Tempi",), 2023, kind="crash"),
              "vote": Event("2015 General Election", "vote", False, ("General",), 2015, kind="election"),
              "quake": Event("2031 earthquakes", "quake", True, ("Turkey", "Syria"), 2031, kind="earthquakes")}
    facts = [Fact(doc, ev, "date", "date", "date", "2023", Span(0, 4), Span(0, 4), "prose") for doc, ev in events.items()]
    table = FactTable(facts, text_of=texts.__getitem__)
    assert [g.name for g, _ in table.named("When did the Tempi train crash happen?")][:1] == ["Tempi train crash"]
    assert not [g for g, _ in table.named("When is the next general election?") if g.name == "2015 General Election"]
    assert [g.name for g, _ in table.named("How many died in the turkey earthquake?")][:1] == ["2031 earthquakes"]


def test_a_measure_named_before_its_figure():
    """'running at a speed of 128 kmph rammed into a goods train': the figure is a speed ('speed' ends in 'ed' but
    is no past participle), not what 'rammed'."""
    from bot.ingest import parse_document

    text = ("Karsholm train crash\n\nThe Karsholm Express running at a speed of 128 kmph rammed into a goods train "
            "on 2 June 2031. The other express was at a speed of 116 kmph when it derailed.\n")
    facts = {f.value: f for f in extract_facts(parse_document("crash", text), domains=()) if f.kind == FIGURE}
    assert (facts["128"].field, facts["128"].unit) == ("speed", "kmph") and facts["116"].field == "speed"


def test_a_written_publication_stamp_dates_the_page():
    """'PUBLISHED : Wednesday, 16 April, 2031, 11:07pm' dates a news page whose headline names no year or kind, so
    its figures belong to its event rather than to none; coordinates in an infobox are figures, not its place."""
    from bot.ingest import parse_document

    text = ("'The ship went boom': survivors speak of chaos on the Karsholm ferry\n\n"
            "PUBLISHED : Wednesday, 16 April, 2031, 11:07pm\n\n"
            "The Karsholm ferry left the port two hours late on Tuesday night. Of the 462 passengers aboard, 325 of them "
            "were students from a high school in Brakke.\n")
    doc = parse_document("ferry", text)
    assert doc.dated == "2031-04-16"
    facts = [f for f in extract_facts(doc, domains=()) if f.kind == FIGURE]
    assert facts and all(f.event is not None and f.event.year == 2031 for f in facts), [(f.value, f.event) for f in facts]
    box = parse_document("box", "= 2031 Karsholm crash =\n\n- Coordinates: 39°50′54″N 22°31′00″E\n- Deaths: 57\n\n"
                                "The 2031 Karsholm crash killed 57 people on 3 May 2031.\n")
    box_facts = extract_facts(box, domains=())
    assert any(f.field == "coordinates" and f.kind == FIGURE for f in box_facts)
    assert all("°" not in p for f in box_facts if f.event for p in f.event.places)


def test_a_headline_figure_is_read():
    """'At least 19 dead after bus topples over in Karsholm': the headline's count is a claim of the page (state
    'dead', not 'deaded'); the body's '18 people' is another."""
    from bot.ingest import parse_document

    text = ("At least 19 dead after bus topples over in Karsholm\n\nA double-decker bus has crashed in Karsholm killing "
            "18 people and injuring almost 50, officials say.\n")
    facts = {f.value: f for f in extract_facts(parse_document("bus", text), domains=()) if f.kind == FIGURE}
    assert facts["At least 19"].field == "dead" and facts["18"].field == "killed"


def test_one_name_is_one_event_and_a_headline_without_a_kind_takes_the_leads():
    """'Two survived the crash at Muan International Airport': a sentence naming the page's event by the same name
    is that event, though its places were split word by word; a headline that names no kind ('Two survive as
    jet skids off runway') takes the kind its lead uses."""
    from bot.ingest import parse_document

    text = ("Two survive as jet skids off runway at Karsholm International Airport\n\n"
            "A passenger jet crash at Karsholm International Airport on Sunday killed 179 of the 181 people on board, "
            "the fire agency said. Two crew members survived the crash at Karsholm International Airport.\n")
    facts = [f for f in extract_facts(parse_document("jet", text), domains=()) if f.kind == FIGURE]
    assert facts and all(f.event is not None and f.event.main for f in facts), [(f.value, f.event) for f in facts]


def test_an_event_is_named_by_the_other_names_its_lead_gives():
    """'commonly referred to as the Brakke referendum': a question that says 'the Brakke referendum' names it."""
    from bot.facts.model import Event, Fact
    from bot.facts.table import FactTable
    from bot.spans import Span

    text = ("The 2031 Karsholm membership referendum, commonly referred to as the Union referendum or the Brakke "
            "referendum, took place on 23 June 2031.")
    ev = Event("2031 Karsholm membership referendum", "vote", True, ("Karsholm",), 2031, kind="referendum")
    table = FactTable([Fact("vote", ev, "date", "date", "date", "23 June 2031", Span(0, 4), Span(0, 4), "prose")],
                      text_of=lambda _: text)
    assert [g.name for g, _ in table.named("How big was the electorate in the Brakke referendum?")] == [ev.name]
