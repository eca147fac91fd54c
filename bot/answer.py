"""Scored sentences -> quoted passages, each judged on whether it answers the question.

Quotes are windows of whole consecutive sentences (at most `quote_max_chars`), grown from a candidate
sentence towards its better-scored neighbour. Every quote is checked against the document text before it
is returned; a window never crosses text that is not a sentence (cruft, markup, a block break with
furniture in it). Reference lists, bibliography entries and "related articles" blurbs about other pages are
never candidates for an answer: they describe other documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.answerability import Evidence, name_gaps
from bot.facts.events import DATE
from bot.facts.extract import TIME_RE
from bot.facts.model import Fact
from bot.facts.numbers import find_quantities
from bot.retrieval import Retrieval, ScoredSentence
from bot.spans import Span, verify_quote
from bot.store import Snapshot

ABSTAIN_ANSWER = "The documents do not answer this question. The closest passages are listed as related reading."
# Chunk kinds that are never a quoted answer: reference lists and blurbs describe other documents, and
# infobox lines and table rows are markup read as facts (bot.facts), not sentences.
FURNITURE = ("reference", "related", "infobox")
CANDIDATES = 2  # sentences the answerability model reads per question (in parallel, one per core)


@dataclass(frozen=True)
class Passage:
    citation_id: str
    doc_id: str
    title: str
    quote: str
    start: int
    end: int
    score: float
    section: str
    locator: dict = field(default_factory=dict)  # where the quote is in the original file (bot.ingest.locators)


@dataclass(frozen=True)
class CitedFact:
    """A fact as users see it: its evidence quote verified like any passage, with a citation id."""

    event: str
    field: str
    side: str
    value: str
    low: float | None
    high: float | None
    claimant: str
    citation_id: str
    doc_id: str
    quote: str
    start: int
    end: int
    noun: str = ""
    unit: str = ""
    locator: dict = field(default_factory=dict)
    event_year: int | None = None
    source: str = ""
    approximate: bool = False
    at_least: bool = False


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    mode: str  # "passage" | "fact" | "none"
    confidence: float
    passages: list[Passage]
    facts: list[CitedFact] = field(default_factory=list)
    conversation_id: str = ""
    assessment: str = ""  # what the confidence means, in words


@dataclass(frozen=True)
class Judged:
    """A candidate sentence with what the answerability model made of it."""

    sentence: ScoredSentence
    evidence: Evidence
    confidence: float


def citation_id(doc_id: str, sha256: str, start: int, end: int) -> str:
    """Stable, self-describing id: the same span of the same document version always gets the same id."""
    return f"{doc_id}:{start}-{end}:{sha256[:12]}"


def parse_citation_id(cid: str) -> tuple[str, int, int, str] | None:
    try:
        doc_id, rng, version = cid.rsplit(":", 2)
        start, end = (int(x) for x in rng.split("-", 1))
    except ValueError:
        return None
    if not doc_id or start < 0 or end < start or not version:
        return None
    return doc_id, start, end, version


def make_passage(snap: Snapshot, doc_id: str, span: Span, *, score: float, section: str) -> Passage:
    text = snap.document_text(doc_id)
    info = snap.documents[doc_id]
    quote = verify_quote(text, span.start, span.end, span.of(text))
    return Passage(citation_id(doc_id, info.sha256, span.start, span.end), doc_id, info.title, quote,
                   span.start, span.end, round(float(score), 4), section, locate(snap, doc_id, span))


def locate(snap: Snapshot, doc_id: str, span: Span) -> dict:
    """Where a span of a document's text is in its original file, as the API gives it."""
    return snap.source_map(doc_id).locate(span.start, span.end).as_dict()


def candidates(snap: Snapshot, retrieval: Retrieval, *, limit: int = CANDIDATES) -> list[ScoredSentence]:
    """The best distinct sentences that could be an answer (no furniture), best first."""
    out, seen = [], set()
    for s in retrieval.sentences:
        kind = snap.chunk(s.vid).kind
        if (s.doc_id, s.span.start) in seen or kind in FURNITURE:
            continue
        seen.add((s.doc_id, s.span.start))
        out.append(s)
        if len(out) >= limit:
            break
    return out


def judge(snap: Snapshot, question: str, sentences: list[ScoredSentence], *,
          logits: Callable[[list[str], list[tuple[str, str, str]]], list[float]],
          confidence: Callable[[Evidence], float]) -> list[Judged]:
    """Each candidate read with the question by the cross-encoder, its evidence calibrated; best first."""
    if not sentences:
        return []
    chunks = [snap.chunk(s.vid) for s in sentences]
    texts = [s.span.of(snap.document_text(s.doc_id)) for s in sentences]
    titles = [snap.documents[s.doc_id].title for s in sentences]
    scores = logits([question] * len(sentences), [(t, c.section, x) for t, c, x in zip(titles, chunks, texts)])
    out = []
    for s, c, x, title, logit in zip(sentences, chunks, texts, titles, scores):
        here = f"{title} {c.section} {c.text}"
        missing_here, missing_doc = name_gaps(question, here, f"{title} {snap.document_text(s.doc_id)}")
        ev = Evidence(float(logit), s.coverage, s.dense, missing_here, missing_doc)
        out.append(Judged(s, ev, confidence(ev)))
    out.sort(key=lambda j: -j.confidence)
    return out


def build_passages(snap: Snapshot, retrieval: Retrieval, *, top_k: int, max_chars: int,
                   judged: list[Judged] = ()) -> list[Passage]:
    """The best `top_k` quote windows, never overlapping one another: windows around the judged candidates
    (in their order, scored by their confidence) come first, then the retrieval's other sentences best first
    (scored below them, in retrieval order)."""
    by_pos: dict[tuple[int, int], ScoredSentence] = {(s.vid, s.pos): s for s in retrieval.sentences}
    used: set[tuple[int, int]] = set()
    passages: list[Passage] = []
    first = [j.sentence for j in judged]
    score_of = {(j.sentence.vid, j.sentence.pos): j.confidence for j in judged}
    floor = min(score_of.values(), default=1.0)
    top = max((s.score for s in retrieval.sentences), default=1.0) or 1.0
    order = list(first) + [s for s in retrieval.sentences if s not in first]
    for best in order:
        if len(passages) >= top_k:
            break
        if (best.vid, best.pos) in used:
            continue
        chunk = snap.chunk(best.vid)
        text = snap.document_text(chunk.doc_id)
        sents = chunk.sentences
        lo = hi = best.pos
        used.add((best.vid, best.pos))
        while True:
            options = []
            if hi + 1 < len(sents) and _joinable(text, sents[hi], sents[hi + 1]) and sents[hi + 1].end - sents[lo].start <= max_chars:
                options.append((_score(by_pos, best.vid, hi + 1), "right"))
            if lo > 0 and _joinable(text, sents[lo - 1], sents[lo]) and sents[hi].end - sents[lo - 1].start <= max_chars:
                options.append((_score(by_pos, best.vid, lo - 1), "left"))
            if not options:
                break
            if max(options)[1] == "right":
                hi += 1
                used.add((best.vid, hi))
            else:
                lo -= 1
                used.add((best.vid, lo))
        span = clip(text, Span(sents[lo].start, sents[hi].end), max_chars, keep=best.span)
        score = score_of.get((best.vid, best.pos), floor * 0.99 * max(0.0, best.score) / top)
        passages.append(make_passage(snap, chunk.doc_id, span, score=score, section=chunk.section))
    return passages


def _score(by_pos: dict, vid: int, pos: int) -> float:
    s = by_pos.get((vid, pos))
    return s.score if s is not None else float("-inf")


def _joinable(text: str, left: Span, right: Span) -> bool:
    """Two sentences of one chunk share a quote only if nothing but whitespace lies between them."""
    return not text[left.end : right.start].strip()


def clip(text: str, span: Span, max_chars: int, *, keep: Span | None = None) -> Span:
    """A span longer than the quote limit is cut to a window of whole words that still holds `keep`
    (default: its start), never mid-word."""
    if len(span) <= max_chars:
        return span
    keep = keep or Span(span.start, span.start)
    lo = max(span.start, min(keep.start, keep.end - max_chars // 2, span.end - max_chars))
    if lo > span.start:
        space = text.find(" ", lo, keep.start)
        lo = space + 1 if space >= 0 else lo
    hi = min(span.end, lo + max_chars)
    if hi < span.end:
        space = text.rfind(" ", max(keep.end, lo + 1), hi)
        hi = space if space > lo else hi
    return Span(lo, hi)


def passage_answer(question: str, judged: list[Judged], passages: list[Passage], *, min_confidence: float,
                   needs_figure: bool = False) -> Answer:
    """A passage answer when the best judged evidence is confident enough; otherwise an abstention. A question
    that asks for a figure (`needs_figure`: "how many", "how much") is not answered by a passage that states none."""
    if not judged or not passages:
        return Answer(question, ABSTAIN_ANSWER, "none", 0.0, passages, assessment=assess("none", 0.0, min_confidence))
    confidence = round(judged[0].confidence, 4)
    if confidence < min_confidence:
        return Answer(question, ABSTAIN_ANSWER, "none", confidence, passages,
                      assessment=assess("none", confidence, min_confidence))
    top = passages[0]
    if needs_figure and not states_a_figure(top.quote):
        return Answer(question, ABSTAIN_ANSWER, "none", 0.0, passages,
                      assessment="Not found in the documents: the closest passage gives no figure.")
    return Answer(question, f"\u201c{top.quote}\u201d \u2014 {top.title} [1]", "passage", confidence, passages,
                  assessment=assess("passage", confidence, min_confidence, title=top.title))


def states_a_figure(text: str) -> bool:
    """A number ('30m', 'forty-seven', 'a dozen') in the text, dates, years and clock times aside."""
    bare = _YEAR.sub(" ", TIME_RE.sub(" ", DATE.sub(" ", text)))
    return bool(re.search(r"\d", bare)) or bool(find_quantities(bare, 0, len(bare)))


_YEAR = re.compile(r"\b(?:1[5-9]|20)\d{2}\b")


def assess(mode: str, confidence: float, threshold: float, *, title: str = "") -> str:
    """The confidence in words, for the chat page, the CLI and Slack."""
    if mode == "none":
        return "Not found in the documents." if confidence < threshold / 2 else "Only weak evidence in the documents; not enough to answer."
    strength = "strong" if confidence >= (1 + threshold) / 2 else "moderate"
    source = f" from {title}" if title else ""
    return f"Quoted{source} ({strength} evidence)." if mode == "passage" else f"From the documents' figures ({strength} match)."


def cite_fact(snap: Snapshot, f: Fact, *, max_chars: int) -> CitedFact:
    """A fact as returned to users: its evidence quote is verified like any passage."""
    text = snap.document_text(f.doc_id)
    span = clip(text, f.span, max_chars, keep=f.value_span)
    quote = verify_quote(text, span.start, span.end, span.of(text))
    q = f.quantity
    return CitedFact(
        event=f.event.name if f.event else "", field=f.field, side=f.side, value=f.value, low=f.low, high=f.high,
        claimant=f.claimant, citation_id=citation_id(f.doc_id, snap.documents[f.doc_id].sha256, span.start, span.end),
        doc_id=f.doc_id, quote=quote, start=span.start, end=span.end, noun=f.noun, unit=f.unit,
        locator=locate(snap, f.doc_id, span),
        event_year=f.event.year if f.event else None, source=f.source,
        approximate=bool(q and q.approximate), at_least=bool(q and q.at_least),
    )
