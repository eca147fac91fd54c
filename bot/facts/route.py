"""Numeric and date questions -> a FactQuery: what kind of answer (a figure, a date, a time, who led, which
event had the most, a sum, which events in a year), what is counted or measured in the question's own words,
and the qualifiers that narrow it (a nationality, a side, a place, a name). Routing decides only the shape;
whether the facts answer it is decided against them (bot.facts.answer)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.facts.domains import Domain
from bot.lexicon import lemmas

FIGURE, DATE, TIME, LEADER, MOST, COMBINED, IN_YEAR = "figure", "date", "time", "leader", "most", "combined", "in_year"
_YEAR = re.compile(r"\b(1[5-9]\d{2}|20\d{2})\b")
# "How deep was it?" asks for a depth: English adjectives of measure and the noun they ask for.
_HOW_ADJECTIVE = {"deep": "depth", "long": "duration length", "high": "height", "tall": "height", "fast": "speed",
                  "far": "distance", "old": "age", "much": "amount cost", "large": "size", "big": "size",
                  "strong": "strength magnitude", "wide": "width", "heavy": "weight", "powerful": "magnitude"}
# "how much", "how big", "how large": too vague to say which measure answers
_VAGUE_MEASURES = {"much", "large", "big"}
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
    counted: tuple[str, ...] = ()  # the noun phrase a "how many" question counts ("foreign", "tourists")
    numbers: tuple[str, ...] = ()  # figures the question names, years aside ("the magnitude 7.7 earthquake")
    measure: tuple[str, ...] = ()  # the measure a "how fast / deep / far" question asks for ("speed")


def route(question: str, domains: Sequence[Domain]) -> FactQuery | None:
    """A FactQuery when the question asks for a figure, a date, a time, a leader or an aggregate; else None."""
    query = _route(question, domains)
    numbers = tuple(m.group(0) for m in _NUMBER.finditer(question) if not _YEAR.fullmatch(m.group(0)))
    return replace(query, numbers=numbers) if query is not None and numbers else query


_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")


def _route(question: str, domains: Sequence[Domain]) -> FactQuery | None:
    q = question.lower()
    year_m = _YEAR.search(q)
    year = int(year_m.group(1)) if year_m else None
    domain_fields, group, domain = _domain_terms(q, domains)
    counted = _counted(question)
    if counted and domain is not None:
        # the group of what is counted wins over a group named elsewhere ("according to Mali's military")
        group = next((g for g, rx in domain.group_patterns if rx.match(counted[-1])), group)
    predicate = _predicate(question)
    qualifiers = _qualifiers(question)
    if re.search(r"\bwhich\s+(?:\w+\s+){0,2}(?:happened|took place|occurred|were there|hit|struck|were held|was held)\b.*\bin\s+(?:1[5-9]|20)\d{2}\b"
                 r"|\b(?:events?|attacks?|\w+s) in (?:1[5-9]|20)\d{2}\b", q) and year and re.search(r"\bwhich\b|\bwhat\b", q):
        return FactQuery(IN_YEAR, predicate, year=year, event_noun=_which_noun(q))
    # "which storm was the deadliest" compares events; "what was the highest altitude X reached" asks X's figure
    own_maximum = re.search(r"\bwhat (?:was|were|is|are) the (?:\w+ )?(?:most|highest|largest|biggest|strongest|"
                            r"longest|greatest|maximum|top|peak)\b", q)
    if not own_maximum and re.search(r"\b(?:which|what)\s+(?:\w+\s+){0,2}\w+\b.*\b(?:most|deadliest|highest|largest|biggest|strongest|costliest|worst)\b"
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
    if re.search(r"^\W*(?:and\s+|so\s+)?when\b|\b(?:since|until|by) when\b|\bwhat (?:date|day)\b|\bwhich (?:date|day)\b|"
                 r"\bon what date\b|\bwhat year\b|\bwhich year\b", q):
        return FactQuery(DATE, predicate, qualifiers=qualifiers, year=year)
    how_adjective = re.search(r"\bhow (" + "|".join(_HOW_ADJECTIVE) + r")\b", q)
    counting = re.search(r"\bhow many\b|\bdeath toll\b|\bcasualt|\bnumber of\b|\bwhat (?:percentage|share|proportion|amount|"
                         r"number|figure)\b|\bwhat was the (?:\w+ ){0,2}(?:toll|turnout|total|figure|count|magnitude|depth|"
                         r"speed|cost|damage|margin|share|percentage|population|intensity)\b", q)
    if counting or how_adjective:
        measure: tuple[str, ...] = ()
        if how_adjective and how_adjective.group(1) not in ("many",):
            predicate = (predicate + " " + _HOW_ADJECTIVE[how_adjective.group(1)]).strip()
            if how_adjective.group(1) not in _VAGUE_MEASURES:
                measure = tuple(_HOW_ADJECTIVE[how_adjective.group(1)].split())
        fields = domain_fields
        if domain is not None and fields:
            fields = _widen(fields, q, domain)
        if not counted and re.search(r"\bhow much\b", q):
            counted = _amount_of(predicate)  # "how much is the reconstruction expected to cost" -> reconstruction
        return FactQuery(FIGURE, predicate, fields=fields, group=group, qualifiers=qualifiers, year=year,
                         counted=counted, measure=measure)
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


_CALENDAR = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_SUPERLATIVES = {"most", "highest", "largest", "biggest", "deadliest", "strongest", "costliest", "worst", "least",
                 "lowest", "smallest", "estimated", "reported"}
_AUXILIARY = {"did", "do", "does", "were", "was", "are", "is", "had", "has", "have", "will", "would", "could", "can"}
_STOP_AT = _AUXILIARY | {"in", "at", "on", "of", "during", "for", "from", "by", "to", "according", "after", "before",
                         "when", "while", "since", "there", "that", "who", "which"}


def _predicate(question: str) -> str:
    """The words that say what is counted or measured, without the event's description: the noun phrase
    after "how many" with its verb ("How many people died in X?" -> "people died"), the noun after "what was
    the" ("the death toll of X" -> "death toll"), else the question's lowercase content words."""
    q = question.strip().rstrip("?")
    m = re.search(r"\bhow (?:many|much)\s+(.*)", q, re.IGNORECASE) or re.search(
        r"\bwhat (?:was|is|were|are) the\s+(.*)", q, re.IGNORECASE) or re.search(
        r"\bwhat (?:percentage|share|proportion|number|amount|figure)\s+(?:of\s+(?:the\s+)?)?(.*)", q, re.IGNORECASE)
    if m:
        head = q[m.start(0) : m.start(1)].lower()
        lead = [w for w in re.findall(r"[a-z]+", head) if w not in _QUESTION_WORDS and w not in ("what", "how")]
        words = re.findall(r"[A-Za-z][\w'’-]*", re.sub(r"^(?:of|among)\s+(?:its|their|the|his|her)\s+", "", m.group(1)))
        phrase, verb_next = [], False
        for i, w in enumerate(words):
            low = w.lower()
            if verb_next:
                if low in _STOP_AT:
                    break
                if w[0].isupper() or low in _QUESTION_WORDS and low not in _AUXILIARY:
                    continue  # the subject between the auxiliary and the verb ("did Bola Tinubu poll")
                phrase.append(low)
                break
            if low in _AUXILIARY:
                verb_next = True
                continue
            if low in _STOP_AT or _YEAR.fullmatch(w):
                break
            if w[0].isupper():
                continue  # a name ("rebel fighters", "Kenyan voters") says whose, not what
            phrase.append(low)
        words = lead + [w for w in phrase if w not in _QUESTION_WORDS]
        if words:
            return " ".join(words)
    q2 = re.sub(r"\b(?:in|of|among) (?:the|these|this) (?:collection|documents?|corpus|pages?|files?)\b", " ", question,
                flags=re.IGNORECASE)
    # a clause that sets the scene ("... when it hit the goods train") says when, not what is measured
    q2 = re.sub(r"[,;]?\s\b(?:when|while|as|after|before|because|since|until|once)\s+(?:it|they|he|she|the|a|an|its|their)\b.*$",
                "", q2, flags=re.IGNORECASE)
    which = re.search(r"\b(?:which|what)\s+(\w+)", q2, re.IGNORECASE)
    words = re.findall(r"[A-Za-z][\w'’-]*", q2)
    out = [w.lower() for i, w in enumerate(words)
           if w.lower() not in _QUESTION_WORDS and not _YEAR.fullmatch(w) and not (w[0].isupper() and i > 0)
           and not (which and w == which.group(1)) and w.lower() not in _SUPERLATIVES]
    return " ".join(out)


def _amount_of(predicate: str) -> tuple[str, ...]:
    """What a "how much" question measures an amount of: the noun its predicate opens with, if it opens with one."""
    words = predicate.split()
    return (words[0],) if words and "NOUN" in lemmas(words[0]) and words[0] not in _HOW_ADJECTIVE["much"].split() else ()


def _counted(question: str) -> tuple[str, ...]:
    """The lowercase words of the noun phrase after "how many" ("How many foreign tourists died" -> foreign,
    tourists), up to its verb or preposition."""
    m = re.search(r"\bhow many\s+(?:of\s+(?:its|their|the|his|her)\s+)?(.*)", question, re.IGNORECASE)
    if not m:
        return ()
    out = []
    for w in re.findall(r"[A-Za-z][\w'’-]*", m.group(1)):
        low = w.lower()
        parts = lemmas(low)
        if low in _STOP_AT or low in _QUESTION_WORDS or ("VERB" in parts and "NOUN" not in parts and out):
            break
        if not w[0].isupper():
            out.append(low)
    return tuple(out)


def _qualifiers(question: str) -> tuple[str, ...]:
    """Capitalised words past the first: names, nationalities, places, sides."""
    words = re.findall(r"[A-Z][\w'’-]+", question)
    first = re.match(r"\s*([A-Za-z][\w'’-]*)", question)
    out = [re.sub(r"['’]s$", "", w) for w in words if not (first and w == first.group(1))
           and w.lower() not in _QUESTION_WORDS and w.lower() not in _CALENDAR]
    return tuple(dict.fromkeys(out))


def _which_noun(q: str) -> str:
    """The kind of event an aggregate asks about: "which storms ..." -> "storm"."""
    m = re.search(r"\b(?:which|what)\s+(\w+)", q)
    if not m or m.group(1) in ("was", "were", "is", "are", "did", "had", "of", "one", "the"):
        return ""
    word = m.group(1)
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word
