"""Domain packs: the vocabulary of one kind of document, as data the extractor, router and answers read.

Extraction works without any pack, from the documents' own labels and grammar (a figure, the noun it
counts, the verb or label attached to it). A pack adds what only a domain knows: which words name the same
field ("killed", "died", "death toll"), which nouns form a group ("soldiers", "troops"), which infobox labels
hold per-side values, which nouns name its events, and how answers phrase them. A document uses the first
enabled pack whose `detect` pattern its title, infobox or lead matches (`BOT_FACT_DOMAINS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class FieldSpec:
    """A canonical field and the words that state it."""

    name: str
    words: str  # regex alternation, matched as whole words in prose around a figure
    label: str = ""  # how answers say it; default `name`
    question: str = ""  # regex alternation that asks for it in a question; default `words`
    kind: str = "count"  # "count" (figures of separate events add up) or "size" (they do not)


@dataclass(frozen=True)
class Group:
    """A group that counted nouns belong to ("soldiers": soldiers, troops, gendarmes ...)."""

    name: str
    nouns: str  # regex alternation
    label: str
    question: str = ""  # regex alternation in questions; default `nouns`


@dataclass(frozen=True)
class Domain:
    name: str
    detect: tuple[str, ...] = ()  # regexes: a document whose title, infobox labels and lead match all of them uses this pack
    fields: tuple[FieldSpec, ...] = ()
    groups: tuple[Group, ...] = ()
    default_group: str = ""  # the group a "most"/"combined" question means when it names none
    unknown_group: str = ""  # the group of a figure whose noun the pack does not place
    per_side_fields: tuple[str, ...] = ()  # infobox fields whose values list one entry per side
    casualty_label: str = ""  # the canonical infobox field listing losses per side ("casualties")
    casualty_order: tuple[str, ...] = ()  # the order such a list gives each side's figures in; the first is the default
    infobox_labels: dict[str, str] = field(default_factory=dict)  # label as written (lowercase) -> field
    side_label: str = ""  # the infobox field naming the sides ("side")
    second_side: str = ""  # regex: a side whose name matches belongs to the second group
    second_group: str = ""  # that group's name
    first_group: str = ""  # the group of the other sides
    event_nouns: str = ""  # regex alternation: nouns naming this domain's events
    place_cues: str = ""  # regex: "base in X", "camp at X" place a figure's event
    event_verbs: str = ""  # regex: "attacked ... in X"
    start_verbs: str = ""  # a time in a sentence with these is when the event began
    end_verbs: str = ""  # ... ended
    strength_verbs: str = ""  # "N fighters attacked": the figure is the attackers' strength
    leader_patterns: tuple[str, ...] = ()  # regexes with a named group `name`: who led or commanded
    leader_attackers: str = ""  # regex: near these words, the leader named led the attackers
    toll_words: str = ""  # regex: a figure reported as a "toll" counts the first side's losses
    event_plural: str = "events"  # "attacks": answers say "Among the attacks in the documents"
    skip_words: tuple[str, ...] = ()  # words a figure's noun phrase may hold without ending it ("wal", "ag")

    @cached_property
    def field_patterns(self) -> list[tuple[str, re.Pattern]]:
        return [(f.name, re.compile(rf"\b(?:{f.words})\b", re.IGNORECASE)) for f in self.fields]

    @cached_property
    def question_patterns(self) -> list[tuple[FieldSpec, re.Pattern]]:
        return [(f, re.compile(rf"\b(?:{f.question or f.words})\b", re.IGNORECASE)) for f in self.fields]

    @cached_property
    def group_patterns(self) -> list[tuple[str, re.Pattern]]:
        return [(g.name, re.compile(rf"^(?:{g.nouns})$", re.IGNORECASE)) for g in self.groups]

    @cached_property
    def group_question_patterns(self) -> list[tuple[str, re.Pattern]]:
        return [(g.name, re.compile(rf"\b(?:{g.question or g.nouns})\b", re.IGNORECASE)) for g in self.groups]

    @cached_property
    def detectors(self) -> list[re.Pattern]:
        return [re.compile(rf"\b(?:{d})\b", re.IGNORECASE) for d in self.detect]

    def applies(self, signature: str) -> bool:
        return bool(self.detectors) and all(rx.search(signature) for rx in self.detectors)

    def field_spec(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def field_label(self, name: str) -> str:
        spec = self.field_spec(name)
        return (spec.label or spec.name) if spec else name

    def group_label(self, name: str) -> str:
        return next((g.label for g in self.groups if g.name == name), name)

    def group_of(self, noun: str) -> str | None:
        return next((name for name, rx in self.group_patterns if rx.match(noun)), None)

    def field_of(self, word: str) -> str | None:
        return next((name for name, rx in self.field_patterns if rx.fullmatch(word)), None)


# No domain vocabulary: only the nouns English uses for events of any kind, so a page titled "2022 Pakistan
# floods" or "Hurricane Ian" is known to describe an event (a page titled "Steam engine" does not).
GENERAL = Domain(
    name="general",
    event_nouns=r"earthquakes?|quakes?|tremors?|storms?|hurricanes?|typhoons?|cyclones?|tornado(?:es)?|floods?|flooding|"
                r"landslides?|mudslides?|tsunamis?|eruptions?|wildfires?|fires?|droughts?|heat ?waves?|blizzards?|"
                r"avalanches?|explosions?|blasts?|crash(?:es)?|collisions?|derailments?|sinkings?|capsizings?|"
                r"disasters?|accidents?|traged(?:y|ies)|incidents?|collapses?|elections?|referend(?:um|ums|a)|polls?|"
                r"primar(?:y|ies)|by-elections?|attacks?|bombings?|shootings?|battles?|wars?|massacres?|riots?|"
                r"protests?|coups?|uprisings?|pandemics?|epidemics?|outbreaks?|famines?|crisis|crises|summits?|"
                r"tournaments?|championships?|finals?|olympics|launch(?:es)?|missions?|strikes?",
)


def available() -> dict[str, Domain]:
    from bot.facts.domains.conflict import CONFLICT

    return {d.name: d for d in (GENERAL, CONFLICT)}


def enabled(names: str) -> list[Domain]:
    """The packs named in a comma-separated setting, in order; unknown names are an error that lists the known."""
    known = available()
    out = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name not in known:
            raise ValueError(f"unknown fact domain {name!r}; known: {', '.join(sorted(known))}")
        out.append(known[name])
    return out


def pick(packs: list[Domain], signature: str) -> Domain:
    """The first pack whose detector matches the document's `signature` (title, infobox labels, lead), else the
    general one."""
    return next((d for d in packs if d.applies(signature)), GENERAL)
