"""Which event a document, a sentence or a blurb is about.

A document may describe one main event (its title, infobox and lead say so: a date in the infobox, a full
date in the lead, or a year in the title), and it mentions others: background sentences about earlier
events, and "Related articles" blurbs. A figure belongs to the event its sentence is about, never by
default to the page's main event. Events are named from the text (the title, a named event in the lead),
never from the file name; an encyclopedia article about a place or an idea has no main event at all.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.facts.domains import Domain
from bot.facts.infobox import Entry
from bot.facts.model import Event
from bot.ingest import PROSE, Document
from bot.lexicon import is_english_word
from bot.matching import fold

_YEAR = re.compile(r"\b(1[5-9]\d{2}|20\d{2})\b")
MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_MON = r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_ORD = r"(?:st|nd|rd|th)?"
_M = rf"(?:{MONTHS}|{_MON})"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DATE_BODY = (
    rf"(?:(?:between\s+)?{MONTHS}\s+\d{{1,2}}\s+and\s+(?:{MONTHS}\s+)?\d{{1,2}},\s+\d{{4}}"
    rf"|\d{{1,2}}{_ORD}(?:\s{{0,2}}[-–]\s{{0,2}}\d{{1,2}}{_ORD})?\s{{0,2}}{_M}\s{{0,2}},?\s{{1,2}}\d{{4}}"
    rf"|{_M}\s{{1,2}}\d{{1,2}}{_ORD}(?:\s{{0,2}}[-–]\s{{0,2}}\d{{1,2}})?,?\s{{1,2}}\d{{4}}"
    rf"|{_M}\s{{1,2}}\d{{4}}|\d{{1,2}}{_ORD}\s{{1,2}}{_M}|{_M}\s{{1,2}}\d{{1,2}}{_ORD}(?!\d)|\d{{4}}-\d{{2}}-\d{{2}}"
    rf"|{_WEEKDAY}(?:\s+(?:night|morning|evening|afternoon))?)"
)
DATE = re.compile(rf"\b{_DATE_BODY}\b")
# "From 15 June to October 2022", "between 30 September and 1 October 2019": an event that lasted
DATE_RANGE = re.compile(rf"\b(?:[Ff]rom|[Bb]etween)\s+{_DATE_BODY}\s+(?:to|and|until|through|–|-)\s+{_DATE_BODY}\b")
# A bare year that dates something ("in 2005", "since 2016"): the year alone is the value.
YEAR_DATE = re.compile(r"\b(?:in|since|by|until|during|from|of)\s+((?:1[6-9]|20)\d{2})\b(?![-–/]?\d)")
FULL_DATE = re.compile(
    rf"\b(?:\d{{1,2}}\s{{0,2}}{MONTHS}\s{{1,2}}\d{{4}}|{MONTHS}\s{{1,2}}\d{{1,2}}(?:\s{{0,2}}[-–]\s{{0,2}}\d{{1,2}})?,?\s{{1,2}}\d{{4}}|{MONTHS}\s{{1,2}}\d{{4}})\b")
# Words that say something happened, whatever the domain.
_HAPPENED = re.compile(r"\b(?:took place|occurred|happened|was held|were held|struck|hit|began|started|broke out)\b",
                       re.IGNORECASE)
_PLACE_PREP = re.compile(r"\b(?:in|at|near|outside|of|across|over)\s+(?:the\s+)?((?:[A-Z][\w'’-]+)(?:\s+[A-Z][\w'’-]+){0,2})"
                         r"(?![\w'’-])(?!\s+[A-Z])")
# Names of bodies, not places: "of the Independent National Electoral Commission", "of the All Progressives Congress"
_BODY = re.compile(r"\b(?:Commission|Party|Congress|Council|Court|Committee|Ministry|Agency|Office|Authority|Union|"
                   r"Organi[sz]ation|Association|Company|Corporation|University|Bank|Department|Movement|Front|"
                   r"Alliance|Institute|Service|Board|Assembly|Parliament|Senate|Government|Library|Bureau|Foundation|Society|"
                   r"Cent(?:re|er)|Museum|School|College|Hospital)\b")
# Capitalised words that are not places or names (sentence openers, calendar words).
_GENERIC = {
    "the", "on", "of", "in", "at", "and", "first", "second", "third", "last", "updated", "part", "a", "an",
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "from", "by", "to",
    "after", "before", "during", "with", "for", "this", "that", "it", "its", "their", "his", "her", "as", "but",
}


def proper_words(text: str, domain: Domain) -> list[str]:
    words = re.findall(r"[A-Z][\w'’-]+", text)
    nouns = _event_noun_re(domain)
    return [w for w in words if fold(w) not in _GENERIC and not _YEAR.fullmatch(w)
            and not (nouns and nouns.fullmatch(w))]


@lru_cache(maxsize=128)
def _compiled(pattern: str, case_sensitive: bool = False) -> re.Pattern | None:
    return re.compile(pattern, 0 if case_sensitive else re.IGNORECASE) if pattern else None


def event_nouns(domain: Domain) -> str:
    """The domain's event nouns and the general ones."""
    from bot.facts.domains import GENERAL

    return "|".join(dict.fromkeys(x for x in (domain.event_nouns, GENERAL.event_nouns) if x))


def _event_noun_re(domain: Domain, extra: str = "") -> re.Pattern | None:
    alts = "|".join(x for x in (event_nouns(domain), re.escape(extra) if extra else "") if x)
    return _compiled(rf"\b(?:{alts})\b") if alts else None


def is_country(place: str, text: str) -> bool:
    """A place whose demonym the text uses ('Mali' next to 'Malian') names a country, not where it happened."""
    return bool(re.search(rf"\b{re.escape(place)}(?:an|ian|ien|ese|i)\b", text))


def places_in(text: str, domain: Domain) -> list[str]:
    found: list[str] = []
    cues = domain.place_cues
    if cues:
        rx = _compiled(
            rf"\b(?:{cues})\s+(?:in|at|of|near)\s+(?:the\s+)?(?:(?:town|village|city)\s+of\s+)?"
            r"([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?(?: and [A-Z][\w'’-]+)?)", True)
        for m in rx.finditer(text):
            found.extend(p for p in re.split(r"\s+and\s+", m.group(1)) if fold(p) not in _GENERIC)
    if domain.event_verbs:
        rx = _compiled(rf"\b(?:{domain.event_verbs})\s+[^.;,]{{0,60}}?\b(?:in|at|near)\s+(?:the\s+(?:remote\s+)?"
                       r"(?:town|village|city)\s+of\s+)?([A-Z][\w'’-]+)", True)
        found.extend(m.group(1) for m in rx.finditer(text) if fold(m.group(1)) not in _GENERIC)
    return list(dict.fromkeys(found))


def general_places(text: str, domain: Domain) -> list[str]:
    """Capitalised names after a place preposition ("struck the Al Haouz region" is not one; "in Derna" is)."""
    out = []
    for m in _PLACE_PREP.finditer(text):
        words = [w for w in m.group(1).split() if fold(w) not in _GENERIC]
        if words and not _YEAR.match(words[0]) and not _BODY.search(m.group(1)):
            out.append(" ".join(words))
    return list(dict.fromkeys(out))


def title_kind(title: str, domain: Domain) -> str:
    """The noun the title uses for its event: a domain event noun, or its last common noun ("earthquakes",
    "election", "floods"), or a leading common noun before a name ("Hurricane Ian")."""
    nouns = _event_noun_re(domain)
    m = nouns.search(title) if nouns else None
    return m.group(0).lower() if m else ""


def event_name_in(text: str, domain: Domain, kind: str = "") -> str | None:
    """A named event ('the battle of X', 'the 2019 X attack', 'the 1939 Erzincan earthquake'), unless it is
    only a cause or comparison ('in response to the X attack')."""
    nouns = "|".join(x for x in (event_nouns(domain), re.escape(kind) if kind else "") if x)
    named_of = _compiled(rf"\b(?:[Tt]he\s+)?((?:(?:1[5-9]|20)\d{{2}}\s+)?(?:[Ff]irst\s+|[Ss]econd\s+|[Tt]hird\s+)?"
                         rf"(?i:{nouns})\s+(?:of|on|in|at)\s+(?:the\s+)?[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){{0,3}})", True)
    named_pre = _compiled(rf"\b((?:(?:1[5-9]|20)\d{{2}}\s+)?[A-Z][\w'’–-]+(?:\s+[A-Z][\w'’–-]+){{0,3}}\s+(?i:{nouns}))\b"
                          r"(?!\s+[A-Z])", True)
    # "Hurricane Ian", "Typhoon Haiyan": a capitalised event noun before a name that is not a common word
    named_title = _compiled(rf"\b((?:(?:1[5-9]|20)\d{{2}}\s+)?(?:{_capitalised(nouns)})\s+[A-Z][a-z]{{2,20}})\b(?!\s+[A-Z])", True)
    for pattern in (named_of, named_pre, named_title):
        for m in pattern.finditer(text):
            names = proper_words(m.group(1), domain)
            if not names or (m.start(1) == _sentence_start(text, m.start(1)) and all(is_english_word(w) for w in names)):
                continue  # "Presidential elections were held": a capital at a sentence start is not a name
            if pattern is named_title and is_english_word(m.group(1).split()[-1]):
                continue
            if re.search(r"\b(?:for|to|after|following|since|than|like|as)\s+(?:the\s+)?$", text[max(0, m.start(1) - 30) : m.start(1)]):
                continue
            return re.sub(r"^[Tt]he\s+", "", m.group(1).strip())
    return None


def _year_kind(text: str, kind: str) -> str | None:
    """'the 2023 presidential election' in an untitled page's lead (a year, a few lowercase words, the kind), or
    the kind written before its date ('a referendum on 23 June 2016' -> '2016 referendum')."""
    if not kind:
        return None
    m = re.search(rf"\b((?:1[5-9]|20)\d{{2}}\s+(?:[a-z][\w-]*\s+){{0,3}}{re.escape(kind)})\b", text)
    if m:
        return m.group(1)
    # "a UK wide referendum on 23 June 2016": the kind, then its date
    m = re.search(rf"\b{re.escape(kind)}\s+(?:on|in|of)\s+(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?(?:{MONTHS}\s+)?(?:\d{{1,2}},?\s+)?"
                  rf"((?:1[5-9]|20)\d{{2}})\b", text)
    return f"{m.group(1)} {kind}" if m else None


def _sentence_start(text: str, at: int) -> int:
    """Where the sentence holding `at` starts (after the last '.', '!', '?' or line break before it)."""
    lo = max(0, at - 300)
    found = [text.rfind(mark, lo, at) + len(mark) for mark in (". ", "! ", "? ", "\n") if text.rfind(mark, lo, at) >= 0]
    cut = max(found, default=lo)
    while cut < at and text[cut].isspace():
        cut += 1
    return cut


@lru_cache(maxsize=64)
def _capitalised(alternation: str) -> str:
    """An alternation of lowercase words, each with a capital first letter ("storms?" -> "Storms?")."""
    return "|".join(a[:1].upper() + a[1:] if a[:1].isalpha() else a for a in alternation.split("|"))



def _top_headings(doc: Document) -> list[str]:
    """Short lines near the top, before the first prose paragraph: where a page's own title may sit."""
    out = []
    for b in sorted(doc.blocks, key=lambda b: b.span.start):
        body = b.span.of(doc.text)
        if b.kind == PROSE and (len(body.split()) > 10 or body.rstrip().endswith(".")):
            break
        if b.kind in ("heading", PROSE):
            out.append(b.section if b.kind == "heading" else body)
    return out[:3]


def lead_text(doc: Document, limit: int = 3) -> str:
    """The first `limit` prose blocks before the first section: where a page says what it is about."""
    parts = []
    for b in doc.blocks:
        if b.kind == PROSE and not b.section:
            parts.append(b.span.of(doc.text))
            if len(parts) >= limit:
                break
    if not parts:
        parts = [b.span.of(doc.text) for b in doc.blocks if b.kind == PROSE][:1]
    return "\n".join(parts)


def main_event(doc: Document, entries: list[Entry], domain: Domain) -> Event | None:
    """The page's own event, from its title, infobox and lead; None when the page describes no event."""
    text = doc.text
    by_field: dict[str, Entry] = {}
    for e in entries:
        by_field.setdefault(e.field, e)
    lead = lead_text(doc)
    first_sentences = " ".join(re.split(r"(?<=[.!?])\s+", lead)[:3])
    date = by_field["date"].value.of(text) if "date" in by_field else ""
    kind = title_kind(doc.title, domain)
    happening = _happening(domain, kind)
    if not date:
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", lead)[:4]:
            m = FULL_DATE.search(sentence)
            if m and happening.search(sentence):  # a dateline or publication date says nothing happened then
                span = DATE_RANGE.search(sentence)
                date = span.group(0) if span and span.start() <= m.start() < span.end() else m.group(0)
                break
    titled = doc.title_span is not None
    title_year = _YEAR.search(doc.title) if titled else None
    heading = ""
    if titled and not (kind or title_year):
        # a site's tagline above the page's own title ("... a service provided by UN OCHA" / "Pakistan: Floods")
        heading = next((h for h in _top_headings(doc) if title_kind(h, domain)), "")
        kind = title_kind(heading, domain) if heading else ""
        title_year = _YEAR.search(heading) if heading else None
    if not titled or not (kind or title_year):
        # an untitled page, or a headline that names no kind ("At least 19 dead after bus topples over"): the
        # kind its lead uses ("A double-decker bus has crashed ...")
        kind = kind or title_kind(first_sentences[:300], domain)
    if not ("date" in by_field or title_year or date or kind or doc.dated):
        return None
    places: list[str] = []
    if "place" in by_field:
        places.extend(w.strip() for w in re.split(r",\s*", by_field["place"].value.of(text))[:1] if w.strip())
    name = event_name_in(doc.title, domain, kind)
    if name:
        places.extend(p for p in proper_words(name, domain) if p not in places)
    lead_places = places_in(lead, domain) or general_places(first_sentences, domain)
    places.extend(p for p in lead_places[:2] if p not in places)
    title_places = [w for w in proper_words(heading or doc.title, domain) if not any(fold(w) in fold(x) for x in places)
                    and not is_english_word(w)]
    places.extend(title_places[:2])
    places = [p for p in dict.fromkeys(places) if not is_country(p, text)] or places
    years = (_YEAR.findall(date) or _YEAR.findall(heading or doc.title) or _YEAR.findall(first_sentences)
             or _YEAR.findall(doc.dated))
    if heading:
        name = heading
    elif not titled:
        name = event_name_in(first_sentences, domain, kind) or _year_kind(first_sentences, kind) or (
            f"{kind or 'event'} in {places[0]}" if places else doc.title)
    else:
        name = doc.title if (title_year or kind or not name) else name
    return Event(name=name, doc_id=doc.doc_id, main=True, places=tuple(places), year=int(years[0]) if years else None,
                 date=date, kind=kind)


def _happening(domain: Domain, kind: str) -> re.Pattern:
    """Words that say the event happened: general ones, the domain's event verbs and nouns, the title's kind."""
    alts = [_HAPPENED.pattern.replace("\\b(?:", "").replace(")\\b", "")]
    alts += [x for x in (domain.event_verbs, event_nouns(domain), re.escape(kind) if kind else "") if x]
    return _compiled(r"\b(?:" + "|".join(alts) + r")\b")


def block_event(text: str, doc_id: str, domain: Domain, kind: str) -> Event:
    """A related-articles blurb describes its own event, named in its first sentence."""
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text, maxsplit=1)[0]
    name = event_name_in(first, domain, kind)
    places = places_in(text, domain) or general_places(first, domain)
    if name:
        places = list(dict.fromkeys(proper_words(name, domain) + places))
    years = _YEAR.findall(text)
    date = DATE.search(text)
    if not name:
        noun = kind or (domain.event_nouns.split("|")[0] if domain.event_nouns else "event")
        name = f"{noun} in {places[0]}" if places else " ".join(text.split()[:8])
    return Event(name=name, doc_id=doc_id, main=False, places=tuple(places[:3]), year=int(years[0]) if years else None,
                 date=date.group(0) if date else "", kind=kind)


def sentence_event(sentence: str, main: Event | None, doc_id: str, domain: Domain) -> Event | None:
    """The main event, unless the sentence is about another one (another year, or a named other event)."""
    kind = main.kind if main else ""
    years = {int(y) for y in _YEAR.findall(sentence)}
    named = event_name_in(sentence, domain, kind)
    if main is None:
        if named:
            return Event(name=named, doc_id=doc_id, main=False, places=tuple(proper_words(named, domain)),
                         year=min(years) if years else None, kind=kind)
        return None
    if main.year and years and main.year not in years:
        year = min(years)
        places = places_in(sentence, domain)
        noun = kind or "event"
        name = named or (f"{year} {noun} in {' and '.join(places)}" if places else f"{year} {noun}")
        if not places and named:
            places = proper_words(named, domain)
        return Event(name=name, doc_id=doc_id, main=False, places=tuple(places or main.places), year=year, kind=kind)
    if named:
        other = Event(name=named, doc_id=doc_id, main=False, places=tuple(proper_words(named, domain)),
                      year=min(years) if years else main.year, kind=kind)
        if not same_event(other, main) and other.places:
            return other
    return main


_PLACE_FILLER = {"international", "airport", "province", "district", "city", "region", "state", "county", "north",
                 "south", "east", "west", "central", "near", "the", "of"}


def same_event(a: Event, b: Event) -> bool:
    if a.year and b.year and a.year != b.year:
        return False
    if fold(a.name) == fold(b.name):
        return True  # one name, one event, however its places were split ('Muan International Airport')
    mine, theirs = {fold(p) for p in a.places}, {fold(p) for p in b.places}
    if mine and theirs and not mine & theirs:
        # a place written whole on one side and word by word on the other is still shared
        words = {w for p in mine for w in p.split()} & {w for p in theirs for w in p.split()}
        return bool(words - _PLACE_FILLER)
    return bool(mine & theirs)
