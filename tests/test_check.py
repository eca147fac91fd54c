"""Checking drafts against the sources, on the labelled set in tests/check/sentences.jsonl (170 sentences
written by reading the seeds, tests/unseen and the three new-domain sets; verdicts by hand). The floors are
what the design reaches on both halves, below the measured numbers in the README: a false 'conflicts' is an
accusation, so its precision is held highest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.check import split_draft
from tests.conftest import bot_over, make_bot

HERE = Path(__file__).resolve().parent
ROWS = [json.loads(x) for x in (HERE / "check" / "sentences.jsonl").read_text().splitlines() if x.strip()]
# the documents the sentences were written from
CORPUS = [HERE.parent / "seeds", HERE / "unseen" / "docs",
          *(HERE / "domains" / name / "docs" for name in ("accidents", "disasters", "elections"))]


@pytest.fixture(scope="module")
def results(tmp_path_factory, bot):
    b = make_bot(tmp_path_factory.mktemp("check"), bot)
    report = b.ingest(CORPUS)
    assert not report.rejected
    out = []
    for r in ROWS:
        sentences = b.check(r["text"]).sentences
        out.append({**r, "got": sentences[0].verdict if sentences else "unclear", "check": sentences[0] if sentences else None})
    return out


def precision(rows, verdict):
    said = [r for r in rows if r["got"] == verdict]
    return sum(r["verdict"] == verdict for r in said) / max(1, len(said)), len(said)


def test_the_set_is_large_and_covers_every_kind():
    assert len(ROWS) >= 150
    kinds = {r["category"] for r in ROWS}
    assert {"verbatim_quote", "supported", "paraphrase", "conflicting_figure", "conflicting_date", "wrong_actor",
            "not_in_sources"} <= kinds


def test_verbatim_quotes_are_found_and_nothing_else_is_called_quoted(results):
    quoted = [r for r in results if r["category"] == "verbatim_quote"]
    assert all(r["got"] == "quoted" for r in quoted)
    assert precision(results, "quoted")[0] == 1.0


def test_conflicts_are_rarely_false_accusations(results):
    p, n = precision(results, "conflicts")
    assert n >= 20 and p >= 0.9, (p, n)
    for r in results:
        if r["got"] == "conflicts":
            c = r["check"]
            assert c.claims and any(f.quote for cl in c.claims for f in cl.facts)  # what the sources say instead


def test_supported_and_not_found_precision_and_accuracy(results):
    sp, sn = precision(results, "supported")
    nf, nn = precision(results, "not_found")
    accuracy = sum(r["got"] == r["verdict"] for r in results) / len(results)
    assert sn >= 15 and sp >= 0.8, (sp, sn)
    assert nn >= 15 and nf >= 0.8, (nf, nn)
    assert accuracy >= 0.45, accuracy


def test_evidence_is_verbatim(results, bot):
    for r in results:
        c = r["check"]
        for p in c.passages:
            assert p.quote and p.start < p.end


def test_sentences_are_split_with_offsets_into_the_draft():
    draft = "The raid was led by Amadou Koufa. 27 soldiers were killed.\nDr. Diallo said so. It ended at 7 am."
    spans = split_draft(draft)
    assert [draft[a:b] for a, b in spans] == ["The raid was led by Amadou Koufa.", "27 soldiers were killed.",
                                               "Dr. Diallo said so.", "It ended at 7 am."]


def test_the_same_figure_in_other_words_is_supported(tmp_path, bot):
    """'recorded up to 147 monsoon deaths' against the page's 'Deaths: 147': the same figure of the same event,
    in other words, is supported; the same number counting something else ('147 homes destroyed') is not."""
    text = ("= 2031 Karsholm floods =\n\n- Date: June-August 2031\n- Deaths: 147\n- Homes damaged: 9,310\n\n"
            "The 2031 Karsholm floods began in June 2031 after weeks of heavy monsoon rain over the Karsholm "
            "valley. The floods damaged roads, bridges and 9,310 homes across the valley.\n")
    b = bot_over(tmp_path, bot, {"flood.txt": text})
    same = b.check("The disaster authority had recorded 147 monsoon deaths in the 2031 Karsholm floods.").sentences[0]
    assert same.verdict == "supported", (same.verdict, same.reason)
    other = b.check("The 2031 Karsholm floods destroyed 147 schools across the valley.").sentences[0]
    assert other.verdict != "supported", (other.verdict, other.reason)
