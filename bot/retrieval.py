"""Hybrid retrieval: BM25 and dense chunk scores fused, then every sentence of the best chunks scored.

Users want the sentence that answers, so the unit that leaves this module is a scored sentence. A
sentence's score mixes the fused score of its chunk (context), the IDF-weighted share of the question's
terms it contains, its own embedding similarity to the question, and whether it holds the kind of
thing asked for (a number for "how many", a date for "when").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from bot.embedding import Embedder
from bot.spans import Span
from bot.store import Snapshot, lexical_tokens, query_terms

# Chosen on SQuAD dev questions 1001-2000 (seed-0 shuffle), disjoint from the 1,000 reported ones.
LEXICAL_WEIGHT = 0.5  # share of normalised BM25 in the chunk score; the rest is cosine similarity
TOP_CHUNKS = 15
W_CHUNK, W_COVERAGE, W_DENSE, W_TYPE = 0.1, 0.5, 0.6, 0.05
TITLE_COVERAGE = True  # a question term in the document title or section heading counts as covered
# Blurbs about other pages ("Related articles") and reference-list entries rank below the page's own text.
KIND_PENALTY = {"related": 0.85, "reference": 0.8}

_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozens?|several|scores)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(?:1\d{3}|20\d{2})\b|\b(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\b|\bcentury\b|\b\d{1,2}\s?(?:am|pm)\b|\b\d{1,2}:\d{2}\b"
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")
_PLACE = re.compile(r"\b(?:in|near|at|outside|from|of)\s+(?:the\s+)?[A-Z][a-z]+")
_REASON = re.compile(r"\b(?:because|in response to|due to|as revenge|in retaliation|in order to|so that|owing to|"
                     r"as a result of|reason|motivated|to protest|aimed at)\b", re.IGNORECASE)


def question_type(question: str) -> str:
    """'number', 'date', 'person', 'place', 'reason' or 'other': what kind of thing would answer it."""
    q = question.lower()
    if re.search(r"\bhow (?:many|much|long|large|big|old|far|tall|high)\b|\bwhat (?:percentage|number|amount)\b"
                 r"|\bdeath toll\b|\bcasualt", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (?:year|date|day|month|century|time)\b|\bwhich year\b|\bwhat time\b", q):
        return "date"
    if re.search(r"\bwho\b|\bwhose\b|\bwhom\b", q):
        return "person"
    if re.search(r"\bwhere\b|\bwhat (?:town|city|village|country|region|place)\b", q):
        return "place"
    if re.search(r"\bwhy\b|\bwhat (?:was|were) the (?:reason|motive|cause)", q):
        return "reason"
    return "other"


def holds_type(text: str, kind: str) -> bool:
    if kind == "number":
        return bool(_NUMBER.search(text))
    if kind == "date":
        return bool(_DATE.search(text))
    if kind == "person":
        return bool(_NAME.search(text))
    if kind == "place":
        return bool(_PLACE.search(text))
    if kind == "reason":
        return bool(_REASON.search(text))
    return False


@dataclass(frozen=True)
class ScoredSentence:
    vid: int  # chunk
    pos: int  # sentence index inside the chunk
    doc_id: str
    span: Span
    score: float
    coverage: float
    dense: float
    chunk_score: float


@dataclass(frozen=True)
class Retrieval:
    question: str
    sentences: list[ScoredSentence]  # best first
    query_terms: frozenset[str]


class Retriever:
    """Turns a question into scored sentences over one index snapshot."""

    def __init__(self, embedder: Embedder, *, cache_size: int = 2048):
        self.embedder = embedder
        # lru_cache is thread-safe, and the server asks from many threads at once
        self.embed_question = functools.lru_cache(maxsize=cache_size)(self._embed)

    def _embed(self, question: str) -> np.ndarray:
        return self.embedder.encode([question])[0]

    def retrieve(self, snap: Snapshot, question: str, *, doc_filter: set[str] | None = None) -> Retrieval:
        terms = frozenset(query_terms(question))
        if snap.chunk_count == 0:
            return Retrieval(question, [], terms)
        qvec = self.embed_question(question.strip())
        vids, fused = self._chunks(snap, terms, qvec, doc_filter)
        weights = snap.idf_of(terms)
        total = sum(weights.values()) or 1.0
        kind = question_type(question)
        span_of = (fused - fused.min()) / (fused.max() - fused.min()) if len(fused) > 1 and fused.max() > fused.min() else np.ones_like(fused)

        chunks = [snap.chunk(int(vid)) for vid in vids]
        sentence_vectors = snap.sentence_vectors_of([int(v) for v in vids])
        texts = [[s.of(snap.document_text(c.doc_id)) for s in c.sentences] for c in chunks]
        all_terms = iter(lexical_tokens([t for sents in texts for t in sents]))  # one tokenizer call per question
        out: list[ScoredSentence] = []
        for vid, chunk_score, chunk, sent_texts, svecs in zip(vids, span_of, chunks, texts, sentence_vectors):
            dense = svecs @ qvec
            sent_terms = [next(all_terms) for _ in sent_texts]
            penalty = KIND_PENALTY.get(chunk.kind, 1.0)
            context = _context_terms(snap, chunk) if TITLE_COVERAGE else frozenset()
            for pos, (span, toks, sim, body) in enumerate(zip(chunk.sentences, sent_terms, dense, sent_texts)):
                coverage = sum(weights[t] for t in terms.intersection(context.union(toks))) / total
                typed = 1.0 if holds_type(body, kind) else 0.0
                score = penalty * (W_CHUNK * float(chunk_score) + W_COVERAGE * coverage + W_DENSE * float(sim) + W_TYPE * typed)
                out.append(ScoredSentence(int(vid), pos, chunk.doc_id, span, score, coverage, float(sim), float(chunk_score)))
        out.sort(key=lambda s: -s.score)
        return Retrieval(question, out, terms)

    def _chunks(self, snap: Snapshot, terms: frozenset[str], qvec: np.ndarray, doc_filter: set[str] | None):
        """Top chunks by a convex mix of min-max-normalised BM25 and cosine similarity."""
        n = snap.chunk_count
        lexical = snap.lexical_scores(terms)
        pool = max(TOP_CHUNKS * 4, 64)
        _, dense_ids = snap.dense_search(qvec[None, :], pool)
        candidates = set(int(i) for i in dense_ids[0] if i >= 0)
        if lexical.any():
            top_lex = np.argpartition(-lexical, min(pool, n - 1))[:pool] if n > pool else np.arange(n)
            candidates.update(int(i) for i in top_lex if lexical[i] > 0)
        if doc_filter is not None:
            allowed = {i for i, d in enumerate(snap.doc_ids) if d in doc_filter}
            candidates = {c for c in candidates if int(snap.chunk_doc[c]) in allowed}
        if not candidates:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        ids = np.fromiter(candidates, dtype=np.int64)
        lex = lexical[ids].astype(np.float64)
        lex_max = lexical.max()
        lex_norm = lex / lex_max if lex_max > 0 else lex
        dense = snap.chunk_vectors(ids) @ qvec
        fused = LEXICAL_WEIGHT * lex_norm + (1 - LEXICAL_WEIGHT) * dense
        order = np.argsort(-fused)[:TOP_CHUNKS]
        return ids[order], fused[order]


def _context_terms(snap: Snapshot, chunk) -> frozenset[str]:
    """Terms of a chunk's document title and section, computed once per index snapshot."""
    cache = snap.memo.setdefault("context_terms", {})
    key = (chunk.doc_id, chunk.section)
    if key not in cache:
        cache[key] = frozenset(lexical_tokens([f"{snap.documents[chunk.doc_id].title} {chunk.section}"])[0])
    return cache[key]
