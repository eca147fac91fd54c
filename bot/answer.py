"""Scored sentences -> an Answer: verbatim quotes with citations, or an honest abstention.

Quotes are windows of whole consecutive sentences (at most `quote_max_chars`), grown from the best
sentence towards its better-scored neighbour. Every quote is checked against the document text before it
is returned; a window never crosses text that is not a sentence (cruft, markup, a block break with
furniture in it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.facts import query as fq
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


def _clip(text: str, span: Span, max_chars: int, *, keep: Span | None = None) -> Span:
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


def compose(question: str, retrieval: Retrieval, passages: list[Passage], *, min_confidence: float) -> Answer:
    """A passage answer when the evidence is strong enough; otherwise an abstention with related reading."""
    if not retrieval.sentences or not passages:
        return Answer(question, ABSTAIN_ANSWER, "none", 0.0, passages)
    confidence = confidence_of(retrieval.sentences[0])
    if confidence < min_confidence:
        return Answer(question, ABSTAIN_ANSWER, "none", confidence, passages)
    top = passages[0]
    return Answer(question, f"\u201c{top.quote}\u201d \u2014 {top.title} [1]", "passage", confidence, passages)


# -- fact answers ------------------------------------------------------------------------------------

def fact_out(snap: Snapshot, f: dict, *, max_chars: int) -> dict:
    """A fact as returned to users: its evidence quote is verified like any passage."""
    text = snap.document_text(f["doc_id"])
    span = _clip(text, Span(f["start"], f["end"]), max_chars, keep=Span(f["value_start"], f["value_end"]))
    quote = verify_quote(text, span.start, span.end, span.of(text))
    return {
        "event": f["event"], "field": f["field"], "side": f["side"], "value": f["value"], "low": f["low"],
        "high": f["high"], "claimant": f["claimant"],
        "citation_id": citation_id(f["doc_id"], snap.documents[f["doc_id"]].sha256, span.start, span.end),
        "doc_id": f["doc_id"], "quote": quote, "start": span.start, "end": span.end,
    }


@dataclass(frozen=True)
class FactAnswer:
    answer: str
    facts: list[dict]
    event_places: list[str]


def answer_with_facts(snap: Snapshot, question: str, *, named, context_places: list[str] | None,
                      max_chars: int) -> FactAnswer | None:
    """Answer a numeric or date question from the fact table, or None to fall back to passages. `named` is
    the event the question names (named_event), else the conversation's event is looked up by its places."""
    r = fq.route(question)
    if r is None:
        return None
    events = event_table(snap)
    if r.kind == "in_year":
        return _in_year(snap, events, r.year, max_chars)
    if r.kind == "most":
        return _most(snap, events, r, max_chars)
    if r.kind == "combined":
        return _combined(snap, events, question, r, max_chars)
    event = named
    if event is None and context_places:
        event = next((e for e in events if e.same_as(context_places, None)), None)
    if event is None:
        return None
    if r.kind == "commander":
        picked = [f for f in event.facts if f["field"] == "commander" and (r.role is None or f["side"] in (r.role, ""))]
        seen, uniq = set(), []
        for f in sorted(picked, key=lambda f: (f["source"] != "infobox", f["start"])):
            key = (fold_value(f["value"]).rstrip(" †"), fold_value(f["claimant"]))
            if key not in seen:
                seen.add(key)
                uniq.append(f)
        if not uniq:
            return None
        outs = [fact_out(snap, f, max_chars=max_chars) for f in uniq]
        parts = []
        for i, f in enumerate(uniq, 1):
            side = f" ({fq.ROLE_LABEL.get(f['side'], f['side'])})" if f["side"] else ""
            who = f" according to {f['claimant']}" if f["claimant"] else ""
            parts.append(f"{f['value']}{side}{who} [{i}]")
        return FactAnswer(f"{event.name}, commanders: " + "; ".join(parts) + ".", outs, event.places)
    if r.kind in ("date", "time"):
        wanted = ("date",) if r.kind == "date" else (r.time_kind, "time")
        picked = [f for f in fq.figure_facts(event, wanted, None) if r.kind == "time" or f["value"]]
        if r.kind == "time" and not picked:
            picked = fq.figure_facts(event, ("start time", "end time", "time"), None)
        if not picked:
            return None
        uniq = {}
        for f in picked:
            uniq.setdefault(fold_value(f["value"]), f)
        outs = [fact_out(snap, f, max_chars=max_chars) for f in uniq.values()]
        what = "took place on" if r.kind == "date" else "time:"
        text = f"{event.name} {what} " + "; ".join(f"{o['value']} [{i}]" for i, o in enumerate(outs, 1)) + "."
        return FactAnswer(text, outs, event.places)
    picked = fq.figure_facts(event, r.fields, r.role)
    if not picked:
        return None
    outs = [fact_out(snap, f, max_chars=max_chars) for f in picked]
    sides = {f["side"] for f in picked}
    claims = "; ".join(fq.describe(f, i, with_side=len(sides) > 1 or r.role is None) for i, f in enumerate(picked, 1))
    return FactAnswer(f"{event.name}: {claims}.", outs, event.places)


def event_table(snap: Snapshot):
    """Events of the fact table, built once per index snapshot."""
    if "events" not in snap.memo:
        snap.memo["events"] = fq.events_of(snap.facts())
    return snap.memo["events"]


def named_event(snap: Snapshot, question: str):
    """The event a question names by place, if any (a new event replaces a conversation's context)."""
    found = fq.find_events(event_table(snap), question)
    return found[0] if found else None


def fold_value(value: str) -> str:
    return " ".join(value.lower().split())


def _event_total(event, fields, role) -> tuple[list[dict], float | None, float | None]:
    picked = [f for f in fq.figure_facts(event, fields, role) if f["side"] == role or role is None]
    low, high = fq.span_range(picked)
    return picked, low, high


def _most(snap: Snapshot, events, r, max_chars: int) -> FactAnswer | None:
    ranked = []
    for e in events:
        picked, low, high = _event_total(e, r.fields, r.role)
        if picked and low is not None:
            ranked.append((high if high is not None else low, low, e, picked))
    if not ranked:
        return None
    ranked.sort(key=lambda x: (-x[0], -x[1]))
    top = ranked[0]
    outs, parts, n = [], [], 1
    for _, low, e, picked in ranked[:3]:
        best = max(picked, key=lambda f: (f["high"] if f["high"] is not None else f["low"] or 0))
        outs.append(fact_out(snap, best, max_chars=max_chars))
        parts.append(f"{e.name}: {best['value']} {fq.FIELD_LABEL.get(best['field'], best['field'])}"
                     f"{' according to ' + best['claimant'] if best['claimant'] else ''} [{n}]")
        n += 1
    who = fq.ROLE_LABEL.get(r.role, r.role)
    text = (f"Among the attacks in the documents, {top[2].name} has the highest reported figure for {who} "
            f"{fq.FIELD_LABEL.get(r.fields[0], r.fields[0])}. " + "; ".join(parts) + ".")
    return FactAnswer(text, outs, top[2].places)


def _combined(snap: Snapshot, events, question: str, r, max_chars: int) -> FactAnswer | None:
    named = []
    for e in events:
        for p in e.places:
            if fq.place_score(p, question.lower().split(), question.lower()) > 0 and e not in named:
                named.append(e)
    main_named = [e for e in named if any(f.get("main_event") for f in e.facts)] or named
    if len(main_named) < 2:
        return None
    outs, parts, lows, highs, n = [], [], [], [], 1
    for e in main_named:
        picked, low, high = _event_total(e, r.fields, r.role)
        if not picked:
            return None
        refs = []
        for f in picked:
            outs.append(fact_out(snap, f, max_chars=max_chars))
            refs.append(f"{f['value']} [{n}]")
            n += 1
        lows.append(low)
        highs.append(high)
        parts.append(f"{e.name}: {fq.fmt_range(low, high)} (claims: {', '.join(refs)})")
    total_low = sum(x for x in lows if x is not None) if all(x is not None for x in lows) else None
    total_high = sum(highs) if all(x is not None for x in highs) else None
    who = fq.ROLE_LABEL.get(r.role, r.role)
    text = (f"Combined: {fq.fmt_range(total_low, total_high)} {who} {fq.FIELD_LABEL.get(r.fields[0], r.fields[0])} "
            f"(the sum of each attack's range of claims). " + "; ".join(parts) + ".")
    return FactAnswer(text, outs, [])


def _in_year(snap: Snapshot, events, year: int | None, max_chars: int) -> FactAnswer | None:
    hits = [e for e in events if e.year == year]
    if not hits:
        return None
    outs, parts = [], []
    for i, e in enumerate(hits, 1):
        evidence = next((f for f in e.facts if f["field"] == "date"), e.facts[0])
        outs.append(fact_out(snap, evidence, max_chars=max_chars))
        parts.append(f"{e.name}{' (' + evidence['value'] + ')' if evidence['field'] == 'date' else ''} [{i}]")
    return FactAnswer(f"Attacks in {year} in the documents: " + "; ".join(parts) + ".", outs, [])
