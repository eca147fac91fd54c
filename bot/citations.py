"""Citations: a citation id opened back into its document, and a claim or quote traced to where it comes from.

Tracing a claim reads only the stretches of text (three consecutive chunks) that the lexical index says hold
all its rarest words, at most `MAX_WINDOWS` of them, so its cost grows neither with the collection nor with
the size of a document; exact occurrences (tolerant of whitespace, quote marks, dashes and case) come first,
then the closest passages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bot import answer as answers
from bot.errors import Gone, NotFound
from bot.matching import find_occurrences
from bot.retrieval import Retriever
from bot.spans import Span, verify_quote
from bot.store import Snapshot, query_terms

MAX_WINDOWS = 200  # stretches of text read for exact occurrences of one claim
WINDOW_CHUNKS = 3  # a quote may run across chunk boundaries: each stretch is this many consecutive chunks


@dataclass(frozen=True)
class Reference:
    marker: str
    text: str


@dataclass(frozen=True)
class CitationLookup:
    citation_id: str
    doc_id: str
    title: str
    quote: str
    start: int
    end: int
    context_before: str
    context_after: str
    context_start: int
    references: list[Reference] = field(default_factory=list)
    locator: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ClaimMatch:
    doc_id: str
    title: str
    quote: str
    start: int
    end: int
    exact: bool
    score: float
    citation_id: str
    references: list[Reference] = field(default_factory=list)
    locator: dict = field(default_factory=dict)


class Citations:
    def __init__(self, snapshot: Callable[[], Snapshot | None], retriever: Retriever, *, quote_max_chars: int):
        self.snapshot = snapshot
        self.retriever = retriever
        self.quote_max_chars = quote_max_chars

    def open(self, cid: str, *, context_chars: int = 300) -> CitationLookup:
        """The quote a citation id points to, with context; 410 when its document has changed since."""
        parsed = answers.parse_citation_id(cid)
        if parsed is None:
            raise NotFound(f"{cid!r} is not a citation id (they look like DOC:START-END:VERSION)")
        doc_id, start, end, version = parsed
        snap = self.snapshot()
        if snap is None:
            raise NotFound("the index is empty; run `citebot ingest PATH` first")
        info = snap.documents.get(doc_id)
        if info is None:
            raise NotFound(f"citation {cid!r} points to document {doc_id!r}, which is not in the index")
        text = snap.document_text(doc_id)
        if not info.sha256.startswith(version):
            raise Gone(
                f"document {doc_id!r} changed since this citation was made; the span may no longer hold the quote",
                details={"doc_id": doc_id, "current_version": info.sha256[:12], "title": info.title},
            )
        if end > len(text):
            raise NotFound(f"citation {cid!r} is outside document {doc_id!r}")
        quote = verify_quote(text, start, end, Span(start, end).of(text))
        lo, hi = max(0, start - context_chars), min(len(text), end + context_chars)
        return CitationLookup(cid, doc_id, info.title, quote, start, end, text[lo:start], text[end:hi], lo,
                              references(snap, doc_id, quote), answers.locate(snap, doc_id, Span(start, end)))

    def trace(self, claim: str, *, limit: int = 5) -> list[ClaimMatch]:
        """Where a claim or quote comes from: exact occurrences first, then the closest supporting passages."""
        snap = self.snapshot()
        if snap is None:
            return []
        matches: list[ClaimMatch] = []
        for doc_id, start, end in exact_occurrences(snap, claim):
            matches.append(self._match(snap, doc_id, start, end, exact=True, score=1.0))
        if len(claim.strip()) >= 3:
            retrieval = self.retriever.retrieve(snap, claim)
            taken = {(m.doc_id, m.start, m.end) for m in matches}
            for p in answers.build_passages(snap, retrieval, top_k=limit, max_chars=self.quote_max_chars):
                if any(d == p.doc_id and s < p.end and p.start < e for d, s, e in taken):
                    continue
                matches.append(self._match(snap, p.doc_id, p.start, p.end, exact=False, score=p.score))
        return matches[: max(limit, sum(1 for m in matches if m.exact))]

    @staticmethod
    def _match(snap: Snapshot, doc_id: str, start: int, end: int, *, exact: bool, score: float) -> ClaimMatch:
        info = snap.documents[doc_id]
        text = snap.document_text(doc_id)
        quote = verify_quote(text, start, end, text[start:end])
        return ClaimMatch(doc_id, info.title, quote, start, end, exact, round(float(score), 4),
                          answers.citation_id(doc_id, info.sha256, start, end), references(snap, doc_id, quote),
                          answers.locate(snap, doc_id, Span(start, end)))


def exact_occurrences(snap: Snapshot, claim: str) -> list[tuple[str, int, int]]:
    """Where `claim` occurs word for word (whitespace, quote marks, dashes and case aside), as (doc_id, start,
    end), in document order. Only stretches of `WINDOW_CHUNKS` consecutive chunks holding every one of the
    claim's six rarest indexed words are read; a claim with no indexed words reads nothing."""
    idf = snap.idf_of(set(query_terms(claim)))
    terms = sorted(idf, key=idf.__getitem__, reverse=True)[:6]
    if not terms or snap.chunk_count == 0:
        return []
    hits = np.ones(snap.chunk_count, dtype=bool)
    for t in terms:
        has = snap.lexical_scores([t]) > 0
        near = has.copy()
        for k in range(1, WINDOW_CHUNKS):
            near[:-k] |= has[k:]
        hits &= near
        if not hits.any():
            return []
    found: set[tuple[int, int, int]] = set()
    for first in np.flatnonzero(hits)[:MAX_WINDOWS].tolist():
        doc = snap.chunk_doc[first]
        window = [v for v in range(first, min(first + WINDOW_CHUNKS, snap.chunk_count)) if snap.chunk_doc[v] == doc]
        spans = [s for v in window for s in snap.chunk(v).sentences]
        a, b = min(s.start for s in spans), max(s.end for s in spans)
        text = snap.document_text(snap.doc_ids[doc])
        for start, end in find_occurrences(text[a:b], claim):
            found.add((int(doc), a + start, a + end))
    return [(snap.doc_ids[d], start, end) for d, start, end in sorted(found)]


def references(snap: Snapshot, doc_id: str, quote: str) -> list[Reference]:
    """The reference-list entries that the quote's [n] markers point to."""
    markers = list(dict.fromkeys(re.findall(r"\[(\d{1,4})\]", quote)))
    if not markers:
        return []
    refs = snap.document_structure(doc_id).get("references", {})
    text = snap.document_text(doc_id)
    return [Reference(m, text[refs[m][0] : refs[m][1]]) for m in markers if m in refs]
