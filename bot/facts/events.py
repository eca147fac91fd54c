"""Which event a sentence speaks about.

A document describes one main event (its title, infobox and lead), but it also mentions others: background
sentences about earlier attacks, and "Related articles" blurbs. A figure belongs to the event its sentence
is about, never by default to the page's main event. Events are identified by their places and year, so
the same attack described on several pages is recognised as one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot.facts.infobox import Field
from bot.ingest import Document

_EVENT_NOUN = r"(?:attack|attacks|raid|battle|siege|ambush|massacre|offensive|bombing|assault|clash|clashes|killings|strike)"
_NAMED_OF = re.compile(rf"\b(?:[Tt]he\s+)?((?:(?:1[89]|20)\d{{2}}\s+)?(?:[Ff]irst\s+|[Ss]econd\s+|[Tt]hird\s+)?{_EVENT_NOUN}\s+(?:of|on|in|at)\s+(?:the\s+)?[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*)")
_NAMED_PRE = re.compile(rf"\b((?:(?:1[89]|20)\d{{2}}\s+)?[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*\s+{_EVENT_NOUN})\b")
_PLACE_AFTER = re.compile(
    r"\b(?:base|bases|camp|camps|garrison|post|outpost|town|village|city|barracks|positions?|forces|patrol)\s+"
    r"(?:in|at|of|near)\s+(?:the\s+)?(?:(?:town|village|city)\s+of\s+)?"
    r"([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?(?: and [A-Z][\w'’-]+)?)"
    r"|\b(?:attacked|ambushed|stormed|raided|struck|overran)\s+[^.;,]{0,60}?\b(?:in|at|near)\s+(?:the\s+(?:remote\s+)?(?:town|village|city)\s+of\s+)?([A-Z][\w'’-]+)"
)
_YEAR = re.compile(r"\b(1[89]\d{2}|20\d{2})\b")
_MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
DATE = re.compile(
    rf"\b(?:\d{{1,2}}\s+{_MONTHS}\s+\d{{4}}|{_MONTHS}\s+\d{{1,2}}(?:\s*[-–]\s*\d{{1,2}})?,\s+\d{{4}}|{_MONTHS}\s+\d{{4}}"
    rf"|(?:between\s+)?{_MONTHS}\s+\d{{1,2}}\s+and\s+(?:{_MONTHS}\s+)?\d{{1,2}},\s+\d{{4}})\b"
)
# Capitalised words that name kinds of things, not places.
_GENERIC = {
    "attack", "attacks", "raid", "battle", "siege", "ambush", "massacre", "offensive", "bombing", "assault", "the",
    "on", "of", "in", "at", "first", "second", "third", "clash", "clashes", "killings", "strike", "and", "last",
    "updated", "part", "war", "military", "base", "camp", "affiliate", "claims", "army", "forces", "government",
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
}


def fold(text: str) -> str:
    """Lowercase without accents, for matching names spelled with and without diacritics."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


@dataclass
class Event:
    name: str
    places: list[str] = field(default_factory=list)
    year: int | None = None
    date: str = ""
    main: bool = False

    def same_as(self, other: "Event") -> bool:
        if self.year and other.year and self.year != other.year:
            return False
        mine, theirs = {fold(p) for p in self.places}, {fold(p) for p in other.places}
        return bool(mine & theirs) if mine and theirs else fold(self.name) == fold(other.name)


def _proper_words(text: str) -> list[str]:
    words = re.findall(r"[A-Z][\w'’-]+", text)
    return [w for w in words if fold(w) not in _GENERIC and not _YEAR.fullmatch(w)]


def places_in(text: str) -> list[str]:
    found: list[str] = []
    for m in _PLACE_AFTER.finditer(text):
        for g in m.groups():
            if g:
                found.extend(p for p in re.split(r"\s+and\s+", g) if fold(p) not in _GENERIC)
    return list(dict.fromkeys(found))


def is_country(place: str, text: str) -> bool:
    """A place whose demonym the text uses ('Mali' next to 'Malian') names a country, not where it happened."""
    return bool(re.search(rf"\b{re.escape(place)}(?:an|ian|ien|ese|i)\b", text))


def event_name_in(text: str) -> str | None:
    """A named event ('the battle of X', 'the 2019 X attack'), unless it is only a cause or comparison."""
    for pattern in (_NAMED_OF, _NAMED_PRE):
        for m in pattern.finditer(text):
            if not _proper_words(m.group(1)):
                continue
            if re.search(r"\b(?:for|to|after|following|since|than|like|as)\s+(?:the\s+)?$", text[: m.start(1)]):
                continue
            return re.sub(r"^[Tt]he\s+", "", m.group(1).strip())
    return None


def main_event(doc: Document, fields: list[Field]) -> Event:
    """The page's own event, from its title, infobox and lead paragraph."""
    text = doc.text
    ev = Event(name=doc.title, main=True)
    by_field = {}
    for f in fields:
        by_field.setdefault(f.field, f)
    if "place" in by_field:
        ev.places.extend(w for w in re.split(r",\s*", by_field["place"].value.of(text))[:1] if w)
    if "date" in by_field:
        ev.date = by_field["date"].value.of(text)
    lead, lead_places = "", []
    for b in doc.blocks:
        if b.kind == "prose" and not b.section:
            lead += b.span.of(text) + "\n"
            lead_places = lead_places or places_in(b.span.of(text))
    title_places = [w for w in _proper_words(doc.title) if not any(fold(w) in fold(x) for x in ev.places)]
    name = event_name_in(doc.title)
    if name:
        ev.places.extend(p for p in _proper_words(name) if p not in ev.places)
    ev.places.extend(p for p in lead_places[:2] if p not in ev.places)
    if not ev.places:
        ev.places.extend(title_places[:2])
    ev.places = [p for p in dict.fromkeys(ev.places) if not is_country(p, text)] or ev.places
    if not ev.date:
        m = DATE.search(lead)
        ev.date = m.group(0) if m else ""
    years = _YEAR.findall(ev.date) or _YEAR.findall(doc.title) or _YEAR.findall(lead)
    ev.year = int(years[0]) if years else None
    return ev


def block_event(text: str) -> Event:
    """A related-articles blurb describes its own event, named in its first sentence."""
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text, maxsplit=1)[0]
    name = event_name_in(first)
    places = places_in(text)
    if name:
        places = list(dict.fromkeys([p for p in _proper_words(name)] + places))
    years = _YEAR.findall(text)
    date = DATE.search(text)
    if not name:
        name = f"attack on {places[0]}" if places else " ".join(text.split()[:8])
    return Event(name=name, places=places[:3], year=int(years[0]) if years else None,
                 date=date.group(0) if date else "")


def sentence_event(sentence: str, main: Event) -> Event:
    """The main event, unless the sentence is about another one (another year, or a named other event)."""
    years = {int(y) for y in _YEAR.findall(sentence)}
    named = event_name_in(sentence)
    places = places_in(sentence)
    if main.year and years and main.year not in years:
        year = min(years)
        name = named or (f"{year} attack on {' and '.join(places)}" if places else f"{year} attack")
        if not places and named:
            places = _proper_words(named)
        return Event(name=name, places=places or list(main.places), year=year)
    if named:
        other = Event(name=named, places=_proper_words(named), year=min(years) if years else main.year)
        if not other.same_as(main) and other.places:
            return other
    return main
