"""Check a draft against the sources: each sentence is quoted, supported, in conflict, not found, or unclear.

A journalist's draft is split into sentences (offsets into the submitted text). For each sentence, in order:
1. **quoted**: the sentence, or a part of it in quotation marks, occurs in a document (as `/cite` finds it).
2. **figures and dates**: the sentence is read by the same fact extractor as the documents ("12 soldiers were
   killed" -> killed, soldiers, 12), the event it names is looked up in the fact table, and each figure is
   compared with the sources' claims that count the same thing (the draft's claimant's, when it names one);
   a date only when the sentence tells the event happening. Inside any claim's range -> supported (every
   claim shown, so a disagreement between sources stays visible); outside all of them -> conflicts.
3. **passages**: otherwise the sentence is retrieved like a question and its best evidence judged: a close
   statement holding every figure of the sentence -> supported; nothing close -> not_found; anything between
   -> unclear.

A false "conflicts" is an accusation, so conflicts come only from a figure or date the sources state
differently for an event the sentence plainly names; when in doubt the verdict is unclear. Who did something
(a wrong actor) is not judged: the signals here cannot tell "same statement, other words" from "another
statement about the same thing" (that needs an entailment model).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot import answer as answers
from bot.chunking import sentence_offsets, split_sentences
from bot.facts.domains import Domain
from bot.facts.events import MONTHS
from bot.facts.extract import extract_facts
from bot.facts.model import DATE, FIGURE, INFOBOX, EventGroup, Fact
from bot.facts.numbers import written_figures
from bot.facts.table import FactTable
from bot.ingest import document_from_bytes
from bot.matching import fold
from bot.retrieval import Retriever
from bot.spans import Span
from bot.store import Snapshot
from bot.citations import exact_occurrences

QUOTED, SUPPORTED, CONFLICTS, NOT_FOUND, UNCLEAR = "quoted", "supported", "conflicts", "not_found", "unclear"
VERDICTS = (QUOTED, SUPPORTED, CONFLICTS, NOT_FOUND, UNCLEAR)

MAX_SENTENCES = 100
QUOTE_MIN_WORDS = 4
# passage evidence: the best evidence sentence's cosine to the sentence, the answerability confidence of the
# sentence read as a question against the evidence, and the IDF share of its terms the evidence covers (chosen
# on the dev half of tests/check/sentences.jsonl)
SUPPORT_DENSE = 0.8
SUPPORT_CONFIDENCE = 0.3
SUPPORT_COVERAGE = 0.5
NOT_FOUND_DENSE = 0.62
NOT_FOUND_COVERAGE = 0.4
CLAIM_SUPPORT_DENSE = 0.6
SAME_FIGURE_MEANING = 0.6  # cosine of two figures' own words (field, noun, unit) for the same value to support

_QUOTED = re.compile(r"[“\"]([^”\"]+)[”\"]")
_MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_ANY_MONTH = rf"(?:{MONTHS}|{_MON})"
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_ANY_MONTH})(?!\w)|\b({_ANY_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b")
_MONTH = re.compile(rf"\b({_ANY_MONTH})(?!\w)")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


@dataclass(frozen=True)
class ClaimCheck:
    """One figure or date of the sentence, and every claim the sources make about the same thing."""

    value: str  # as the draft writes it
    field: str
    verdict: str  # supported | conflicts
    facts: list[answers.CitedFact]


@dataclass(frozen=True)
class SentenceCheck:
    start: int  # offsets into the submitted text
    end: int
    text: str
    verdict: str
    confidence: float
    reason: str
    passages: list[answers.Passage] = field(default_factory=list)
    claims: list[ClaimCheck] = field(default_factory=list)
    signals: dict = field(default_factory=dict, compare=False)  # what the passage verdict read (for evaluation)


@dataclass(frozen=True)
class CheckReport:
    sentences: list[SentenceCheck]
    counts: dict[str, int]


@dataclass(frozen=True)
class Sources:
    """What a check reads: one index snapshot, its fact table, and the models."""

    snap: Snapshot
    table: FactTable
    retriever: Retriever
    logits: Callable
    confidence: Callable
    domains: list[Domain]
    quote_max_chars: int


# a full stop after a lower-case word or a figure, then a capital or a figure: a sentence boundary blingfire
# can miss ("... led by John Smith. 27 workers were injured ..."); titles and initials are not
_BOUNDARY = re.compile(r"(\w+)[.!?]\s+(?=[A-Z0-9“\"])")
_TITLES = {"mr", "mrs", "ms", "dr", "st", "mt", "no", "vs", "lt", "col", "gen", "sgt", "capt", "etc", "jr", "sr", "prof"}


def _boundaries(text: str, start: int, end: int) -> list[int]:
    cuts = []
    for m in _BOUNDARY.finditer(text, start, end):
        word = m.group(1)
        if word.lower() in _TITLES or (word[:1].isupper() and len(word) <= 2) or not (word[-1].islower() or word[-1].isdigit()):
            continue
        cuts.append(m.end())
    return cuts


def split_draft(text: str) -> list[tuple[int, int]]:
    """Sentences of the draft as (start, end) into it: line breaks end a sentence, then blingfire splits."""
    out = []
    for line in re.finditer(r"[^\n]+", text):
        for a, b in sentence_offsets(line.group(0)):
            a, b = line.start() + a, line.start() + b
            cuts = [a] + _boundaries(text, a, b) + [b]
            for s, e in zip(cuts, cuts[1:]):
                while s < e and text[s].isspace():
                    s += 1
                while e > s and text[e - 1].isspace():
                    e -= 1
                if e > s:
                    out.append((s, e))
    return out


def check_text(src: Sources, text: str) -> CheckReport:
    spans = split_draft(text)[:MAX_SENTENCES]
    results = [check_sentence(src, text[s:e], s, e) for s, e in spans]
    counts = {v: sum(r.verdict == v for r in results) for v in VERDICTS}
    return CheckReport(results, counts)


def check_sentence(src: Sources, sentence: str, start: int, end: int) -> SentenceCheck:
    signals: dict = {}

    def done(verdict: str, confidence: float, reason: str, passages=(), claims=()) -> SentenceCheck:
        return SentenceCheck(start, end, sentence, verdict, round(confidence, 4), reason, list(passages), list(claims),
                             signals)

    if len(re.findall(r"\w+", sentence)) < 3:
        return done(UNCLEAR, 0.0, "Too short to check.")
    exact = _exact(src, sentence)
    if exact:
        return done(QUOTED, 1.0, f"Occurs word for word in {exact[0].title}.", exact)
    for part in _QUOTED.findall(sentence):
        if len(part.split()) >= QUOTE_MIN_WORDS:
            found = _exact(src, part)
            if found:
                return done(QUOTED, 1.0, f"The quoted words occur in {found[0].title}.", found)

    retrieval = src.retriever.retrieve(src.snap, sentence)
    candidates = answers.candidates(src.snap, retrieval, limit=4)
    claims = _claims(src, sentence)
    signals.update(claims=[(c.value, c.verdict) for c in claims], sentence=sentence)
    if claims:
        # figures and dates decide without the cross-encoder (its reading is the slowest step of a check)
        _evidence(src, sentence, candidates, signals)
        decided = _from_claims(done, signals, claims, lambda: answers.build_passages(
            src.snap, retrieval, top_k=3, max_chars=src.quote_max_chars))
        if decided is not None:
            return decided
    judged = answers.judge(src.snap, sentence, candidates, logits=src.logits, confidence=src.confidence)
    passages = answers.build_passages(src.snap, retrieval, top_k=3, max_chars=src.quote_max_chars, judged=judged)
    if judged:
        _evidence(src, sentence, [j.sentence for j in judged], signals)
        best = max(judged, key=lambda j: j.evidence.dense)
        signals.update(confidence=round(judged[0].confidence, 4), missing_doc=round(best.evidence.missing_doc, 3))
    return _from_passages(done, signals, claims, passages)


def _evidence(src: Sources, sentence: str, sentences, signals: dict) -> None:
    """What the retrieval says of the best evidence: its cosine and term coverage, and whether every figure the
    sentence writes in digits appears in the chunks of the first three candidates."""
    if not sentences:
        return
    best = max(sentences, key=lambda x: x.dense)
    evidence = set(written_figures(" ".join(src.snap.chunk(x.vid).text for x in sentences[:3])))
    figures = written_figures(sentence)
    found = [n for n in figures if n in evidence]
    signals.update(dense=round(best.dense, 4), coverage=round(best.coverage, 4),
                   figures_in_evidence=len(found) == len(figures), evidence_figures=found)


def _from_claims(done, signals: dict, claims: list[ClaimCheck], passages) -> SentenceCheck | None:
    """The verdict the figures and dates give (`passages` computes the evidence), or None to read passages."""
    dense = signals.get("dense", 0.0)
    wrong = [c for c in claims if c.verdict == CONFLICTS]
    if wrong:
        said = "; ".join(f"{c.value} ({c.field}): the sources say "
                         + ", ".join(f"{f.value}" + (f" per {f.claimant}" if f.claimant else "") for f in c.facts)
                         for c in wrong)
        return done(CONFLICTS, 0.9, f"The sources state this differently. {said}.", passages(), claims)
    # a figure, or a full date, that matches; a year or a month only names the event
    substantive = [c for c in claims if c.field != "date" or (date_parts(c.value) or (None, None, None))[2] is not None]
    # and no other figure of the sentence goes unchecked (a date that matches does not vouch for a magnitude)
    checked = set(written_figures(" ".join(c.value for c in claims))) | set(signals.get("evidence_figures", ()))
    if substantive and dense >= CLAIM_SUPPORT_DENSE and all(n in checked for n in written_figures(signals.get("sentence", ""))):
        disagree = any(len({(f.low, f.high) for f in c.facts if f.low is not None}) > 1 for c in claims)
        note = " The sources disagree among themselves; every claim is listed." if disagree else ""
        return done(SUPPORTED, 0.9, f"Every figure and date matches a claim in the sources.{note}", passages(), claims)
    return None


def _from_passages(done, signals: dict, claims: list[ClaimCheck], passages) -> SentenceCheck:
    dense, confidence = signals.get("dense", 0.0), signals.get("confidence", 0.0)
    if not passages:
        return done(NOT_FOUND, 0.9, "Nothing in the documents bears on this.", passages, claims)
    coverage = signals.get("coverage", 0.0)
    if (signals.get("figures_in_evidence", True) and dense >= SUPPORT_DENSE and confidence >= SUPPORT_CONFIDENCE
            and coverage >= SUPPORT_COVERAGE and signals.get("missing_doc", 1) <= 0.2):
        return done(SUPPORTED, confidence, "A passage states the same thing.", passages, claims)
    if dense < NOT_FOUND_DENSE and coverage < NOT_FOUND_COVERAGE:
        return done(NOT_FOUND, 1.0 - dense, "Nothing in the documents bears on this.", passages, claims)
    return done(UNCLEAR, confidence, "The closest passages are related but do not clearly state this.", passages, claims)


def _exact(src: Sources, text: str) -> list[answers.Passage]:
    """Passages where `text` occurs (whitespace, quote marks, dashes and case aside)."""
    return [answers.make_passage(src.snap, doc_id, Span(s, e), score=1.0, section="")
            for doc_id, s, e in exact_occurrences(src.snap, text)[:3]]


def claim_facts(sentence: str, domains: list[Domain], *, about: str = "Draft") -> list[Fact]:
    """The figures and dates a draft sentence states, read by the documents' own extractor as a page titled
    `about` (the event the sentence names: its domain pack then reads the sentence as it reads that event's
    pages, e.g. '300 fighters stormed the camp' as the attackers' strength)."""
    doc = document_from_bytes("draft", f"{about}\n\n{sentence}\n".encode("utf-8"), name="draft.txt", suffix=".txt")
    return [f for f in extract_facts(doc, split_sentences(doc), domains=domains)
            if (f.kind == FIGURE and f.low is not None and f.field not in ("coordinates",)) or f.kind == DATE]


def _claims(src: Sources, sentence: str) -> list[ClaimCheck]:
    """Each figure or date of the sentence against the sources' claims for the event the sentence names."""
    # a year in the sentence narrows the events for its figures; its dates are compared with the event's date
    # whatever year they give, so the event is found without them
    by_year = _plain(src.table.named(sentence))
    any_year = _plain(src.table.named(_YEAR.sub(" ", sentence)))
    out = []
    about = (by_year or any_year or [None])[0]
    for c in claim_facts(sentence, src.domains, about=about.name if about is not None else "Draft"):
        if c.kind == DATE:
            parts = date_parts(c.value)
            groups = [g for g in any_year if parts and _event_date_claim(sentence, g, parts)]
            checked = _date_check(src, c, groups) if groups else None
        else:
            checked = _figure_check(src, c, by_year, sentence) if by_year else None
        if checked is not None:
            out.append(checked)
    return out


def _plain(named: list[tuple[EventGroup, float]]) -> list[EventGroup]:
    """The events a sentence names most plainly (all of them when several tie): by a place or a word of their
    name, not a spelling variant (a figure is only compared with the event the sentence surely means)."""
    top = max((s for _, s in named), default=0.0)
    if top < 0.9:
        return []
    best = [g for g, s in named if s >= top - 1e-9]
    # the same event can be known by two groups of one name and year (its page, and a mention elsewhere)
    same = {(fold(g.name), g.year) for g in best}
    return best + [g for g, s in named if g not in best and s >= 0.9 and (fold(g.name), g.year) in same]


_HAPPENED = re.compile(r"\b(?:took place|take place|happened|occurred|struck|hit|broke out|was held|were held)\b")
# another action than the event itself, whose date is not the event's: a claim, an announcement, a toll raised,
# a mission sent, an arrest, a ruling...
_OTHER_ACTION = re.compile(
    r"\b(?:announc|declar|claim|said|say|stat|report|rais|revis|dispatch|sent|send|arrest|charg|reject|visit|issu|"
    r"publish|releas|condemn|approv|rul|sign|appoint|resign|sworn|swear|extend|lift|impos|evacuat|reopen|open|"
    r"confirm|deni|den|accus|blam|vow|pledg|promis|warn|call|ask|urg|order|launch|begin|began|start|end|"
    r"took office|take office|will|since)\w*")


def _event_date_claim(sentence: str, group: EventGroup, parts) -> bool:
    """Whether the sentence's date is the event's own: the sentence tells the event happening (its kind, 'the
    raid', 'attacked', or the event named before 'took place') and no other action that the date could belong
    to ('the group claimed the attack on March 8', 'the African Union sent a mission in February'). A month or
    a year alone counts only with 'took place', 'happened' and the like."""
    folded = fold(sentence)
    if _OTHER_ACTION.search(folded):
        return False
    kinds = {group.kind} | {ev.kind for ev in group.events}
    stems = {fold(k)[:5] for k in kinds if k and len(k) >= 4}
    happened = _HAPPENED.search(folded)
    if happened:
        # the event is what happened: named before the verb ('the earthquake struck on ...'), not a later
        # aside ('an epidemic broke out in October, months after the earthquake')
        names = stems | {w[:5] for w in re.findall(r"[^\W\d_]{4,}", fold(group.name))}
        before = folded[: happened.start()]
        return any(re.search(rf"\b{re.escape(st)}", before) for st in names)
    return parts[2] is not None and any(re.search(rf"\b{re.escape(st)}", folded) for st in stems)


def _figure_check(src: Sources, c: Fact, groups: list[EventGroup], sentence: str) -> ClaimCheck | None:
    domain_fields = {spec.name for d in src.domains for spec in d.fields}
    theirs = [f for g in groups for f in g.facts
              if f.kind == FIGURE and f.field == c.field and f.low is not None
              and not (c.side and f.side and c.side != f.side) and _comparable(c, f, domain_fields)]
    if not theirs:
        same = _same_figure(src, c, groups)
        return ClaimCheck(c.value, c.field, SUPPORTED, _cite(src, same)) if same else None
    what = c.field + (f" ({c.side})" if c.side else "")
    if c.claimant:
        # the draft says who gives the figure: it is that source's figure that must match ('the ministry
        # said 45 people died' against the ministry's 20, not against another source's 45)
        same = [f for f in theirs if f.claimant and _same_claimant(c.claimant, f.claimant)]
        if same:
            ok = any(_overlaps(c, f) for f in same)
            return ClaimCheck(c.value, what, SUPPORTED if ok else CONFLICTS, _cite(src, same + [f for f in theirs if f not in same]))
        given = [f for f in theirs if (f.low, f.high) == (c.low, c.high)]
        if given and all(f.claimant for f in given):
            # the sources give this very figure only as someone else's ('AFP reported 30 to 32' where the
            # sources say RFI did): the attribution is what conflicts
            return ClaimCheck(c.value, what, CONFLICTS, _cite(src, given + [f for f in theirs if f not in given]))
    ok = any(_overlaps(c, f) for f in theirs)
    return ClaimCheck(c.value, what, SUPPORTED if ok else CONFLICTS, _cite(src, theirs))


def _same_figure(src: Sources, c: Fact, groups: list[EventGroup]) -> list[Fact]:
    """The event's facts that state the draft's very figure (the same bounds) about what the draft's words mean
    too, though worded otherwise ('147 deaths recorded' and 'Deaths: 147', '5,300 people died' and 'a death
    toll of 5,300'): support, never a conflict, since a figure named in other words may count something else."""
    same = [f for g in groups for f in g.facts
            if f.kind == FIGURE and f.low is not None and (f.low, f.high) == (c.low, c.high)
            and not (c.side and f.side and c.side != f.side)]
    if not same:
        return []
    mine = src.retriever.embed_question(c.descriptor())
    return [f for f in same if float(src.retriever.embed_question(f.descriptor()) @ mine) >= SAME_FIGURE_MEANING]


def _comparable(c: Fact, f: Fact, domain_fields: set[str]) -> bool:
    """Two figures of one field count the same thing: a field a domain pack defines ('killed'), the same
    counted noun or unit ('homes', 'km'), or a measure the draft names as the source's infobox labels it ('a
    magnitude of 8.4' against the row 'Magnitude: 7.0': one value per event). A label from prose ('amount',
    'left') alone is not enough to call two figures the same claim, or to call them in conflict."""
    if c.field in domain_fields:
        return True
    if f.source == INFOBOX and fold(f.label) == fold(c.field) and fold(c.label) == fold(c.field):
        return True
    return bool((c.noun and fold(c.noun) == fold(f.noun)) or (c.unit and c.unit == f.unit)
                or (c.label and fold(c.label) == fold(f.label) and fold(c.label) != fold(c.field)))


_CLAIMANT_FILLER = {"the", "of", "and", "a", "an", "its", "citing", "according", "to", "sources", "source"}


def _same_claimant(a: str, b: str) -> bool:
    """'The Health Ministry' and 'Health Min.', 'AFP' and 'AFP': the same source when their significant
    words share their first three letters."""
    def words(x: str) -> set[str]:
        return {w[:3] for w in re.findall(r"\w+", fold(x)) if len(w) >= 2 and w not in _CLAIMANT_FILLER}
    wa, wb = words(a), words(b)
    return bool(wa) and bool(wb) and (wa <= wb or wb <= wa)


OPEN_ENDED = 1.25  # "more than 30", "50+": read as up to a quarter more, not as any larger number


def _overlaps(c: Fact, f: Fact) -> bool:
    """The draft's figure and the source's claim can be the same number: their ranges meet (an open-ended one
    read as up to a quarter more; hedged ones, 'about 40', with a tenth of slack)."""
    slack = 0.1 if (c.quantity and c.quantity.approximate) or (f.quantity and f.quantity.approximate) else 0.0
    c_high = c.high if c.high is not None else c.low * OPEN_ENDED
    f_high = f.high if f.high is not None else f.low * OPEN_ENDED
    return c.low * (1 - slack) <= f_high * (1 + slack) and f.low * (1 - slack) <= c_high * (1 + slack)


def _date_check(src: Sources, c: Fact, groups: list[EventGroup]) -> ClaimCheck | None:
    mine = date_parts(c.value)
    if mine is None:
        return None
    dated = [f for g in groups for f in g.facts if f.kind == DATE and f.field == "date" and date_parts(f.value)]
    if not dated:
        return None
    # the fullest dates the sources give for the event ('January 26, 2020' over 'January 26' or '2020')
    fullest = max(sum(p is not None for p in date_parts(f.value)) for f in dated)
    theirs = [f for f in dated if sum(p is not None for p in date_parts(f.value)) == fullest]
    if not any(_shared(mine, date_parts(f.value)) for f in theirs):
        return None  # '2008' against 'April 27th': nothing to compare
    ok = any(_same_date(mine, date_parts(f.value)) for f in theirs)
    return ClaimCheck(c.value, "date", SUPPORTED if ok else CONFLICTS, _cite(src, theirs))


def date_parts(text: str) -> tuple[int | None, str | None, int | None] | None:
    """(year, month, day) a date as written states; None when it states none of them."""
    year = _YEAR.search(text)
    dm = _DAY_MONTH.search(text)
    month = _MONTH.search(text)
    day = int(dm.group(1) or dm.group(4)) if dm else None
    parts = (int(year.group(1)) if year else None, month.group(1).lower()[:3] if month else None, day)
    return parts if any(p is not None for p in parts) else None


def _shared(a, b) -> bool:
    return any(x is not None and y is not None for x, y in zip(a, b))


def _same_date(a, b) -> bool:
    """Compatible: every part both dates state is equal, and they share at least one part."""
    shared = [(x, y) for x, y in zip(a, b) if x is not None and y is not None]
    return bool(shared) and all(x == y for x, y in shared)


def _cite(src: Sources, facts: list[Fact]) -> list[answers.CitedFact]:
    seen, out = set(), []
    for f in facts:
        key = (f.doc_id, f.value, f.claimant, f.span.start)
        if key in seen:
            continue
        seen.add(key)
        out.append(answers.cite_fact(src.snap, f, max_chars=src.quote_max_chars))
    return out[:8]
