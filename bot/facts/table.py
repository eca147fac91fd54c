"""The fact table of a collection: every fact, and the events they belong to with the same event on several
pages merged (same year, a shared place). Which events a question names, by place, title words and year,
spelling variants allowed."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rapidfuzz.distance import Levenshtein

from bot.lexicon import is_english_word, lemmas
from bot.matching import fold
from bot.facts.model import EventGroup, Fact

_YEAR = re.compile(r"\b(1[5-9]\d{2}|20\d{2})\b")
# Title words that say what kind of page it is rather than which event ("Difference between revisions").
_TITLE_NOISE = {"the", "a", "an", "of", "on", "in", "at", "and", "to", "for", "is", "are", "was", "by", "with",
                "from", "out", "new", "report", "difference", "between", "revisions", "revision", "breaking", "down"}


class FactTable:
    """Facts and merged events of one index snapshot; built once per snapshot by the caller."""

    def __init__(self, facts: Sequence[Fact], text_of: Callable[[str], str] | None = None):
        """`text_of(doc_id)`: the document's text, to tell a place that is also an English word used as a name
        throughout its pages ('Turkey') from one a page also uses as a common word ('Train', 'train')."""
        self.facts = list(facts)
        self._by_doc: dict[str, list[Fact]] = {}
        for f in self.facts:
            self._by_doc.setdefault(f.doc_id, []).append(f)
        self.groups: list[EventGroup] = []
        for f in self.facts:
            ev = f.event
            if ev is None:
                continue
            group = next((g for g in self.groups if _same(g, ev)), None)
            if group is None:
                group = EventGroup(ev.name, list(ev.places), ev.year, ev.kind)
                self.groups.append(group)
            elif ev.main and not group.main:
                group.name, group.kind = ev.name, ev.kind or group.kind
            if ev not in group.events:
                group.events.append(ev)
                group.places.extend(p for p in ev.places if p not in group.places)
                if group.year is None:
                    group.year = ev.year
            group.facts.append(f)
        self._place_counts: dict[str, int] = {}
        for g in self.groups:
            for p in {fold(p) for p in g.places}:
                self._place_counts[p] = self._place_counts.get(p, 0) + 1
        self._word_counts: dict[str, int] = {}
        self._names = [sorted(_name_words(g) | (_aliases(g, text_of) if text_of is not None else set()))
                       for g in self.groups]
        for words in self._names:
            for w in words:
                self._word_counts[w] = self._word_counts.get(w, 0) + 1
        # who took part (infobox sides, candidates, a result list's names), per event of its own page
        self._participants: dict[str, set[int]] = {}
        self._near: dict[str, set[int]] = {}
        self._names_only: set[str] = set()  # places that are English nouns but only names in their own pages
        if text_of is not None:
            for g in self.groups:
                docs = {ev.doc_id for ev in g.events}
                for p in g.places:
                    if " " in p.strip() or not is_english_word(p) or _adjective(p) or fold(p) in self._names_only:
                        continue  # an adjective ('General', 'Northern') is never only a name
                    if not any(re.search(rf"(?<![\w'’-]){re.escape(p.lower())}(?![\w'’-])", text_of(d)) for d in docs):
                        self._names_only.add(fold(p))
        for i, g in enumerate(self.groups):
            if not g.main:
                continue
            for f in g.facts:
                names = list(f.qualifiers) + ([f.value] if f.kind == "name" and f.field in ("side", "commander") else [])
                for name in names:
                    for w in re.findall(r"[A-Z][\w'’-]{2,}", name):
                        self._participants.setdefault(fold(w), set()).add(i)

    def named(self, question: str) -> list[tuple[EventGroup, float]]:
        """Events the question names, best first (a rarer place or name first, the page's own event before a
        mention), each with how plainly it is named: 1 for an exact place, 0.9 for a name word, 0.8 for a
        spelling variant. A year in the question must match."""
        joined = fold(question)
        words = re.findall(r"[\w'’-]+", joined)
        year = _YEAR.search(question)
        ranked = []
        for g, names in zip(self.groups, self._names):
            if year and g.year and str(g.year) != year.group(1):
                continue
            strength, rarity = 0.0, 0.0
            for p in g.places:
                lower_common = _common_word_in_lower_case(p, question) and fold(p) not in self._names_only
                s = place_score(p, words, joined) if not lower_common else 0.0
                if s:
                    strength = max(strength, s)
                    rarity = max(rarity, s / self._place_counts.get(fold(p), 1))
            for w in names:
                if len(w) >= 4 and re.search(rf"\b{re.escape(w)}\b", joined):
                    strength = max(strength, 0.9)
                    rarity = max(rarity, 0.9 / self._word_counts.get(w, 1))
            if strength == 0 and g.main:
                strength = rarity = self._by_participant_or_kind(g, words, joined, year)
            if strength > 0:
                dated = 0.1 if year and g.year else 0.0
                ranked.append((rarity + dated, g.main, strength, g))
        ranked.sort(key=lambda x: (-x[0], not x[1]))
        return [(g, strength) for _, _, strength, g in ranked]

    def facts_of(self, doc_id: str) -> list[Fact]:
        """Every fact one document states, whatever event it is filed under."""
        return self._by_doc.get(doc_id, [])

    def _near_participant_owners(self, word: str) -> set[int]:
        """The events whose participants' names are one letter off `word` (not `word` itself); cached per table."""
        if len(word) < 5 or word in self._participants:
            return set()
        if word not in self._near:
            if len(self._near) >= 10_000:
                self._near.clear()
            owners: set[int] = set()
            for p, groups in self._participants.items():
                if len(p) >= 5 and abs(len(p) - len(word)) <= 1 and Levenshtein.distance(p, word, score_cutoff=1) <= 1:
                    owners |= groups
            self._near[word] = owners
        return self._near[word]

    def _by_participant_or_kind(self, g: EventGroup, words: list[str], joined: str, year) -> float:
        """An event named by who took part in it ("How many votes did Tinubu get?") when only this event has
        them, or by its kind and year ("the 2016 referendum") when only this event is of that kind that year."""
        i = self.groups.index(g)
        for w in words:
            owners = self._participants.get(w)
            if owners and owners == {i}:
                return 0.8
        for w in words:
            # a name one letter off ('Odinge' for 'Odinga'), when only this event has it
            if self._near_participant_owners(w) == {i}:
                return 0.7
        if year and g.year == year_n(year) and sum(1 for h in self.groups if h.main and h.year == g.year) == 1:
            return 0.7  # the only event of its own page in that year
        if year and g.year and g.kind:
            kind = fold(g.kind).rstrip("s")
            if re.search(rf"\b{re.escape(kind)}", joined):
                same = [h for h in self.groups if h.main and h.year == g.year and h.kind and fold(h.kind).rstrip("s") == kind]
                if len(same) == 1 or all(h is g or set(map(fold, h.places)) & set(map(fold, g.places)) for h in same):
                    return 0.8
        return 0.0

    def group_of(self, fact: Fact) -> EventGroup | None:
        return next((g for g in self.groups if fact in g.facts), None)


def year_n(m) -> int:
    return int(m.group(1))


def _same(group: EventGroup, ev) -> bool:
    if group.year and ev.year and group.year != ev.year:
        return False
    mine, theirs = {fold(p) for p in group.places}, {fold(p) for p in ev.places}
    if mine and theirs:
        return bool(mine & theirs) or any(_within(a, b) or _within(b, a) for a in mine for b in theirs)
    return fold(group.name) == fold(ev.name)


def _within(a: str, b: str) -> bool:
    """A place of several words inside another ('european union' in 'european union referendum')."""
    return " " in a and re.search(rf"\b{re.escape(a)}\b", b) is not None


_ALIAS = re.compile(r"\b(?:commonly|also|often|popularly|widely|simply)?\s*(?:referred to|known|called|termed|dubbed)\s+as\s+"
                    r"(?:the\s+)?([^,.;()\n]{3,60}?)(?:\s+or\s+(?:the\s+)?([^,.;()\n]{3,60}?))?\s*[,.;()\n]")


def _aliases(group: EventGroup, text_of: Callable[[str], str]) -> set[str]:
    """Distinctive words of the other names a page's lead gives its own event ("commonly referred to as the EU
    referendum or the Brexit referendum" -> "brexit")."""
    out: set[str] = set()
    for ev in group.events:
        if not ev.main:
            continue
        for m in _ALIAS.finditer(text_of(ev.doc_id)[:1500]):
            for name in filter(None, m.groups()):
                for w in re.findall(r"[A-Z][\w'’-]+", name):
                    f = fold(w).strip("'’")
                    if f not in _TITLE_NOISE and not _YEAR.fullmatch(f) and len(f) >= 4 and not is_english_word(f):
                        out.add(f)
    return out


def _name_words(group: EventGroup) -> set[str]:
    """Distinctive words of an event's names ("haiyan", "tacloban"), for questions that use the name."""
    out = set()
    for ev in group.events:
        for w in re.findall(r"[A-Z][\w'’-]+", ev.name):
            f = fold(w).strip("'’")
            f = re.sub(r"['’]s$", "", f)
            if f not in _TITLE_NOISE and not _YEAR.fullmatch(f) and len(f) >= 3 and not is_english_word(f):
                out.add(f)
    return out


def _adjective(word: str) -> bool:
    return "ADJ" in lemmas(word)



def same_word(a: str, b: str) -> bool:
    """'malian' and 'mali', 'turkish' and 'turkey': a name and its demonym share all but their last letters."""
    short, long = sorted((a, b), key=len)
    if len(short) < 4:
        return a == b
    common = next((i for i, (x, y) in enumerate(zip(short, long)) if x != y), len(short))
    return common >= max(4, len(short) - 2)


def _common_word_in_lower_case(place: str, question: str) -> bool:
    """A one-word 'place' that is also an English word, written by the question in lower case: 'the next general
    election' does not name a page's 'General Election', nor 'the Tempi train crash' a page whose 'Express Train'
    gave it the place 'Train' (unless its pages only ever write it as a name: 'the turkey earthquake')."""
    return (" " not in place.strip() and place[:1].isupper() and is_english_word(place)
            and not re.search(rf"\b{re.escape(place)}\b", question))


def place_score(place: str, words: list[str], joined: str) -> float:
    """1 when the question has the place, 0.8 for a spelling variant one or two letters off or its demonym
    ('Turkish' for 'Turkey'), else 0."""
    p = fold(place)
    if re.search(rf"\b{re.escape(p)}\b", joined):
        return 1.0
    limit = 1 if len(p) < 8 else 2
    for w in words:
        if len(p) >= 5 and len(w) >= 4 and (Levenshtein.distance(p, w, score_cutoff=limit) <= limit
                                            or (p[:4] == w[:4] and same_word(p, w))):
            return 0.8
    return 0.0
