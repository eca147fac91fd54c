"""Numeric and date questions -> a FactQuery: what kind of answer (a figure, a date, a time, who led, which
event had the most, a sum, which events in a year), what is counted or measured in the question's own words,
and the qualifiers that narrow it (a nationality, a side, a place, a name). Routing decides only the shape;
whether the facts answer it is decided against them (bot.facts.answer)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.facts.domains import Domain

FIGURE, DATE, TIME, LEADER, MOST, COMBINED, IN_YEAR = "figure", "date", "time", "leader", "most", "combined", "in_year"
_YEAR = re.compile(r"\b(1[5-9]\d{2}|20\d{2})\b")
# "How deep was it?" asks for a depth: English adjectives of measure and the noun they ask for.
_HOW_ADJECTIVE = {"deep": "depth", "long": "duration length", "high": "height", "tall": "height", "fast": "speed",
                  "far": "distance", "old": "age", "much": "amount cost", "large": "size", "big": "size",
                  "strong": "strength magnitude", "wide": "width", "heavy": "weight", "powerful": "magnitude"}
_QUESTION_WORDS = {"how", "many", "much", "what", "which", "when", "who", "whom", "whose", "was", "were", "is", "are",
                   "did", "does", "do", "the", "a", "an", "of", "in", "at", "on", "to", "by", "for", "there", "it",
                   "its", "their", "they", "be", "been", "have", "has", "had", "and", "or", "that", "this", "number",
                   "total", "according", "from", "with", "during", "after", "before", "as", "per", "reported", "say",
                   "said", "claim", "claimed", "get", "got", "about", "exactly", "approximately", "than", "more", "most"}


@dataclass(frozen=True)
class FactQuery:
    kind: str
    predicate: str  # what is asked for, in the question's words ("people died", "magnitude", "votes")
    fields: tuple[str, ...] = ()  # the domain's canonical fields for it, when a pack knows the words
    group: str | None = None  # the domain group the question names ("soldiers"), if any
    qualifiers: tuple[str, ...] = ()  # capitalised words that narrow it ("French", "Tinubu", "Turkey")
    year: int | None = None
    time_kind: str = ""  # "start time" | "end time" for time questions
    event_noun: str = ""  # for aggregates: the kind of event asked about ("storm", "attack")


def route(question: str, domains: Sequence[Domain]) -> FactQuery | None:
    """A FactQuery when the question asks for a figure, a date, a time, a leader or an aggregate; else None."""
    q = question.lower()
    year_m = _YEAR.search(q)
    year = int(year_m.group(1)) if year_m else None
    domain_fields, group, domain = _domain_terms(q, domains)
    predicate = _predicate(question)
    qualifiers = _qualifiers(question)
    if re.search(r"\bwhich\s+(?:\w+\s+){0,2}(?:happened|took place|occurred|were there|hit|struck|were held|was held)\b.*\bin\s+(?:1[5-9]|20)\d{2}\b"
                 r"|\b(?:events?|attacks?|\w+s) in (?:1[5-9]|20)\d{2}\b", q) and year and re.search(r"\bwhich\b|\bwhat\b", q):
        return FactQuery(IN_YEAR, predicate, year=year, event_noun=_which_noun(q))
    if re.search(r"\b(?:which|what)\s+(?:\w+\s+){0,2}\w+\b.*\b(?:most|deadliest|highest|largest|biggest|strongest|costliest|worst)\b"
                 r"|\bdeadliest\b|\bcostliest\b", q):
        return FactQuery(MOST, predicate, fields=domain_fields or _default_fields(q, domain), qualifiers=qualifiers,
                         group=group or (domain.default_group if domain else None) or None, year=year,
                         event_noun=_which_noun(q))
    if re.search(r"\b(?:combined|in total|altogether|together|total)\b", q) and (domain_fields or re.search(r"\bhow many\b|\bhow much\b", q)):
        return FactQuery(COMBINED, predicate, fields=domain_fields, group=group or (domain.default_group if domain else None) or None,
                         qualifiers=qualifiers, year=year)
    if re.search(r"\bwho (?:commanded|led|was in command|headed)\b|\bcommanders?\b|\bwho was the commander\b", q):
        return FactQuery(LEADER, "leader", group=group, qualifiers=qualifiers, year=year)
    if re.search(r"\bwhat time\b|\bat what hour\b|\bwhen did the \w+ (?:begin|start|end)\b", q):
        kind = "end time" if re.search(r"\b(?:end|ended|stop|over)\b", q) else "start time"
        return FactQuery(TIME, predicate, time_kind=kind, qualifiers=qualifiers, year=year)
    if re.search(r"\bwhen\b|\bwhat (?:date|day)\b|\bwhich (?:date|day)\b|\bon what date\b|\bwhat year\b|\bwhich year\b", q):
        return FactQuery(DATE, predicate, qualifiers=qualifiers, year=year)
    how_adjective = re.search(r"\bhow (" + "|".join(_HOW_ADJECTIVE) + r")\b", q)
    counting = re.search(r"\bhow many\b|\bdeath toll\b|\bcasualt|\bnumber of\b|\bwhat (?:percentage|share|proportion|amount|"
                         r"number|figure)\b|\bwhat was the (?:\w+ ){0,2}(?:toll|turnout|total|figure|count|magnitude|depth|"
                         r"speed|cost|damage|margin|share|percentage|population|intensity)\b", q)
    if counting or how_adjective:
        if how_adjective and how_adjective.group(1) not in ("many",):
            predicate = (predicate + " " + _HOW_ADJECTIVE[how_adjective.group(1)]).strip()
        fields = domain_fields
        if domain is not None and fields:
            fields = _widen(fields, q, domain)
        return FactQuery(FIGURE, predicate, fields=fields, group=group, qualifiers=qualifiers, year=year)
    return None


def _domain_terms(q: str, domains: Sequence[Domain]) -> tuple[tuple[str, ...], str | None, Domain | None]:
    """(fields, group, pack) the question names in a pack's words; the first pack that knows any word."""
    for d in domains:
        fields = tuple(f.name for f, rx in d.question_patterns if rx.search(q))
        group = next((g for g, rx in d.group_question_patterns if rx.search(q)), None)
        if d.second_side and re.search(rf"\b(?:{d.second_side})", q) and re.search(r"\b(?:fighters?|members?|lost|had)\b", q) \
                and group != next((g.name for g in d.groups if g.name not in (d.first_group, d.second_group, d.unknown_group)), None):
            group = d.second_group
        if fields or group:
            return fields, group, d
    return (), None, None


def _widen(fields: tuple[str, ...], q: str, domain: Domain) -> tuple[str, ...]:
    """A question about one kind of figure also accepts the combined kinds that include it ("wounded or missing")."""
    if "strength" in fields:
        return ("strength",)
    if re.search(r"\bcasualt", q) and domain.casualty_order:
        return tuple(domain.casualty_order)
    combined = [f.name for f in domain.fields if " or " in f.name]
    out = list(fields)
    for f in fields:
        out.extend(c for c in combined if f in c.split(" or ") and c not in out)
        if f == "captured":
            out.extend(x for x in ("prisoners",) if domain.field_spec(x) and x not in out)
    return tuple(dict.fromkeys(out))


def _default_fields(q: str, domain: Domain | None) -> tuple[str, ...]:
    if domain is not None and domain.casualty_order and re.search(r"\bdeadliest\b", q):
        return (domain.casualty_order[0],)
    return ()


def _predicate(question: str) -> str:
    """The words of the question that say what is counted or measured: its content words less the names
    (which pick the event) and the question words ("How many people died in the Al Haouz earthquake?" ->
    "people died earthquake")."""
    words = re.findall(r"[A-Za-z][\w'’-]*", question)
    out = []
    for i, w in enumerate(words):
        low = w.lower()
        if low in _QUESTION_WORDS or _YEAR.fullmatch(w):
            continue
        if w[0].isupper() and i > 0:
            continue
        out.append(low)
    return " ".join(out)


def _qualifiers(question: str) -> tuple[str, ...]:
    """Capitalised words past the first: names, nationalities, places, sides."""
    words = re.findall(r"[A-Z][\w'’-]+", question)
    first = re.match(r"\s*([A-Za-z][\w'’-]*)", question)
    out = [w for w in words if not (first and w == first.group(1)) and w.lower() not in _QUESTION_WORDS]
    return tuple(dict.fromkeys(out))


def _which_noun(q: str) -> str:
    m = re.search(r"\b(?:which|what)\s+(?:\w+\s+)?(\w+?)(?:s|es)?\b", q)
    return m.group(1) if m else ""
