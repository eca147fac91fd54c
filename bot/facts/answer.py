"""A FactQuery answered from the fact table: every distinct claim with its claimant, cited, for the one event
the question names; aggregates (most, combined, which in a year) name and cite their operands.

Nothing here guesses. A fact answers only when its event is the one named, its field means what was asked
(the domain's canonical field, or the document's own words matched by meaning), and the question's
qualifiers (a nationality, a side, a name) are covered; a qualifier the facts do not cover is said so.
The confidence is the product of those three matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import Stemmer

from bot.facts.domains import Domain
from bot.lexicon import lemmas
from bot.matching import fold
from bot.facts.model import DATE as DATE_KIND
from bot.facts.model import FIGURE as FIGURE_KIND
from bot.facts.model import INFOBOX, NAME, TIME, EventGroup, Fact
from bot.facts.numbers import measure_of, written_figures
from bot.facts.route import COMBINED, DATE, IN_YEAR, LEADER, MOST, TIME as TIME_Q, FactQuery
from bot.facts.table import FactTable, place_score, same_word

_stem = Stemmer.Stemmer("english").stemWord
Similarity = Callable[[str, Sequence[str]], np.ndarray]  # (phrase, phrases) -> cosine per phrase
FIELD_MATCH = 0.6  # score (shared words, or cosine of the question's and the fact's words) at which a fact answers
# Nouns that say a figure counts people without saying which: they never decide what is measured.
GENERIC_NOUNS = frozenset("people persons person individuals individual humans figure figures number total".split())
# words any question or date label may hold, which say nothing of which date is meant
_DATE_LABEL_WORDS = frozenset(_stem(w) for w in "date dates year years time when what which held took place happened "
                              "occurred from with that this there".split())
_REPORT_VERBS = re.compile(r"\b(claim\w*|announc\w*|report\w*|sa(?:y|id)|confirm\w*|declar\w*|releas\w*|publish\w*|"
                           r"admit\w*|stat\w*|estimat\w*|updat\w*)\b", re.IGNORECASE)
_HAPPENED = re.compile(r"\b(?:took place|occurred|happened|was held|were held|struck|hit|began|started|made landfall|"
                       r"broke out|attacked|ambushed|raided|stormed)\b", re.IGNORECASE)


@dataclass(frozen=True)
class FactAnswer:
    text: str
    facts: list[Fact]  # cited in the text as [1], [2], ... in this order
    event: EventGroup | None  # what the answer was about (a follow-up's context)
    confidence: float
    uncovered: tuple[str, ...] = ()  # qualifiers of the question that no fact covers


class FactAnswerer:
    """Answers FactQueries over one FactTable. `similarity` compares phrases by meaning (the bot's embedder)."""

    def __init__(self, table: FactTable, domains: Sequence[Domain], *, text_of: Callable[[str], str],
                 similarity: Similarity | None = None):
        self.table = table
        self.domains = list(domains)
        self.text_of = text_of  # doc_id -> the document's text, to read a fact's evidence
        self.similarity = similarity

    # -- one event -----------------------------------------------------------------------------------

    def answer(self, question: str, query: FactQuery, *, named: list[tuple[EventGroup, float]],
               context: EventGroup | None) -> FactAnswer | None:
        if query.kind == IN_YEAR:
            return self._in_year(query)
        if query.kind == MOST:
            return self._most(query)
        if query.kind == COMBINED:
            return self._combined(question, query, named)
        event, event_score = self._the_event(named, context)
        if event is None:
            return self._other_groups_everywhere(query, named)
        opened, aliases = self._open_qualifiers(query, event)
        qualifiers = opened + self._open_numbers(query, event)
        if query.kind == LEADER:
            return self._leader(event, event_score, query, question)
        if query.kind in (DATE, TIME_Q):
            return self._when(event, event_score, query, question)
        picked, field_score = self._figures(event, query, qualifiers, preferred=aliases)
        if not picked:
            return self._other_groups(event, query)
        picked, uncovered = self._qualified(picked, qualifiers)
        uncovered = uncovered + self._unsaid(query, picked)
        if not picked:
            noun = query.predicate.split()[0] if query.predicate else "figure"
            return FactAnswer(f"The documents give no figure for {' '.join(uncovered)} {noun} in {event.name}.",
                              [], event, 0.0, uncovered)
        sides = {f.side for f in picked}
        claims = "; ".join(self.describe(f, i, with_side=len(sides) > 1 or not query.group)
                           for i, f in enumerate(picked, 1))
        confidence = event_score * field_score
        if uncovered:
            # the facts count something broader than what was asked: say so, and do not present it as the answer
            what = " ".join(dict.fromkeys(uncovered))
            text = (f"The documents give no figure for {what} in {event.name}. What they give: {claims}.")
            return FactAnswer(text, picked, event, 0.0, uncovered)
        return FactAnswer(f"{event.name}: {claims}.", picked, event, round(confidence, 4), uncovered)

    def _other_groups(self, event: EventGroup, query: FactQuery) -> FactAnswer | None:
        """The field asked for is given, but only for other groups ('killed' of the soldiers when civilians are
        asked): an honest 'no figure', with what the documents do give."""
        if not query.group or not query.fields or any(query.group == d.unknown_group for d in self.domains):
            return None
        others = _distinct([f for f in event.facts if f.kind == FIGURE_KIND and f.field in query.fields])
        if not others:
            return None
        claims = "; ".join(self.describe(f, i, with_side=True) for i, f in enumerate(others, 1))
        text = f"The documents give no figure for {query.group} in {event.name}. What they give: {claims}."
        return FactAnswer(text, others, event, 0.0, (query.group,))

    def _other_groups_everywhere(self, query: FactQuery, named: list[tuple[EventGroup, float]]) -> FactAnswer | None:
        """Several events named as plainly, and none gives the group's figure: no figure, whichever is meant."""
        if not named or not query.group or not query.fields or any(query.group == d.unknown_group for d in self.domains):
            return None
        top = named[0][1]
        tied = [g for g, s in named if s >= top and g.main]
        if not tied or any(self._figures(g, query)[0] for g in tied):
            return None
        found = [self._other_groups(g, query) for g in tied]
        if not all(found):
            return None
        place = next(iter(query.qualifiers), "")
        where = f" at {place}" if place else ""
        facts, parts = [], []
        for g, a in zip(tied, found):
            claims = "; ".join(self.describe(f, len(facts) + i, with_side=True) for i, f in enumerate(a.facts, 1))
            parts.append(f"{g.name}: {claims}.")
            facts += a.facts
        text = (f"The documents give no figure for {query.group} {query.predicate.split()[-1]}{where}. "
                f"What they give: {' '.join(parts)}")
        return FactAnswer(text, facts, None, 0.0, (query.group,))

    def _the_event(self, named: list[tuple[EventGroup, float]], context: EventGroup | None) -> tuple[EventGroup | None, float]:
        """The one event the question names (a clear best), else the conversation's."""
        if named:
            best, score = named[0]
            rivals = [g for g, s in named[1:] if g.main and best.main and s >= score and
                      not ({fold(p) for p in g.places} & {fold(p) for p in best.places})]
            if rivals:
                return None, 0.0  # two events of their own pages named as plainly: not one event
            return best, min(1.0, score)
        if context is not None:
            return context, 0.9
        return None, 0.0

    def _open_qualifiers(self, query: FactQuery, event: EventGroup) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(the question's capitalised words that neither name the event nor a side the domain knows, those
        that the event's name or its pages' first lines hold). The second may be another name for the event
        ("commonly referred to as ... Brexit") or someone it involves ("declared ... Bola Tinubu the winner"):
        they need not be covered, but a figure that names them wins over one that does not."""
        places = {fold(p) for p in event.places}
        named = {fold(w) for ev in event.events for w in re.findall(r"[\w'’-]+", ev.name)}
        leads = " ".join(fold(self.text_of(ev.doc_id)[:1500]) for ev in event.events if ev.main)
        out, in_lead = [], []
        for q in query.qualifiers:
            f = fold(q)
            if f in places or any(same_word(f, k) for k in places) or any(place_score(p, [f], f) for p in event.places):
                continue
            if f in named or any(same_word(f, k) for k in named):
                in_lead.append(q)
                continue
            if any(d.second_side and re.search(rf"\b(?:{d.second_side})", f) for d in self.domains):
                continue
            (in_lead if re.search(rf"\b{re.escape(f)}\b", leads) else out).append(q)
        return tuple(out), tuple(in_lead)

    def _open_numbers(self, query: FactQuery, event: EventGroup) -> tuple[str, ...]:
        """The question's figures that do not already pick out the event ("the 7.8 earthquake" when 7.8 is one of
        its facts or in its name): each must then be in what answers ("the magnitude 7.7 earthquake that followed"
        is not answered by the 7.8 one's depth)."""
        known = " ".join([" ".join(ev.name for ev in event.events)] + [f.value for f in event.facts])
        return tuple(n for n in query.numbers if not _has_number(known, n))

    def _figures(self, event: EventGroup, query: FactQuery, qualifiers: tuple[str, ...] = (),
                 preferred: tuple[str, ...] = ()) -> tuple[list[Fact], float]:
        """Distinct claims of the event whose field means what the question asks, and how well it matches. A
        figure whose own label names one of the question's qualifiers or `preferred` words ('Atiku Abubakar
        (PDP) – 6,984,520' for "how many votes did Atiku Abubakar get") wins over better-worded figures that
        name no one."""
        candidates = [f for f in event.facts if f.kind == FIGURE_KIND]
        if query.measure:
            # "how fast": a speed, not the passengers the train carried
            candidates = [f for f in candidates if _fits_measure(f, query.measure)]
        if query.fields and any(self._domain_of(f) is not None for f in candidates):
            picked = [f for f in candidates if f.field in query.fields and self._group_ok(f, query)]
            return _distinct(picked), 1.0 if picked else 0.0
        scored = self._field_scores(query.predicate, candidates)
        if query.fields:
            # the question's words name a domain field: the documents' own words for it count as a match
            words = [rx for name, rx in self._field_words() if name in query.fields]
            scored = [(max(sc, 0.9) if any(rx.search(f.descriptor()) for rx in words) else sc, f) for sc, f in scored]
        if not scored:
            return [], 0.0
        best = max(s for s, _ in scored)
        if best < FIELD_MATCH:
            return [], 0.0
        named = [(s, f) for s, f in scored if s >= FIELD_MATCH and
                 any(_mentions(f, q, "") for q in qualifiers + preferred)] if qualifiers or preferred else []
        if named:
            scored, best = named, max(s for s, _ in named)
        picked = [f for s, f in scored if s >= best - 0.01]
        return _distinct(picked), min(1.0, best)

    def _field_scores(self, predicate: str, facts: list[Fact]) -> list[tuple[float, Fact]]:
        """How well each fact's words (field, label, noun, unit) match the question's, lexically or by meaning."""
        if not facts or not predicate:
            return []
        asked = {_stem(w) for w in re.findall(r"[a-z]+", predicate) if len(w) > 2 and w not in GENERIC_NOUNS}
        share_asked = bool(re.search(r"\b(?:percent\w*|share|proportion)\b", predicate))
        descriptors = [f.descriptor() for f in facts]
        sims = self.similarity(predicate, descriptors) if self.similarity is not None else np.zeros(len(facts))
        out = []
        for f, d, sim in zip(facts, descriptors, sims):
            words = {_stem(w) for w in re.findall(r"[a-z]+", d.lower()) if len(w) > 2 and w not in GENERIC_NOUNS}
            shared = len(asked & words)
            lexical = 0.6 + 0.4 * shared / max(1, len(asked | words)) if shared else 0.0
            unit_fit = 0.1 if share_asked and f.unit in ("%", "percent", "per cent") else 0.0
            if unit_fit:
                lexical = max(lexical, FIELD_MATCH)  # a share is asked and this is one, whatever its label
            # meaning breaks ties between facts no word matches; facts the same words match all answer (every
            # source's "injured" figure, not the one whose extra words happen to sit closer to the question)
            tiebreak = 0.05 * float(sim) if lexical < float(sim) else 0.0
            out.append((max(lexical, float(sim)) + tiebreak + unit_fit, f))
        return out

    def _unsaid(self, query: FactQuery, facts: list[Fact]) -> tuple[str, ...]:
        """What a "how many" question counts ('foreign tourists', 'children'), when no chosen fact counts it: its
        words are neither in the facts' own words nor, for its head noun, in their evidence. The facts then
        count something broader, so they do not answer."""
        words = [w for w in query.counted if w not in GENERIC_NOUNS]
        if not facts or not words:
            return ()
        described = set()
        evidence = set()
        for f in facts:
            described |= {_stem(w) for w in re.findall(r"[a-z]+", f"{f.descriptor()} {f.label}".lower())}
            evidence |= {_stem(w) for w in re.findall(r"[a-z]+", f.span.of(self.text_of(f.doc_id)).lower())}
        if any(_stem(w) in described for w in words) or _stem(words[-1]) in evidence:
            return ()
        if self._field_word(words[-1], facts) or self._group_word(words[-1], facts):
            return ()
        return tuple(words)

    def _group_word(self, word: str, facts: list[Fact]) -> bool:
        """A noun the domain files under the facts' group ('soldiers' for a figure of the soldiers' side)."""
        for d in self.domains:
            for name, rx in d.group_patterns:
                if rx.match(word) and any(f.side in (name, d.unknown_group) for f in facts):
                    return True
        return False

    def _field_word(self, word: str, facts: list[Fact]) -> bool:
        """A word the domain counts as naming the facts' field ('deaths' for killed)."""
        return any(rx.fullmatch(word) for name, rx in self._field_words() if any(f.field == name for f in facts))

    def _field_words(self):
        return [pair for d in self.domains for pair in d.field_patterns]

    def _qualified(self, facts: list[Fact], qualifiers: tuple[str, ...]) -> tuple[list[Fact], tuple[str, ...]]:
        """Facts that cover every qualifier they can; the qualifiers no fact covers."""
        if not qualifiers:
            return facts, ()
        uncovered = []
        kept = facts
        for q in qualifiers:
            having = [f for f in kept if _mentions(f, q, f.span.of(self.text_of(f.doc_id)))]
            if having:
                kept = having
            else:
                uncovered.append(q)
        return kept, tuple(uncovered)

    def _when(self, event: EventGroup, event_score: float, query: FactQuery, question: str) -> FactAnswer | None:
        dates = [f for f in event.facts if f.kind == (TIME if query.kind == TIME_Q else DATE_KIND)]
        report = _REPORT_VERBS.search(question)
        if query.kind == TIME_Q:
            wanted = [f for f in dates if f.field == query.time_kind] or [f for f in dates if f.field == "time"]
            if not wanted and query.time_kind:
                wanted = [f for f in dates if f.field in ("start time", "end time")]
            picked = wanted
        elif report:
            stem = report.group(1)[:5].lower()
            picked = [f for f in dates if f.label.lower().startswith(stem)]
            if not picked:
                return None  # when something was claimed is not when the event happened
        else:
            labelled = self._labelled_dates(event, question)
            if labelled:
                text = f"{event.name}: " + "; ".join(f"{_words_of(f.label)} {f.value} [{i}]"
                                                     for i, f in enumerate(labelled, 1)) + "."
                return FactAnswer(text, labelled, event, round(event_score, 4))
            action = asked_action(question)
            if action and not _happening_verb(action, event):
                # "When did the empty capsule return to Earth?": that action's own date, never the event's
                picked = [f for f in dates if f.label and _lemma(f.label.split()[-1]) == action]
                what_action = True
            else:
                picked, what_action = [f for f in dates if _is_event_date(f, event)], False
            if what_action and not picked:
                return None
        picked = [f for f in picked if f.value.strip()]
        if not picked:
            return None
        uniq: dict[str, Fact] = {}
        for f in sorted(picked, key=lambda f: (f.source != INFOBOX, -len(f.value))):
            key = fold(f.value)
            if not any(key in k for k in uniq):
                uniq.setdefault(key, f)
        chosen = list(uniq.values())
        what = "time:" if query.kind == TIME_Q else ("was reported on" if report else "took place on")
        text = f"{event.name} {what} " + "; ".join(f"{f.value} [{i}]" for i, f in enumerate(chosen, 1)) + "."
        return FactAnswer(text, chosen, event, round(event_score, 4))

    def _labelled_dates(self, event: EventGroup, question: str) -> list[Fact]:
        """Infobox dates of the event's pages whose own label the question uses ('Previous Year: 1975' for "when
        was the previous referendum"): the question asks for that date, not the event's."""
        def words(text: str) -> set[str]:
            return {_stem(w) for w in re.findall(r"[a-z]+", fold(text)) if len(w) > 3} - _DATE_LABEL_WORDS

        asked = words(question) - words(" ".join(ev.name for ev in event.events))  # not the words naming the event
        docs = dict.fromkeys(ev.doc_id for ev in event.events)
        infobox = [f for d in docs for f in self.table.facts_of(d) if f.kind == DATE_KIND and f.source == INFOBOX]
        return _distinct_values([f for f in infobox if asked & words(f.label)])

    def _leader(self, event: EventGroup, event_score: float, query: FactQuery, question: str) -> FactAnswer | None:
        picked = [f for f in event.facts if f.kind == NAME and f.field == "commander"
                  and (query.group is None or f.side in (query.group, ""))]
        seen, uniq = set(), []
        for f in sorted(picked, key=lambda f: (f.source != INFOBOX, f.span.start)):
            key = (fold(f.value).rstrip(" †"), fold(f.claimant))
            if key not in seen:
                seen.add(key)
                uniq.append(f)
        if not uniq:
            asks_event = any(d.leader_patterns and re.search(
                rf"\bwho (?:led|commanded|headed) the (?:[\w'-]+ ){{0,3}}(?:{d.event_nouns})\b", question, re.IGNORECASE)
                for d in self.domains)
            if not event.main or not asks_event:
                return None
            # the event's own pages name no commander: say so rather than quote a sentence about something else
            return FactAnswer(f"The documents name no leader of {event.name}.", [], event, 0.0, ("leader",))
        parts = []
        for i, f in enumerate(uniq, 1):
            side = f" ({self._group_label(f.side)})" if f.side else ""
            who = f" according to {f.claimant}" if f.claimant else ""
            parts.append(f"{f.value}{side}{who} [{i}]")
        return FactAnswer(f"{event.name}, led by: " + "; ".join(parts) + ".", uniq, event, round(event_score, 4))

    # -- aggregates ----------------------------------------------------------------------------------

    def _matching(self, event: EventGroup, query: FactQuery) -> list[Fact]:
        picked, _ = self._figures(event, query)
        if query.group:
            picked = [f for f in picked if f.side == query.group]
        return picked

    def _kind_ok(self, event: EventGroup, noun: str) -> bool:
        """An aggregate over "earthquakes" considers the events the documents call earthquakes; over a word
        no event is called by ("disaster", "event"), every event."""
        if not noun:
            return True
        every = {_stem(e.kind) for g in self.table.groups for e in g.events if e.kind}
        if _stem(noun) not in every:
            return True
        return any(_stem(e.kind) == _stem(noun) for e in event.events if e.kind)

    def _most(self, query: FactQuery) -> FactAnswer | None:
        ranked = []
        for e in self.table.groups:
            if (query.year and e.year != query.year) or not self._kind_ok(e, query.event_noun):
                continue
            picked = self._matching(e, query)
            low, high = span_range(picked)
            if picked and low is not None:
                ranked.append((high if high is not None else low, low, e, picked))
        if not ranked:
            return None
        ranked.sort(key=lambda x: (-x[0], -x[1]))
        top = ranked[0]
        cited, parts = [], []
        for _, _, e, picked in ranked[:3]:
            best = max(picked, key=lambda f: (f.high if f.high is not None else f.low or 0))
            cited.append(best)
            parts.append(f"{e.name}: {self.describe(best, len(cited), with_side=False)}")
        what = query.event_noun + "s" if query.event_noun and not query.event_noun.endswith("s") else (query.event_noun or "events")
        text = (f"Among the {what} in the documents, {top[2].name} has the highest reported figure. " + "; ".join(parts) + ".")
        return FactAnswer(text, cited, top[2], 0.8)

    def _combined(self, question: str, query: FactQuery, named: list[tuple[EventGroup, float]]) -> FactAnswer | None:
        events = [g for g, _ in named]
        main_named = [e for e in events if e.main] or events
        if len(main_named) < 2:
            return None
        cited, parts, lows, highs = [], [], [], []
        for e in main_named:
            picked = self._matching(e, query)
            if not picked:
                return None
            low, high = span_range(picked)
            refs = []
            for f in picked:
                cited.append(f)
                refs.append(f"{f.value} [{len(cited)}]")
            lows.append(low)
            highs.append(high)
            parts.append(f"{e.name}: {fmt_range(low, high)} (claims: {', '.join(refs)})")
        total_low = sum(lows) if all(x is not None for x in lows) else None
        total_high = sum(highs) if all(x is not None for x in highs) else None
        text = (f"Combined: {fmt_range(total_low, total_high)} (the sum of each event's range of claims). "
                + "; ".join(parts) + ".")
        return FactAnswer(text, cited, None, 0.8)

    def _in_year(self, query: FactQuery) -> FactAnswer | None:
        hits = [e for e in self.table.groups if e.year == query.year and e.main and self._kind_ok(e, query.event_noun)]
        if not hits:
            return None
        cited, parts = [], []
        for e in hits:
            evidence = next((f for f in e.facts if f.kind == DATE_KIND and _is_event_date(f, e)), e.facts[0])
            cited.append(evidence)
            when = f" ({evidence.value})" if evidence.kind == DATE_KIND else ""
            parts.append(f"{e.name}{when} [{len(cited)}]")
        what = query.event_noun + "s" if query.event_noun else "Events"
        return FactAnswer(f"{what.capitalize()} in {query.year} in the documents: " + "; ".join(parts) + ".",
                          cited, None, 0.8)

    # -- phrasing ------------------------------------------------------------------------------------

    def _group_ok(self, f: Fact, query: FactQuery) -> bool:
        """Is the fact about the group the question names? A figure whose group its domain could not place
        counts for the domain's default group (a plain "27 killed" on an attack page is the defenders')."""
        if not query.group or f.side == query.group:
            return True
        return any(d.unknown_group and f.side == d.unknown_group and query.group == d.default_group
                   for d in self.domains)

    def _domain_of(self, f: Fact) -> Domain | None:
        """The pack that classified a fact (its figures carry the pack's group), else None."""
        if not f.side:
            return None
        return next((d for d in self.domains if d.field_spec(f.field) is not None), None)

    def _group_label(self, group: str) -> str:
        for d in self.domains:
            for g in d.groups:
                if g.name == group:
                    return g.label
        return group

    def describe(self, f: Fact, n: int, *, with_side: bool) -> str:
        """'27 killed (soldiers) according to the Malian government [1]', '2,946 people died [2]'."""
        d = self._domain_of(f)
        label = d.field_label(f.field) if d else f.field
        side = f" ({self._group_label(f.side)})" if with_side and f.side else ""
        claimant = re.sub(r"^The\s", "the ", f.claimant)
        who = f" according to {claimant}" if claimant else ""
        if d is not None:
            if f.field == "strength":
                return f"{f.value}{side}{who} [{n}]"
            return f"{f.value} {label}{side}{who} [{n}]"
        glued = f.unit in ("%", "‰") and not f.value.endswith(f.unit)  # '48.85%', not '48.85 % percentage'
        words = " ".join(w for w in ("" if glued else f.unit if f.unit and f.unit not in f.value else "",
                                     f.noun, label if label not in (f.noun, f.unit, "percentage", "amount") else "") if w)
        qual = f" ({', '.join(f.qualifiers)})" if f.qualifiers else ""
        value = f"{f.value}{f.unit}" if glued else f.value
        return f"{value} {words}{qual}{who} [{n}]".replace("  ", " ")


# -- helpers ---------------------------------------------------------------------------------------------

_LENGTHS = {"depth", "height", "length", "distance", "width"}  # measures that any unit of length gives


def _fits_measure(f: Fact, measure: tuple[str, ...]) -> bool:
    """The fact gives the measure a "how fast / deep / high" question asks for: by its unit ('40 cm' is a height
    when a height is asked) or its own words ('depth 10 km')."""
    unit_measure = measure_of(f.unit) if f.unit else ""
    if unit_measure in ("distance", "length") and _LENGTHS & set(measure):
        return True
    return any(m in f"{unit_measure} {f.descriptor()}".lower() for m in measure)


def _words_of(label: str) -> str:
    """'previous_year' -> 'previous year'."""
    return " ".join(re.split(r"[_\s]+", label)).strip()


def _distinct_values(facts: list[Fact]) -> list[Fact]:
    seen: dict[tuple[str, str], Fact] = {}
    for f in facts:
        seen.setdefault((fold(f.label), fold(f.value)), f)
    return list(seen.values())


def _distinct(facts: list[Fact]) -> list[Fact]:
    """One fact per distinct claim (the infobox and the prose often state the same claim); an unattributed
    figure that an attributed one repeats is the same claim."""
    picked, seen = [], set()
    for f in sorted(facts, key=lambda f: (f.source != INFOBOX, f.doc_id, f.span.start)):
        key = claim_key(f)
        if key in seen:
            continue
        seen.add(key)
        picked.append(f)
    attributed = {(f.field, f.side, f.low, f.high) for f in picked if f.claimant}
    return [f for f in picked if f.claimant or (f.field, f.side, f.low, f.high) not in attributed]


def claim_key(f: Fact) -> tuple:
    who = re.sub(r"^(?:the|a|an)\s+", "", fold(f.claimant or ""))
    who = " ".join(w[:3] for w in who.split()[:2])
    return (f.field, f.side, f.low, f.high, who)


def _has_number(text: str, number: str) -> bool:
    """`number` written in `text` ('7.7' in 'a 7.7 aftershock', not in '17.7' or '7.75'; '10000' as '10,000')."""
    return bool(set(written_figures(number)) & set(written_figures(text)))


def _mentions(f: Fact, qualifier: str, evidence: str) -> bool:
    """The fact's claimant, qualifiers, noun or evidence name the qualifier (or its demonym: 'Malian', 'Mali');
    a figure must be written in its label or evidence beside it (the fact's own value is what is asked, not what
    narrows it)."""
    if qualifier[:1].isdigit():
        here = evidence.replace(f.value, " ", 1) if evidence else ""
        return _has_number(f"{f.label} {here}", qualifier)
    q = fold(qualifier)
    words = re.findall(r"[\w'’-]+", fold(" ".join([f.claimant, " ".join(f.qualifiers), f.noun, f.label, evidence])))
    return any(w == q or same_word(q, w) for w in words)


_ACTION_AFTER = {"to", "on", "from", "at", "in", "into", "onto", "the", "a", "an", "its", "their", "his", "her", "off",
                 "up", "down", "back", "out", "over", "after", "before", "during", "for", "with", "near", "again"}
_BEFORE_NOUN = {"the", "a", "an", "its", "their", "his", "her", "this", "that", "these", "those"}
# verbs that say an event happened, whatever its kind
_HAPPENING = {"happen", "occur", "take", "place", "strike", "hit", "begin", "start", "break", "hold", "erupt", "make", "be"}


def asked_action(question: str) -> str:
    """The verb a "when did X ... ?" or "when was X ...ed?" question asks the date of, as a lemma ('return' in
    "When did the empty Soyuz return to Earth?"), or '' when it names none ("When was the Tempi crash?")."""
    m = re.match(r"\W*(?:and\s+)?(?:when|on what date|what date|what day)\s+(did|does|do|will|was|were|is|are)\s+(.*)",
                 question.strip().rstrip("?"), re.IGNORECASE)
    if not m:
        return ""
    tokens = re.findall(r"[A-Za-z][\w'’-]*", m.group(2))
    passive = m.group(1).lower() in ("was", "were", "is", "are")
    for i, t in enumerate(tokens):
        if not t.islower() or i == 0 or tokens[i - 1].lower() in _BEFORE_NOUN:
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if nxt and nxt.islower() and nxt not in _ACTION_AFTER:
            continue
        verbs = lemmas(t).get("VERB", ())
        if verbs and (passive and t != verbs[0] or not passive and t == verbs[0]):
            return verbs[0]
    return ""


def _lemma(word: str) -> str:
    verbs = lemmas(word).get("VERB", ())
    return verbs[0] if verbs else word.lower()


def _happening_verb(verb: str, event: EventGroup) -> bool:
    """A verb that tells the event itself happening: a general one, or the event's own kind ('crash' for a crash)."""
    kinds = {fold(k).rstrip("s") for k in [event.kind] + [ev.kind for ev in event.events] if k}
    return verb in _HAPPENING or any(k.startswith(verb) or verb.startswith(k) for k in kinds if len(k) >= 4)


def _is_event_date(f: Fact, event: EventGroup) -> bool:
    """A date that says when the event happened: the infobox date, the event's own date, or a date in a
    sentence that says it happened (never a date something was reported or claimed)."""
    if f.source == INFOBOX and f.field == "date":
        return True
    if any(e.date and (f.value == e.date or f.value in e.date) for e in event.events):
        return True
    return bool(_HAPPENED.search(f.label or "")) and not _REPORT_VERBS.search(f.label or "")


def _plural_noun(query: FactQuery) -> str:
    words = query.predicate.split()
    return words[0] if words else "figures"


def span_range(facts: list[Fact]) -> tuple[float | None, float | None]:
    lows = [f.low for f in facts if f.low is not None]
    highs = [f.high for f in facts if f.high is not None]
    return (min(lows) if lows else None, max(highs) if len(highs) == len(facts) and highs else None)


def fmt(x: float | None) -> str:
    return "?" if x is None else (str(int(x)) if float(x).is_integer() else f"{x:g}")


def fmt_range(low: float | None, high: float | None) -> str:
    if low is None:
        return "unknown"
    if high is None:
        return f"at least {fmt(low)}"
    return fmt(low) if low == high else f"{fmt(low)}–{fmt(high)}"
