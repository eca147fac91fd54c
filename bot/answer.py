"""Scored sentences -> an Answer: verbatim quotes with citations, or an honest abstention.

Quotes are windows of whole consecutive sentences (at most `quote_max_chars`), grown from the best
sentence towards its better-scored neighbour. Every quote is checked against the document text before it
is returned; a window never crosses text that is not a sentence (cruft, markup, a block break with
furniture in it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.retrieval import Retrieval, ScoredSentence
from bot.spans import Span, verify_quote
from bot.store import Snapshot

ABSTAIN_ANSWER = "The documents do not answer this question. The closest passages are listed as related reading."


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


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    mode: str  # "passage" | "fact" | "none"
    confidence: float
    passages: list[Passage]
    facts: list[dict] = field(default_factory=list)
    conversation_id: str = ""


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
                   span.start, span.end, round(float(score), 4), section)


def confidence_of(best: ScoredSentence) -> float:
    """How well the best sentence supports an answer: term coverage and embedding similarity, in [0, 1]."""
    dense = min(max((best.dense - 0.15) / 0.55, 0.0), 1.0)
    return round(min(max(0.55 * best.coverage + 0.45 * dense, 0.0), 1.0), 4)


def build_passages(snap: Snapshot, retrieval: Retrieval, *, top_k: int, max_chars: int) -> list[Passage]:
    """The best `top_k` quote windows, best first, never overlapping one another."""
    by_pos: dict[tuple[int, int], ScoredSentence] = {(s.vid, s.pos): s for s in retrieval.sentences}
    used: set[tuple[int, int]] = set()
    passages: list[Passage] = []
    for best in retrieval.sentences:
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
        span = _clip(text, Span(sents[lo].start, sents[hi].end), max_chars)
        passages.append(make_passage(snap, chunk.doc_id, span, score=best.score, section=chunk.section))
    return passages


def _score(by_pos: dict, vid: int, pos: int) -> float:
    s = by_pos.get((vid, pos))
    return s.score if s is not None else float("-inf")


def _joinable(text: str, left: Span, right: Span) -> bool:
    """Two sentences of one chunk share a quote only if nothing but whitespace lies between them."""
    return not text[left.end : right.start].strip()


def _clip(text: str, span: Span, max_chars: int) -> Span:
    """A single sentence longer than the quote limit is cut at a word boundary, never mid-word."""
    if len(span) <= max_chars:
        return span
    end = text.rfind(" ", span.start, span.start + max_chars)
    end = end if end > span.start else span.start + max_chars
    return Span(span.start, end)


def compose(question: str, retrieval: Retrieval, passages: list[Passage], *, min_confidence: float) -> Answer:
    """A passage answer when the evidence is strong enough; otherwise an abstention with related reading."""
    if not retrieval.sentences or not passages:
        return Answer(question, ABSTAIN_ANSWER, "none", 0.0, passages)
    confidence = confidence_of(retrieval.sentences[0])
    if confidence < min_confidence:
        return Answer(question, ABSTAIN_ANSWER, "none", confidence, passages)
    top = passages[0]
    return Answer(question, f"\u201c{top.quote}\u201d \u2014 {top.title} [1]", "passage", confidence, passages)
