"""Facts from infoboxes and prose: every figure, date, time and named leader a document states, each with the
value exactly as written, its bounds and unit, what it counts, who claims it, the event it belongs to, and
its verbatim span.

Two layers. The general one needs no vocabulary: an infobox label names its values ("Magnitude", "Deaths"),
and in prose a figure is described by the grammar around it (the noun it counts, the verb or state attached
to it: "486 people who survived", "killing 30 soldiers", "a depth of 18.5 km"). A domain pack, when one
applies to the document, first tries its own fields and groups ("27 soldiers killed" -> killed, soldiers).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from functools import lru_cache

from bot.chunking import Sentence, split_sentences
from bot.facts.domains import GENERAL, Domain, pick
from bot.matching import fold
from bot.facts.events import (DATE, MONTHS, YEAR_DATE, _compiled, block_event, lead_text, main_event,
                               sentence_event)
from bot.facts.infobox import Entry, entries
from bot.facts.model import DATE as DATE_KIND
from bot.facts.model import FIGURE, INFOBOX, NAME, PROSE, TIME, Event, Fact, Quantity
from bot.facts.numbers import currency_of, find_quantities, measure_of, unit_after
from bot.ingest import PROSE as PROSE_BLOCK
from bot.ingest import RELATED, Document
from bot.lexicon import lemmas
from bot.spans import Span, strip_span

_REPORTING = re.compile(
    r"\b(?:announced|announcing|stated|stating|said|saying|says|claimed|claiming|claims|reported|reporting|reports|"
    r"alleged|alleges|alleging|confirmed|confirming|corroborated|estimated|estimates|updating|updated|revised|"
    r"raised|put|gave|giving|released|noted|noting|told|declared|acknowledged|admitted)\b"
)
_ACCORDING = re.compile(r"\b(?:[Aa]ccording to|per(?=\s+(?:[A-Z]|the\s)))\s+([^,;.()]{2,80})")  # not "per cent"
_CLAUSE_START = re.compile(r"(?:^|,\s*|;\s*|\bthat\s+|\balthough\s+|\bwhile\s+|\bbut\s+|\bwith\s+|\bwhereas\s+)")
_LEADING_ADVERBIAL = re.compile(
    rf"^(?:(?:On|In|By|Later|Earlier|Early|Late|As of)\b[^,]{{0,40}},\s*|{MONTHS}[^,]{{0,20}},\s*|Later in the day,\s*)"
)
_PRONOUNS = {"they", "it", "he", "she", "we", "this", "which", "who"}
_PAREN_CLAIM = re.compile(r"\(\s*(?:per|according to|claimed by|by)\s+([^)\n]{1,60}?)\s*(?:\)|$)", re.IGNORECASE)
# a sentence that goes on with the previous one's report, so with its claimant
_GOES_ON = re.compile(r"\b(?:also|added|adding|further|too|as well|another|additional)\b|^\W*(?:It|They|He|She)\b")
# what is left where a claimant was looked for and names none: a date, a bare preposition, punctuation
_NOT_A_CLAIMANT = re.compile(rf"^(?:{MONTHS}\b|\d|(?:with|of|and|or|in|on|at|to|from|by|as|for)$)|^\W*$", re.IGNORECASE)
# infobox entries that say how the page looks ("| color2 = 193282", "image_size = 250px"), not what happened
_PRESENTATION = re.compile(r"(?:colou?r|image|img|logo|caption|alt|map|website|url|signature)[\s_]?\d*"
                           r"(?:[\s_]?(?:size|width|alt))?$", re.IGNORECASE)
TIME_RE = re.compile(
    r"(?<![\w:])(?:(?:around|about|at|approximately|shortly after|shortly before|before|after)\s+)?"
    r"(?:\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}(?::\d{2})?(?!\d)(?:\s(?:local time|[A-Z]{2,4})\b)?)"
    r"(?:\s+local time)?",
    re.IGNORECASE,
)
_DATE_AROUND = re.compile(rf"{MONTHS}\s*$", re.IGNORECASE)
_AUX = {"were", "was", "have", "has", "had", "been", "are", "is", "be", "being", "who", "that", "which", "reportedly",
        "also", "all", "later", "allegedly", "officially", "now", "then", "still", "either", "were", "either"}
_STOP_NOUN = {"of", "the", "a", "an", "in", "on", "at", "to", "for", "from", "by", "with", "and", "or", "as", "than",
              "per", "its", "their", "his", "her", "our", "this", "that", "these", "those", "more", "less", "over"}
_DATE_WORDS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
               "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
_LABEL_BEFORE = re.compile(
    r"(?:^|[\s(•])((?:[A-Za-z][a-z-]{2,20}\s){0,2}[A-Za-z][a-z-]{2,20})\s+(?:of|at|was|were|is|are|stood at|rose to|"
    r"reached|to|hit|climbed to|jumped to|increased to|fell to|dropped to|totalled|totaled|of about|of around)\s*$")
_VERB_BEFORE = re.compile(r"(?:^|\s)([a-z]{3,20}(?:ing|ed)|left|lost|won|hit|killed|took|saw)\s+(?:(?:a|an|the|some|over|at least|about|around|nearly|almost|more than)\s+)?$")
# Coordinates are one value, not six figures: 18°28′N 72°32′W, 37.174°N 37.032°E
COORDINATES = re.compile(r"\d{1,3}(?:\.\d{1,6})?°(?:\s?\d{1,2}(?:\.\d{1,4})?[′'])?(?:\s?\d{1,2}(?:\.\d{1,4})?[″\"])?\s?[NS]"
                         r"[,\s]{1,3}\d{1,3}(?:\.\d{1,6})?°(?:\s?\d{1,2}(?:\.\d{1,4})?[′'])?(?:\s?\d{1,2}(?:\.\d{1,4})?[″\"])?\s?[EW]")
_CHANGE = re.compile(r"\(\s*(?:\{\{\s*)?(?:increase|decrease|up|down|change|gain|loss|steady)|[▲▼±]", re.IGNORECASE)
_ROMAN = re.compile(r"^\s*(?P<r>[IVX]{1,5})\b(?:\s*\(.{0,30}\))?\s*$")



def _is_state(word: str) -> bool:
    """A past participle or a state adjective ('killed', 'died', 'injured', 'dead', 'missing', 'lost')."""
    w = word.lower()
    lem = lemmas(w)
    if "VERB" in lem and w != lem["VERB"][0] and not w.endswith("ing") and not w.endswith("s"):  # not 'speed'
        return True
    return "ADJ" in lem and "NOUN" not in lem and (w.endswith("ed") or w in ("dead", "missing", "hurt", "lost", "homeless"))


def _is_noun(word: str) -> bool:
    lem = lemmas(word)
    return "NOUN" in lem or "PROPN" in lem or (word[:1].isupper() and word.lower() not in _STOP_NOUN)


@lru_cache(maxsize=4096)
def past_participle(word: str) -> str:
    """'killing' -> 'killed', 'died' -> 'died', 'injure' -> 'injured'; unknown words unchanged."""
    from lemminflect import getInflection, getLemma

    w = word.lower()
    lemma = getLemma(w, upos="VERB")
    if not lemma:
        return w
    forms = getInflection(lemma[0], tag="VBN")
    return forms[0] if forms else w


def state_field(state: str) -> str:
    """The field a state written after a figure names: '153 injured' -> 'injured', '50 homes destroyed' ->
    'destroyed'; an -ing form there is a present state and stays one ('10,000 people missing' is not 'missed')."""
    w = state.lower()
    if w.endswith("ing") or "VERB" not in lemmas(w):
        return w  # 'missing'; an adjective ('dead', 'homeless') is its own state, not a verb's participle
    return past_participle(state)


def extract_facts(doc: Document, sentences: Sequence[Sentence] | None = None, *,
                  domains: Sequence[Domain] = ()) -> list[Fact]:
    """Every fact `doc` states, attributed to the event it is about. `sentences`: split_sentences(doc), when
    the caller has them already; `domains`: the enabled packs (the first that matches the document applies)."""
    ents_general = entries(doc, GENERAL)
    domain = pick(list(domains), signature(doc, ents_general)) if domains else GENERAL
    ents = entries(doc, domain) if domain is not GENERAL else ents_general
    main = main_event(doc, ents, domain)
    sides = _side_names(doc, ents, domain)
    sentences = split_sentences(doc) if sentences is None else sentences
    return _Extractor(doc, domain, main, sides).run(ents, sentences)


def signature(doc: Document, ents: list[Entry]) -> str:
    """What a domain pack's detector reads: title, infobox labels and the lead."""
    return "\n".join([doc.title, " ".join(e.label for e in ents), lead_text(doc, limit=2)[:3000]])


def _side_names(doc: Document, ents: list[Entry], domain: Domain) -> dict[int, tuple[str, str]]:
    """Side number -> (name as written, group), from the infobox's sides (belligerents, candidates, parties)."""
    out: dict[int, tuple[str, str]] = {}
    for e in ents:
        if e.side is None or re.search(r"\d", e.value.of(doc.text)):
            continue
        name = e.value.of(doc.text)
        if domain.side_label and e.field == domain.side_label:
            second = domain.second_side and _compiled(domain.second_side).search(name)
            out[e.side] = (name, domain.second_group if second else domain.first_group)
        elif not domain.side_label and e.side not in out and re.match(r"[A-Z]", name):
            out[e.side] = (name, "")
    return out


class _Extractor:
    def __init__(self, doc: Document, domain: Domain, main: Event | None, sides: dict[int, tuple[str, str]]):
        self.doc = doc
        self.text = doc.text
        self.domain = domain
        self.main = main
        self.sides = sides

    def run(self, ents: list[Entry], sentences: Sequence[Sentence]) -> list[Fact]:
        self._prose_sentences = [s.span for s in sentences if s.kind == PROSE_BLOCK]
        return self._infobox(ents) + self._headline() + self._prose(sentences)

    def _headline(self) -> list[Fact]:
        """A news headline's figures ('At least 19 dead after bus topples over in Hong Kong'): a count with what it
        counts, read like a sentence; a title's years and dates only name the event."""
        span = self.doc.title_span
        if span is None:
            return []
        facts = self._prose([Sentence(span, PROSE_BLOCK, "")])
        return [f for f in facts if f.kind == FIGURE and f.field != "coordinates" and (f.noun or
                _is_state(f.field) or lemmas(f.field).get("VERB"))]

    def _list_field(self, at: int) -> str:
        """What a list of "Name – figure" rows counts: the noun of the last figure in the sentence before it
        ("... how they shared the 25.3 million valid votes:" -> "votes")."""
        import bisect

        i = bisect.bisect_right([s.end for s in self._prose_sentences], at) - 1
        if i < 0:
            return "value"
        span = self._prose_sentences[i]
        found = find_quantities(self.text, span.start, span.end)
        for q_span, _ in reversed(found):
            noun, _state = _noun_and_state(_words_after(self.text, q_span.end, span.end, 4))
            if noun:
                return noun.lower()
        return "value"

    def _fact(self, ev: Event | None, kind: str, field: str, value: Span, evidence: Span, *, source: str,
              label: str = "", quantity: Quantity | None = None, noun: str = "", unit: str = "", side: str = "",
              qualifiers: tuple[str, ...] = (), claimant: str = "") -> Fact:
        return Fact(doc_id=self.doc.doc_id, event=ev, kind=kind, field=field, label=label or field,
                    value=value.of(self.text), span=evidence, value_span=value, source=source, quantity=quantity,
                    noun=noun, unit=unit, side=side, qualifiers=qualifiers, claimant=claimant)

    def _group_of_side(self, side: int | None) -> str:
        if side in self.sides and self.sides[side][1]:
            return self.sides[side][1]
        if self.domain.first_group:
            return {1: self.domain.first_group, 2: self.domain.second_group}.get(side, self.domain.unknown_group)
        return ""

    def _side_qualifiers(self, side: int | None) -> tuple[str, ...]:
        return (self.sides[side][0],) if side in self.sides else ()

    # -- infobox -------------------------------------------------------------------------------------

    def _infobox(self, ents: list[Entry]) -> list[Fact]:
        text, d, main = self.text, self.domain, self.main
        facts: list[Fact] = []
        casualty_side, last_rank = 1, -1
        order = {name: i for i, name in enumerate(d.casualty_order)}
        for e in ents:
            value = e.value.of(text)
            if e.field in ("commander", d.side_label, "place") and e.field:
                if value.strip().lower() in ("unknown", "n/a", "none", "") or re.search(r"\d{2}", value):
                    if e.field != "place":
                        continue
                side = self._group_of_side(e.side) if e.side else ""
                facts.append(self._fact(main, NAME, e.field, e.value, e.line, source=INFOBOX, label=e.written, side=side))
                continue
            if e.field == d.casualty_label and d.casualty_label:
                for span, q, kind, claimant, group in self._casualty_items(e.value):
                    if e.side is None and group is None:
                        rank = order.get(kind, 0)
                        if rank < last_rank or (rank == last_rank and kind == d.casualty_order[0] and facts
                                                and facts[-1].claimant == claimant):
                            casualty_side += 1
                        last_rank = rank
                    side = group or self._group_of_side(e.side or casualty_side)
                    facts.append(self._fact(main, FIGURE, kind, span, e.line, source=INFOBOX, label=e.written,
                                            quantity=q, side=side, claimant=claimant,
                                            qualifiers=self._side_qualifiers(e.side or casualty_side)))
                continue
            facts.extend(self._infobox_entry(e))
        return facts

    def _infobox_entry(self, e: Entry) -> list[Fact]:
        """A general entry: its dates, times and figures, each named by the entry's label (or the noun written
        after the figure, as in "Casualties 59,488 deaths, 121,704 injured")."""
        text, main = self.text, self.main
        out: list[Fact] = []
        taken: list[Span] = []
        if _PRESENTATION.match(e.label):
            return out
        value_text = e.value.of(text)
        for m in COORDINATES.finditer(value_text):
            span = Span(e.value.start + m.start(), e.value.start + m.end())
            if not any(span.overlaps(t) for t in taken):
                out.append(self._fact(main, FIGURE, e.field if e.field != "place" else "coordinates", span, e.line,
                                      source=INFOBOX, label=e.written))
            taken.append(span)
        field = "date" if e.field in ("date", "time") or "date" in e.label else e.label
        for m in DATE.finditer(value_text):
            span = Span(e.value.start + m.start(), e.value.start + m.end())
            taken.append(span)
            out.append(self._fact(main, DATE_KIND, field, span, e.line, source=INFOBOX, label=e.written))
        if not taken and _BARE_YEAR.fullmatch(value_text.strip()):
            # "Previous Year: 1975", "member_since = 1973": a year is the whole value; another year than the
            # event's is another event's ("the 1975 referendum")
            span = Span(*strip_span(text, e.value.start, e.value.end))
            taken.append(span)
            ev = sentence_event(span.of(text), main, self.doc.doc_id, self.domain) if main is not None else None
            out.append(self._fact(ev, DATE_KIND, field, span, e.line, source=INFOBOX, label=e.written))
        for m in TIME_RE.finditer(value_text):
            span = _strip(text, e.value.start + m.start(), e.value.start + m.end())
            if any(span.overlaps(t) for t in taken):
                continue
            taken.append(span)
            out.append(self._fact(main, TIME, "time", span, e.line, source=INFOBOX, label=e.written))
        side = self._group_of_side(e.side) if e.side else ""
        quals = self._side_qualifiers(e.side)
        previous_end, previous_unit = e.value.start, None
        for span, q in find_quantities(text, e.value.start, e.value.end):
            if any(span.overlaps(t) for t in taken) or _is_date_number(text, span) or _in_brackets(text, span):
                continue
            between = text[previous_end : span.start]
            unit = unit_after(text, span.end, e.value.end)
            change = previous_end > e.value.start and (bool(_CHANGE.search(between)) or (
                "(" in between and unit is not None and unit[0] in ("%", "pp") and previous_unit is None))
            previous_end, previous_unit = span.end, unit
            after = _words_after(text, span.end if unit is None else unit[1], e.value.end, 3)
            noun, state = _noun_and_state(after)
            field = e.field
            if e.row:
                field, quals = self._list_field(e.line.start), (e.written,) + quals
            elif e.field == "strength" or self.domain.field_spec(e.field) is not None:
                field = e.field
            elif state and _generic_label(e.label):
                field = state_field(state)
            elif noun and _generic_label(e.label) and not unit:
                field = noun.lower()
            if change:
                field = f"{field} change"  # "204,422,181 ({{increase}} 6.04%)": the second figure is a change
            out.append(self._fact(main, FIGURE, field, span, e.line, source=INFOBOX, label=e.written, quantity=q,
                                  noun=noun if noun.lower() != field else "", side=side, qualifiers=quals,
                                  unit=(unit[0] if unit else currency_of(q)),
                                  claimant=_paren_claimant(text, span.end, e.value.end)))
        if not out:
            m = _ROMAN.match(e.value.of(text))
            if m:
                span = Span(e.value.start + m.start("r"), e.value.start + m.end("r"))
                out.append(self._fact(main, FIGURE, e.field, span, e.line, source=INFOBOX, label=e.written))
        return out

    def _casualty_items(self, value: Span) -> list[tuple[Span, Quantity, str, str, str | None]]:
        """'27 killed, 33 wounded, 7 missing (per Malian gov.), 40–50+ (per French press)' -> one item per figure
        (span, quantity, field, claimant, group if the entry names one); a '(per X)' names the claimant of every
        figure since the previous claimant, and a bare figure in a casualties entry counts the first field."""
        text, d = self.text, self.domain
        found = [(s, q) for s, q in find_quantities(text, value.start, value.end) if not _is_date_number(text, s)]
        out, pending = [], []
        default = d.casualty_order[0] if d.casualty_order else "casualties"
        for i, (span, q) in enumerate(found):
            stop = found[i + 1][0].start if i + 1 < len(found) else value.end
            tail = text[span.end : stop]
            kind = next((name for name, rx in d.field_patterns if d.field_spec(name).kind == "count"
                         and rx.search(tail[:40])), default)
            group = next((g.name for g in d.groups if g.name not in (d.unknown_group, d.first_group, d.second_group)
                          and re.search(rf"\b(?:{g.nouns})\b", tail[:30], re.IGNORECASE)), None)
            item = [span, q, kind, "", group]
            out.append(item)
            pending.append(item)
            claim = _PAREN_CLAIM.search(tail)
            if claim:
                for it in pending:
                    it[3] = claim.group(1).strip()
                pending = []
        return [tuple(x) for x in out]

    # -- prose ---------------------------------------------------------------------------------------

    def _prose(self, sentences: Sequence[Sentence]) -> list[Fact]:
        text, d = self.text, self.domain
        facts: list[Fact] = []
        block_events: dict[Span, Event] = {}
        previous_claimant, previous_block = "", None
        blocks = sorted(self.doc.blocks, key=lambda b: b.span.start)
        starts = [b.span.start for b in blocks]
        import bisect

        for sentence in sentences:
            if sentence.kind not in (PROSE_BLOCK, RELATED):
                continue
            span = sentence.span
            body = span.of(text)
            i = bisect.bisect_right(starts, span.start) - 1
            block = blocks[i] if i >= 0 and blocks[i].span.contains(span) else None
            if sentence.kind == RELATED and block is not None:
                if block.span not in block_events:
                    block_events[block.span] = block_event(block.span.of(text), self.doc.doc_id, d,
                                                           self.main.kind if self.main else "")
                ev = block_events[block.span]
                inherited = ""
            else:
                ev = sentence_event(body, self.main, self.doc.doc_id, d)
                # the previous sentence's claimant goes on only where this one goes on with its report
                inherited = previous_claimant if block is previous_block and _GOES_ON.search(body) else ""
            previous_block = block
            sentence_claimant = ""
            claims = Claims(text, span)
            taken = self._dates_and_times(span, ev, facts)
            group_before, field_before = "", None
            for q_span, q in find_quantities(text, span.start, span.end):
                if any(q_span.overlaps(t) for t in taken) or _is_date_number(text, q_span) or _in_brackets(text, q_span):
                    continue
                unit = unit_after(text, q_span.end, span.end)
                fact = None
                if d.fields and unit is None and not currency_of(q):
                    group, field = self._classify(span, q_span)
                    if field is None and group and field_before and re.search(
                            r"\b(?:including|of whom|among them|among whom)\s*$", text[span.start : q_span.start]):
                        field = field_before
                    if field is not None:
                        if group is None and d.toll_words and re.search(d.toll_words, body) and 1 in self.sides:
                            group = self.sides[1][1]
                        if group is None:
                            group = group_before or self._any_group(span) or d.unknown_group
                        group_before, field_before = group, field
                        claimant = claims.of(q_span.start) or inherited
                        fact = self._fact(ev, FIGURE, field, q_span, span, source=PROSE, quantity=q, side=group,
                                          label=field, claimant=claimant, noun=_noun_after(text, q_span.end, span.end))
                if fact is None:
                    fact = self._general(ev, span, q_span, q, unit, inherited, claims)
                if fact is not None:
                    sentence_claimant = sentence_claimant or fact.claimant
                    facts.append(fact)
            if sentence.kind == PROSE_BLOCK:
                for pattern in d.leader_patterns:
                    for m in _compiled_cs(pattern).finditer(body):
                        name = Span(span.start + m.start("name"), span.start + m.start("name") + len(m.group("name").rstrip()))
                        window = body[max(0, m.start() - 40) : m.end()]
                        attackers = d.leader_attackers and re.search(d.leader_attackers, window)
                        group = d.second_group if attackers else (self._any_group(span) or "")
                        facts.append(self._fact(ev, NAME, "commander", name, span, source=PROSE, side=group,
                                                claimant=claims.of(name.start)))
            previous_claimant = sentence_claimant or claims.of(span.end) or (
                inherited if not _REPORTING.search(body) else "")
        return facts

    def _general(self, ev: Event | None, sentence: Span, q_span: Span, q: Quantity, unit, inherited: str,
                 claims: "Claims") -> Fact | None:
        """A figure described by the words around it: unit, counted noun, attached verb or label."""
        text = self.text
        stop = sentence.end
        after_at = unit[1] if unit else q_span.end
        after = _words_after(text, after_at, stop, 5)
        if after and after[0].lower() == "of" and (unit and unit[0] in ("%", "percent", "per cent") or (
                q.low is not None and q.high is None and q.text.lower().endswith(("thousands", "hundreds", "millions", "dozens")))):
            after = after[1:]  # "75% of hospitals destroyed", "thousands of homes": what follows "of" is counted
        noun, state = _noun_and_state(after)
        before = text[max(sentence.start, q_span.start - 60) : q_span.start]
        label = ""
        m = _LABEL_BEFORE.search(before)
        if (m and _is_noun(m.group(1).split()[-1]) and not _is_state(m.group(1).split()[-1])
                and m.group(1).split()[-1].lower() not in _NOT_A_LABEL):
            label = " ".join(w for w in m.group(1).lower().split() if w not in ("the", "a", "an", "its", "their"))
        verb = ""
        v = _VERB_BEFORE.search(before)
        if v and "VERB" in lemmas(v.group(1)):
            verb = v.group(1)
        cur = currency_of(q)
        unit_text = unit[0] if unit else cur
        if label and unit_text and not cur:
            field = label  # "a speed of 128 kmph rammed into ...": the label names the measure, not the verb after it
        elif state:
            field = state_field(state)
        elif verb and not unit_text and noun:
            field = past_participle(verb)
        elif label:
            field = label
        elif noun and not unit_text:
            field = noun.lower()
        elif verb and not unit_text:
            field = past_participle(verb)
        elif unit_text:
            field = noun.lower() if (cur and noun) else measure_of(unit_text) if not cur else "amount"
        else:
            return None
        claimant = claims.of(q_span.start) or inherited
        quals = _qualifiers_after(text, q_span.end, stop)
        return self._fact(ev, FIGURE, field, q_span, sentence, source=PROSE, quantity=q, label=label or verb or field,
                          noun=noun if noun.lower() != field else "", unit=unit_text, claimant=claimant,
                          qualifiers=quals)

    def _dates_and_times(self, span: Span, ev: Event | None, facts: list[Fact]) -> list[Span]:
        """Dates and times of a sentence as facts; returns their spans so their numbers are not figures."""
        text = self.text
        body = span.of(text)
        taken = []
        verb = _main_verb(body)
        for m in COORDINATES.finditer(body):
            taken.append(Span(span.start + m.start(), span.start + m.end()))
            facts.append(self._fact(ev, FIGURE, "coordinates", taken[-1], span, source=PROSE))
        for m in YEAR_DATE.finditer(body):
            v = Span(span.start + m.start(1), span.start + m.end(1))
            if any(v.overlaps(t) for t in taken) or DATE.search(body, max(0, m.start() - 12), m.end(1) + 1):
                continue
            taken.append(v)
            year_ev = ev if ev is not None and (ev.year is None or str(ev.year) == m.group(1)) else sentence_event(
                m.group(0), ev if (ev is not None and ev.main) else self.main, self.doc.doc_id, self.domain)
            facts.append(self._fact(year_ev, DATE_KIND, "date", v, span, source=PROSE, label=verb))
        for m in DATE.finditer(body):
            v = Span(span.start + m.start(), span.start + m.end())
            if any(v.overlaps(t) for t in taken):
                continue
            taken.append(v)
            if ev is not None and ev.year and not re.search(str(ev.year), m.group(0)) and re.search(r"\d{4}", m.group(0)):
                # a full date of another year: the sentence's event for this date is another one
                other = sentence_event(m.group(0), ev if ev.main else self.main, self.doc.doc_id, self.domain)
                facts.append(self._fact(other, DATE_KIND, "date", v, span, source=PROSE, label=verb))
                continue
            facts.append(self._fact(ev, DATE_KIND, "date", v, span, source=PROSE, label=verb))
        for m in TIME_RE.finditer(body):
            v = _strip(text, span.start + m.start(), span.start + m.end())
            if any(v.overlaps(t) for t in taken):
                continue
            taken.append(v)
            field = "time"
            d = self.domain
            if d.start_verbs and re.search(d.start_verbs, body, re.IGNORECASE) and not (d.end_verbs and re.search(d.end_verbs, body, re.IGNORECASE)):
                field = "start time"
            elif d.end_verbs and re.search(d.end_verbs, body, re.IGNORECASE):
                field = "end time"
            facts.append(self._fact(ev, TIME, field, v, span, source=PROSE, label=verb))
        return taken

    def _any_group(self, sentence: Span) -> str | None:
        for w in re.findall(r"[\w'’-]+", sentence.of(self.text)):
            for g, rx in self.domain.group_patterns:
                if g != self.domain.unknown_group and rx.match(w):
                    return g
        return None

    def _classify(self, sentence: Span, q: Span) -> tuple[str | None, str | None]:
        """(group, field) of the figure at `q` under the domain: the noun after it names who, a nearby verb or
        noun names what."""
        text, d = self.text, self.domain
        after = text[q.end : sentence.end]
        words = re.findall(r"\(?[\w'’-]+\)?|[,;:.]", after[:400])[:12]
        group, field, unknown = None, None, 0
        for w in words:
            bare = w.strip("()")
            if w in ",;:.":
                break
            field = d.field_of(bare)
            if field:
                if (field == "wounded" and re.match(rf"\W*{re.escape(bare)}\s+or\s+missing", after[after.find(bare):], re.IGNORECASE)
                        and d.field_spec("wounded or missing")):
                    field = "wounded or missing"
                break
            found = d.group_of(bare)
            if found:
                group = found
                continue
            if group is not None and bare.lower() in ("and", "but", "while", "whereas"):
                break  # a new clause: what follows is about something else
            if group is not None and unknown == 0 and d.strength_verbs and re.fullmatch(d.strength_verbs, bare):
                field = "strength"  # 'N fighters attacked the camp'
                break
            if group is None and (bare != bare.lower() or bare.lower() in _SKIP or bare.lower() in d.skip_words or w.startswith("(")):
                continue
            if group is not None and (bare.lower() in _SKIP or bare.lower() in d.skip_words):
                continue
            if group is None and unknown == 0 and _counts_things(bare):
                return None, None  # 'eight vehicles captured': the figure counts something the domain does not
            unknown += 1
            if group is None and unknown > 1:
                return None, None
            if group is not None and unknown > 2:
                break
        if field is None and group is not None:
            after_group = text[q.end : min(sentence.end, q.end + 80)]
            m = re.search(r"\b(?:were|was|had been|have been)\s+(?:also\s+|reportedly\s+|later\s+)?(\w+(?: or \w+)?)", after_group)
            if m:
                field = d.field_of(m.group(1))
        if field is None:
            before = text[max(sentence.start, q.start - 60) : q.start]
            clause = re.split(r"[,;]", before)[-1]
            hits = [(m.end(), name) for name, rx in d.field_patterns for m in rx.finditer(clause)]
            if hits:
                field = max(hits)[1]
        if field == "prisoners" and group is None:
            group = d.first_group
        if group is None and field is not None:
            m = re.search(r"\b([A-Z][a-z]+)\s+(?:death toll|toll|losses|casualties)\b", text[max(sentence.start, q.start - 60) : q.start])
            if m:
                group = self._group_for_name(m.group(1))
        return group, field

    def _group_for_name(self, adjective: str) -> str | None:
        for name, group in self.sides.values():
            if adjective[:4].lower() == name[:4].lower():
                return group
        return None


# words that stand where a label would ("There were 17.4 million votes", "It was 7.8") and name nothing
_NOT_A_LABEL = frozenset("there here it this that these those which what who they we he she".split())
_BARE_YEAR = re.compile(r"(?:1[5-9]|20)\d{2}")
_SKIP = {"of", "the", "their", "its", "his", "her", "were", "was", "had", "have", "has", "been", "be", "also",
         "only", "reportedly", "allegedly", "being", "are", "is", "and", "more", "other", "who", "those", "all"}


@lru_cache(maxsize=64)
def _compiled_cs(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


def _words_after(text: str, start: int, stop: int, n: int) -> list[str]:
    out = []
    for m in re.finditer(r"[A-Za-z][\w'’-]*|[^\w\s]", text[start : min(stop, start + 120)]):
        tok = m.group(0)
        if not tok[0].isalpha():
            break
        out.append(tok)
        if len(out) >= n:
            break
    return out


def _noun_and_state(words: list[str]) -> tuple[str, str]:
    """(head noun, state) of the words after a figure: '50,000 residential buildings collapsed' ->
    ('buildings', 'collapsed'); '153 injured' -> ('', 'injured'); '36 seats' -> ('seats', '')."""
    nouns: list[str] = []
    for w in words:
        low = w.lower()
        if low in _AUX:
            if not nouns and low in ("who", "that", "which"):
                break
            continue
        if _is_state(low):
            return (nouns[-1] if nouns else ""), w
        if low in _STOP_NOUN or low in _DATE_WORDS:
            break
        if _is_noun(w) or ("ADJ" in lemmas(low)):
            nouns.append(w)
            if len(nouns) >= 3:
                break
            continue
        break
    head = next((n for n in reversed(nouns) if "NOUN" in lemmas(n) or n[:1].isupper()), "")
    return head, ""


def _counts_things(word: str) -> bool:
    """A plural common noun ('vehicles', 'days'): right after a figure, it is what the figure counts."""
    w = word.lower()
    lem = lemmas(w)
    return "NOUN" in lem and lem["NOUN"][0] != w and w.endswith("s") and "ADJ" not in lem


def _noun_after(text: str, start: int, stop: int) -> str:
    noun, _ = _noun_and_state(_words_after(text, start, stop, 3))
    return noun


def _qualifiers_after(text: str, start: int, stop: int) -> tuple[str, ...]:
    """The place or the name a figure's words narrow it to, right after it ('140 missing in Turkey', '48.85% for
    Odinga', '8,794,726 votes for the APC')."""
    m = re.match(r"[^,;.()]{0,40}?\b(?:in|for)\s+(?:the\s+)?([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)",
                 text[start : min(stop, start + 80)])
    return (m.group(1),) if m else ()


def _generic_label(label: str) -> bool:
    """Labels that name a whole group of figures, each of which says what it counts ('casualties')."""
    return bool(re.fullmatch(r"(?:casualt(?:y|ies)|losses|victims|toll|statistics|damage|details)", label))


def _main_verb(body: str) -> str:
    """The sentence's first verb in the past tense or a participle ('struck', 'claimed', 'took place')."""
    m = re.search(r"\b(took place|was held|were held|made landfall|broke out)\b", body)
    if m:
        return m.group(1)
    for w in re.findall(r"\b[a-z]{3,}\b", body):
        if _is_state(w) and "VERB" in lemmas(w):
            return w
    return ""


def _is_date_number(text: str, span: Span) -> bool:
    before = text[max(0, span.start - 12) : span.start]
    after = text[span.end : span.end + 12]
    value = span.of(text)
    if re.fullmatch(r"(?:1[5-9]|20)\d{2}", value):
        return True
    return bool(_DATE_AROUND.search(before) or re.match(rf"\s*{MONTHS}", after, re.IGNORECASE)
                or re.search(r"\d-$|\d{4}-\d{2}-$", before) or re.match(r"-\d{2}", after))


def _in_brackets(text: str, span: Span) -> bool:
    """A footnote marker ('[3]', '[lower-alpha 2]'), not a figure."""
    before = text[max(0, span.start - 20) : span.start]
    after = text[span.end : span.end + 3]
    return bool(re.search(r"\[[^\[\]\n]{0,18}$", before)) and after[:1] == "]"


def _paren_claimant(text: str, start: int, end: int) -> str:
    m = _PAREN_CLAIM.search(text, start, end)
    return claimant_or_nothing(m.group(1)) if m else ""


def claimant_or_nothing(text: str) -> str:
    """`text` when it can name who states a figure; '' for a date ('by May 2023'), a bare preposition, or a
    quotation mark or pronoun left where a subject was looked for ('”, he said')."""
    text = text.strip().strip("\"“”‘’' ").strip()
    return "" if _NOT_A_CLAIMANT.search(text) or text.lower() in _PRONOUNS else text


class Claims:
    """Who states the figures of one sentence: 'according to X', or the subject of the nearest reporting verb
    before a figure. The sentence is scanned once; each verb's subject is worked out once."""

    def __init__(self, text: str, sentence: Span):
        self.body = text[sentence.start : sentence.end]
        self.start = sentence.start
        acc = None
        for acc in _ACCORDING.finditer(self.body):
            pass
        self.according = acc.group(1).strip() if acc else ""
        self.verbs = [m for m in _REPORTING.finditer(self.body)
                      # a noun, not a verb: 'the reports', 'with reports of'
                      if not re.search(r"\b(?:an|the|a|with|of|its|their|his|her|these|those|such|no)\s+$",
                                       self.body[max(0, m.start() - 8) : m.start()], re.IGNORECASE)]
        self.clause_starts = [m.end() for m in _CLAUSE_START.finditer(self.body)]
        self._memo: dict[tuple[int, bool], str] = {}

    def of(self, at: int) -> str:
        """The claimant of a figure at text offset `at`."""
        if self.according:
            return self.according
        if not self.verbs:
            return ""
        rel = at - self.start
        before = [v for v in self.verbs if v.start() < rel] if rel < len(self.body) else self.verbs
        verb = before[-1] if before else self.verbs[0]
        return claimant_or_nothing(self._subject(verb, nested=False))

    def _subject(self, verb: re.Match, *, nested: bool) -> str:
        key = (verb.start(), nested)
        if key not in self._memo:
            self._memo[key] = self._work_out(verb, nested)
        return self._memo[key]

    def _work_out(self, verb: re.Match, nested: bool) -> str:
        body = self.body
        head = body[: verb.start()]
        end = len(head.rstrip())
        i = bisect.bisect_left(self.clause_starts, end) - 1
        cut = self.clause_starts[i] if i >= 0 else 0
        subject = head[cut:].strip()
        tail = head[-80:]
        if verb.group(0).endswith("ing") and re.search(r",\s*$", tail):
            subject = ""
        window = head[max(cut, len(head) - 200) :]
        if "citing" in window or re.search(r",\s*citing\b", tail):
            m = re.search(r"([^,;]{0,120}?),\s*citing\s+[^,]{0,120}$", head[-300:].rstrip(" ,"))
            if m:
                subject = head[head.rfind(m.group(1)) :].rstrip(" ,")
        if re.search(r"\b(?:were|was|been|be|is|are)(?:\s+\w+ly|\s+also|\s+later)?\s*$", tail):
            return ""  # passive: 'were reported missing' names no claimant
        subject = _LEADING_ADVERBIAL.sub("", subject[:300]).strip(" ,")
        subject = re.sub(r"^(?:in contrast to|contrary to|unlike|as opposed to)\s+", "", subject, flags=re.IGNORECASE)
        subject = re.sub(r"['’]s$", "", subject)
        subject = re.sub(r"\s+(?:also|only|later|then|again|further)$", "", subject)
        if not subject or subject.lower() in _PRONOUNS or len(subject.split()) > 12:
            if verb.group(0).endswith("ing") or not subject:
                # a participle ('..., stating that ...') reports for the main clause's subject
                first = self.verbs[0] if self.verbs else None
                if first is not None and first.start() != verb.start() and not nested:
                    return self._subject(first, nested=True)
                m = re.match(r"\s*([A-Z][\w'’.-]*(?:\s+[\w'’.-]+){0,6}?)\s+(?:corroborated|confirmed|claimed|said|stated|"
                             r"announced|reported)", body[:200])
                return _LEADING_ADVERBIAL.sub("", m.group(1)).strip() if m else ""
            return ""
        return subject


__all__ = ["extract_facts", "past_participle", "fold"]
